"""Incidents: launches that should raise an alert, each labelled with a conservative cost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bench.scenarios._databases import (
    Database,
    create_db_instance,
    create_redshift_cluster,
    delete_db_instance,
)
from bench.scenarios._ec2 import Launch, change_state, run_instances
from bench.scenarios._identities import BOTO3, Actor, agent, iam_user, root, sso_user
from bench.scenarios._model import Label, floor_cents
from bench.scenarios._people import Developer
from bench.scenarios._plan import IncidentPlan
from bench.scenarios._services import (
    create_nodegroup,
    create_notebook_instance,
    update_auto_scaling_group,
)
from bench.scenarios._traffic import Workload, normal, public_ip

UNUSUAL_REGIONS = ("sa-east-1", "ap-south-1", "eu-north-1", "ap-northeast-1")
HOSTING = (45, 91, 103, 141, 185, 193)


@dataclass(frozen=True)
class Scene:
    """What an incident builder needs: the account's workload, its people, when and which."""

    work: Workload
    devs: list[Developer]
    when: datetime
    plan: IncidentPlan

    def label(self, scenario: str, description: str, usd: float) -> Label:
        """An incident label carrying this incident's id."""
        plan = self.plan
        return Label("incident", scenario, description, usd, plan.incident_id, plan.category)

    def ec2_usd(self, instance_type: str, region: str, count: int) -> float:
        """count x the on-demand Linux price, floored to cents."""
        unit = self.work.acct.prices.ec2(instance_type, region)
        return floor_cents(unit, count, f"EC2 {instance_type} in {region}")

    def developer(self) -> Developer:
        """A developer who has been on the team since before the incident."""
        veterans = [d for d in self.devs if d.joined < self.plan.day] or self.devs
        return self.work.acct.rng.choice(veterans)

    def cleanup(self, actor: Actor, region: str, ids: list[str], hours: tuple[int, int]) -> None:
        """Someone notices and terminates the instances a few hours later."""
        acct = self.work.acct
        when = self.when + timedelta(minutes=acct.rng.randint(hours[0] * 60, hours[1] * 60))
        change_state(
            acct,
            actor,
            when,
            region,
            "TerminateInstances",
            ids,
            normal("incident-cleanup", f"{self.plan.incident_id} instances are terminated"),
        )


def ec2_launch(
    scene: Scene, actor: Actor, region: str, launch: Launch, scenario: str, why: str
) -> list[str]:
    usd = scene.ec2_usd(launch.instance_type, region, launch.count)
    what = f"{launch.count} x {launch.instance_type} in {region}"
    return run_instances(
        scene.work.acct,
        actor,
        scene.when,
        region,
        launch,
        scene.label(scenario, f"{why}: {what}", usd),
    )


def developer_first_gpu(scene: Scene) -> None:
    """A developer who never used GPUs launches a p4d/p5."""
    acct, dev = scene.work.acct, scene.developer()
    options = [t for t in ("p4d.24xlarge", "p5.48xlarge") if acct.prices.ec2(t, acct.home)]
    itype = acct.rng.choice(options or ["p4d.24xlarge"])
    ids = ec2_launch(
        scene,
        dev.actor,
        acct.home,
        Launch(itype, 1, key_name=dev.name),
        f"developer-first-gpu-{itype}",
        f"{dev.name}, who only ever ran t3/m6i, launches a GPU box",
    )
    scene.cleanup(dev.actor, acct.home, ids, (2, 6))


def compromised_key(scene: Scene) -> None:
    """A leaked access key of a new IAM user launches a g5 fleet in an unusual region."""
    acct, rng = scene.work.acct, scene.work.acct.rng
    name = rng.choice(("svc-legacy-backup", "jenkins-deploy-old", "temp-migration"))
    thief = iam_user(rng, acct.id, name, public_ip(acct, HOSTING), agent(BOTO3, rng))
    region = rng.choice([r for r in UNUSUAL_REGIONS if r not in acct.regions])
    left = rng.randint(10, 20)
    when = scene.when
    while left:
        count = min(left, rng.randint(3, 8))
        step = Scene(scene.work, scene.devs, when, scene.plan)
        ec2_launch(
            step,
            thief,
            region,
            Launch("g5.12xlarge", count),
            "compromised-key-g5-12xlarge-unusual-region",
            f"never-seen IAM user {name} (leaked access key, hosting-provider address) "
            "launches GPUs in a region the account never uses",
        )
        left -= count
        when = acct.jitter(when, 30, 240)


def x2iedn(scene: Scene) -> None:
    """A first-ever memory-optimised monster: x2iedn.32xlarge."""
    acct, dev = scene.work.acct, scene.developer()
    ids = ec2_launch(
        scene,
        dev.actor,
        acct.home,
        Launch("x2iedn.32xlarge", 1, key_name=dev.name),
        "x2iedn-32xlarge-first-launch",
        f"{dev.name} launches a 4 TiB-memory instance for a one-off job",
    )
    scene.cleanup(dev.actor, acct.home, ids, (3, 8))


def rds_huge(scene: Scene) -> None:
    """RDS db.r6i.32xlarge Multi-AZ where previews use small classes."""
    acct, dev = scene.work.acct, scene.developer()
    db = Database(
        f"{dev.name}-analytics", "db.r6i.32xlarge", "postgres", multi_az=True, storage_gib=1000
    )
    unit = acct.prices.rds(db.db_class, acct.home, db.engine, multi_az=True)
    usd = floor_cents(unit, 1, f"RDS {db.db_class} postgres Multi-AZ in {acct.home}")
    create_db_instance(
        acct,
        dev.actor,
        scene.when,
        acct.home,
        db,
        scene.label(
            "rds-db.r6i.32xlarge-multi-az",
            f"{dev.name} creates a Multi-AZ db.r6i.32xlarge postgres",
            usd,
        ),
    )
    gone = scene.when + timedelta(hours=acct.rng.randint(4, 9))
    delete_db_instance(
        acct,
        dev.actor,
        gone,
        acct.home,
        db,
        normal("incident-cleanup", f"{scene.plan.incident_id} database deleted"),
    )


def redshift(scene: Scene) -> None:
    """A Redshift cluster of 4 x ra3.16xlarge."""
    acct, dev = scene.work.acct, scene.developer()
    unit = acct.prices.redshift("ra3.16xlarge", acct.home)
    usd = floor_cents(unit, 4, f"Redshift ra3.16xlarge in {acct.home}")
    create_redshift_cluster(
        acct,
        dev.actor,
        scene.when,
        acct.home,
        f"{dev.name}-warehouse",
        "ra3.16xlarge",
        4,
        scene.label(
            "redshift-ra3.16xlarge-x4",
            f"{dev.name} creates a 4-node ra3.16xlarge Redshift "
            "cluster; the account never ran Redshift",
            usd,
        ),
    )


def sagemaker(scene: Scene) -> None:
    """A SageMaker notebook on ml.p3.16xlarge (8 x V100)."""
    acct, dev = scene.work.acct, scene.developer()
    unit = acct.prices.sagemaker("ml.p3.16xlarge", acct.home)
    usd = floor_cents(unit, 1, f"SageMaker ml.p3.16xlarge in {acct.home}")
    create_notebook_instance(
        acct,
        dev.actor,
        scene.when,
        acct.home,
        f"{dev.name}-experiments",
        "ml.p3.16xlarge",
        scene.label(
            "sagemaker-notebook-ml.p3.16xlarge",
            f"{dev.name} opens a notebook on ml.p3.16xlarge",
            usd,
        ),
    )


def asg_jump(scene: Scene) -> None:
    """A typo: desired capacity 3 -> 60 on the m5.4xlarge group, and the launches it causes."""
    work, dev = scene.work, scene.developer()
    acct, fleet, group = work.acct, work.fleet, work.profile.asg
    before = fleet.desired
    price = acct.prices.ec2(group.instance_type, acct.home)
    usd = floor_cents(price, 60 - before, f"EC2 {group.instance_type} in {acct.home}")
    scenario = f"asg-desired-jump-{before}-to-60-{group.instance_type}"
    update_auto_scaling_group(
        acct,
        dev.actor,
        scene.when,
        acct.home,
        group,
        60,
        scene.label(
            scenario, f"{dev.name} sets {group.name} desired capacity {before} -> 60 (meant 6)", usd
        ),
    )

    def launched(count: int, launching: bool) -> Label:
        usd = floor_cents(price, count, f"EC2 {group.instance_type} in {acct.home}")
        return scene.label(
            scenario,
            f"Auto Scaling launches {count} x {group.instance_type} for the jump to 60",
            usd,
        )

    done = fleet.scale(acct, acct.jitter(scene.when, 20, 60), 60, launched)
    back = done + timedelta(minutes=acct.rng.randint(30, 70))
    update_auto_scaling_group(
        acct,
        dev.actor,
        back,
        acct.home,
        group,
        before,
        normal("incident-cleanup", f"{dev.name} sets {group.name} back to {before}"),
    )
    fleet.scale(
        acct,
        acct.jitter(back, 20, 60),
        before,
        lambda count, _: normal(
            "incident-cleanup",
            f"Auto Scaling terminates {count} instance(s) of {group.name} after the fix",
        ),
    )


def new_actor_c6i(scene: Scene) -> None:
    """Mid-priced (~$5/h): a never-seen contractor launches 8 x c6i.4xlarge."""
    acct, rng = scene.work.acct, scene.work.acct.rng
    actor = sso_user(
        rng, acct.id, "PowerUserAccess", "k.nakamura@contractor.example", public_ip(acct, HOSTING)
    )
    ids = ec2_launch(
        scene,
        actor,
        acct.home,
        Launch("c6i.4xlarge", 8),
        "mid-new-actor-8x-c6i.4xlarge",
        "a contractor never seen before launches a load-test fleet",
    )
    scene.cleanup(actor, acct.home, ids, (2, 5))


def first_r6i(scene: Scene) -> None:
    """Mid-priced (~$6/h): a size the account never used, 3 x r6i.8xlarge."""
    acct, dev = scene.work.acct, scene.developer()
    ids = ec2_launch(
        scene,
        dev.actor,
        acct.home,
        Launch("r6i.8xlarge", 3, key_name=dev.name),
        "mid-first-ever-r6i.8xlarge-x3",
        f"{dev.name} launches a size the account has never used",
    )
    scene.cleanup(dev.actor, acct.home, ids, (3, 7))


def gpu_nodegroup(scene: Scene) -> None:
    """Mid-priced (~$12/h): an EKS node group of 10 x g5.2xlarge."""
    acct, dev = scene.work.acct, scene.developer()
    usd = scene.ec2_usd("g5.2xlarge", acct.home, 10)
    create_nodegroup(
        acct,
        dev.actor,
        scene.when,
        acct.home,
        "gpu-inference",
        "g5.2xlarge",
        10,
        scene.label(
            "mid-eks-nodegroup-10x-g5.2xlarge",
            f"{dev.name} adds an EKS node group of 10 x g5.2xlarge",
            usd,
        ),
    )


def new_account_gpu(scene: Scene) -> None:
    """Day 0 of a brand-new account: its first cost event is a GPU launch by root."""
    acct, rng = scene.work.acct, scene.work.acct.rng
    owner = root(acct.id, public_ip(acct, (24, 67, 71, 98)))
    acct.humans.append(owner)
    choices = [("p5.48xlarge", 1), ("p4d.24xlarge", 2), ("g5.12xlarge", 12)]
    options = [c for c in choices if acct.prices.ec2(c[0], acct.home)] or choices
    itype, count = rng.choice(options)
    ec2_launch(
        scene,
        owner,
        acct.home,
        Launch(itype, count, root_gib=500),
        f"new-account-day0-{itype}",
        "the root user of a brand-new account launches GPUs as its first spend",
    )


BUILDERS: dict[str, Callable[[Scene], None]] = {
    "developer-first-gpu": developer_first_gpu,
    "compromised-key-g5-fleet": compromised_key,
    "x2iedn-32xlarge-first-launch": x2iedn,
    "rds-r6i-32xlarge-multi-az": rds_huge,
    "redshift-ra3-16xlarge-4-nodes": redshift,
    "sagemaker-notebook-ml-p3-16xlarge": sagemaker,
    "asg-desired-jump-3-to-60": asg_jump,
    "mid-new-actor-8x-c6i-4xlarge": new_actor_c6i,
    "mid-first-ever-r6i-8xlarge-x3": first_r6i,
    "mid-eks-nodegroup-10x-g5-2xlarge": gpu_nodegroup,
    "new-account-day0-gpu": new_account_gpu,
}

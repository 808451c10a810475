"""Subtle incidents: known shapes made unusual (a new region, a burst, a jump in size, a stranger).

Most cost well under $5/h: the point is to catch the unusual, not the expensive. Every cost is
the catalogue's on-demand price times the quantity, floored to cents (`floor_cents`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from bench.scenarios._databases import Database, create_db_instance, create_replication_group
from bench.scenarios._ec2 import Launch
from bench.scenarios._identities import BOTO3, CLI, Actor, agent, iam_user, root
from bench.scenarios._incidents import HOSTING, UNUSUAL_REGIONS, Scene, ec2_launch
from bench.scenarios._model import Label, floor_cents
from bench.scenarios._people import OFFICE
from bench.scenarios._traffic import public_ip, runner

# RDS class a few sizes above the usual one (by the account's usual class).
RDS_JUMPS = {
    "db.t3.medium": ("db.m6g.4xlarge",),
    "db.m6g.large": ("db.m6g.8xlarge",),
    "db.r6g.large": ("db.r6g.8xlarge", "db.r6g.16xlarge"),
    "db.r5.large": ("db.r6g.8xlarge",),
}
STRANGERS = ("ops-temp", "qa-automation", "svc-reporting", "data-export", "m.keller")


def _used_regions(scene: Scene) -> set[str]:
    acct = scene.work.acct
    return set(acct.regions) | {e.region for e in acct.events if e.label}


def new_region_never_used(scene: Scene) -> None:
    """The nightly batch role (or a veteran developer) runs its usual type in a region nobody
    in the account ever used: the stolen-key pattern."""
    work, rng = scene.work, scene.work.acct.rng
    region = rng.choice([r for r in UNUSUAL_REGIONS if r not in _used_regions(scene)])
    if rng.random() < 0.5:
        itype = rng.choice(work.profile.batch_types)
        count = min(3, work.profile.batch_count)
        actor, who = work.batch, "the nightly-etl role"
        launch = Launch(itype, count, name_tag="etl-worker", root_gib=200)
    else:
        dev = scene.developer()
        actor, who = dev.actor, dev.name
        launch = Launch(dev.box_type, 1, key_name=dev.name, name_tag=f"dev-{dev.name}")
    ids = ec2_launch(
        scene,
        actor,
        region,
        launch,
        "new-region-never-used",
        f"{who} launches its usual size in {region}, a region the account never used",
    )
    scene.cleanup(actor, region, ids, (2, 6))


def new_region_for_principal(scene: Scene) -> None:
    """A veteran developer launches the usual box in the account's second region, which only
    the canary pipeline used so far."""
    acct, dev = scene.work.acct, scene.developer()
    region = acct.regions[-1]
    ids = ec2_launch(
        scene,
        dev.actor,
        region,
        Launch(dev.box_type, 1, key_name=dev.name, name_tag=f"dev-{dev.name}"),
        "new-region-first-for-principal",
        f"{dev.name}, who only ever worked in {acct.home}, launches the usual size",
    )
    scene.cleanup(dev.actor, region, ids, (2, 6))


def count_burst(scene: Scene) -> None:
    """The CI role, which launches 1-2 runners per call, asks for 12-20 in one call."""
    work, rng = scene.work, scene.work.acct.rng
    actor = runner(work)
    itype = rng.choice(work.profile.ci_types)
    launch = Launch(itype, rng.randint(12, 20), name_tag="gha-runner")
    ids = ec2_launch(
        scene,
        actor,
        work.acct.home,
        launch,
        "count-burst-one-call",
        "a CI workflow with a bad matrix asks for far more runners than ever in one call",
    )
    scene.cleanup(actor, work.acct.home, ids, (1, 3))


def asg_runaway(scene: Scene) -> None:
    """A scaling policy with a broken metric: Auto Scaling launches 10-14 per call, three times."""
    work, rng = scene.work, scene.work.acct.rng
    acct, fleet, group = work.acct, work.fleet, work.profile.asg
    per_call = rng.randint(10, 14)
    total = per_call * 3

    def label(count: int, launching: bool) -> Label:
        usd = floor_cents(
            acct.prices.ec2(group.instance_type, acct.home),
            count,
            f"EC2 {group.instance_type} in {acct.home}",
        )
        return scene.label(
            "count-burst-asg-runaway",
            f"a runaway scaling policy: Auto Scaling launches {count} x {group.instance_type} "
            f"for {group.name} (usually 1-3 per call)",
            usd,
        )

    fleet.scale(acct, scene.when, len(fleet.running) + total, label, batch=per_call)


def rate_burst(scene: Scene) -> None:
    """A veteran developer's script loops: 12-20 RunInstances calls of 1 small instance each,
    all within ten minutes (the developer never makes more than two in ten minutes)."""
    acct, rng, dev = scene.work.acct, scene.work.acct.rng, scene.developer()
    itype = rng.choice(("t3.small", "t3.medium"))
    calls = rng.randint(12, 20)
    when, ids = scene.when, []
    for number in range(1, calls + 1):
        step = replace(scene, when=when)
        ids += ec2_launch(
            step,
            dev.actor,
            acct.home,
            Launch(itype, 1, key_name=dev.name),
            "rate-burst-launch-calls",
            f"{dev.name}'s script launches in a loop (call {number} of {calls})",
        )
        when = acct.jitter(when, 10, 28)
    scene.cleanup(dev.actor, acct.home, ids, (1, 4))


def size_jump_rds(scene: Scene) -> None:
    """The deploy pipeline creates a database several sizes above any the account ran."""
    work, rng = scene.work, scene.work.acct.rng
    acct, usual = work.acct, work.profile.db_class
    db_class = rng.choice(RDS_JUMPS.get(usual, ("db.r6g.8xlarge",)))
    db = Database(f"pr-{rng.randint(5000, 9999)}-db", db_class, "postgres", storage_gib=200)
    unit = acct.prices.rds(db_class, acct.home, "postgres")
    usd = floor_cents(unit, 1, f"RDS {db_class} postgres in {acct.home}")
    create_db_instance(
        acct,
        replace(work.deployer, source_ip=public_ip(acct, (4, 20, 40, 52, 172))),
        scene.when,
        acct.home,
        db,
        scene.label(
            "size-jump-rds",
            f"a preview environment asks for {db_class} where the account only ran {usual}",
            usd,
        ),
    )


def size_jump_elasticache(scene: Scene) -> None:
    """The platform pipeline creates a Redis group of cache.r6g.8xlarge (usually r6g.large)."""
    work = scene.work
    acct = work.acct
    node, nodes = "cache.r6g.8xlarge", 2
    usd = floor_cents(acct.prices.elasticache(node, acct.home), nodes, f"{node} in {acct.home}")
    create_replication_group(
        acct,
        replace(work.deployer, source_ip=public_ip(acct, (4, 20, 40, 52, 172))),
        scene.when,
        acct.home,
        "sessions-v2",
        node,
        nodes,
        scene.label(
            "size-jump-elasticache",
            f"platform creates Redis sessions-v2 ({nodes} x {node}; the account ran r6g.large)",
            usd,
        ),
    )


def _stranger(scene: Scene, ip: str, user_agent: str) -> Actor:
    acct = scene.work.acct
    taken = {e.actor.name for e in acct.events if e.actor is not None}
    name = acct.rng.choice([n for n in STRANGERS if n not in taken] or ["ops-temp-2"])
    return iam_user(acct.rng, acct.id, name, ip, user_agent)


def new_principal_user(scene: Scene) -> None:
    """A never-seen IAM user with a long-term access key launches a few small instances."""
    acct, rng = scene.work.acct, scene.work.acct.rng
    template = rng.choice((CLI, BOTO3))
    actor = _stranger(scene, public_ip(acct, OFFICE), agent(template, rng))
    itype = rng.choice(("t3.medium", "t3.large"))
    ids = ec2_launch(
        scene,
        actor,
        acct.home,
        Launch(itype, rng.randint(2, 4)),
        "new-principal-iam-user",
        f"IAM user {actor.name}, never seen before, launches instances with an access key",
    )
    scene.cleanup(actor, acct.home, ids, (3, 8))


def new_principal_root(scene: Scene) -> None:
    """The root user of a mature account launches a small instance in the console."""
    acct, rng = scene.work.acct, scene.work.acct.rng
    owner = root(acct.id, public_ip(acct, OFFICE))
    acct.humans.append(owner)
    itype = rng.choice(("t3.small", "t3.medium"))
    ec2_launch(
        scene,
        owner,
        acct.home,
        Launch(itype, 1),
        "new-principal-root",
        "the root user of a mature account launches an instance in the console",
    )


def unfamiliar_origin(scene: Scene) -> None:
    """A veteran developer's credentials launch the usual size from a hosting provider, with
    boto3 instead of the console/CLI the developer always used."""
    acct, rng, dev = scene.work.acct, scene.work.acct.rng, scene.developer()
    actor = replace(
        dev.actor, source_ip=public_ip(acct, HOSTING), user_agent=agent(BOTO3, rng), console=False
    )
    ids = ec2_launch(
        scene,
        actor,
        acct.home,
        Launch(dev.box_type, 1),
        "unfamiliar-origin-hosting-boto3",
        f"{dev.name}'s credentials launch the usual size from a hosting-provider address, boto3",
    )
    scene.cleanup(actor, acct.home, ids, (4, 10))


def repeat_compromise(scene: Scene) -> None:
    """A leaked key of a never-seen IAM user launches three batches hours apart the same day."""
    acct, rng = scene.work.acct, scene.work.acct.rng
    thief = _stranger(scene, public_ip(acct, HOSTING), agent(BOTO3, rng))
    itype = rng.choice(("c6i.xlarge", "m5.xlarge", "c5.xlarge"))
    when = scene.when
    for batch in (1, 2, 3):
        count = rng.randint(2, 5)
        ec2_launch(
            replace(scene, when=when),
            thief,
            acct.home,
            Launch(itype, count),
            "repeat-compromise-three-batches",
            f"never-seen IAM user {thief.name} (hosting-provider address) launches batch {batch}",
        )
        when += timedelta(minutes=rng.randint(120, 300))


def stat_odd_developer(scene: Scene) -> None:
    """A developer who launches one box at a time launches 6-12 of the same size."""
    acct, rng, dev = scene.work.acct, scene.work.acct.rng, scene.developer()
    unit = acct.prices.ec2(dev.box_type, acct.home) or 0.1
    count = max(rng.randint(6, 12), int(0.5 / unit) + 1)
    ids = ec2_launch(
        scene,
        dev.actor,
        acct.home,
        Launch(dev.box_type, count, key_name=dev.name, name_tag=f"{dev.name}-test"),
        "stat-odd-developer",
        f"{dev.name}, who launches one {dev.box_type} at a time, launches {count} at once",
    )
    scene.cleanup(dev.actor, acct.home, ids, (2, 6))


def stat_odd_ci(scene: Scene) -> None:
    """The CI role launches 6-9 runners of its largest usual size in one call (usually 1-2)."""
    work, rng = scene.work, scene.work.acct.rng
    acct, actor = work.acct, runner(work)
    itype = max(work.profile.ci_types, key=lambda t: acct.prices.ec2(t, acct.home) or 0.0)
    ids = ec2_launch(
        scene,
        actor,
        acct.home,
        Launch(itype, rng.randint(6, 9), name_tag="gha-runner"),
        "stat-odd-ci",
        "a CI job launches several times its usual number of runners",
    )
    scene.cleanup(actor, acct.home, ids, (1, 2))


SUBTLE_BUILDERS: dict[str, Callable[[Scene], None]] = {
    "new-region-never-used": new_region_never_used,
    "new-region-first-for-principal": new_region_for_principal,
    "count-burst-one-call": count_burst,
    "count-burst-asg-runaway": asg_runaway,
    "rate-burst-launch-calls": rate_burst,
    "size-jump-rds": size_jump_rds,
    "size-jump-elasticache": size_jump_elasticache,
    "new-principal-iam-user": new_principal_user,
    "new-principal-root": new_principal_root,
    "unfamiliar-origin-hosting-boto3": unfamiliar_origin,
    "repeat-compromise-three-batches": repeat_compromise,
    "stat-odd-developer": stat_odd_developer,
    "stat-odd-ci": stat_odd_ci,
}

"""Normal machine traffic: CI runners, the nightly batch, the Auto Scaling group, weekly jobs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bench.scenarios._context import Account
from bench.scenarios._ec2 import Launch, change_state, run_instances, run_instances_failed
from bench.scenarios._identities import (
    BOTO3,
    GITHUB_PROVIDER,
    TERRAFORM,
    Actor,
    agent,
    autoscaling_role,
    role,
)
from bench.scenarios._model import Label
from bench.scenarios._plan import Profile
from bench.scenarios._services import (
    Function,
    Group,
    create_auto_scaling_group,
    update_auto_scaling_group,
)

RUNNER_OCTETS = (4, 20, 40, 52, 172)
CI_HOURS = (13, 14, 14, 15, 15, 16, 16, 17, 18, 19, 20, 21, 22)
SPOT_SHORTAGE = (
    "Server.InsufficientInstanceCapacity",
    "There is no Spot capacity available that matches your request.",
)


def normal(scenario: str, description: str) -> Label:
    """A label for expected, baseline traffic."""
    return Label("normal", scenario, description)


def public_ip(acct: Account, first_octets: tuple[int, ...]) -> str:
    """A public IPv4 address starting with one of `first_octets`."""
    rng = acct.rng
    octets = (
        rng.choice(first_octets),
        rng.randint(1, 254),
        rng.randint(0, 254),
        rng.randint(1, 254),
    )
    return ".".join(str(o) for o in octets)


@dataclass
class Fleet:
    """An Auto Scaling group's running instances, launched and terminated by the service."""

    group: Group
    region: str
    service: Actor
    desired: int = 0
    running: list[str] = field(default_factory=list)

    def scale(
        self,
        acct: Account,
        when: datetime,
        desired: int,
        label_for: Callable[[int, bool], Label],
        batch: int = 10,
    ) -> datetime:
        """Launch or terminate until `desired` run; `label_for(count, launching)` labels calls."""
        self.desired = desired
        while len(self.running) < desired:
            count = min(batch, desired - len(self.running))
            launch = Launch(
                self.group.instance_type, count, template=self.group.name, group=self.group.name
            )
            self.running += run_instances(
                acct, self.service, when, self.region, launch, label_for(count, True)
            )
            when = acct.jitter(when, 15, 70)
        while len(self.running) > desired:
            count = min(batch, len(self.running) - desired)
            gone, self.running = self.running[-count:], self.running[:-count]
            change_state(
                acct,
                self.service,
                when,
                self.region,
                "TerminateInstances",
                gone,
                label_for(count, False),
            )
            when = acct.jitter(when, 15, 70)
        return when


@dataclass
class Workload:
    """The machine actors of an account and the state they share with incidents."""

    acct: Account
    profile: Profile
    fleet: Fleet
    ci: Actor
    batch: Actor
    deployer: Actor
    analytics: Actor
    functions: list[Function] = field(default_factory=list)


def cast(acct: Account, profile: Profile) -> Workload:
    """Create the account's machine roles (CI, batch, deployer, analytics, Auto Scaling)."""
    rng = acct.rng
    nat = public_ip(acct, (3, 34, 44, 52, 54))
    runner_ip = public_ip(acct, RUNNER_OCTETS)
    ci = role(
        rng,
        acct.id,
        "github-actions-ci",
        "GitHubActions",
        runner_ip,
        agent(BOTO3, rng),
        web_provider=GITHUB_PROVIDER,
    )
    deployer = role(
        rng,
        acct.id,
        "terraform-deployer",
        "terraform-apply",
        runner_ip,
        agent(TERRAFORM, rng),
        web_provider=GITHUB_PROVIDER,
    )
    workload = Workload(
        acct=acct,
        profile=profile,
        fleet=Fleet(profile.asg, acct.home, autoscaling_role(rng, acct.id)),
        ci=ci,
        batch=role(rng, acct.id, "nightly-etl", "etl-scheduler", nat, agent(BOTO3, rng)),
        deployer=deployer,
        analytics=role(rng, acct.id, "analytics-weekly", "airflow-worker", nat, agent(BOTO3, rng)),
    )
    return workload


def runner(work: Workload) -> Actor:
    """The CI role as one GitHub-hosted runner (a fresh address per job)."""
    return replace(work.ci, source_ip=public_ip(work.acct, RUNNER_OCTETS))


def pipeline(work: Workload) -> Actor:
    """The deploy role (Terraform in CI) on one GitHub-hosted runner."""
    return replace(work.deployer, source_ip=public_ip(work.acct, RUNNER_OCTETS))


def create_group(work: Workload, day: int) -> None:
    """Terraform creates the Auto Scaling group and the service launches its base size."""
    acct, group = work.acct, work.profile.asg
    when = acct.at(day, 0, acct.rng.randint(5, 40), acct.rng.randint(0, 59))
    deployer = pipeline(work)
    kind = "mixed-instances policy" if group.mixed else "launch template"
    create_auto_scaling_group(
        acct,
        deployer,
        when,
        acct.home,
        group,
        work.profile.asg_base,
        normal(
            "asg-create",
            f"terraform creates {group.name} ({kind}, "
            f"{group.instance_type}, desired {work.profile.asg_base})",
        ),
    )
    work.fleet.scale(
        acct,
        acct.jitter(when, 20, 60),
        work.profile.asg_base,
        _asg_label(group, "initial capacity"),
    )


def _asg_label(group: Group, why: str) -> Callable[[int, bool], Label]:
    def label(count: int, launching: bool) -> Label:
        if launching:
            return normal(
                "asg-scale-out",
                f"Auto Scaling launches {count} x {group.instance_type} for {group.name} ({why})",
            )
        return normal(
            "asg-scale-in", f"Auto Scaling terminates {count} instance(s) of {group.name} ({why})"
        )

    return label


def ci_day(work: Workload, day: int) -> None:
    """CI jobs launch small runners many times a day and terminate them within the hour."""
    acct, rng = work.acct, work.acct.rng
    weekday = acct.at(day, 0).weekday() < 5
    runs = round((rng.randint(20, 30) if weekday else rng.randint(2, 5)) * work.profile.scale)
    for _ in range(runs):
        when = acct.at(day, rng.choice(CI_HOURS), rng.randint(0, 59), rng.randint(0, 59))
        ci_job(work, runner(work), when)


def ci_job(work: Workload, actor: Actor, when: datetime) -> None:
    acct, rng = work.acct, work.acct.rng
    windows = work.profile.ci_windows and rng.random() < 0.12
    itype = "m5.large" if windows else rng.choice(work.profile.ci_types)
    spot = not windows and rng.random() < 0.3
    launch = Launch(
        itype,
        2 if rng.random() < 0.2 else 1,
        spot=spot,
        windows=windows,
        name_tag="gha-runner",
        root_gib=50 if windows else 30,
    )
    what = f"{launch.count} x {itype}{' (spot)' if spot else ''}{' Windows' if windows else ''}"
    if spot and rng.random() < 0.05:
        run_instances_failed(
            acct,
            actor,
            when,
            acct.home,
            launch,
            SPOT_SHORTAGE,
            normal(
                "ci-spot-capacity-error",
                f"CI asks for {what}; AWS has no Spot capacity, nothing launches",
            ),
        )
        when = acct.jitter(when, 5, 30)
        launch = replace(launch, spot=False)
        what = f"{launch.count} x {itype}"
    ids = run_instances(
        acct,
        actor,
        when,
        acct.home,
        launch,
        normal("ci-ephemeral-runner", f"CI launches {what} as a build runner"),
    )
    done = acct.jitter(when, 6 * 60, 55 * 60)
    change_state(
        acct,
        actor,
        done,
        acct.home,
        "TerminateInstances",
        ids,
        normal("ci-runner-cleanup", "CI terminates its runner after the build"),
    )


def batch_night(work: Workload, day: int) -> None:
    """The nightly batch launches the same sizes every night and terminates them at the end."""
    acct, rng = work.acct, work.acct.rng
    when = acct.at(day, 1, rng.randint(0, 50), rng.randint(0, 59))
    for itype in work.profile.batch_types:
        count = min(6, max(2, work.profile.batch_count + rng.randint(-1, 1)))
        ids = run_instances(
            acct,
            work.batch,
            when,
            acct.home,
            Launch(itype, count, name_tag="etl-worker", root_gib=200),
            normal("nightly-batch", f"nightly ETL launches {count} x {itype}"),
        )
        done = acct.jitter(when, 95 * 60, 200 * 60)
        change_state(
            acct,
            work.batch,
            done,
            acct.home,
            "TerminateInstances",
            ids,
            normal("nightly-batch-cleanup", "nightly ETL terminates its workers"),
        )
        when = acct.jitter(when, 20, 90)


def asg_day(work: Workload, day: int) -> None:
    """Afternoon scale-outs, evening scale-ins, and now and then a desired-capacity change."""
    acct, rng, fleet = work.acct, work.acct.rng, work.fleet
    base, group = work.profile.asg_base, work.profile.asg
    label = _asg_label(group, "target tracking")
    peak = base
    for _ in range(rng.randint(2, 5)):
        peak = min(group.max_size, peak + rng.randint(1, 3))
        when = acct.at(day, rng.randint(13, 17), rng.randint(0, 59), rng.randint(0, 59))
        fleet.scale(acct, when, peak, label)
    if rng.random() < 0.25:
        _desired_change(work, day, min(group.max_size, peak + rng.randint(1, 2)))
    fleet.scale(acct, acct.at(day, rng.randint(20, 23), rng.randint(0, 59)), base, label)


def _desired_change(work: Workload, day: int, desired: int) -> None:
    acct, group = work.acct, work.profile.asg
    when = acct.at(day, 18, acct.rng.randint(0, 59), acct.rng.randint(0, 59))
    actor = pipeline(work)
    update_auto_scaling_group(
        acct,
        actor,
        when,
        acct.home,
        group,
        desired,
        normal(
            "asg-desired-change",
            f"deploy pipeline sets {group.name} desired capacity to {desired} for a release",
        ),
    )
    work.fleet.scale(acct, acct.jitter(when, 20, 90), desired, _asg_label(group, "release"))


def weekly_job(work: Workload, day: int) -> None:
    """The weekly analytics job: the same larger size, once a week."""
    acct, profile = work.acct, work.profile
    if acct.at(day, 0).weekday() != profile.weekly_day:
        return
    when = acct.at(day, 5, acct.rng.randint(0, 30), acct.rng.randint(0, 59))
    launch = Launch(
        profile.weekly_type, profile.weekly_count, name_tag="weekly-analytics", root_gib=500
    )
    ids = run_instances(
        acct,
        work.analytics,
        when,
        acct.home,
        launch,
        normal(
            "weekly-analytics", f"weekly analytics launches {launch.count} x {launch.instance_type}"
        ),
    )
    done = when + timedelta(minutes=acct.rng.randint(180, 300))
    change_state(
        acct,
        work.analytics,
        done,
        acct.home,
        "TerminateInstances",
        ids,
        normal("weekly-analytics-cleanup", "weekly analytics terminates its workers"),
    )

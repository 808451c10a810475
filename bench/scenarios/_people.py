"""Normal human and pipeline traffic: developers, preview environments, Lambda deploys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bench.scenarios._ec2 import Launch, change_state, create_volume, run_instances
from bench.scenarios._identities import CLI, Actor, agent, iam_user, sso_user
from bench.scenarios._traffic import Workload, normal, public_ip

NAMES = ("alice", "bruno", "carmen", "deepak", "emma", "farid", "grace", "hiro", "ines", "jonas")
OFFICE = (73, 81, 94, 98, 108, 174, 185)


@dataclass
class Developer:
    """A person with a dev box they start in the morning and stop at night."""

    actor: Actor
    name: str
    box: list[str]
    box_type: str
    joined: int
    newcomer: bool = False


def hire(work: Workload, day: int, *, cli_user: bool = False) -> Developer:
    """A developer joins: an IAM user with an access key, or an SSO session."""
    acct, rng = work.acct, work.acct.rng
    name = NAMES[len(acct.humans) % len(NAMES)]
    ip = public_ip(acct, OFFICE)
    if cli_user:
        actor = iam_user(rng, acct.id, name, ip, agent(CLI, rng))
    else:
        actor = sso_user(rng, acct.id, "DeveloperAccess", f"{name}@example.com", ip)
    acct.humans.append(actor)
    return Developer(actor, name, [], rng.choice(("t3.large", "m6i.large")), day)


def team(work: Workload) -> list[Developer]:
    """The account's developers on day 0: the first uses a long-term access key."""
    return [hire(work, 0, cli_user=i == 0) for i in range(work.profile.developers)]


def _box(work: Workload, dev: Developer, day: int, scenario: str, why: str) -> None:
    acct = work.acct
    when = acct.at(day, acct.rng.randint(13, 16), acct.rng.randint(0, 59), acct.rng.randint(0, 59))
    launch = Launch(dev.box_type, 1, name_tag=f"dev-{dev.name}", key_name=dev.name, root_gib=80)
    dev.box = run_instances(
        acct,
        dev.actor,
        when,
        acct.home,
        launch,
        normal(scenario, f"{dev.name} {why} ({dev.box_type})"),
    )
    acct.long_lived.append((acct.home, dev.box[0]))
    stop = acct.at(day, 22, acct.rng.randint(0, 59), acct.rng.randint(0, 59))
    change_state(
        acct,
        dev.actor,
        stop,
        acct.home,
        "StopInstances",
        dev.box,
        normal("dev-box-stop", f"{dev.name} stops the dev box for the night"),
    )


def developer_day(work: Workload, dev: Developer, day: int) -> None:
    """A weekday: start the box, maybe try a small instance or a volume, stop the box."""
    acct, rng = work.acct, work.acct.rng
    if day == dev.joined and dev.newcomer:
        _box(
            work,
            dev,
            day,
            "new-developer-usual-size",
            "is new to the team and creates a dev box of the usual size",
        )
        return
    if day == dev.joined:
        _box(work, dev, day, "dev-box-create", "creates a personal dev box")
        return
    if acct.at(day, 0).weekday() >= 5 or rng.random() < 0.15:
        return
    start = acct.at(day, rng.randint(12, 15), rng.randint(0, 59), rng.randint(0, 59))
    change_state(
        acct,
        dev.actor,
        start,
        acct.home,
        "StartInstances",
        dev.box,
        normal("dev-box-start", f"{dev.name} starts the dev box"),
    )
    if rng.random() < 0.15:
        _adhoc(work, dev, start + timedelta(minutes=rng.randint(20, 240)))
    if rng.random() < 0.04:
        when = start + timedelta(minutes=rng.randint(10, 300))
        size = rng.choice((50, 100, 200))
        create_volume(
            acct,
            dev.actor,
            when,
            acct.home,
            size,
            normal("dev-volume", f"{dev.name} creates a {size} GiB gp3 volume"),
        )
    stop = acct.at(day, rng.randint(21, 23), rng.randint(0, 59), rng.randint(0, 59))
    change_state(
        acct,
        dev.actor,
        stop,
        acct.home,
        "StopInstances",
        dev.box,
        normal("dev-box-stop", f"{dev.name} stops the dev box for the night"),
    )


def _adhoc(work: Workload, dev: Developer, when: datetime) -> None:
    acct = work.acct
    itype = acct.rng.choice(work.profile.dev_types)
    ids = run_instances(
        acct,
        dev.actor,
        when,
        acct.home,
        Launch(itype, 1, name_tag=f"{dev.name}-test", key_name=dev.name),
        normal("dev-adhoc-instance", f"{dev.name} launches 1 x {itype} to try something"),
    )
    done = when + timedelta(minutes=acct.rng.randint(60, 360))
    change_state(
        acct,
        dev.actor,
        done,
        acct.home,
        "TerminateInstances",
        ids,
        normal("dev-adhoc-cleanup", f"{dev.name} terminates the test instance"),
    )


def newcomer_day(days: int) -> int:
    """The day a new developer joins: after day 20 when the run is long enough."""
    return 21 if days > 23 else max(1, days * 2 // 3)


def newcomer(work: Workload, day: int) -> Developer:
    """A new team member: on their first day they launch the team's usual size (normal)."""
    dev = hire(work, day)
    dev.newcomer = True
    return dev

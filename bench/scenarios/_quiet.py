"""Quiet patterns: normal traffic that looks new but must not alert, labelled by category.

- `second-ci-role`: a second CI role starts launching the same sizes, counts and cadence.
- `generation-migration`: CI, batch, developers and databases move m5 -> m6i/m7i, c5 -> c6i,
  r5 -> r6i, db.r5 -> db.r6g from some day on.
- `recurring-cold-start`: a nightly job above $5/h in a brand-new account, every night.
A daily canary in each mature account's second region (category `normal`) gives the account a
region history that a principal-level `new-region` incident can differ from.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from bench.scenarios._context import Account
from bench.scenarios._ec2 import Launch, change_state, run_instances
from bench.scenarios._identities import BOTO3, GITHUB_PROVIDER, Actor, agent, role
from bench.scenarios._model import Event, Label, floor_cents
from bench.scenarios._plan import Profile
from bench.scenarios._traffic import RUNNER_OCTETS, Workload, ci_job, normal, pipeline, public_ip

_COST_INCREASING = frozenset({"RunInstances", "CreateDBInstance"})
_GENERATIONS = {"m5": "", "c5": "c6i", "r5": "r6i", "db.r5": "db.r6g"}
_SIZES = {"c5.9xlarge": "c6i.8xlarge", "c5.18xlarge": "c6i.16xlarge"}
RECURRING_TYPES = ("c6i.8xlarge", "m5.8xlarge", "r5.8xlarge")


def region_canary(work: Workload, day: int) -> None:
    """The deploy pipeline runs a small synthetic canary in the second region every morning."""
    acct, rng = work.acct, work.acct.rng
    region = acct.regions[-1]
    if region == acct.home:
        return
    when = acct.at(day, 6, rng.randint(0, 59), rng.randint(0, 59))
    actor = pipeline(work)
    ids = run_instances(
        acct,
        actor,
        when,
        region,
        Launch("t3.micro", 1, name_tag="synthetic-canary"),
        normal("region-canary", f"the deploy pipeline runs its canary in {region}"),
    )
    change_state(
        acct,
        actor,
        acct.jitter(when, 20 * 60, 50 * 60),
        region,
        "TerminateInstances",
        ids,
        normal("region-canary-cleanup", "the canary instance is terminated"),
    )


def second_ci_role(work: Workload) -> Actor:
    """A second CI role (a new repository's workflows), federated from GitHub like the first."""
    acct = work.acct
    return role(
        acct.rng,
        acct.id,
        "github-actions-ci-monorepo",
        "GitHubActions",
        public_ip(acct, RUNNER_OCTETS),
        agent(BOTO3, acct.rng),
        web_provider=GITHUB_PROVIDER,
    )


def second_ci_day(work: Workload, ci: Actor, day: int) -> None:
    """The second CI role's jobs: the first role's cadence, types and counts."""
    acct, rng = work.acct, work.acct.rng
    weekday = acct.at(day, 0).weekday() < 5
    runs = round((rng.randint(20, 30) if weekday else rng.randint(2, 5)) * work.profile.scale)
    for _ in range(runs):
        when = acct.at(day, rng.randint(13, 22), rng.randint(0, 59), rng.randint(0, 59))
        ci_job(work, replace(ci, source_ip=public_ip(acct, RUNNER_OCTETS)), when)


def next_generation(itype: str, m_family: str) -> str:
    """The newer-generation equivalent of a size (itself when already current)."""
    if itype in _SIZES:
        return _SIZES[itype]
    family, size = itype.rsplit(".", 1)
    newer = _GENERATIONS.get(family)
    if newer is None:
        return itype
    return f"{newer or m_family}.{size}"


def migrated(profile: Profile, m_family: str) -> Profile:
    """The profile after the move to current generations (same workloads, similar prices)."""

    def move(types: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(next_generation(t, m_family) for t in types)

    return replace(
        profile,
        ci_types=move(profile.ci_types),
        batch_types=move(profile.batch_types),
        dev_types=move(profile.dev_types),
        weekly_type=next_generation(profile.weekly_type, m_family),
        db_class=next_generation(profile.db_class, m_family),
    )


def _profile_types(profile: Profile) -> set[str]:
    return {
        *profile.ci_types,
        *profile.batch_types,
        *profile.dev_types,
        profile.weekly_type,
        profile.db_class,
    }


def _requested_type(record: dict[str, object]) -> str | None:
    request = record.get("requestParameters")
    if not isinstance(request, dict):
        return None
    value = request.get("instanceType") or request.get("dBInstanceClass")
    return value if isinstance(value, str) else None


def migration_rule(before: Profile, m_family: str) -> Callable[[Event], bool]:
    """Which normal calls are the migration: launches of a type an old one moved to."""
    olds = _profile_types(before)
    targets = {new for old in olds if (new := next_generation(old, m_family)) != old}

    def matches(event: Event) -> bool:
        return _requested_type(event.record) in targets

    return matches


def relabel(acct: Account, since_day: int, rule: Callable[[Event], bool], category: str) -> None:
    """Give `category` to the account's normal cost-increasing calls from `since_day` that match."""
    since = acct.at(since_day, 0)
    events: list[Event] = []
    for event in acct.events:
        label = event.label
        if (
            label is not None
            and label.category == "normal"
            and event.when >= since
            and event.record["eventName"] in _COST_INCREASING
            and rule(event)
        ):
            event = replace(event, label=replace(label, category=category))
        events.append(event)
    acct.events = events


def recurring_job(acct: Account) -> tuple[Actor, Launch, float]:
    """The new account's nightly render job: a size above $5/h in total, and its cost."""
    rng = acct.rng
    itype = rng.choice(RECURRING_TYPES)
    unit = acct.prices.ec2(itype, acct.home)
    count = math.ceil(5.5 / unit) if unit else 4
    usd = floor_cents(unit, count, f"EC2 {itype} in {acct.home}")
    actor = role(
        rng,
        acct.id,
        "nightly-render",
        "render-scheduler",
        public_ip(acct, (3, 18, 52, 54)),
        agent(BOTO3, rng),
    )
    return actor, Launch(itype, count, name_tag="render-worker", root_gib=200), usd


def recurring_night(acct: Account, job: tuple[Actor, Launch, float], day: int) -> None:
    """One night of the recurring job: launch at 02:xx, terminate two to four hours later."""
    actor, launch, usd = job
    rng = acct.rng
    when = acct.at(day, 2, rng.randint(0, 20), rng.randint(0, 59))
    what = f"{launch.count} x {launch.instance_type} (${usd:.2f}/h)"
    ids = run_instances(
        acct,
        actor,
        when,
        acct.home,
        launch,
        Label(
            "normal",
            "nightly-render",
            f"the nightly render job launches {what}",
            category="recurring-cold-start",
        ),
    )
    change_state(
        acct,
        actor,
        when + timedelta(minutes=rng.randint(120, 240)),
        acct.home,
        "TerminateInstances",
        ids,
        normal("nightly-render-cleanup", "the render job finishes"),
    )

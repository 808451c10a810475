"""The plan of a dataset: which accounts exist, how each behaves, and when incidents happen."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from random import Random

from bench.scenarios._context import Account
from bench.scenarios._ids import account_id
from bench.scenarios._model import PriceBook, ScenarioError
from bench.scenarios._services import Group

DEFAULT_START = date(2026, 10, 1)
_NAMES = ("prod", "platform", "data", "staging", "ml", "tools")
_HOMES = ("us-east-1", "us-west-2", "eu-west-1", "us-east-2")
# Mature-account incidents, in the order the planner deals them out.
MATURE_INCIDENTS = (
    "developer-first-gpu",
    "compromised-key-g5-fleet",
    "x2iedn-32xlarge-first-launch",
    "rds-r6i-32xlarge-multi-az",
    "redshift-ra3-16xlarge-4-nodes",
    "sagemaker-notebook-ml-p3-16xlarge",
    "asg-desired-jump-3-to-60",
    "mid-new-actor-8x-c6i-4xlarge",
    "mid-first-ever-r6i-8xlarge-x3",
    "mid-eks-nodegroup-10x-g5-2xlarge",
)
ASG_JUMP = "asg-desired-jump-3-to-60"
# The attacker works at night; the ASG typo lands while the group sits at its base size.
_HOURS = {"compromised-key-g5-fleet": 3, ASG_JUMP: 10}
NEW_ACCOUNT_INCIDENT = "new-account-day0-gpu"
# Subtle incidents (mostly below $5/h: unusual, not expensive), by scenario -> category; each is
# injected once per run in a mature account once its baselines are mature.
SUBTLE_INCIDENTS = {
    "new-region-never-used": "new-region",
    "new-region-first-for-principal": "new-region",
    "count-burst-one-call": "count-burst",
    "count-burst-asg-runaway": "count-burst",
    "rate-burst-launch-calls": "rate-burst",
    "size-jump-rds": "size-jump",
    "size-jump-elasticache": "size-jump",
    "new-principal-iam-user": "new-principal",
    "new-principal-root": "new-principal",
    "unfamiliar-origin-hosting-boto3": "unfamiliar-origin",
    "repeat-compromise-three-batches": "repeat-compromise",
    "stat-odd-developer": "stat-odd",
    "stat-odd-ci": "stat-odd",
}
_SUBTLE_HOURS = {
    "new-region-never-used": 2,
    "repeat-compromise-three-batches": 1,
    "count-burst-asg-runaway": 10,
}
# Issue 14 incidents (bench/scenarios/_commitments.py): scenario -> category, and the regions
# with Fargate and Bedrock rates.
LATE_INCIDENTS = {
    "savings-plan-purchase": "commitment",
    "forgotten-capacity-reservation": "capacity",
    "bedrock-provisioned-throughput": "commitment",
    "fargate-service-scaled-x20": "containers",
}
LATE_REGIONS = ("us-east-1", "us-west-2")
# Subtle incidents and quiet patterns need a mature baseline first: only in runs this long.
SUBTLE_MIN_DAYS = 20
_MATURE_FROM = 15


@dataclass(frozen=True)
class Config:
    """What to generate: how many days and accounts, which seed, how much noise."""

    days: int = 30
    seed: int = 1
    accounts: int = 4
    noise_ratio: float = 0.9
    start: date = DEFAULT_START

    def check(self) -> None:
        """Raise ScenarioError for values the generator cannot honour."""
        if self.days < 1 or self.accounts < 1:
            raise ScenarioError("--days and --accounts must be at least 1")
        if not 0.0 <= self.noise_ratio < 1.0:
            raise ScenarioError("--noise-ratio must be in [0, 1)")


@dataclass(frozen=True)
class Profile:
    """How an account's teams and jobs normally use AWS."""

    scale: float
    ci_types: tuple[str, ...]
    ci_windows: bool
    batch_types: tuple[str, ...]
    batch_count: int
    asg: Group
    asg_base: int
    dev_types: tuple[str, ...]
    developers: int
    db_class: str
    weekly_type: str
    weekly_count: int
    weekly_day: int
    platform: bool


@dataclass(frozen=True)
class IncidentPlan:
    """One incident to inject: which scenario, on which day and hour."""

    scenario: str
    day: int
    hour: int
    incident_id: str
    category: str = "expensive"


@dataclass
class Quiet:
    """Normal patterns that look new but must not alert (labelled with their own category)."""

    canary: bool = False
    second_ci_day: int | None = None
    migration_day: int | None = None
    migration_m: str = "m6i"
    recurring: bool = False


@dataclass
class AccountPlan:
    """An account with its profile, its incidents and its quiet patterns."""

    account: Account
    profile: Profile
    incidents: list[IncidentPlan] = field(default_factory=list)
    quiet: Quiet = field(default_factory=Quiet)
    # Issue 14 incidents, built on their own random stream after the account's days.
    late: list[IncidentPlan] = field(default_factory=list)


def _profile(rng: Random, index: int, asg_jump: bool) -> Profile:
    if asg_jump:
        asg = Group("api-asg", "m5.4xlarge", 3, 12, mixed=True)
    else:
        size = rng.choice(("m5.large", "c6i.large", "m6i.large"))
        asg = Group("web-asg", size, 2, 10, mixed=rng.random() < 0.5)
    return Profile(
        scale=rng.uniform(0.8, 1.2),
        ci_types=tuple(rng.sample(("t3.medium", "m5.large", "c6i.xlarge"), k=rng.randint(1, 2))),
        ci_windows=index % 2 == 0,
        batch_types=tuple(rng.sample(("r5.4xlarge", "c5.9xlarge"), k=rng.randint(1, 2))),
        batch_count=rng.randint(2, 6),
        asg=asg,
        asg_base=asg.min_size,
        dev_types=("t3.medium", "t3.large", "m6i.large"),
        developers=rng.randint(2, 4),
        db_class=rng.choice(("db.t3.medium", "db.m6g.large", "db.r6g.large")),
        weekly_type=rng.choice(("m5.8xlarge", "r5.8xlarge", "c6i.8xlarge")),
        weekly_count=rng.randint(1, 2),
        weekly_day=rng.randint(0, 6),
        platform=index % 3 == 1 or index == 0,
    )


def _new_account_day(days: int) -> int:
    return min(days - 1, max(1, days - max(3, days // 3)))


def _incident_days(rng: Random, days: int, count: int) -> list[int]:
    """Days after a learning period; about half after day 20 when the run is long enough."""
    low = min(max(2, days // 3), days - 1)
    late = 21 if days > 22 else low
    return [rng.randint(late if i % 2 == 0 else low, days - 1) for i in range(count)]


def _mature_incidents(rng: Random, config: Config, mature: int) -> list[tuple[int, str, int]]:
    """(account index, scenario, day) for the mature accounts."""
    wanted = max(1, round(mature * config.days / 9))
    names = list(MATURE_INCIDENTS)
    rng.shuffle(names)
    chosen = [names[i % len(names)] for i in range(wanted)]
    days = _incident_days(rng, config.days, wanted)
    placed: list[tuple[int, str, int]] = []
    used: set[tuple[int, int]] = set()
    for i, (name, day) in enumerate(zip(chosen, days, strict=True)):
        index = i % mature
        while (index, day) in used and day > 1:
            day -= 1
        used.add((index, day))
        placed.append((index, name, day))
    return placed


def plan(config: Config, prices: PriceBook) -> list[AccountPlan]:
    """Decide the accounts, their behaviour and the incidents, all from the seed."""
    config.check()
    rng = Random(f"{config.seed}:plan")
    start = datetime(config.start.year, config.start.month, config.start.day, tzinfo=UTC)
    mature = config.accounts - 1 if config.accounts > 1 else 1
    incidents = _mature_incidents(rng, config, mature)
    plans: list[AccountPlan] = []
    for index in range(config.accounts):
        is_new = index == mature
        acct_rng = Random(f"{config.seed}:account:{index}")
        home = _HOMES[index % len(_HOMES)]
        second = _HOMES[(index + 1) % len(_HOMES)]
        account = Account(
            index=index,
            id=account_id(acct_rng),
            name="sandbox" if is_new else _NAMES[index % len(_NAMES)],
            kind="new" if is_new else "mature",
            first_day=_new_account_day(config.days) if is_new else 0,
            home=home,
            regions=(home,) if is_new else (home, second),
            rng=acct_rng,
            start=start,
            days=config.days,
            prices=prices,
        )
        jump = any(i == index and n == ASG_JUMP for i, n, _ in incidents)
        plans.append(AccountPlan(account, _profile(acct_rng, index, jump)))
    _attach(rng, plans, incidents, mature)
    if config.days >= SUBTLE_MIN_DAYS:
        subtle_rng = Random(f"{config.seed}:subtle")
        _subtle(subtle_rng, plans[:mature], config.days, len(incidents) + 2)
        _quiet(subtle_rng, plans, mature, config.days)
        first = len(incidents) + 2 + len(SUBTLE_INCIDENTS)
        _late(Random(f"{config.seed}:issue14"), plans[:mature], config.days, first)
    return plans


def _late(rng: Random, mature: list[AccountPlan], days: int, first_number: int) -> None:
    """Issue 14's incidents (commitments, capacity, containers), in mature accounts whose home
    region has Fargate and Bedrock rates (any mature account when none has)."""
    priced = [p for p in mature if p.account.home in LATE_REGIONS] or mature
    for number, name in enumerate(LATE_INCIDENTS, first_number):
        account_plan = rng.choice(priced)
        day = rng.randint(max(_MATURE_FROM, 8), days - 1)
        incident = IncidentPlan(
            name, day, rng.randint(9, 16), f"INC-{number:02d}", LATE_INCIDENTS[name]
        )
        account_plan.late.append(incident)


def _late_days(rng: Random, days: int, count: int) -> list[int]:
    """Days once baselines are mature; every other one in week 3-4 when the run is long enough."""
    late = 21 if days > 22 else _MATURE_FROM
    return [rng.randint(late if i % 2 else _MATURE_FROM, days - 1) for i in range(count)]


def _subtle(rng: Random, mature: list[AccountPlan], days: int, first_number: int) -> None:
    names = list(SUBTLE_INCIDENTS)
    rng.shuffle(names)
    platform = [i for i, p in enumerate(mature) if p.profile.platform] or [0]
    used: set[tuple[int, int]] = {(i, x.day) for i, p in enumerate(mature) for x in p.incidents}
    placed: list[tuple[int, int, str]] = []
    for n, (name, day) in enumerate(zip(names, _late_days(rng, days, len(names)), strict=True)):
        index = rng.choice(platform) if name == "size-jump-elasticache" else n % len(mature)
        while (index, day) in used and day > _MATURE_FROM:
            day -= 1
        used.add((index, day))
        placed.append((day, index, name))
    for number, (day, index, name) in enumerate(sorted(placed), first_number):
        hour = _SUBTLE_HOURS.get(name) or rng.randint(9, 16)
        category = SUBTLE_INCIDENTS[name]
        mature[index].incidents.append(IncidentPlan(name, day, hour, f"INC-{number:02d}", category))


def _quiet(rng: Random, plans: list[AccountPlan], mature: int, days: int) -> None:
    for account_plan in plans[:mature]:
        account_plan.quiet.canary = True
    second = rng.randrange(mature)
    plans[second].quiet.second_ci_day = rng.randint(_MATURE_FROM, min(20, days - 1))
    moved = plans[(second + 1) % mature]
    moved.quiet.migration_day = rng.randint(_MATURE_FROM, min(22, days - 1))
    moved.quiet.migration_m = rng.choice(("m6i", "m7i"))
    # The migrating account ran db.r5 before, so the move to db.r6g is part of the migration.
    moved.profile = replace(moved.profile, db_class="db.r5.large")
    if len(plans) > mature:
        plans[mature].quiet.recurring = True


def _attach(
    rng: Random, plans: list[AccountPlan], incidents: list[tuple[int, str, int]], mature: int
) -> None:
    for number, (index, name, day) in enumerate(sorted(incidents, key=lambda x: (x[2], x[0])), 1):
        hour = _HOURS.get(name) or rng.randint(9, 16)
        plans[index].incidents.append(IncidentPlan(name, day, hour, f"INC-{number:02d}"))
    if len(plans) > mature:
        new = plans[mature]
        iid = f"INC-{len(incidents) + 1:02d}"
        new.incidents.append(
            IncidentPlan(
                NEW_ACCOUNT_INCIDENT, new.account.first_day, rng.randint(14, 18), iid, "day0"
            )
        )

"""Fill an account's trail with non-cost calls until the requested noise ratio is met."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bench.scenarios._chatter import (
    ALL_READS,
    EC2_READS,
    GLOBAL_READS,
    assume_role,
    console_login,
    create_log_stream,
    create_tags,
    ecr_pull,
    get_parameter,
    kms_decrypt,
    read,
    ssm_heartbeat,
)
from bench.scenarios._context import Account
from bench.scenarios._identities import (
    BOTO3,
    CONSOLE,
    Actor,
    agent,
    aws_service,
    role,
    web_identity,
)
from bench.scenarios._model import Event

# Background traffic by hour of day (UTC): busier in the teams' working hours.
_HOUR_WEIGHTS = [2, 2, 2, 2, 2, 2, 3, 3, 4, 5, 6, 7, 9, 10, 10, 10, 10, 9, 8, 7, 6, 4, 3, 2]
_APPS = ("orders-api", "invoice-worker", "thumbnailer", "webhook-relay")
_SSM_AGENT = "aws-sdk-go/1.54.20 (go1.22.8; linux; amd64) amazon-ssm-agent/3.3.987.0"


@dataclass
class Budget:
    """How many noise records an account still has to produce, and its time bounds."""

    left: int
    not_before: datetime
    end: datetime

    def take(self) -> bool:
        """Claim one record; False when the budget is spent."""
        if self.left <= 0:
            return False
        self.left -= 1
        return True

    def clamp(self, when: datetime) -> datetime:
        """Keep a time inside the account's active period."""
        return min(max(when, self.not_before), self.end - timedelta(seconds=1))


def add_noise(acct: Account, target: int) -> None:
    """Add exactly `target` non-cost records: ~40% around cost calls, the rest background."""
    costly = list(acct.events)
    if not costly:
        return
    start = acct.at(acct.first_day, 0)
    if acct.kind == "new":
        start = min(e.when for e in costly) - timedelta(minutes=20)
    budget = Budget(target, start, acct.at(acct.days, 0))
    share = 0.4 * target / len(costly)
    for event in costly:
        count = int(share) + (1 if acct.rng.random() < share % 1 else 0)
        _context(acct, event, count, budget)
    while budget.left > 0:
        _background(acct, budget)


def _context(acct: Account, event: Event, count: int, budget: Budget) -> None:
    actor = event.actor
    if actor is None or count <= 0:
        return
    when = budget.clamp(event.when - timedelta(seconds=25 * count + acct.rng.randint(5, 120)))
    if actor.is_service:
        _service_context(acct, actor, when, event.region, count, budget)
    elif actor.web_provider and event.record["eventName"] == "RunInstances":
        _ci_context(acct, actor, when, event.region, count, budget)
    else:
        _human_context(acct, actor, when, event, count, budget)


def _service_context(
    acct: Account, actor: Actor, when: datetime, region: str, count: int, budget: Budget
) -> None:
    if budget.take():
        assume_role(acct, aws_service(acct.id, actor.invoked_by or ""), when, region, actor)
    for _ in range(count - 1):
        if budget.take():
            when = acct.jitter(when, 1, 20)
            read(acct, actor, budget.clamp(when), region, acct.rng.choice(EC2_READS))


def _ci_context(
    acct: Account, actor: Actor, when: datetime, region: str, count: int, budget: Budget
) -> None:
    job = web_identity(
        acct.id,
        actor.web_provider or "",
        "repo:example/app:ref:refs/heads/main",
        actor.source_ip,
        actor.user_agent,
    )
    if budget.take():
        assume_role(acct, job, when, region, actor, web=True)
    if count > 1 and budget.take():
        ecr_pull(acct, actor, acct.jitter(when, 1, 5), region)
    for _ in range(count - 2):
        if budget.take():
            when = acct.jitter(when, 2, 30)
            read(acct, actor, budget.clamp(when), region, acct.rng.choice(EC2_READS[:2]))


def _human_context(
    acct: Account, actor: Actor, when: datetime, event: Event, count: int, budget: Budget
) -> None:
    if actor.console and actor.kind in ("IAMUser", "Root") and budget.take():
        console_login(acct, actor, when)
        count -= 1
    if count > 0 and budget.take():
        read(acct, actor, acct.jitter(when, 1, 9), event.region, GLOBAL_READS[-1])
        count -= 1
    created = _created_resource(event)
    if created and count > 0 and budget.take():
        create_tags(
            acct, actor, budget.clamp(event.when + timedelta(seconds=3)), event.region, created
        )
        count -= 1
    for _ in range(count):
        if budget.take():
            when = acct.jitter(when, 3, 40)
            read(acct, actor, budget.clamp(when), event.region, acct.rng.choice(ALL_READS))


def _created_resource(event: Event) -> str | None:
    response = event.record.get("responseElements") or {}
    items = (response.get("instancesSet") or {}).get("items") or []
    if event.record["eventName"] == "RunInstances" and items:
        return str(items[0]["instanceId"])
    return None


def _moment(acct: Account, budget: Budget) -> datetime:
    rng = acct.rng
    first = budget.not_before.date()
    span = (budget.end.date() - first).days
    hour = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
    base = datetime(first.year, first.month, first.day, tzinfo=budget.end.tzinfo)
    when = base + timedelta(
        days=rng.randrange(span), hours=hour, minutes=rng.randint(0, 59), seconds=rng.randint(0, 59)
    )
    return budget.clamp(when)


def _background(acct: Account, budget: Budget) -> None:
    kinds = (_poll, _console, _functions, _agents)
    weights = (40, 15, 30, 15) if acct.kind == "mature" else (0, 50, 50, 0)
    burst = acct.rng.choices(kinds, weights=weights)[0]
    burst(acct, budget, _moment(acct, budget), acct.rng.randint(4, 24))


def _role(acct: Account, name: str, session: str, ip: str, user_agent: str) -> Actor:
    """The account's role `name`, created once so its unique id stays the same."""
    if name not in acct.roles:
        acct.roles[name] = role(acct.rng, acct.id, name, session, ip, user_agent)
    return acct.roles[name]


def _poll(acct: Account, budget: Budget, when: datetime, count: int) -> None:
    monitor = _role(
        acct,
        "DatadogIntegrationRole",
        "DatadogAWSIntegration",
        "3.233.147.12",
        agent(BOTO3, acct.rng),
    )
    region = acct.rng.choice(acct.regions)
    for _ in range(count):
        if budget.take():
            when = acct.jitter(when, 0, 4)
            read(acct, monitor, budget.clamp(when), region, acct.rng.choice(ALL_READS))


def _console(acct: Account, budget: Budget, when: datetime, count: int) -> None:
    people = [h for h in acct.humans if h.kind in ("IAMUser", "Root", "AssumedRole")]
    if not people:
        _functions(acct, budget, when, count)
        return
    person = replace(acct.rng.choice(people), console=True, user_agent=CONSOLE)
    if person.kind != "AssumedRole" and budget.take():
        console_login(acct, person, when)
    for _ in range(count - 1):
        if budget.take():
            when = acct.jitter(when, 2, 50)
            read(acct, person, budget.clamp(when), acct.home, acct.rng.choice(ALL_READS))


def _functions(acct: Account, budget: Budget, when: datetime, count: int) -> None:
    rng = acct.rng
    app = rng.choice(_APPS)
    runtime = _role(acct, f"{app}-exec", app, "3.88.12.40", "AWS Internal")
    steps = (kms_decrypt, get_parameter, create_log_stream)
    if budget.take():
        assume_role(acct, aws_service(acct.id, "lambda.amazonaws.com"), when, acct.home, runtime)
    for i in range(count - 1):
        if budget.take():
            when = acct.jitter(when, 1, 90)
            steps[i % len(steps)](acct, runtime, budget.clamp(when), acct.home, app)


def _agents(acct: Account, budget: Budget, when: datetime, count: int) -> None:
    boxes = acct.long_lived
    if not boxes:
        _functions(acct, budget, when, count)
        return
    nat = f"54.{160 + acct.index}.{acct.index * 7 % 250}.{31 + acct.index}"
    base = _role(acct, "ec2-ssm-instance-role", "", nat, _SSM_AGENT)
    for _ in range(count):
        if budget.take():
            region, box = acct.rng.choice(boxes)
            agent_actor = base.with_session(box)
            when = acct.jitter(when, 1, 30)
            ssm_heartbeat(acct, agent_actor, budget.clamp(when), region, box)

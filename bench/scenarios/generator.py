"""Generate labelled CloudTrail logs: normal traffic, injected incidents and read-only noise."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench.scenarios._commitments import run_late
from bench.scenarios._delivery import write_labels, write_logs
from bench.scenarios._identities import CLI, agent, iam_user
from bench.scenarios._incidents import BUILDERS, Scene
from bench.scenarios._model import Event, PriceBook
from bench.scenarios._noise import add_noise
from bench.scenarios._people import Developer, developer_day, newcomer, newcomer_day, team
from bench.scenarios._pipelines import lambda_day, platform_services, preview_database, sandbox_day
from bench.scenarios._plan import AccountPlan, Config, IncidentPlan, Quiet, plan
from bench.scenarios._quiet import (
    migrated,
    migration_rule,
    recurring_job,
    recurring_night,
    region_canary,
    relabel,
    second_ci_day,
    second_ci_role,
)
from bench.scenarios._subtle import SUBTLE_BUILDERS
from bench.scenarios._traffic import (
    Workload,
    asg_day,
    batch_night,
    cast,
    ci_day,
    create_group,
    public_ip,
    weekly_job,
)


@dataclass(frozen=True)
class Summary:
    """Counts of one generated dataset."""

    records: int
    noise: int
    labelled: int
    incidents: int
    files: int


_BUILDERS = BUILDERS | SUBTLE_BUILDERS


def _incident(work: Workload, devs: list[Developer], incident: IncidentPlan) -> None:
    rng = work.acct.rng
    when = work.acct.at(incident.day, incident.hour, rng.randint(0, 59), rng.randint(0, 59))
    _BUILDERS[incident.scenario](Scene(work, devs, when, incident))


class _QuietDays:
    """Runs an account's quiet patterns day by day, then labels their calls."""

    def __init__(self, work: Workload, quiet: Quiet) -> None:
        self.work, self.quiet, self.before = work, quiet, work.profile
        self.ci = second_ci_role(work) if quiet.second_ci_day is not None else None

    def day(self, day: int) -> None:
        quiet, work = self.quiet, self.work
        if day == quiet.migration_day:
            work.profile = migrated(work.profile, quiet.migration_m)
        if quiet.canary:
            region_canary(work, day)
        if self.ci is not None and quiet.second_ci_day is not None and day >= quiet.second_ci_day:
            second_ci_day(work, self.ci, day)

    def label(self) -> None:
        quiet, acct, ci = self.quiet, self.work.acct, self.ci
        if ci is not None and quiet.second_ci_day is not None:
            by_ci = lambda e: e.actor is not None and e.actor.name == ci.name  # noqa: E731
            relabel(acct, quiet.second_ci_day, by_ci, "second-ci-role")
        if quiet.migration_day is not None:
            rule = migration_rule(self.before, quiet.migration_m)
            relabel(acct, quiet.migration_day, rule, "generation-migration")


def _mature(work: Workload, account_plan: AccountPlan) -> None:
    acct = work.acct
    devs = team(work)
    create_group(work, 0)
    joins = newcomer_day(acct.days)
    by_day: dict[int, list[IncidentPlan]] = defaultdict(list)
    for incident in account_plan.incidents:
        by_day[incident.day].append(incident)
    quiet = _QuietDays(work, account_plan.quiet)
    for day in range(acct.days):
        if day == joins:
            devs.append(newcomer(work, day))
        for daily in (
            ci_day,
            batch_night,
            asg_day,
            weekly_job,
            preview_database,
            lambda_day,
            platform_services,
        ):
            daily(work, day)
        for dev in devs:
            developer_day(work, dev, day)
        quiet.day(day)
        for incident in by_day[day]:
            _incident(work, devs, incident)
    quiet.label()
    for incident in account_plan.late:
        run_late(acct, devs, incident, acct.id)


def _sandbox(work: Workload, account_plan: AccountPlan) -> None:
    acct = work.acct
    for incident in account_plan.incidents:
        _incident(work, [], incident)
    admin = iam_user(
        acct.rng, acct.id, "admin", public_ip(acct, (24, 67, 71, 98)), agent(CLI, acct.rng)
    )
    acct.humans.append(admin)
    job = recurring_job(acct) if account_plan.quiet.recurring else None
    for day in range(acct.first_day + 1, acct.days):
        sandbox_day(work, admin, day)
        if job is not None:
            recurring_night(acct, job, day)


def _simulate(account_plan: AccountPlan, noise_ratio: float) -> list[Event]:
    acct = account_plan.account
    work = cast(acct, account_plan.profile)
    if acct.kind == "mature":
        _mature(work, account_plan)
    else:
        _sandbox(work, account_plan)
    end = acct.at(acct.days, 0)
    acct.events = [e for e in acct.events if e.when < end]
    add_noise(acct, round(len(acct.events) * noise_ratio / (1 - noise_ratio)))
    return acct.events


def generate(config: Config, prices: PriceBook) -> list[Event]:
    """All records of a dataset, deterministic for the config's seed."""
    events: list[Event] = []
    for account_plan in plan(config, prices):
        events += _simulate(account_plan, config.noise_ratio)
    return events


def write(config: Config, prices: PriceBook, out: Path) -> Summary:
    """Generate a dataset into `out` (replacing out/AWSLogs and out/labels.jsonl)."""
    events = generate(config, prices)
    files = write_logs(events, out, config.seed)
    labelled, incidents = write_labels(events, out)
    noise = sum(1 for e in events if e.label is None)
    return Summary(len(events), noise, labelled, incidents, files)

"""The signals that find the unusual, not only the expensive: each a small pure function.

A detector looks at one event and the state before it (`State`: the baseline of its account x
service x resource type, the profile of its principal, the profile of its account) and returns a
`Finding` or None. A strong finding is enough for a warning on its own, whatever the cost band;
a weak one adds its weight to the composite score. Every finding carries the sentence the card
shows. Detectors can be switched off one by one (`State.enabled`): the seam for feature flags.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import repeat
from operator import sub
from typing import NamedTuple

from engine.baselines import Baseline
from engine.models import CostEvent
from engine.profiles import (
    Profile,
    agent_family,
    hours_span,
    minutes_span,
    network_of,
    seen_before,
    window_count,
)
from engine.sizes import largest_step, parse_size
from engine.thresholds import Thresholds

NEW_REGION = "newRegion"
COUNT_BURST = "countBurst"
RATE_BURST = "rateBurst"
SIZE_JUMP = "sizeJump"
NEW_PRINCIPAL = "newPrincipal"
UNFAMILIAR_ORIGIN = "unfamiliarOrigin"
UNFAMILIAR_CLIENT = "unfamiliarClient"
DETECTORS: tuple[str, ...] = (
    NEW_REGION,
    COUNT_BURST,
    RATE_BURST,
    SIZE_JUMP,
    NEW_PRINCIPAL,
    UNFAMILIAR_ORIGIN,
    UNFAMILIAR_CLIENT,
)
LONG_TERM_CREDENTIALS = frozenset({"IAMUser", "Root", "AWSAccount"})
"""Principal kinds whose first launch in a mature account is suspicious on its own."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One signal that fired, how much it weighs, and why (the card's sentence)."""

    signal: str
    strong: bool
    weight: float
    reason: str


class State(NamedTuple):
    """What the engine knows before an event: baseline, principal and account profiles."""

    baseline: Baseline | None = None
    principal: Profile | None = None
    account: Profile | None = None
    enabled: frozenset[str] = frozenset(DETECTORS)
    window: int = 0
    """The principal's calls in the rate window, this one included (`with_rates`)."""
    settled: int = 0
    """The busiest window of its settled history (`with_rates`)."""
    history: bool = False
    """The principal has a settled history (`with_rates`): its novelties can mean something."""
    mature: bool = False
    """The account has been watched long enough (`with_rates`)."""


def with_rates(event: CostEvent, s: State, t: Thresholds) -> State:
    """The state with the facts every detector reads computed once (rates, history, maturity)."""
    now = event.event_time
    return State(
        s.baseline, s.principal, s.account, s.enabled,
        rate_window(event, s, t), settled_rate(event, s, t),
        _has_history(s.principal, now, t), account_mature(s.account, now, t),
    )  # fmt: skip


def short_name(principal: str | None) -> str:
    """`arn:aws:iam::1:role/path/etl` -> `role/etl`; `arn:aws:iam::1:root` -> `root`."""
    if not principal:
        return "an unknown principal"
    tail = principal.rsplit(":", 1)[-1]
    kind, _, rest = tail.partition("/")
    return f"{kind}/{rest.rsplit('/', 1)[-1]}" if rest else tail


def _listing(values: Iterable[str], most: int = 3) -> str:
    items = sorted(values)
    extra = f" and {len(items) - most} more" if len(items) > most else ""
    return ", ".join(items[:most]) + extra


def _has_history(p: Profile | None, now: datetime, t: Thresholds) -> bool:
    return (
        p is not None
        and p.calls >= t.principal_min_calls
        and p.known_since(now, t.recurrence_hours)
    )


def account_mature(account: Profile | None, now: datetime, t: Thresholds) -> bool:
    """The account has been watched long enough for a never-seen principal or region to matter."""
    return (
        account is not None
        and account.calls >= t.maturity_events
        and account.known_since(now, t.maturity_days * 24)
    )


def new_region(event: CostEvent, s: State, t: Thresholds) -> Finding | None:
    """A region the principal (or the account) never launched in."""
    now, region, h = event.event_time, event.region, t.recurrence_hours
    acct, who = s.account, s.principal
    new_for_account = (
        acct is not None and s.mature and not seen_before(acct.regions, region, now, h)
    )
    new_for_principal = (
        who is not None and s.history and not seen_before(who.regions, region, now, h)
    )
    if not (new_for_account or new_for_principal):
        return None
    name = short_name(event.actor.principal_arn)
    if new_for_principal and who is not None:
        where = _listing(r for r in who.regions if r != region)
        tail = "; the account never used it either" if new_for_account else ""
        reason = f"first launch in {region} by {name} (it always ran in {where}){tail}"
    else:
        where = _listing(r for r in (acct.regions if acct else {}) if r != region)
        reason = f"first launch in {region} for this account (it runs in {where})"
    return Finding(NEW_REGION, True, 0.0, reason)


def count_burst(event: CostEvent, s: State, t: Thresholds) -> Finding | None:
    """Far more per call than the principal ever launched of this resource type."""
    p = s.principal
    if p is None or p.quantity_calls.get(event.resource_type, 0) < t.principal_min_calls:
        return None
    most = p.quantity_max.get(event.resource_type, 0)
    limit = max(t.burst_factor * most, most + t.burst_min_extra)
    if most <= 0 or event.quantity < limit:
        return None
    what = event.size or event.resource_type
    reason = (
        f"{event.quantity} × {what} in one call by {short_name(event.actor.principal_arn)} "
        f"(it never launched more than {most} per call)"
    )
    return Finding(COUNT_BURST, True, 0.0, reason)


def rate_window(event: CostEvent, s: State, t: Thresholds) -> int:
    """The principal's cost-increasing calls in the rate window, this one included."""
    recent = s.principal.recent if s.principal else ()
    return window_count(recent, event.event_time, t.rate_window_minutes)


def settled_rate(event: CostEvent, s: State, t: Thresholds) -> int:
    """The busiest window among the principal's calls older than `recurrence_hours`.

    Only settled history is learned: a burst in progress must not raise the bar it is measured
    against (it would, call by call), and it becomes usual only if it recurs after that time.
    """
    if s.principal is None or not s.principal.recent:
        return 0
    cutoff = event.event_time - hours_span(t.recurrence_hours)
    recent = s.principal.recent
    old = recent[: bisect_right(recent, cutoff)]
    if len(old) <= s.principal.rate_max:
        return s.principal.rate_max  # no window of these can be busier than what was learned
    learned = s.principal.rate_max
    span = len(old) - learned  # a window busier than `learned` holds learned + 1 calls
    width = minutes_span(t.rate_window_minutes)
    if min(map(sub, old[learned:], old[:span])) >= width:
        return learned  # no `learned + 1` calls fit in one window
    starts = map(bisect_right, repeat(old), [when - width for when in old])
    counts: map[int] = map(sub, range(1, len(old) + 1), starts)
    return max(counts)


def rate_burst(event: CostEvent, s: State, t: Thresholds) -> Finding | None:
    """Far more calls in a short window than the principal ever made."""
    p = s.principal
    calls = s.window
    if p is not None and s.history:
        usual = max(p.rate_max, s.settled, 1)
        burst = calls >= t.rate_min_calls and calls > t.rate_factor * usual
    else:
        usual = p.rate_max if p else 0
        burst = calls >= t.rate_floor_calls
    if not burst:
        return None
    reason = (
        f"{calls} launch calls in {t.rate_window_minutes:g} min by "
        f"{short_name(event.actor.principal_arn)} (its most before: {usual})"
    )
    return Finding(RATE_BURST, True, 0.0, reason)


def size_jump(event: CostEvent, s: State, t: Thresholds) -> Finding | None:
    """A class several sizes above any this account ran for this service and resource type."""
    b, size = s.baseline, event.size
    parsed = parse_size(size)
    if b is None or parsed is None or size in b.sizes or b.stats.count < t.size_jump_min_events:
        return None
    if b.first_seen is None or b.first_seen > event.event_time - hours_span(t.recurrence_hours):
        return None
    same_kind = (
        x for x in b.sizes if (p := parse_size(x)) is not None and p.prefix == parsed.prefix
    )
    best = largest_step(same_kind)
    if best is None or parsed.step - best[0] < t.size_jump_steps:
        return None
    reason = (
        f"{size} is {parsed.step - best[0]:g} sizes above the largest {event.service} class "
        f"this account ran ({best[1]})"
    )
    return Finding(SIZE_JUMP, True, 0.0, reason)


def new_principal(event: CostEvent, s: State, t: Thresholds) -> Finding | None:
    """A principal with long-term credentials (IAM user, root) never seen in a mature account."""
    now = event.event_time
    if event.actor.type not in LONG_TERM_CREDENTIALS or not s.mature:
        return None
    p = s.principal
    if p is not None and p.known_since(now, t.recurrence_hours):
        return None
    kind = "the root user" if event.actor.type in ("Root", "AWSAccount") else "IAM user"
    name = short_name(event.actor.principal_arn)
    first = "first seen today" if p is not None else "never seen before"
    reason = f"{kind} {name} ({first}, long-term credentials) launches in a mature account"
    return Finding(NEW_PRINCIPAL, True, 0.0, reason)


def _novel_origin(p: Profile, seen: Mapping[str, datetime], value: str | None, limit: int,
                  t: Thresholds, now: datetime) -> bool:  # fmt: skip
    """A new value for a principal whose history is concentrated (many calls, few values)."""
    concentrated = 0 < len(seen) <= min(limit, p.calls // t.origin_calls_per_value)
    return (
        value is not None and concentrated and not seen_before(seen, value, now, t.recurrence_hours)
    )


def _unfamiliar(
    s: State, now: datetime, t: Thresholds, seen: str, value: str | None, limit: int
) -> str | None:
    """The usual values when `value` is new to a principal with a concentrated history."""
    p = s.principal
    if p is None or not s.history:
        return None
    known: Mapping[str, datetime] = getattr(p, seen)
    if not _novel_origin(p, known, value, limit, t, now):
        return None
    return _listing(v for v in known if v != value)


def unfamiliar_origin(event: CostEvent, s: State, t: Thresholds) -> Finding | None:
    """A known principal calling from a network it never used (the classic stolen key)."""
    network = network_of(event.source_ip)
    usual = _unfamiliar(s, event.event_time, t, "networks", network, t.origin_max_networks)
    if usual is None:
        return None
    who = short_name(event.actor.principal_arn)
    return Finding(
        UNFAMILIAR_ORIGIN, True, 0.0, f"first launch by {who} from {network} (it used {usual})"
    )


def unfamiliar_client(event: CostEvent, s: State, t: Thresholds) -> Finding | None:
    """A known principal using a client (user-agent family) it never used."""
    family = agent_family(event.user_agent)
    usual = _unfamiliar(s, event.event_time, t, "agents", family, t.origin_max_agents)
    if usual is None:
        return None
    who = short_name(event.actor.principal_arn)
    reason = f"first launch by {who} with {family} (it used {usual})"
    return Finding(UNFAMILIAR_CLIENT, False, t.weight_agent, reason)


Detector = Callable[[CostEvent, State, Thresholds], Finding | None]
_ALL: dict[str, Detector] = {
    NEW_REGION: new_region,
    COUNT_BURST: count_burst,
    RATE_BURST: rate_burst,
    SIZE_JUMP: size_jump,
    NEW_PRINCIPAL: new_principal,
    UNFAMILIAR_ORIGIN: unfamiliar_origin,
    UNFAMILIAR_CLIENT: unfamiliar_client,
}
# What an expected (marked) pair still reports: a burst or a new place is another pattern.
_AFTER_EXPECTED = frozenset({NEW_REGION, COUNT_BURST, RATE_BURST, UNFAMILIAR_ORIGIN})


@lru_cache(maxsize=256)
def _chosen(enabled: frozenset[str], expected: bool) -> tuple[Detector, ...]:
    names = enabled & _AFTER_EXPECTED if expected else enabled
    return tuple(_ALL[name] for name in DETECTORS if name in names)


def findings(event: CostEvent, s: State, t: Thresholds, expected: bool) -> tuple[Finding, ...]:
    """Every enabled detector's finding for the event, in `DETECTORS` order.

    `s` comes from `with_rates` (its rates, history and maturity are read, not recomputed).
    """
    out = []
    for detect in _chosen(s.enabled, expected):
        found = detect(event, s, t)
        if found is not None:
            out.append(found)
    return tuple(out)

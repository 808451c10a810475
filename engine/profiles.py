"""Principal and account profiles: what one principal (or the whole account) usually does.

A baseline knows one account x service x resource type; the signals that catch a stolen key or a
runaway script are about the principal across services: the regions it launches in, the networks
and clients it calls from, how many it launches per call and how many calls it makes in ten
minutes. The account profile (principal `ACCOUNT`) keeps the regions and age of the whole account.

Like baselines, a profile changes only through a `ProfileDelta` applied by `apply_profile`; the
storage layer turns the same delta into one atomic MongoDB update ($min/$max/$inc/$push), so the
in-memory (backtest) and stored (service) profiles cannot drift apart. First-seen times are kept
per value, so "known" can mean "seen at least `recurrence_hours` ago" — a pattern is normal only
after it recurs, not the moment it first happens.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

ACCOUNT = "*"
_EMPTY_TIMES: Mapping[str, datetime] = MappingProxyType({})
_EMPTY_COUNTS: Mapping[str, int] = MappingProxyType({})
RECENT_KEEP = 32
"""How many launch-call times a profile keeps for the call-rate window."""


class ProfileKey(NamedTuple):
    """Whose profile: one principal of one account, or the account itself (`ACCOUNT`)."""

    account_id: str
    principal: str


class Profile(NamedTuple):
    """What a principal (or the account) has done so far."""

    key: ProfileKey
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    calls: int = 0
    regions: Mapping[str, datetime] = _EMPTY_TIMES
    networks: Mapping[str, datetime] = _EMPTY_TIMES
    agents: Mapping[str, datetime] = _EMPTY_TIMES
    quantity_max: Mapping[str, int] = _EMPTY_COUNTS
    quantity_calls: Mapping[str, int] = _EMPTY_COUNTS
    recent: tuple[datetime, ...] = ()
    rate_max: int = 0

    def known_since(self, now: datetime, hours: float) -> bool:
        """True when the profile's first call is at least `hours` before `now`."""
        return self.first_seen is not None and self.first_seen <= now - hours_span(hours)


class ProfileDelta(NamedTuple):
    """One cost-increasing call's contribution to a profile."""

    key: ProfileKey
    event_id: str
    event_time: datetime
    region: str
    network: str | None = None
    agent: str | None = None
    resource_type: str | None = None
    quantity: int = 0
    rate_window: int | None = None
    """The busiest settled rate window to learn (engine.detectors.settled_rate; None: none)."""


def seen_before(first: Mapping[str, datetime], value: str | None, now: datetime, h: float) -> bool:
    """True when `value` was first seen at least `h` hours before `now` (it has recurred)."""
    if value is None:
        return True
    when = first.get(value)
    return when is not None and when <= now - hours_span(h)


@lru_cache(maxsize=64)
def hours_span(h: float) -> timedelta:
    """`timedelta(hours=h)`, built once per threshold value rather than once per event."""
    return timedelta(hours=h)


@lru_cache(maxsize=64)
def minutes_span(m: float) -> timedelta:
    """`timedelta(minutes=m)`, built once per threshold value rather than once per event."""
    return timedelta(minutes=m)


@lru_cache(maxsize=4096)
def network_of(source: str | None) -> str | None:
    """The network a call came from: an IPv4 /16, an IPv6 /32, or the AWS service's name."""
    if not source:
        return None
    parts = source.split(".")
    if len(parts) == 4 and all(p.isdigit() and len(p) <= 3 and int(p) < 256 for p in parts):
        return f"{int(parts[0])}.{int(parts[1])}.0.0/16"
    try:
        address = ipaddress.ip_address(source)
    except ValueError:
        return source.strip().lower()[:64] or None
    prefix = 16 if address.version == 4 else 32
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


_AGENT_MARKERS = (
    ("terraform", "terraform"),
    ("pulumi", "pulumi"),
    ("cloudformation", "cloudformation"),
    ("aws-cli", "aws-cli"),
    ("boto3", "boto3"),
    ("botocore", "boto3"),
    ("aws-sdk-go", "aws-sdk-go"),
    ("aws-sdk-java", "aws-sdk-java"),
    ("aws-sdk-js", "aws-sdk-js"),
    ("aws-sdk-dotnet", "aws-sdk-dotnet"),
    ("console.amazonaws.com", "console"),
    ("console.aws.amazon.com", "console"),
    ("mozilla/", "browser"),
)


@lru_cache(maxsize=4096)
def agent_family(user_agent: str | None) -> str | None:
    """The client family of a user agent (aws-cli, boto3, terraform, console, browser, …)."""
    if not user_agent:
        return None
    text = user_agent.strip().lower().lstrip("[")
    for marker, family in _AGENT_MARKERS:
        if marker in text:
            return family
    first = text.split("/", 1)[0].split(" ", 1)[0]
    return first[:40] or None


def window_count(recent: tuple[datetime, ...], now: datetime, minutes: float) -> int:
    """Calls in (now - minutes, now], counting the current one."""
    start = now - minutes_span(minutes)
    return 1 + bisect_right(recent, now) - bisect_right(recent, start)


def _earliest(
    first: Mapping[str, datetime], value: str | None, when: datetime
) -> Mapping[str, datetime]:
    if value is None or (value in first and first[value] <= when):
        return first
    return {**first, value: when}


def _keep_recent(recent: tuple[datetime, ...], when: datetime) -> tuple[datetime, ...]:
    if not recent or when >= recent[-1]:  # the usual case: calls arrive in order
        return (*recent[-(RECENT_KEEP - 1) :], when)
    return tuple(sorted((*recent, when))[-RECENT_KEEP:])


def _quantities(p: Profile, d: ProfileDelta) -> tuple[Mapping[str, int], Mapping[str, int]]:
    kind = d.resource_type
    if kind is None:
        return p.quantity_max, p.quantity_calls
    most = p.quantity_max
    if d.quantity > most.get(kind, 0):
        most = {**most, kind: d.quantity}
    return most, {**p.quantity_calls, kind: p.quantity_calls.get(kind, 0) + 1}


def apply_profile(profile: Profile | None, delta: ProfileDelta) -> Profile:
    """The profile after one call (a new object; the input is not changed)."""
    p = profile or Profile(key=delta.key)
    when = delta.event_time
    most, calls = _quantities(p, delta)
    return Profile(
        key=p.key,
        first_seen=when if p.first_seen is None or when < p.first_seen else p.first_seen,
        last_seen=when if p.last_seen is None or when > p.last_seen else p.last_seen,
        calls=p.calls + 1,
        regions=_earliest(p.regions, delta.region, when),
        networks=_earliest(p.networks, delta.network, when),
        agents=_earliest(p.agents, delta.agent, when),
        quantity_max=most,
        quantity_calls=calls,
        recent=_keep_recent(p.recent, when),
        rate_max=max(p.rate_max, delta.rate_window or 0),
    )

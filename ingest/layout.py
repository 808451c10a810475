"""Where CloudTrail puts its files, and the walk that lists them in delivery order.

    AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<id>.json.gz

The walk prunes by account, region and day before listing a single file, and yields one day at a
time (sorted by the delivery time in the file names), so it never holds more than a day's names.
The same walk runs over a local directory and over S3 (`Lister`).
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from ingest.logfiles import CSV_SUFFIXES, SUFFIXES

# The hour and minute are checked here, the day by `_is_day` (a name may say 30 February).
_STAMP = re.compile(r"_(\d{4})(\d{2})(\d{2})T([01]\d|2[0-3])([0-5]\d)Z_[^/]*$")
_DAY_PARTS = 3  # YYYY / MM / DD
MAX_LISTINGS = 16
MAX_LISTED_DAYS = 31  # a range up to a month is listed day by day, a longer one by its folders


@dataclass(frozen=True, slots=True)
class LogRef:
    """One log file: its name (path or s3:// URL), its key for ties, its delivery time."""

    name: str
    order: tuple[Any, ...]
    delivered: str | None
    fraction: float | None = None  # how far through its listing (for the progress bar)


@dataclass(frozen=True, slots=True)
class Filters:
    """What to read: days (UTC, inclusive), accounts and regions (empty = all)."""

    since: date | None = None
    until: date | None = None
    accounts: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()

    def day(self, day: date) -> bool:
        """Is this day wanted?"""
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until
        )

    def account(self, account: str) -> bool:
        """Is this account wanted?"""
        return not self.accounts or account in self.accounts

    def region(self, region: str) -> bool:
        """Is this region wanted?"""
        return not self.regions or region in self.regions


def delivered_at(name: str) -> str | None:
    """The delivery time in a CloudTrail file name, as an eventTime string, else None."""
    match = _STAMP.search(name)
    if match is None:
        return None
    year, month, day, hour, minute = match.groups()
    if not _is_day(year, month, day):
        return None  # not a time: the file is read as one without a delivery time
    return f"{year}-{month}-{day}T{hour}:{minute}:00Z"


@lru_cache(maxsize=1024)
def _is_day(year: str, month: str, day: str) -> bool:
    """A real calendar day (a file name's stamp is anything its writer put there)."""
    try:
        date(int(year), int(month), int(day))
    except ValueError:
        return False
    return True


def is_log(name: str) -> bool:
    """A name the reader takes (by suffix; in S3 listings also an Athena result CSV)."""
    return name.endswith(SUFFIXES) or name.endswith(CSV_SUFFIXES)


def ref(name: str, root: int) -> LogRef:
    """A LogRef whose tie-break key sorts like the paths a recursive listing sorts."""
    return LogRef(name, (root, *name.split("/")), delivered_at(name))


def delivery_order(refs: Iterable[LogRef]) -> list[LogRef]:
    """Files by delivery time (unnamed ones first, by path), then by path."""
    return sorted(refs, key=lambda r: (r.delivered or "", r.order))


class Lister(Protocol):
    """A tree of names: local directories or S3 prefixes (every prefix ends with '/')."""

    async def dirs(self, prefix: str) -> list[str]:
        """Child folder names under prefix (without slashes)."""
        ...

    async def files(self, prefix: str) -> list[str]:
        """Full names of the files directly under prefix."""
        ...


class LocalLister:
    """The Lister over a local directory tree."""

    async def dirs(self, prefix: str) -> list[str]:
        """Sub-directories of a directory."""
        try:
            with os.scandir(prefix) as entries:
                return sorted(e.name for e in entries if e.is_dir())
        except OSError:
            return []

    async def files(self, prefix: str) -> list[str]:
        """Files of a directory (no stat: the scan counts a file's bytes as it reads them)."""
        try:
            with os.scandir(prefix) as entries:
                return [e.path for e in entries if e.is_file()]
        except OSError:
            return []


@dataclass(frozen=True, slots=True)
class _Region:
    prefix: str  # …/CloudTrail/<region>/


async def _accounts(lister: Lister, base: str, filters: Filters) -> list[str]:
    """Account prefixes under AWSLogs/, through organisation folders (o-…)."""
    found: list[str] = []
    for name in await lister.dirs(base):
        if name.startswith("o-"):
            found.extend(await _accounts(lister, f"{base}{name}/", filters))
        elif filters.account(name):
            found.append(f"{base}{name}/")
    return found


async def regions(lister: Lister, base: str, filters: Filters) -> list[str]:
    """Every `…/CloudTrail/<region>/` prefix under an AWSLogs/ prefix that the filters keep."""
    found: list[str] = []
    for account in await _accounts(lister, base, filters):
        trail = f"{account}CloudTrail/"
        found.extend(f"{trail}{r}/" for r in await lister.dirs(trail) if filters.region(r))
    return found


def _wanted_days(filters: Filters) -> list[date] | None:
    """The days of a short range, each listed directly (no year or month folders listed);
    None for an open or long range, whose days are found by listing those folders: a year costs
    13 listings a region that way, not 365 (and `--since 0001-01-01` not 3.6 million)."""
    if filters.since is None or filters.until is None:
        return None
    count = (filters.until - filters.since).days + 1
    if count > MAX_LISTED_DAYS:
        return None
    return [filters.since + timedelta(days=n) for n in range(max(count, 0))]


async def _days_of(lister: Lister, region: str, filters: Filters) -> list[date]:
    days: list[date] = []
    for year in await lister.dirs(region):
        if not year.isdigit():
            continue
        for month in await lister.dirs(f"{region}{year}/"):
            for day in await lister.dirs(f"{region}{year}/{month}/"):
                try:
                    when = date(int(year), int(month), int(day))
                except ValueError:
                    continue
                if filters.day(when):
                    days.append(when)
    return days


async def _days(lister: Lister, prefixes: list[str], filters: Filters) -> dict[date, list[str]]:
    """Day → the region prefixes that hold files that day."""
    wanted = _wanted_days(filters)
    if wanted is not None:
        return {day: list(prefixes) for day in wanted}
    by_day: dict[date, list[str]] = {}
    for prefix in prefixes:
        for day in await _days_of(lister, prefix, filters):
            by_day.setdefault(day, []).append(prefix)
    return by_day


async def walk(lister: Lister, base: str, root: int, filters: Filters) -> AsyncIterator[LogRef]:
    """The log files under an AWSLogs/ prefix, one day at a time, in delivery order."""
    prefixes = await regions(lister, base, filters)
    by_day = await _days(lister, prefixes, filters)
    gate = asyncio.Semaphore(MAX_LISTINGS)

    async def listing(prefix: str) -> list[str]:
        async with gate:
            return await lister.files(prefix)

    days = sorted(by_day)
    for number, day in enumerate(days):
        folder = f"{day:%Y/%m/%d}/"
        listed = await asyncio.gather(*(listing(f"{p}{folder}") for p in by_day[day]))
        for item in _day_in_order(listed, root, number, len(days)):
            yield item


def _day_in_order(listed: list[list[str]], root: int, number: int, days: int) -> list[LogRef]:
    """One day's files as `delivery_order` sorts them, each with its place in the walk: the
    sort keys are sorted as tuples (no key function called a file), and each LogRef is built
    once, with its place."""
    keyed = []
    for names in listed:
        for name in names:
            if is_log(name):
                delivered = delivered_at(name)
                keyed.append((delivered or "", (root, *name.split("/")), name, delivered))
    keyed.sort()  # (delivered, order) is a file's own: the rest of a tuple is never compared
    count = len(keyed)
    return [
        LogRef(name, order, delivered, (number + position / count) / days)
        for position, (_, order, name, delivered) in enumerate(keyed)
    ]


def awslogs_base(path: Path) -> Path | None:
    """The AWSLogs directory at or directly under `path`, if it is a CloudTrail layout."""
    if path.name == "AWSLogs" and path.is_dir():
        return path
    inner = path / "AWSLogs"
    return inner if inner.is_dir() else None

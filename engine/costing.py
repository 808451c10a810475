"""Price a draft: the hourly cost of everything the call started, from the catalogue.

A price the catalogue does not have is None with the catalogue's reason; a lower or upper bound
is only used where the note says so (Spot at the on-demand rate, Lambda memory unknown).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from engine.models import COST_INCREASING
from engine.parsers import Draft
from pricing import Catalogue, Quote
from pricing.catalogue import HOURS_PER_MONTH

LAMBDA_MIN_MEMORY_MB = 128
SPOT_NOTE = "Spot launch priced at the on-demand rate (an upper bound)"
ENDS_NOTE = "ends spending; nothing started"
CONFIGURES_NOTE = "a configuration: nothing runs until a launch or endpoint uses it"


class Priced(NamedTuple):
    """Unit and total hourly cost (None when unknown) and the caveats."""

    unit: float | None
    total: float | None
    notes: tuple[str, ...] = ()


def _unknown(quote: Quote) -> Priced:
    return Priced(None, None, (quote.reason or "price unknown",))


def _times(unit: float, quantity: int, notes: tuple[str, ...] = ()) -> Priced:
    return Priced(round(unit, 6), round(unit * quantity, 6), notes)


def _quote_notes(quote: Quote) -> tuple[str, ...]:
    return (quote.note,) if quote.note else ()


def _volumes_hourly(draft: Draft, region: str, cat: Catalogue) -> tuple[float, tuple[str, ...]]:
    total = 0.0
    notes: list[str] = []
    for volume in draft.volumes:
        quote = cat.ebs(volume.volume_type, region)
        if quote.usd is None:
            notes.append(quote.reason or f"no EBS price for {volume.volume_type}")
            continue
        total += quote.usd * volume.size_gib / HOURS_PER_MONTH
    return total, tuple(notes)


def _ec2_quote(size: str, region: str, os: str | None, cat: Catalogue) -> tuple[Quote, str | None]:
    quote = cat.ec2(size, region, os or "linux")
    if quote.usd is not None or os != "windows":
        return quote, None
    linux = cat.ec2(size, region, "linux")
    if linux.usd is None:
        return quote, None
    return linux, f"Windows rate unknown in {region}: Linux rate shown (a lower bound)"


def _instances(draft: Draft, region: str, cat: Catalogue) -> Priced:
    if draft.size is None:
        return Priced(None, None, ("instance type not in the event and not seen before",))
    quote, fallback = _ec2_quote(draft.size, region, draft.os, cat)
    if quote.usd is None:
        return _unknown(quote)
    storage, storage_notes = _volumes_hourly(draft, region, cat)
    notes = _quote_notes(quote) + storage_notes
    if fallback:
        notes += (fallback,)
    if draft.model == "spot":
        notes += (SPOT_NOTE,)
    return _times(quote.usd + storage, draft.quantity, notes)


def _sized(draft: Draft, quote: Callable[[str], Quote]) -> Priced:
    """`quantity x quote(size)`, or why it cannot be priced."""
    if draft.size is None:
        return Priced(None, None, (draft.note or "size not in the event",))
    found = quote(draft.size)
    if found.usd is None:
        return _unknown(found)
    return _times(found.usd, draft.quantity, _quote_notes(found))


def _redshift(draft: Draft, region: str, cat: Catalogue) -> Priced:
    return _sized(draft, lambda size: cat.redshift(size, region))


def _elasticache(draft: Draft, region: str, cat: Catalogue) -> Priced:
    return _sized(draft, lambda size: cat.elasticache(size, region, draft.engine or "redis"))


def _sagemaker(draft: Draft, region: str, cat: Catalogue) -> Priced:
    return _sized(draft, lambda size: cat.sagemaker(size, region))


def _flat(quote: Quote, quantity: int = 1) -> Priced:
    return (
        _unknown(quote) if quote.usd is None else _times(quote.usd, quantity, _quote_notes(quote))
    )


def _volume(draft: Draft, region: str, cat: Catalogue) -> Priced:
    if not draft.volumes:
        return Priced(None, None, (draft.note or "volume size unknown",))
    hourly, notes = _volumes_hourly(draft, region, cat)
    return Priced(None, None, notes) if notes else _times(hourly, 1)


def _rds_storage(draft: Draft, region: str, cat: Catalogue, deployment: str) -> Priced:
    """Allocated storage (and provisioned io1 IOPS) per hour; what is left out, in the notes."""
    size = draft.details.get("allocatedStorageGiB")
    if (draft.engine or "").startswith("aurora"):
        return Priced(0.0, 0.0, ("Aurora storage and I/O are billed by use: not counted",))
    if not isinstance(size, int) or size == 0:
        return Priced(0.0, 0.0, ("storage size not in the event: not counted",))
    kind = str(draft.details.get("storageType") or "gp2")
    quote = cat.rds_storage(kind, region, deployment)
    if quote.usd is None:
        return Priced(0.0, 0.0, (f"{quote.reason}: storage not counted",))
    hourly = quote.usd * size / HOURS_PER_MONTH
    iops = draft.details.get("iops")
    left_out = "backups and I/O not counted"
    if kind in ("io1", "io2") and isinstance(iops, int):
        rate = cat.rds_storage("iops-io1", region, deployment)
        if rate.usd is not None:
            hourly += rate.usd * iops / HOURS_PER_MONTH
    elif isinstance(iops, int):
        left_out = f"{kind} IOPS above the included baseline, backups and I/O not counted"
    note = f"includes {size:,} GiB {kind} storage; {left_out}"
    return Priced(hourly, hourly, (note,))


def _rds(draft: Draft, region: str, cat: Catalogue) -> Priced:
    if draft.size is None:
        return Priced(None, None, (draft.note or "DB class not in the event",))
    quote = cat.rds(draft.size, region, draft.engine or "mysql", multi_az=draft.multi_az)
    notes = () if draft.engine else ("engine not in the event: priced as MySQL",)
    if quote.usd is None:
        return _unknown(quote)
    storage = _rds_storage(draft, region, cat, "multi" if draft.multi_az else "single")
    return _times(quote.usd + (storage.total or 0.0), 1, notes + storage.notes)


def _rds_cluster(draft: Draft, region: str, cat: Catalogue) -> Priced:
    if draft.size is None:
        return Priced(0.0, 0.0, (draft.note or "",))
    quote = cat.rds(draft.size, region, draft.engine or "mysql", multi_az=False)
    note = "Multi-AZ DB cluster: a writer and two readable standbys"
    if quote.usd is None:
        return _unknown(quote)
    storage = _rds_storage(draft, region, cat, "cluster")
    instances = quote.usd * draft.quantity
    total = instances + (storage.total or 0.0)
    return Priced(round(quote.usd, 6), round(total, 6), (note, *storage.notes))


def _provisioned(draft: Draft, region: str, cat: Catalogue) -> Priced:
    memory = draft.details.get("memoryMb")
    arch = draft.details.get("architecture")
    notes: tuple[str, ...] = ()
    if not isinstance(memory, int):
        memory = LAMBDA_MIN_MEMORY_MB
        notes = ("function memory unknown: priced at Lambda's 128 MB minimum (a lower bound)",)
    arch_name = arch if isinstance(arch, str) else "x86_64"
    quote = cat.lambda_provisioned_hourly(region, arch_name, memory, 1)
    return _unknown(quote) if quote.usd is None else _times(quote.usd, draft.quantity, notes)


def _emr(draft: Draft, region: str, cat: Catalogue) -> Priced:
    total = 0.0
    for size, count in draft.groups:
        quote = cat.ec2(size, region, "linux")
        if quote.usd is None:
            return _unknown(quote)
        total += quote.usd * count
    if total == 0.0:
        return Priced(None, None, ("no instance groups in the event",))
    unit = total / max(draft.quantity, 1)
    return Priced(round(unit, 6), round(total, 6), (draft.note or "",))


def _opensearch(draft: Draft, region: str, cat: Catalogue) -> Priced:
    data = _sized(draft, lambda size: cat.opensearch(size, region))
    master = draft.details.get("masterType")
    count = draft.details.get("masterCount")
    if data.total is None or not isinstance(master, str) or not isinstance(count, int):
        return data
    quote = cat.opensearch(master, region)
    if quote.usd is None:
        return Priced(data.unit, data.total, data.notes + (quote.reason or "",))
    return Priced(data.unit, round(data.total + quote.usd * count, 6), data.notes)


def _zero(draft: Draft, region: str, cat: Catalogue) -> Priced:
    return Priced(0.0, 0.0)


_Pricer = Callable[[Draft, str, Catalogue], Priced]

_PRICERS: dict[str, _Pricer] = {
    "ec2:instance": _instances,
    "autoscaling:group": _instances,
    "eks:nodegroup": _instances,
    "ec2:volume": _volume,
    "ec2:natgateway": lambda d, r, c: _flat(c.nat_gateway(r)),
    "ec2:elastic-ip": lambda d, r, c: _flat(c.public_ipv4(r, idle=True)),
    "rds:db-instance": _rds,
    "rds:db-cluster": _rds_cluster,
    "lambda:function": _zero,
    "lambda:provisioned-concurrency": _provisioned,
    "eks:cluster": lambda d, r, c: _flat(c.eks_cluster(r)),
    "redshift:cluster": _redshift,
    "elasticache:cache-cluster": _elasticache,
    "elasticache:replication-group": _elasticache,
    "sagemaker:notebook-instance": _sagemaker,
    "sagemaker:endpoint": _sagemaker,
    "emr:cluster": _emr,
    "opensearch:domain": _opensearch,
    "ec2:traffic-mirror-session": lambda d, r, c: _flat(c.traffic_mirroring(r)),
    "elb:load-balancer": lambda d, r, c: _flat(c.load_balancer(str(d.details["kind"]), r)),
}


def price(draft: Draft, region: str, catalogue: Catalogue) -> Priced:
    """Hourly cost of what the draft starts; calls that end spending are not priced."""
    if draft.action == "configure":
        return Priced(None, None, (CONFIGURES_NOTE,))
    if draft.action not in COST_INCREASING:
        return Priced(None, None, (ENDS_NOTE,))
    pricer = _PRICERS.get(draft.resource_type)
    if pricer is None:
        return Priced(None, None, (f"no pricing rule for {draft.resource_type}",))
    return pricer(draft, region, catalogue)

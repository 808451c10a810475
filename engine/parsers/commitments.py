"""Commitments: money committed at once for a term, owed whether anything runs or not.

Family `commitments` (a feature flag may switch the whole family off). Each draft carries a
`Commitment` (engine.models): the term's total where the record says it, else why not. The hourly
estimate is the commitment per hour of term (what it costs each hour, used or not).
"""

from __future__ import annotations

import math
from typing import Any

from engine.errors import NormalizeError
from engine.models import HOURS_PER_YEAR, Commitment
from engine.parsers._draft import MAX_COUNT, Draft, NotCost, Parser, ids
from engine.records import CloudTrailRecord, dig, get_int, get_list, get_str

FAMILY = "commitments"

SECONDS_PER_HOUR = 3_600
MAX_USD = 1e9
"""Far above any single AWS purchase; a larger number is not a real record."""
_TERM_UNKNOWN_SP = (
    "term not in the record (only the offering id): 1-year term shown, the shorter one; "
    "a 3-year plan commits 3x this"
)


def money(data: Any, *path: str | int) -> float | None:
    """A dollar amount at `path` (CloudTrail logs them as "2.50" or 2.5), or None; 0 to $1e9."""
    value = dig(data, *path)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise NormalizeError(f"expected an amount at {'.'.join(map(str, path))}, got a boolean")
    try:
        amount = float(value)
    except (TypeError, ValueError):
        raise NormalizeError(
            f"expected an amount at {'.'.join(map(str, path))}, got {value!r:.40}"
        ) from None
    if not math.isfinite(amount) or not 0 <= amount <= MAX_USD:
        raise NormalizeError(f"amount {amount:g} out of range (0 to {MAX_USD:,.0f})")
    return amount


def _count(value: int | None, what: str) -> int:
    count = 1 if value is None else value
    if not 0 <= count <= MAX_COUNT:
        raise NormalizeError(f"{what} {count:,} out of range (0 to {MAX_COUNT:,})")
    return count


def _hourly(total: float | None, term_hours: int | None) -> float | None:
    return total / term_hours if total is not None and term_hours else None


def _ec2_request(rec: CloudTrailRecord) -> Any:
    return dig(rec.request, "PurchaseReservedInstancesOfferingRequest") or rec.request


def reserved_instances(rec: CloudTrailRecord) -> Draft:
    """EC2 PurchaseReservedInstancesOffering: N instances reserved; the price is not logged."""
    request = _ec2_request(rec)
    response = dig(rec.response, "PurchaseReservedInstancesOfferingResponse") or rec.response
    count = _count(
        get_int(request, "instanceCount") or get_int(request, "InstanceCount"), "instance count"
    )
    offering = get_str(request, "reservedInstancesOfferingId") or get_str(
        request, "ReservedInstancesOfferingId"
    )
    limit = money(request, "limitPrice", "amount") or money(request, "LimitPrice", "Amount")
    note = "the offering's price and term are not in the record (only its id)"
    if limit is not None:
        note += f"; the buyer capped the upfront price at ${limit:,.2f}"
    return Draft(
        action="launch",
        service="ec2",
        resource_type="ec2:reserved-instances",
        resource_ids=ids(get_str(response, "reservedInstancesId")),
        quantity=count,
        details={"offeringId": offering},
        commitment=Commitment(
            kind="ec2-reserved-instances",
            count=count,
            offering_id=offering,
            upfront_usd=None,
            note=note,
        ),
    )


def _recurring_hourly(reservation: Any) -> float:
    total = 0.0
    for charge in get_list(reservation, "recurringCharges"):
        if (get_str(charge, "recurringChargeFrequency") or "").lower() == "hourly":
            total += money(charge, "recurringChargeAmount") or 0.0
    return total


def reserved_db_instances(rec: CloudTrailRecord) -> Draft:
    """RDS PurchaseReservedDBInstancesOffering: the response logs price, term and class."""
    reservation = dig(rec.response, "reservedDBInstance") or rec.response
    count = _count(
        get_int(reservation, "dBInstanceCount") or get_int(rec.request, "dBInstanceCount"),
        "DB instance count",
    )
    seconds = get_int(reservation, "duration")
    term_hours = seconds // SECONDS_PER_HOUR if seconds else None
    fixed = money(reservation, "fixedPrice")
    hourly_each = (money(reservation, "usagePrice") or 0.0) + _recurring_hourly(reservation)
    total = None
    note = None
    if term_hours is None or fixed is None:
        note = "price or term not in the record's response"
    else:
        total = round(count * (fixed + hourly_each * term_hours), 2)
    offering = get_str(rec.request, "reservedDBInstancesOfferingId") or get_str(
        reservation, "reservedDBInstancesOfferingId"
    )
    return Draft(
        action="launch",
        service="rds",
        resource_type="rds:reserved-db-instances",
        resource_ids=ids(
            get_str(reservation, "reservedDBInstanceId")
            or get_str(rec.request, "reservedDBInstanceId")
        ),
        size=get_str(reservation, "dBInstanceClass"),
        quantity=count,
        details={"offeringType": get_str(reservation, "offeringType")},
        commitment=Commitment(
            kind="rds-reserved-instances",
            total_usd=total,
            upfront_usd=None if fixed is None else round(fixed * count, 2),
            hourly_usd=round(hourly_each * count, 6),
            term_hours=term_hours,
            count=count,
            offering_id=offering,
            note=note,
        ),
    )


def savings_plan(rec: CloudTrailRecord) -> Draft | NotCost:
    """Savings Plans CreateSavingsPlan: $/h committed for a 1- or 3-year term."""
    hourly = money(rec.request, "commitment")
    if hourly is None:
        return NotCost("CreateSavingsPlan without a commitment")
    offering = get_str(rec.request, "savingsPlanOfferingId")
    return Draft(
        action="launch",
        service="savingsplans",
        resource_type="savingsplans:savings-plan",
        resource_ids=ids(get_str(rec.response, "savingsPlanId")),
        details={"offeringId": offering},
        commitment=Commitment(
            kind="savings-plan",
            total_usd=round(hourly * HOURS_PER_YEAR, 2),
            upfront_usd=money(rec.request, "upfrontPaymentAmount"),
            hourly_usd=hourly,
            term_hours=HOURS_PER_YEAR,
            offering_id=offering,
            note=_TERM_UNKNOWN_SP,
        ),
    )


def _host_purchase(rec: CloudTrailRecord) -> tuple[Any, Any]:
    response = dig(rec.response, "PurchaseHostReservationResponse") or rec.response
    request = dig(rec.request, "PurchaseHostReservationRequest") or rec.request
    return request, response


def host_reservation(rec: CloudTrailRecord) -> Draft:
    """EC2 PurchaseHostReservation: dedicated hosts reserved; the response logs the prices."""
    request, response = _host_purchase(rec)
    purchases = items(response, "purchase") or get_list(response, "purchase")
    first = purchases[0] if purchases else None
    seconds = get_int(first, "duration")
    term_hours = seconds // SECONDS_PER_HOUR if seconds else None
    hourly = money(response, "totalHourlyPrice")
    upfront = money(response, "totalUpfrontPrice")
    total = None
    if term_hours is not None and (hourly is not None or upfront is not None):
        total = round((upfront or 0.0) + (hourly or 0.0) * term_hours, 2)
    hosts = [str(h) for h in (items(first, "hostIdSet") or get_list(first, "hostIdSet"))]
    if not hosts:
        hosts = [str(h) for h in (items(request, "hostIdSet") or get_list(request, "HostIdSet"))]
    return Draft(
        action="launch",
        service="ec2",
        resource_type="ec2:host-reservation",
        resource_ids=ids(get_str(first, "hostReservationId")),
        size=get_str(first, "instanceFamily"),
        quantity=_count(len(hosts) or 1, "host count"),
        details={"hosts": ",".join(hosts)[:512] or None},
        commitment=Commitment(
            kind="host-reservation",
            total_usd=total,
            upfront_usd=upfront,
            hourly_usd=hourly,
            term_hours=term_hours,
            count=len(hosts) or 1,
            offering_id=get_str(request, "offeringId") or get_str(request, "OfferingId"),
            note=None if total is not None else "price or term not in the record's response",
        ),
    )


def items(data: Any, *path: str | int) -> list[Any]:
    """EC2's `{"items": [...]}` wrapper at `path`, unwrapped (empty when absent)."""
    return get_list(data, *path, "items") if isinstance(dig(data, *path), dict) else []


def hourly_of(commitment: Commitment) -> float | None:
    """The commitment per hour of term, or None when its total or term is unknown."""
    return _hourly(commitment.total_usd, commitment.term_hours)


PARSERS: dict[tuple[str, str], Parser] = {
    ("ec2.amazonaws.com", "PurchaseReservedInstancesOffering"): reserved_instances,
    ("rds.amazonaws.com", "PurchaseReservedDBInstancesOffering"): reserved_db_instances,
    ("savingsplans.amazonaws.com", "CreateSavingsPlan"): savings_plan,
    ("ec2.amazonaws.com", "PurchaseHostReservation"): host_reservation,
}

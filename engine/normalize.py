"""CloudTrail record -> CostEvent (or Skipped with a reason). Pure: the catalogue is passed in.

The (eventSource, eventName) check runs on the raw dict before any validation, so the bulk of a
real trail (Describe*, Get*, AssumeRole, …) costs one dict lookup.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

import orjson
from pydantic import ValidationError

from engine.actor import actor_of
from engine.context import ResourceContext
from engine.costing import price
from engine.enrich import resolve
from engine.errors import NormalizeError
from engine.models import CostEvent, PricingKey, PricingModel, Skipped
from engine.parsers import PARSERS, Draft, NotCost
from engine.records import CloudTrailRecord, looks_like_record, parse_record
from pricing import Catalogue

_T = TypeVar("_T")

# Shapes a parser may meet in a record that is valid JSON but not what the API documents.
_SHAPE_ERRORS = (TypeError, ValueError, KeyError, AttributeError, IndexError)


def _skipped(raw: Any, reason: str, malformed: bool = False) -> Skipped:
    event_id = raw.get("eventID") if isinstance(raw, Mapping) else None
    event_name = raw.get("eventName") if isinstance(raw, Mapping) else None
    return Skipped(
        event_id=event_id if isinstance(event_id, str) else None,
        event_name=event_name if isinstance(event_name, str) else None,
        reason=reason,
        malformed=malformed,
    )


def record_digest(raw: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a record's canonical JSON (sorted keys): equal content, equal digest."""
    try:
        text = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS, default=str)
    except orjson.JSONEncodeError as exc:  # nested past orjson's limit, or a non-str key
        raise NormalizeError(f"record cannot be serialised: {exc}") from None
    return hashlib.sha256(text).hexdigest()


def derived_event_id(raw: Mapping[str, Any]) -> str:
    """A stable id for a record published without eventID (same record, same id)."""
    try:
        return "derived-" + record_digest(raw)[:32]
    except NormalizeError as exc:
        raise NormalizeError(f"record cannot be identified without an eventID: {exc}") from None


def _draft(parser: Any, rec: CloudTrailRecord) -> Draft | NotCost:
    try:
        result: Draft | NotCost = parser(rec)
    except NormalizeError:
        raise
    except _SHAPE_ERRORS as exc:
        raise NormalizeError(f"unexpected {rec.event_name} shape: {exc}") from exc
    return result


@lru_cache(maxsize=1024)
def _pricing_key(
    model: PricingModel, os: str | None, engine: str | None, multi_az: bool
) -> PricingKey:
    return PricingKey(model=model, os=os, engine=engine, multi_az=multi_az)


def _note(draft: Draft, notes: tuple[str, ...]) -> str | None:
    parts = dict.fromkeys(n for n in (draft.note, *notes) if n)
    return "; ".join(parts) or None


def _event(
    raw: Mapping[str, Any], rec: CloudTrailRecord, draft: Draft, cat: Catalogue
) -> CostEvent:
    account = rec.account_id
    if not account:
        raise NormalizeError("no recipientAccountId or userIdentity.accountId")
    priced = price(draft, rec.aws_region, cat)
    return CostEvent(
        event_id=rec.event_id or derived_event_id(raw),
        event_name=rec.event_name,
        event_source=rec.event_source,
        event_time=rec.event_time,
        account_id=account,
        region=rec.aws_region,
        actor=actor_of(rec.user_identity),
        action=draft.action,
        service=draft.service,
        resource_type=draft.resource_type,
        resource_ids=draft.resource_ids,
        size=draft.size,
        quantity=max(draft.quantity, 0),
        pricing=_pricing_key(draft.model, draft.os, draft.engine, draft.multi_az),
        volumes=draft.volumes,
        details=draft.details,
        unit_hourly_cost=priced.unit,
        estimated_hourly_cost=priced.total,
        cost_note=_note(draft, priced.notes),
        source_ip=_text(rec.source_ip_address, 256),
        user_agent=_text(rec.user_agent, 1024),
        commitment=priced.commitment or draft.commitment,
    )


def _text(value: Any, limit: int) -> str | None:
    """A string field as logged, cut to `limit`; None when absent or not a string."""
    return value[:limit] if isinstance(value, str) and value else None


class Prepared(NamedTuple):
    """A cost record parsed and its draft made, before the context and the catalogue are used."""

    record: CloudTrailRecord
    draft: Draft


def prepare_record(raw: Any) -> Prepared | Skipped:
    """The first half of `normalize_record`: check, parse and draft (no context, no prices)."""
    if not looks_like_record(raw):
        return _skipped(raw, "not a CloudTrail record: no eventName/eventSource", malformed=True)
    parser = PARSERS.get((raw["eventSource"], raw["eventName"]))
    if parser is None:
        failed = raw.get("errorCode")
        suffix = f" (and the call failed: {failed})" if isinstance(failed, str) else ""
        return _skipped(raw, f"not a cost event: {raw['eventSource']} {raw['eventName']}{suffix}")
    return _guarded(raw, lambda: _prepare(raw, parser))


def _prepare(raw: Mapping[str, Any], parser: Any) -> Prepared | Skipped:
    rec = parse_record(raw)
    if rec.error_code:
        return _skipped(raw, f"failed call ({rec.error_code}): nothing was started")
    draft = _draft(parser, rec)
    if isinstance(draft, NotCost):
        return _skipped(raw, draft.reason)
    return Prepared(rec, draft)


def finish_record(
    raw: Any, prepared: Prepared, catalogue: Catalogue, context: ResourceContext | None = None
) -> CostEvent | Skipped:
    """The second half: sizes from the context, the price, the CostEvent. Run it again with
    another context to reprice a record without parsing it twice (ingest.processor.reprice)."""
    rec, draft = prepared
    return _guarded(
        raw,
        lambda: _event(raw, rec, resolve(draft, rec.account_id or "", rec.aws_region, context),
                       catalogue),
    )  # fmt: skip


def _guarded(raw: Any, step: Callable[[], _T]) -> _T | Skipped:
    """`step()`, or Skipped (malformed) saying what in the record made it fail."""
    try:
        return step()
    except NormalizeError as exc:
        return _skipped(raw, exc.reason, malformed=True)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        return _skipped(raw, f"unusable value for {where}: {problem['msg']}", malformed=True)


def normalize_record(
    raw: Any, catalogue: Catalogue, context: ResourceContext | None = None
) -> CostEvent | Skipped:
    """One CloudTrail record to a priced CostEvent, or Skipped saying why; never raises."""
    prepared = prepare_record(raw)
    if isinstance(prepared, Skipped):
        return prepared
    return finish_record(raw, prepared, catalogue, context)

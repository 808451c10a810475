"""The CloudTrail boundary: a record as a plain tuple and helpers to read its free-form parts.

`requestParameters`, `responseElements` and `serviceEventDetails` differ per API, so they stay
dicts; the typed getters below read them and raise `NormalizeError` on a wrong type. The pydantic
models (the identity, and the fallback validation that names a wrong field) live in
`engine.record_model`, so this module can be compiled (setup.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final, NamedTuple

from pydantic import TypeAdapter, ValidationError

from engine.errors import NormalizeError
from engine.record_model import JsonDict, RecordModel, UserIdentity

_RecordModel = RecordModel  # the name the tests know

# CloudTrail began in 2013; AWS in 2006. A time outside these bounds is not a real API call, and
# letting it through would overflow datetime arithmetic downstream (retention, baselines' ages).
EARLIEST_EVENT_TIME: Final = datetime(2006, 1, 1, tzinfo=UTC)
LATEST_EVENT_TIME: Final = datetime(2100, 1, 1, tzinfo=UTC)
# Bodies nest records at most as a list of log files or envelopes: [{"Records": [...]}, ...].
MAX_LIST_NESTING: Final = 4
# Real records nest about 10 levels; MongoDB refuses documents past 100, orjson past 255.
MAX_JSON_DEPTH: Final = 64


class CloudTrailRecord(NamedTuple):
    """One CloudTrail record, validated by `parse_record`; unknown fields are ignored.

    A plain immutable tuple: most records have the usual types everywhere and are checked in one
    pass of plain Python; the others go through `_RecordModel` (pydantic), which names what is
    wrong. Both give the same record (tests/engine/test_records_fast.py).
    """

    event_id: str | None
    event_name: str
    event_source: str
    event_time: datetime
    """UTC, between EARLIEST_EVENT_TIME and LATEST_EVENT_TIME."""
    event_type: str | None
    aws_region: str
    recipient_account_id: str | None
    user_identity: UserIdentity
    request: JsonDict | None
    response: JsonDict | None
    service_event_details: JsonDict | None
    source_ip_address: Any
    user_agent: Any
    error_code: str | None
    error_message: str | None
    api_version: str | None

    @property
    def account_id(self) -> str | None:
        """The account the event happened in."""
        return self.recipient_account_id or self.user_identity.account_id


_FRACTION = re.compile(r"(\.\d{6})\d+")
_DATETIME: Final = TypeAdapter(datetime)
_OBJECTS: Final = (
    "requestParameters", "RequestParameters", "responseElements", "ResponseElements",
    "serviceEventDetails",
)  # fmt: skip
_TEXT: Final = frozenset({str, type(None)})


def _normalise_time(value: str) -> str:
    """'2024-12-16 18:41:07.000000000' -> '2024-12-16T18:41:07.000000' (at most microseconds)."""
    text = value.strip()
    if len(text) > 10 and text[10] == " ":
        text = f"{text[:10]}T{text[11:]}"
    return _FRACTION.sub(r"\1", text)


def _event_time(value: Any) -> datetime:
    """The record's time in UTC; the variants exporters write are accepted (UTC when naive)."""
    when: datetime | None = None
    if isinstance(value, str) and len(value) == 20 and value[10] == "T" and value[19] == "Z":
        try:  # the usual 2026-11-02T03:04:05Z
            when = datetime.fromisoformat(value)
        except ValueError:
            when = None
    if when is None:
        try:
            parsed = _DATETIME.validate_python(
                _normalise_time(value) if isinstance(value, str) else value
            )
        except ValidationError as exc:
            raise NormalizeError(
                f"malformed CloudTrail record: eventTime: {exc.errors()[0]['msg']}"
            ) from None
        when = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if not EARLIEST_EVENT_TIME <= when < LATEST_EVENT_TIME:
        raise NormalizeError(
            f"malformed CloudTrail record: eventTime: {when.isoformat()} is outside "
            f"{EARLIEST_EVENT_TIME.year}–{LATEST_EVENT_TIME.year - 1}"
        )
    return when


_IDENTITY_KEYS: Final = ("type", "arn", "principalId", "accountId", "userName", "invokedBy")
_ISSUER_KEYS: Final = ("type", "arn", "userName")


def _shared_identity(value: Any) -> Any:
    """A cached `UserIdentity` for an identity made of text fields; anything else as given.

    Only the fields the model reads make the cache key, so the per-call parts (access key,
    session creation date) do not defeat it; an identity with another shape goes to pydantic
    unchanged and fails there with its usual message.
    """
    if type(value) is not dict:
        return value
    get = value.get
    fields = (get("type"), get("arn"), get("principalId"), get("accountId"), get("userName"),
              get("invokedBy"))  # fmt: skip
    context = get("sessionContext")
    issued: tuple[Any, ...] | None = None
    if context is not None:
        if type(context) is not dict:
            return value
        issuer = context.get("sessionIssuer")
        if issuer is not None:
            if type(issuer) is not dict:
                return value
            issued = (issuer.get("type"), issuer.get("arn"), issuer.get("userName"))
            if not {type(issued[0]), type(issued[1]), type(issued[2])} <= _TEXT:
                return value
    if not {type(v) for v in fields} <= _TEXT:
        return value
    return _identity(fields, context is not None, issued)


@lru_cache(maxsize=4096)
def _identity(
    fields: tuple[str | None, ...], has_context: bool, issued: tuple[str | None, ...] | None
) -> UserIdentity:
    data: JsonDict = {k: v for k, v in zip(_IDENTITY_KEYS, fields, strict=True) if v is not None}
    if has_context:
        data["sessionContext"] = (
            {"sessionIssuer": dict(zip(_ISSUER_KEYS, issued, strict=True))} if issued else {}
        )
    return UserIdentity.model_validate(data)


def _check_objects(raw: Mapping[str, Any]) -> None:
    """The free-form parts are JSON objects (or absent)."""
    for key in _OBJECTS:
        value = raw.get(key)
        if value is not None and type(value) is not dict:
            raise NormalizeError(f"malformed CloudTrail record: {key}: not a JSON object")


def _prepared(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The record with its time parsed and its identity shared (for `_RecordModel`)."""
    data = dict(raw)
    if "eventTime" in data:
        data["eventTime"] = _event_time(data["eventTime"])
    if "userIdentity" in data:
        data["userIdentity"] = _shared_identity(data["userIdentity"])
    return data


_NO_IDENTITY: Final = UserIdentity()


def _either(raw: Mapping[str, Any], key: str, other: str) -> Any:
    """The first of two aliases present (pydantic's AliasChoices)."""
    return raw[key] if key in raw else raw.get(other)


def _usual(raw: Mapping[str, Any]) -> CloudTrailRecord | None:
    """The record when every field has its usual type (text where text is expected), else None."""
    get = raw.get
    name, source, region = get("eventName"), get("eventSource"), get("awsRegion")
    texts = (get("eventID"), get("eventType"), get("recipientAccountId"), get("errorCode"),
             get("errorMessage"), get("apiVersion"))  # fmt: skip
    if not (type(name) is str and type(source) is str and type(region) is str):
        return None
    if not {type(v) for v in texts} <= _TEXT or "eventTime" not in raw:
        return None
    identity = _shared_identity(raw["userIdentity"]) if "userIdentity" in raw else _NO_IDENTITY
    if type(identity) is not UserIdentity:
        return None
    event_id, event_type, recipient, error_code, error_message, api_version = texts
    return CloudTrailRecord(
        event_id, name, source, _event_time(raw["eventTime"]), event_type, region, recipient,
        identity, _either(raw, "requestParameters", "RequestParameters"),
        _either(raw, "responseElements", "ResponseElements"), get("serviceEventDetails"),
        get("sourceIPAddress"), get("userAgent"), error_code, error_message, api_version,
    )  # fmt: skip


def parse_record(raw: Mapping[str, Any]) -> CloudTrailRecord:
    """Validate one raw record, translating pydantic's error into a one-line reason."""
    _check_objects(raw)
    usual = _usual(raw)
    if usual is not None:
        return usual
    try:
        model = RecordModel.model_validate(_prepared(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "record"
        raise NormalizeError(f"malformed CloudTrail record: {where}: {first['msg']}") from exc
    return CloudTrailRecord(**{name: getattr(model, name) for name in CloudTrailRecord._fields})


def iter_records(obj: Any) -> Iterator[Any]:
    """Yield the CloudTrail records inside a bare record, an EventBridge envelope or a log file.

    Anything else is yielded as-is, so the caller reports it as malformed (nothing is lost);
    so is a list nested deeper than `MAX_LIST_NESTING` (no recursion: any depth is safe).
    """
    stack: list[tuple[Iterator[Any], int]] = [(iter((obj,)), 0)]
    while stack:
        items_, depth = stack[-1]
        item = next(items_, _END)
        if item is _END:
            stack.pop()
        elif isinstance(item, list) and depth < MAX_LIST_NESTING:
            stack.append((iter(item), depth + 1))
        else:
            yield from _unwrap(item)


_END = object()


def _unwrap(obj: Any) -> Iterator[Any]:
    if isinstance(obj, Mapping):
        records = obj.get("Records")
        if isinstance(records, list):
            yield from records
            return
        detail = obj.get("detail")
        if isinstance(detail, Mapping) and "detail-type" in obj:
            yield detail
            return
    yield obj


def json_depth(obj: Any, limit: int = MAX_JSON_DEPTH) -> int:
    """How deep containers nest in a parsed JSON value, counted up to `limit + 1` (no recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if depth > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def looks_like_record(obj: Any) -> bool:
    """Cheap check used before full validation: does it carry an event name and source?"""
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("eventName"), str)
        and isinstance(obj.get("eventSource"), str)
    )


def dig(data: Any, *path: str | int) -> Any:
    """Follow keys and list indexes; None as soon as one is missing."""
    cur = data
    for key in path:
        if type(key) is str:  # the usual step: a key of a JSON object
            if not isinstance(cur, dict):
                return None
            cur = cur.get(key)
        elif isinstance(key, int) and isinstance(cur, list) and 0 <= key < len(cur):
            cur = cur[key]
        else:
            return None
    return cur


def get_str(data: Any, *path: str | int) -> str | None:
    """A string at `path`, or None; a non-string there is a malformed record."""
    value = dig(data, *path)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise NormalizeError(f"expected text at {'.'.join(map(str, path))}, got {type(value).__name__}")


def get_int(data: Any, *path: str | int) -> int | None:
    """A whole number at `path` (CloudTrail sometimes logs numbers as strings), or None."""
    value = dig(data, *path)
    if value is None:
        return None
    if isinstance(value, bool):
        raise NormalizeError(f"expected a number at {'.'.join(map(str, path))}, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise NormalizeError(f"expected a number at {'.'.join(map(str, path))}, got {value!r:.40}")


def get_bool(data: Any, *path: str | int) -> bool | None:
    """A boolean at `path` (or "true"/"false"), or None."""
    value = dig(data, *path)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise NormalizeError(f"expected true/false at {'.'.join(map(str, path))}, got {value!r:.40}")


def get_list(data: Any, *path: str | int) -> list[Any]:
    """A list at `path`; a single object there counts as a list of one; missing is empty."""
    value = dig(data, *path)
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [value]
    raise NormalizeError(f"expected a list at {'.'.join(map(str, path))}")


def items(data: Any, *path: str | int) -> list[Any]:
    """CloudTrail's EC2 `{"items": [...]}` wrapper at `path`, unwrapped."""
    return get_list(data, *path, "items")

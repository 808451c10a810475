"""The record boundary's fast paths (shared identities, the usual time format) change nothing.

`parse_record` validates a `userIdentity` made of text fields once per distinct identity and
parses `2026-11-02T03:04:05Z` without pydantic's general datetime parser; both must give
exactly what plain validation gives, and fail exactly where it fails.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from engine.errors import NormalizeError
from engine.records import (
    CloudTrailRecord,
    UserIdentity,
    _check_objects,
    _prepared,
    _RecordModel,
    parse_record,
)

texts = st.none() | st.text(max_size=6) | st.sampled_from(["AssumedRole", "IAMUser", "Root"])
odd = st.integers() | st.booleans() | st.lists(st.text(max_size=3), max_size=2)
issuers = st.fixed_dictionaries(
    {}, optional={"type": texts | odd, "arn": texts, "userName": texts, "accountId": texts}
)
contexts = st.fixed_dictionaries(
    {}, optional={"sessionIssuer": st.none() | issuers | odd, "attributes": st.just({"a": "1"})}
)
identities = st.fixed_dictionaries(
    {},
    optional={
        "type": texts | odd, "arn": texts, "principalId": texts, "accountId": texts | odd,
        "userName": texts, "invokedBy": texts, "accessKeyId": texts,
        "sessionContext": st.none() | contexts | odd,
    },
)  # fmt: skip


def _record(**fields: Any) -> dict[str, Any]:
    return {
        "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances",
        "eventTime": "2026-11-02T03:04:05Z", "awsRegion": "us-east-1", **fields,
    }  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(identities)
def test_a_shared_identity_equals_plain_validation(identity: dict[str, Any]) -> None:
    try:
        expected: UserIdentity | None = UserIdentity.model_validate(identity)
    except ValidationError:
        expected = None
    try:
        got: UserIdentity | None = parse_record(_record(userIdentity=identity)).user_identity
    except NormalizeError as exc:
        assert "userIdentity" in exc.reason
        got = None
    assert got == expected
    # twice: the second comes from the cache
    again = None if expected is None else parse_record(_record(userIdentity=identity))
    assert again is None or again.user_identity == expected


def test_identities_differing_only_in_per_call_fields_share_one_object() -> None:
    base = {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/ci/s1"}
    first = parse_record(_record(userIdentity={**base, "accessKeyId": "ASIA1"}))
    second = parse_record(_record(userIdentity={**base, "accessKeyId": "ASIA2"}))
    other = parse_record(_record(userIdentity={**base, "arn": "arn:aws:sts::1:assumed-role/x/s"}))
    assert first.user_identity is second.user_identity
    assert other.user_identity != first.user_identity


_DATETIME = TypeAdapter(datetime)


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2200, 1, 1)),
    st.sampled_from(["Z", "z", "+00:00", "", "+01:00"]),
)
def test_the_usual_time_format_parses_as_pydantic_would(when: datetime, zone: str) -> None:
    text = when.strftime("%Y-%m-%dT%H:%M:%S") + zone
    plain = _DATETIME.validate_python(text)
    plain = plain.replace(tzinfo=UTC) if plain.tzinfo is None else plain.astimezone(UTC)
    in_range = datetime(2006, 1, 1, tzinfo=UTC) <= plain < datetime(2100, 1, 1, tzinfo=UTC)
    try:
        got = parse_record(_record(eventTime=text)).event_time
    except NormalizeError as exc:
        assert not in_range, exc.reason
        assert "eventTime" in exc.reason
        return
    assert in_range
    assert got == plain
    assert got.tzinfo is UTC


def test_non_object_request_is_malformed() -> None:
    for field in ("requestParameters", "responseElements", "serviceEventDetails"):
        try:
            parse_record(_record(**{field: ["not", "an", "object"]}))
        except NormalizeError as exc:
            assert field in exc.reason and "not a JSON object" in exc.reason
        else:
            raise AssertionError(f"{field} as a list was accepted")


fields = st.sampled_from(
    ["eventID", "eventType", "recipientAccountId", "errorCode", "errorMessage", "apiVersion",
     "eventName", "eventSource", "awsRegion", "eventTime", "userIdentity", "sourceIPAddress",
     "userAgent", "requestParameters", "RequestParameters", "responseElements"]
)  # fmt: skip
values: st.SearchStrategy[Any] = (
    st.none() | st.text(max_size=5) | st.integers() | st.booleans() | st.just({})
)


@pytest.mark.slow  # hypothesis, 500 examples: about 2 s
@settings(max_examples=500, deadline=None)
@given(st.dictionaries(fields, values, max_size=6), identities)
def test_the_plain_python_path_equals_pydantic_validation(
    changes: dict[str, Any], identity: dict[str, Any]
) -> None:
    """Usual records skip pydantic; whatever the record, the answer is pydantic's answer."""
    raw = {**_record(userIdentity=identity, eventID="e-1", recipientAccountId="1"), **changes}
    try:
        _check_objects(raw)
        expected: Any = _RecordModel.model_validate(_prepared(raw))
    except (ValidationError, NormalizeError):
        expected = None
    try:
        got: Any = parse_record(raw)
    except NormalizeError:
        got = None
    if expected is None:
        assert got is None
    else:
        assert got == tuple(getattr(expected, name) for name in CloudTrailRecord._fields)

"""Organisation scale on an engine that already exists: Athena selects the cost events, the
backtest scores them.

`sql` is the query over the standard CloudTrail table (the one the CloudTrail console or the AWS
documentation creates: lower-case columns, `useridentity` a struct, `requestparameters` and
`responseelements` JSON strings) that selects exactly `engine.SUPPORTED_EVENTS` in a date range.
`records` turns its result (the CSV Athena writes to the output location, every value quoted,
NULL empty; or JSON lines with the same column names) back into CloudTrail records.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any

import orjson

from engine import SUPPORTED_EVENTS

DEFAULT_TABLE = "cloudtrail_logs"
# (result column, SQL expression, record path): the fields the engine reads.
COLUMNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("eventversion", "eventversion", ("eventVersion",)),
    ("eventid", "eventid", ("eventID",)),
    ("eventtime", "eventtime", ("eventTime",)),
    ("eventsource", "eventsource", ("eventSource",)),
    ("eventname", "eventname", ("eventName",)),
    ("eventtype", "eventtype", ("eventType",)),
    ("awsregion", "awsregion", ("awsRegion",)),
    ("recipientaccountid", "recipientaccountid", ("recipientAccountId",)),
    ("sourceipaddress", "sourceipaddress", ("sourceIPAddress",)),
    ("useragent", "useragent", ("userAgent",)),
    ("errorcode", "errorcode", ("errorCode",)),
    ("errormessage", "errormessage", ("errorMessage",)),
    ("apiversion", "apiversion", ("apiVersion",)),
    ("requestparameters", "requestparameters", ("requestParameters",)),
    ("responseelements", "responseelements", ("responseElements",)),
    ("serviceeventdetails", "serviceeventdetails", ("serviceEventDetails",)),
    ("ui_type", "useridentity.type", ("userIdentity", "type")),
    ("ui_arn", "useridentity.arn", ("userIdentity", "arn")),
    ("ui_principalid", "useridentity.principalid", ("userIdentity", "principalId")),
    ("ui_accountid", "useridentity.accountid", ("userIdentity", "accountId")),
    ("ui_username", "useridentity.username", ("userIdentity", "userName")),
    ("ui_invokedby", "useridentity.invokedby", ("userIdentity", "invokedBy")),
    (
        "ui_issuer_type",
        "useridentity.sessioncontext.sessionissuer.type",
        ("userIdentity", "sessionContext", "sessionIssuer", "type"),
    ),
    (
        "ui_issuer_arn",
        "useridentity.sessioncontext.sessionissuer.arn",
        ("userIdentity", "sessionContext", "sessionIssuer", "arn"),
    ),
    (
        "ui_issuer_username",
        "useridentity.sessioncontext.sessionissuer.username",
        ("userIdentity", "sessionContext", "sessionIssuer", "userName"),
    ),
)
JSON_COLUMNS = frozenset({"requestparameters", "responseelements", "serviceeventdetails"})


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def event_filter() -> str:
    """`(eventsource = … AND eventname IN (…)) OR …`: exactly the supported events."""
    by_source: dict[str, list[str]] = defaultdict(list)
    for source, name in SUPPORTED_EVENTS:
        by_source[source].append(name)
    clauses = [
        f"(eventsource = {_quoted(source)} AND eventname IN ("
        + ", ".join(_quoted(n) for n in sorted(names))
        + "))"
        for source, names in sorted(by_source.items())
    ]
    return "\n    OR ".join(clauses)


def sql(since: date, until: date, table: str = DEFAULT_TABLE, projected: bool = False) -> str:
    """The Athena query for the supported cost events from `since` to `until` (inclusive, UTC).

    `projected`: the table uses partition projection on a `timestamp` column (yyyy/MM/dd), as the
    AWS documentation's example does, so Athena reads only those days.
    """
    end = until + timedelta(days=1)
    columns = ",\n  ".join(
        name if expr == name else f"{expr} AS {name}" for name, expr, _ in COLUMNS
    )
    where = [
        f"eventtime >= {_quoted(f'{since:%Y-%m-%d}T00:00:00Z')}",
        f"eventtime < {_quoted(f'{end:%Y-%m-%d}T00:00:00Z')}",
    ]
    if projected:
        where.insert(
            0,
            f'"timestamp" BETWEEN {_quoted(f"{since:%Y/%m/%d}")} '
            f"AND {_quoted(f'{until:%Y/%m/%d}')}",
        )
    conditions = "\n  AND ".join(where)
    return (
        f"-- dd0c-cost: the supported cost events ({len(SUPPORTED_EVENTS)} of them), "
        f"{since:%Y-%m-%d} to {until:%Y-%m-%d}\n"
        f"SELECT\n  {columns}\nFROM {table}\nWHERE {conditions}\n"
        f"  AND (\n    {event_filter()}\n  )\nORDER BY eventtime\n"
    )


def _put(record: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = record
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def _value(column: str, text: str) -> Any:
    if column not in JSON_COLUMNS:
        return text
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text  # the parser reports a non-object where it expects one


def from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """One result row (column → text; empty or None is NULL) as a CloudTrail record."""
    record: dict[str, Any] = {}
    for column, _, path in COLUMNS:
        text = row.get(column)
        if text is None or text == "":
            continue
        _put(record, path, _value(column, text) if isinstance(text, str) else text)
    return record


def is_row(obj: Any) -> bool:
    """A JSON object shaped like a result row (lower-case column names, no CloudTrail keys)."""
    return isinstance(obj, dict) and "eventsource" in obj and "eventSource" not in obj


def records(data: bytes) -> Iterator[dict[str, Any]]:
    """The records of an Athena CSV result."""
    text = data.decode("utf-8-sig")
    for row in csv.DictReader(io.StringIO(text, newline="")):
        yield from_row(row)

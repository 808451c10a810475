"""GET /v1/anomalies over HTTP: filters, a cursor that inserts never shift, the Slack link."""

from __future__ import annotations

from datetime import timedelta

from engine import Anomaly
from storage import Store
from storage.anomalies import SlackMessage
from tests.api.harness import Harness, served_api
from tests.engine.factories import event
from tests.stores import NOW

T, OTHER = "T_ANOM", "T_OTHER"


async def _anomaly(
    store: Store,
    tenant: str,
    minutes: int,
    severity: str = "warning",
    account: str = "111122223333",
) -> str:
    ev = event(7.0, at=NOW, account=account)
    verdict = Anomaly(severity=severity, score=0.8, reasons=("$7/h",))
    assert await store.anomalies.create(tenant, ev, verdict, NOW + timedelta(minutes=minutes))
    return ev.event_id


async def _all_pages(api: Harness, key: str, query: str) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        path = f"/v1/anomalies?{query}" + (f"&cursor={cursor}" if cursor else "")
        answer = await api.call("GET", path, key)
        assert answer.status == 200, answer.body
        pages.append([a["id"] for a in answer.body["anomalies"]])
        cursor = answer.body["nextCursor"]
        if cursor is None:
            return pages


async def test_cursor_pages_are_newest_first_and_stable_under_inserts() -> None:
    async with served_api() as api:
        key = await api.key(T)
        # Three share a createdAt: the id breaks the tie, so none is skipped or repeated.
        ids = [await _anomaly(api.store, T, minute) for minute in (1, 2, 2, 2, 3, 4, 5)]
        first = await api.call("GET", "/v1/anomalies?limit=3", key)
        assert first.status == 200 and len(first.body["anomalies"]) == 3
        for minute in (6, 7):  # new anomalies arrive between two pages
            await _anomaly(api.store, T, minute)
        rest, cursor = [], first.body["nextCursor"]
        while cursor:
            page = await api.call("GET", f"/v1/anomalies?limit=3&cursor={cursor}", key)
            rest += [a["id"] for a in page.body["anomalies"]]
            cursor = page.body["nextCursor"]
        seen = [a["id"] for a in first.body["anomalies"]] + rest
        assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen)) == 7
        assert seen[0] == ids[-1]


async def test_filters_and_the_slack_link() -> None:
    async with served_api() as api:
        key = await api.key(T)
        crit = await _anomaly(api.store, T, 1, "critical")
        info = await _anomaly(api.store, T, 2, "info", account="222233334444")
        old = await _anomaly(api.store, T, -120, "warning")
        await api.store.anomalies.set_status(T, old, "expected", NOW, by="U1")
        await api.store.anomalies.set_alert_state(
            T, crit, "sent", slack=SlackMessage(channel="C0ALERTS", ts="1764900000.123456")
        )
        assert await _all_pages(api, key, "severity=critical") == [[crit]]
        assert await _all_pages(api, key, "account=222233334444") == [[info]]
        assert await _all_pages(api, key, "status=expected") == [[old]]
        since = (NOW - timedelta(minutes=30)).isoformat().replace("+00:00", "Z")
        assert await _all_pages(api, key, f"since={since}") == [[info, crit]]
        body = (await api.call("GET", "/v1/anomalies?severity=critical", key)).body
        assert body["anomalies"][0]["slackMessageUrl"] == (
            "https://slack.com/archives/C0ALERTS/p1764900000123456"
        )
        assert body["anomalies"][0]["estimatedHourlyCost"] == 7.0
        info_body = (await api.call("GET", "/v1/anomalies?severity=info", key)).body
        assert info_body["anomalies"][0]["slackMessageUrl"] is None


async def test_another_workspace_sees_none_and_cannot_use_a_cursor_to_look() -> None:
    async with served_api() as api:
        mine, theirs = await api.key(T), await api.key(OTHER)
        for minute in range(4):
            await _anomaly(api.store, T, minute)
        page = await api.call("GET", "/v1/anomalies?limit=2", mine)
        cursor = page.body["nextCursor"]
        assert await _all_pages(api, theirs, "limit=2") == [[]]
        peek = await api.call("GET", f"/v1/anomalies?cursor={cursor}", theirs)
        assert peek.status == 200 and peek.body["anomalies"] == []


async def test_bad_query_parameters_are_400() -> None:
    async with served_api() as api:
        key = await api.key(T)
        for query in (
            "severity=apocalyptic",
            "status=gone",
            "account=12",
            "since=yesterday",
            "limit=0",
            "limit=201",
            "limit=ten",
            "cursor=!!!",
            "cursor=bm90LWpzb24",
            "cursor=WzEsMl0",
            "colour=red",
        ):
            answer = await api.call("GET", f"/v1/anomalies?{query}", key)
            assert answer.status == 400, query
            assert answer.body["title"] == "Bad Request"

"""The backtest straight from S3 (moto's S3 server over real HTTP): the layout walk prunes by
day, account and region; organisation trails; the same verdicts as the same files on disk;
throttling is retried; an unreadable object is reported, never raised."""

from __future__ import annotations

import asyncio
import gzip
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import aioboto3
import boto3  # type: ignore[import-untyped]  # no stubs installed: test set-up only
import orjson
import pytest

from cli import main
from ingest.backtest import Options, run_backtest
from ingest.layout import Filters
from ingest.s3logs import S3Reader, split_url
from pricing import load_catalogue
from tests.aws import REGION, running_moto, unique_name
from tests.fixtures import load

CATALOGUE = load_catalogue()
RUN = load("cloudtrail/ec2/run_instances_iam_user_cli.json")
SAMPLES = Path(__file__).parents[2] / "samples" / "AWSLogs"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with running_moto() as url:
        yield url


def _s3(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION)


def _bucket(endpoint: str) -> str:
    name = unique_name("trail").lower()
    _s3(endpoint).create_bucket(Bucket=name)
    return name


def _put(endpoint: str, bucket: str, key: str, records: list[dict[str, Any]]) -> None:
    body = gzip.compress(orjson.dumps({"Records": records}))
    _s3(endpoint).put_object(Bucket=bucket, Key=key, Body=body)


def _key(prefix: str, account: str, region: str, stamp: str, n: int = 0) -> str:
    day = f"{stamp[:4]}/{stamp[4:6]}/{stamp[6:8]}"
    name = f"{account}_CloudTrail_{region}_{stamp}_u{n}.json.gz"
    return f"{prefix}AWSLogs/{account}/CloudTrail/{region}/{day}/{name}"


def _run(event_id: str, when: str, account: str, region: str = "us-east-1") -> dict[str, Any]:
    return {
        **RUN,
        "eventID": event_id,
        "eventTime": when,
        "recipientAccountId": account,
        "awsRegion": region,
    }


def _reader(endpoint: str, **kwargs: Any) -> S3Reader:
    return S3Reader(aioboto3.Session(), endpoint_url=endpoint, region=REGION, **kwargs)


def test_split_url() -> None:
    assert split_url("s3://b") == ("b", "")
    assert split_url("s3://b/logs") == ("b", "logs/")
    assert split_url("s3://b/logs/x.json.gz") == ("b", "logs/x.json.gz")


@pytest.mark.slow  # S3 on moto's server
def test_reads_the_layout_with_filters_and_an_organisation_trail(endpoint: str) -> None:
    bucket = _bucket(endpoint)
    a, b = "111122223333", "444455556666"
    _put(
        endpoint,
        bucket,
        _key("t/", a, "us-east-1", "20260101T0010Z"),
        [_run("a-jan1", "2026-01-01T00:05:00Z", a)],
    )
    _put(
        endpoint,
        bucket,
        _key("t/", a, "us-east-1", "20260102T0010Z"),
        [_run("a-jan2", "2026-01-02T00:05:00Z", a)],
    )
    _put(
        endpoint,
        bucket,
        _key("t/", a, "eu-west-1", "20260102T0020Z"),
        [_run("a-eu", "2026-01-02T00:15:00Z", a, "eu-west-1")],
    )
    org = "t/AWSLogs/o-abc123/"
    key = _key("", b, "us-east-1", "20260102T0005Z").replace("AWSLogs/", org, 1)
    _put(endpoint, bucket, key, [_run("b-jan2", "2026-01-02T00:01:00Z", b)])

    everything = run_backtest(
        [f"s3://{bucket}/t/"], CATALOGUE, options=Options(s3=_reader(endpoint))
    )
    assert [e.event_id for e in everything.events] == ["a-jan1", "b-jan2", "a-jan2", "a-eu"]
    assert everything.collected.bytes > 0

    since = Filters(since=date(2026, 1, 2), regions=frozenset({"us-east-1"}))
    pruned = run_backtest(
        [f"s3://{bucket}/t/"], CATALOGUE, options=Options(s3=_reader(endpoint), filters=since)
    )
    assert [e.event_id for e in pruned.events] == ["b-jan2", "a-jan2"]
    assert pruned.summary()["files"] == 2
    only_b = Filters(accounts=frozenset({b}))
    org_only = run_backtest(
        [f"s3://{bucket}/t/AWSLogs/"],
        CATALOGUE,
        options=Options(s3=_reader(endpoint), filters=only_b),
    )
    assert [e.event_id for e in org_only.events] == ["b-jan2"]


@pytest.mark.slow  # S3 on moto's server
def test_the_samples_from_s3_score_as_on_disk(endpoint: str) -> None:
    bucket = _bucket(endpoint)
    client = _s3(endpoint)
    for path in sorted(SAMPLES.rglob("*.json.gz")):
        client.put_object(
            Bucket=bucket, Key=str(path.relative_to(SAMPLES.parent)), Body=path.read_bytes()
        )
    remote = run_backtest(
        [f"s3://{bucket}/"], CATALOGUE, options=Options(s3=_reader(endpoint, concurrency=4))
    )
    local = run_backtest([SAMPLES], CATALOGUE)
    outcome = [(e.event_id, e.anomaly) for e in remote.events]
    assert outcome == [(e.event_id, e.anomaly) for e in local.events]
    assert remote.summary() | {"seconds": 0} == local.summary() | {"seconds": 0}


@pytest.mark.slow  # S3 on moto's server
def test_a_missing_object_or_bucket_is_reported_not_raised(endpoint: str) -> None:
    bucket = _bucket(endpoint)
    _put(endpoint, bucket, "x/a.json.gz", [_run("a", "2026-01-01T00:00:00Z", "111122223333")])
    missing = f"s3://{bucket}/x/gone.json.gz"

    async def run() -> tuple[bytes, str]:
        async with _reader(endpoint) as reader:
            data = await reader.get(f"s3://{bucket}/x/a.json.gz")
            try:
                await reader.get(missing)
            except Exception as exc:  # noqa: BLE001 (the test names the type below)
                return data, type(exc).__name__
        return data, ""

    data, error = asyncio.run(run())
    assert gzip.decompress(data).startswith(b'{"Records"')
    assert error == "S3ReadError"
    result = run_backtest(
        [f"s3://{unique_name('nobucket').lower()}/"],
        CATALOGUE,
        options=Options(s3=_reader(endpoint)),
    )
    assert result.summary()["files"] == 0
    assert result.collected.bad and "cannot list" in result.collected.bad[0].reason


class _Throttled:
    """A proxy in front of moto that answers every other GET with 503 SlowDown."""

    def __init__(self, upstream: str) -> None:
        from aiohttp import ClientSession, web

        self.upstream = upstream
        self.refused = 0
        self.web, self.ClientSession = web, ClientSession
        self.url = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def _handle(self, request: Any) -> Any:
        if request.method == "GET" and "list-type" not in request.query and self.refused % 2 == 0:
            self.refused += 1
            body = (
                b"<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>"
            )
            return self.web.Response(status=503, body=body, content_type="application/xml")
        if request.method == "GET" and "list-type" not in request.query:
            self.refused += 1
        async with self.ClientSession() as session:
            async with session.request(
                request.method,
                self.upstream + request.path_qs,
                headers=request.headers,
                data=await request.read(),
            ) as up:
                return self.web.Response(
                    status=up.status,
                    body=await up.read(),
                    headers={"Content-Type": up.headers.get("Content-Type", "")},
                )

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        app = self.web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = self.web.AppRunner(app)
        self._loop.run_until_complete(runner.setup())
        site = self.web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        self._loop.close()

    def __enter__(self) -> _Throttled:
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        assert self._ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)


@pytest.mark.slow  # S3 on moto's server
def test_throttled_gets_are_retried_with_backoff(endpoint: str) -> None:
    bucket = _bucket(endpoint)
    for n in range(4):
        _put(
            endpoint,
            bucket,
            _key("", "111122223333", "us-east-1", f"20260101T00{n}0Z", n),
            [_run(f"e{n}", f"2026-01-01T00:0{n}:00Z", "111122223333")],
        )
    with _Throttled(endpoint) as proxy:
        result = run_backtest(
            [f"s3://{bucket}/"], CATALOGUE, options=Options(s3=_reader(proxy.url, concurrency=2))
        )
    assert [e.event_id for e in result.events] == ["e0", "e1", "e2", "e3"]
    assert proxy.refused >= 8  # every GET was refused once, then served
    assert result.collected.bad == []


@pytest.mark.slow  # S3 on moto's server
def test_cli_backtest_from_s3(endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    bucket = _bucket(endpoint)
    _put(
        endpoint,
        bucket,
        _key("", "111122223333", "us-east-1", "20260101T0010Z"),
        [_run("cli", "2026-01-01T00:05:00Z", "111122223333")],
    )
    assert main(["backtest", "--json", "--endpoint-url", endpoint, f"s3://{bucket}/"]) == 0
    lines = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["eventId"] for line in lines[:-1]] == ["cli"]
    assert lines[-1]["kind"] == "summary" and lines[-1]["files"] == 1

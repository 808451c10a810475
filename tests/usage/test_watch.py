"""The usage watch against moto's server over real HTTP: metric series put with PutMetricData are
read back with ListMetrics + GetMetricData through the assumed role, priced and judged.

Each test works in an AWS account of its own (moto's STS hands out credentials acting in the
role's account), so tests never see each other's metrics. A proxy in front of moto
(`faulty_aws`) throttles calls and denies regions the way AWS answers.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.usage import HOUR, USAGE_EVENT
from onboarding.permissions import ASSUMED_ROLE_ACTIONS, USAGE_ACTIONS
from storage import Store
from tests.usage.conftest import ONE_SHOT, Account
from tests.usage.faulty_aws import FaultyAws
from tests.usage.series import JUDGED, NOW, hours, lambda_storm
from usage.anomalies import record_spikes
from usage.watch import UsageReport

TENANT = "T-usage"


async def _watch(account: Account, regions: list[str], **options: object) -> UsageReport:
    options.setdefault("now", NOW)
    return await account.watch(regions, **options)  # type: ignore[arg-type]


@pytest.mark.slow
async def test_a_lambda_storm_alerts_once_with_its_dollars_per_hour(
    account: Account, store: Store
) -> None:
    expected = await lambda_storm(account, "us-east-1")
    report = await _watch(account, ["us-east-1"])
    assert report.failures == {}
    assert report.streams == 1
    assert set(account.operations) == {
        "cloudwatch:ListMetrics",
        "cloudwatch:GetMetricData",
        "lambda:ListFunctions",
    }
    assert set(account.operations) <= USAGE_ACTIONS <= ASSUMED_ROLE_ACTIONS
    [found] = report.found
    spike = found.spike
    assert spike.key.resource == "resize-images"
    assert spike.amount == pytest.approx(expected, rel=1e-9)
    assert spike.since == JUDGED
    assert spike.severity == "info"  # ~$1.7/h above a normal of ~$0.0004/h
    assert await record_spikes(store, TENANT, report.found, NOW) == [spike.anomaly_id]
    stored = await store.anomalies.get(TENANT, spike.anomaly_id)
    assert stored is not None and stored.event_name == USAGE_EVENT
    assert stored.estimated_hourly_cost == pytest.approx(expected, rel=1e-9)
    assert stored.alert_state == "pending"
    assert "put-function-concurrency --function-name resize-images" in str(
        stored.details["usageCli"]
    )

    # The storm goes on the next hour: the same spike, no second alert.
    later = JUDGED + HOUR
    await account.put(
        "us-east-1",
        "AWS/Lambda",
        ("FunctionName", "resize-images"),
        "Invocations",
        {later: 200_000.0},
    )
    await account.put(
        "us-east-1",
        "AWS/Lambda",
        ("FunctionName", "resize-images"),
        "Duration",
        {later: 200_000 * 500.0},
    )
    again = await _watch(account, ["us-east-1"], now=NOW + HOUR)
    [next_hour] = again.found
    assert next_hour.spike.since == JUDGED
    assert next_hour.spike.anomaly_id == spike.anomaly_id
    assert await record_spikes(store, TENANT, again.found, NOW + HOUR) == []


@pytest.mark.slow
async def test_the_nightly_nat_transfer_stays_quiet(account: Account) -> None:
    night = JUDGED.replace(hour=2)
    gb = 1024**3
    series = hours(night, 1.0 * gb, h02=400.0 * gb)
    await account.put(
        "us-east-1", "AWS/NATGateway", ("NatGatewayId", "nat-0abc"), "BytesInFromSource", series
    )
    report = await _watch(account, ["us-east-1"], now=night + timedelta(minutes=70))
    assert report.failures == {}
    assert report.streams == 1
    assert report.found == []
    # The same 400 GB at 13:00 instead is a spike worth $18/h of data processing.
    await account.put(
        "us-east-1",
        "AWS/NATGateway",
        ("NatGatewayId", "nat-0abc"),
        "BytesInFromSource",
        hours(JUDGED, 1.0 * gb, days=0, h13=400.0 * gb),
    )
    report = await _watch(account, ["us-east-1"])
    [found] = report.found
    assert found.spike.amount == pytest.approx(400 * 0.045)
    assert found.spike.severity == "warning"


@pytest.mark.slow
async def test_throttling_is_retried_with_backoff(account: Account, faulty: FaultyAws) -> None:
    expected = await lambda_storm(account, "us-east-1")
    faulty.throttle["GetMetricData"] = 2
    faulty.throttle["ListMetrics"] = 1
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    report = await _watch(account, ["us-east-1"], endpoint=faulty.endpoint, sleep=sleep)
    assert report.failures == {}
    assert faulty.throttled == {"GetMetricData": 2, "ListMetrics": 1}
    assert len(waits) == 3 and all(0 <= w <= ONE_SHOT.max_delay for w in waits)
    [found] = report.found
    assert found.spike.amount == pytest.approx(expected, rel=1e-9)


@pytest.mark.slow
async def test_throttling_past_the_backoff_fails_that_region_only(
    account: Account, faulty: FaultyAws
) -> None:
    await lambda_storm(account, "us-east-1")
    faulty.throttle["GetMetricData"] = 99

    async def sleep(seconds: float) -> None:
        return None

    report = await _watch(account, ["us-east-1"], endpoint=faulty.endpoint, sleep=sleep)
    assert "Throttling" in report.failures["us-east-1"]
    assert faulty.throttled["GetMetricData"] == ONE_SHOT.backoff_tries + 1


@pytest.mark.slow
async def test_a_region_failure_is_reported_while_the_others_carry_on(
    account: Account, faulty: FaultyAws
) -> None:
    await lambda_storm(account, "us-east-1")
    model = "anthropic.claude-3-haiku"
    tokens = hours(JUDGED, 50_000.0)
    tokens[JUDGED] = 4_000_000.0
    await account.put("us-east-1", "AWS/Bedrock", ("ModelId", model), "InputTokenCount", tokens)
    faulty.denied.add("eu-west-1")
    report = await _watch(account, ["eu-west-1", "us-east-1"], endpoint=faulty.endpoint)
    assert report.regions == ["eu-west-1", "us-east-1"]
    assert set(report.failures) == {"eu-west-1"}
    assert "AccessDenied" in report.failures["eu-west-1"]
    found = {f.spike.key.service: f for f in report.found}
    assert [f.spike.key.region for f in report.found] == ["us-east-1", "us-east-1"]
    bedrock = found["bedrock"]
    assert (bedrock.spike.key.resource, bedrock.spike.priced) == (model, False)
    assert (bedrock.spike.amount, bedrock.spike.unit) == (4_000_000.0, "tokens")
    assert bedrock.note is not None and "not in the price data" in bedrock.note


@pytest.mark.slow
async def test_queries_go_in_batches(
    account: Account, faulty: FaultyAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = await lambda_storm(account, "us-east-1")
    monkeypatch.setattr("usage.metrics.QUERIES_PER_REQUEST", 1)
    report = await _watch(account, ["us-east-1"], endpoint=faulty.endpoint)
    assert faulty.calls["GetMetricData"] == 2  # Invocations and Duration, one a request
    [found] = report.found
    assert found.spike.amount == pytest.approx(expected, rel=1e-9)


@pytest.mark.slow
async def test_without_lambda_listing_the_function_is_watched_in_invocations(
    account: Account, faulty: FaultyAws
) -> None:
    await lambda_storm(account, "us-east-1")
    faulty.denied_paths.add("/2015-03-31/functions")
    report = await _watch(account, ["us-east-1"], endpoint=faulty.endpoint)
    assert "AccessDeniedException" in report.failures["us-east-1"]
    [found] = report.found
    assert (found.spike.priced, found.spike.unit, found.spike.amount) == (
        False,
        "invocations",
        200_000.0,
    )
    assert found.note is not None and "memory is unknown" in found.note

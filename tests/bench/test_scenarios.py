"""The scenario generator writes realistic, labelled, reproducible CloudTrail logs."""

from __future__ import annotations

import gzip
import re
import shlex
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench.scenarios import (
    COST_EVENTS,
    INCIDENT_CATEGORIES,
    QUIET_CATEGORIES,
    Config,
    generate,
    write,
)
from bench.scenarios.__main__ import main
from bench.scenarios._commitments import TASK_GB, TASK_VCPU
from bench.scenarios._model import Event, Label, floor_cents
from bench.scenarios._plan import LATE_INCIDENTS, SUBTLE_INCIDENTS
from bench.scenarios._prices import CataloguePrices
from engine import PARSERS_KEYS
from pricing import bedrock_model_unit, fargate_task

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
LOG_NAME = re.compile(
    r"AWSLogs/(?P<account>\d{12})/CloudTrail/(?P<region>[a-z]{2}-[a-z]+-\d)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P=account)_CloudTrail_(?P=region)_(?P<stamp>\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz"
)
EVENT_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
SMALL = Config(days=8, seed=11, accounts=2, noise_ratio=0.9)


class FixedPrices:
    """A price book with round numbers: the structure tests do not depend on real prices."""

    def ec2(self, instance_type: str, region: str, os: str = "linux") -> float | None:
        return 2.016 if instance_type == "r6i.8xlarge" else 1.5

    def rds(self, db_class: str, region: str, engine: str, multi_az: bool = False) -> float | None:
        return 10.0

    def redshift(self, node_type: str, region: str) -> float | None:
        return 13.04

    def sagemaker(self, instance_type: str, region: str) -> float | None:
        return 28.152

    def elasticache(self, node_type: str, region: str) -> float | None:
        return 3.284


@dataclass
class LogFile:
    path: Path
    match: re.Match[str]
    records: list[dict[str, Any]]


@dataclass
class Dataset:
    files: list[LogFile]
    labels: list[dict[str, Any]]

    @property
    def records(self) -> list[dict[str, Any]]:
        return [r for f in self.files for r in f.records]


def read_dataset(root: Path) -> Dataset:
    files = []
    for path in sorted(root.glob("AWSLogs/**/*.json.gz")):
        match = LOG_NAME.fullmatch(path.relative_to(root).as_posix())
        assert match, path
        files.append(
            LogFile(path, match, orjson.loads(gzip.decompress(path.read_bytes()))["Records"])
        )
    labels = [orjson.loads(line) for line in (root / "labels.jsonl").read_bytes().splitlines()]
    return Dataset(files, labels)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    out = tmp_path_factory.mktemp("small")
    write(SMALL, FixedPrices(), out)
    return read_dataset(out)


@pytest.mark.slow  # two full scenario runs
def test_same_seed_gives_byte_identical_output(tmp_path: Path) -> None:
    write(SMALL, FixedPrices(), tmp_path / "a")
    write(SMALL, FixedPrices(), tmp_path / "b")
    write(Config(days=8, seed=12, accounts=2), FixedPrices(), tmp_path / "c")
    first = tree(tmp_path / "a")
    assert first == tree(tmp_path / "b")
    assert first != tree(tmp_path / "c")


def test_files_follow_the_s3_layout_and_hold_their_day(small: Dataset) -> None:
    assert small.files
    for log in small.files:
        assert log.records, log.path
        day = f"{log.match['y']}-{log.match['m']}-{log.match['d']}"
        stamp = log.match["stamp"]
        assert stamp.startswith(day.replace("-", ""))
        for record in log.records:
            assert record["eventTime"][:10] == day
            assert record["eventTime"][:16].replace("-", "").replace(":", "") <= stamp[:-1]
            assert record["recipientAccountId"] == log.match["account"]
            assert record["awsRegion"] == log.match["region"]


def test_every_cost_record_has_one_label_and_labels_point_at_records(small: Dataset) -> None:
    ids = Counter(r["eventID"] for r in small.records)
    assert max(ids.values()) == 1
    labelled = {x["eventId"] for x in small.labels}
    assert len(labelled) == len(small.labels)
    assert labelled <= ids.keys()
    for record in small.records:
        costly = (record["eventSource"], record["eventName"]) in COST_EVENTS
        assert costly == (record["eventID"] in labelled), record["eventName"]


def test_incident_labels_carry_a_floored_hourly_cost(small: Dataset) -> None:
    incidents = [x for x in small.labels if x["label"] == "incident"]
    assert incidents
    for line in incidents:
        assert line["minHourlyUsd"] > 0
        assert round(line["minHourlyUsd"], 2) == line["minHourlyUsd"]
        assert line["incidentId"].startswith("INC-")
    for line in small.labels:
        assert set(line) >= {
            "eventId", "accountId", "day", "label", "scenario", "description", "category",
        }  # fmt: skip
        assert line["label"] in ("normal", "incident")
        allowed = INCIDENT_CATEGORIES if line["label"] == "incident" else QUIET_CATEGORIES
        assert line["category"] in allowed, line
        assert ("minHourlyUsd" in line) == (line["label"] == "incident")


@pytest.mark.parametrize("ratio", [0.5, 0.9])
def test_noise_ratio_is_within_five_percent(tmp_path: Path, ratio: float) -> None:
    write(Config(days=5, seed=2, accounts=2, noise_ratio=ratio), FixedPrices(), tmp_path)
    data = read_dataset(tmp_path)
    noise = len(data.records) - len(data.labels)
    assert abs(noise / len(data.records) - ratio) <= 0.05


def test_a_new_account_spends_first_on_a_day0_incident(small: Dataset) -> None:
    by_account: dict[str, list[dict[str, Any]]] = {}
    for line in small.labels:
        by_account.setdefault(line["accountId"], []).append(line)
    firsts = [lines[0] for lines in by_account.values()]
    assert any(x["label"] == "incident" and x["day"] == 0 for x in firsts)
    mature_late = [x for x in small.labels if x["label"] == "incident" and x["day"] > 0]
    assert mature_late


IDENTITY_FIELDS = {
    "IAMUser": {"principalId", "arn", "accountId", "accessKeyId", "userName"},
    "AssumedRole": {"principalId", "arn", "accountId", "accessKeyId", "sessionContext"},
    "Root": {"principalId", "arn", "accountId"},
    "AWSService": {"invokedBy"},
    "WebIdentityUser": {"principalId", "userName", "identityProvider"},
}
COMMON_FIELDS = {
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "requestParameters",
    "responseElements",
    "eventID",
    "readOnly",
    "eventType",
    "managementEvent",
    "recipientAccountId",
    "eventCategory",
}


def check_identity(identity: dict[str, Any], sign_in: bool) -> None:
    kind = identity["type"]
    required = IDENTITY_FIELDS[kind] - ({"accessKeyId"} if sign_in else set())
    assert required <= identity.keys(), identity
    if kind == "AssumedRole":
        issuer = identity["sessionContext"]["sessionIssuer"]
        assert issuer["type"] == "Role"
        assert {"arn", "principalId", "accountId", "userName"} <= issuer.keys()
        assert identity["arn"].startswith(
            f"arn:aws:sts::{issuer['accountId']}:assumed-role/{issuer['userName']}/"
        )
        assert identity["principalId"].startswith(issuer["principalId"] + ":")
    if kind == "IAMUser":
        assert identity["arn"].endswith(f":user/{identity['userName']}")


def test_records_have_the_cloudtrail_fields_for_each_identity_type(small: Dataset) -> None:
    kinds: Counter[str] = Counter()
    for record in small.records:
        assert COMMON_FIELDS <= record.keys(), record["eventName"]
        assert record["eventVersion"] in ("1.08", "1.09")
        assert EVENT_TIME.fullmatch(record["eventTime"])
        assert UUID4.fullmatch(record["eventID"])
        assert record["managementEvent"] is True and record["eventCategory"] == "Management"
        assert isinstance(record["readOnly"], bool)
        assert record["eventType"] in ("AwsApiCall", "AwsConsoleSignIn")
        if record["eventType"] == "AwsApiCall":
            assert "requestID" in record
        check_identity(record["userIdentity"], record["eventType"] == "AwsConsoleSignIn")
        kinds[record["userIdentity"]["type"]] += 1
    assert kinds.keys() == IDENTITY_FIELDS.keys()


def test_run_instances_has_the_real_request_and_response_shape(small: Dataset) -> None:
    launches = [
        r for r in small.records if r["eventName"] == "RunInstances" and "errorCode" not in r
    ]
    assert launches
    for record in launches:
        request, items = record["requestParameters"], record["responseElements"]["instancesSet"]
        first = request["instancesSet"]["items"][0]
        assert len(items["items"]) == first["minCount"] == first["maxCount"]
        assert "instanceType" in request or "launchTemplate" in request
        for item in items["items"]:
            assert item["instanceId"].startswith("i-0") and len(item["instanceId"]) == 19
            assert item["placement"]["availabilityZone"].startswith(record["awsRegion"])
            spot = request.get("instanceMarketOptions", {}).get("marketType") == "spot"
            assert (item.get("instanceLifecycle") == "spot") == spot
    assert any(
        i.get("platform") == "windows"
        for r in launches
        for i in r["responseElements"]["instancesSet"]["items"]
    )
    failed = [r for r in small.records if r["eventName"] == "RunInstances" and "errorCode" in r]
    assert all(r["responseElements"] is None for r in failed)


@pytest.mark.slow  # a full scenario run
def test_min_hourly_cost_is_quantity_times_price_floored() -> None:
    events = generate(Config(days=30, seed=1, accounts=4, noise_ratio=0.0), FixedPrices())
    labels = [e.label for e in events if e.label and e.label.kind == "incident"]
    r6i = [x.min_hourly_usd for x in labels if x.scenario == "mid-first-ever-r6i.8xlarge-x3"]
    assert r6i == [6.04]
    expected = 11 + len(SUBTLE_INCIDENTS) + len(LATE_INCIDENTS)
    assert len({x.scenario for x in labels}) == len({x.incident_id for x in labels}) == expected


def documented_command() -> list[str]:
    text = (SAMPLES / "README.md").read_text()
    line = next(x for x in text.splitlines() if x.startswith("python -m bench.scenarios "))
    return shlex.split(line)[3:]


@pytest.mark.slow  # writes the samples with the generator and compares every file
def test_committed_samples_are_what_the_documented_command_writes(tmp_path: Path) -> None:
    argv = documented_command()
    argv[argv.index("--out") + 1] = str(tmp_path)
    assert main(argv) == 0
    committed = {k: v for k, v in tree(SAMPLES).items() if k != "README.md"}
    assert committed.keys() == tree(tmp_path).keys()
    assert committed == tree(tmp_path)


def test_start_option_moves_the_calendar(tmp_path: Path) -> None:
    write(Config(days=2, seed=5, accounts=1, start=date(2027, 1, 30)), FixedPrices(), tmp_path)
    folders = {p.parts[-4:-1] for p in tmp_path.glob("AWSLogs/*/CloudTrail/*/*/*/*/*.json.gz")}
    assert {f"{y}-{m}-{d}" for y, m, d in folders} == {"2027-01-30", "2027-01-31"}


# --- Label categories (issue 9): a full-length run with the real catalogue, no noise. ---

FULL = Config(days=30, seed=1, accounts=4, noise_ratio=0.0)


@pytest.fixture(scope="module")
def full() -> list[Event]:
    return generate(FULL, CataloguePrices())


def labelled(events: list[Event]) -> list[tuple[Event, Label]]:
    return [(e, e.label) for e in events if e.label is not None]


@pytest.mark.slow  # full scenario runs
def test_full_runs_are_deterministic_per_seed(full: list[Event]) -> None:
    again = generate(FULL, CataloguePrices())
    assert [(e.record, e.label) for e in again] == [(e.record, e.label) for e in full]
    other = generate(replace(FULL, seed=2), CataloguePrices())
    assert [e.record["eventID"] for e in other] != [e.record["eventID"] for e in full]


@pytest.mark.slow  # a full scenario run per seed
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_category_appears_with_labels(seed: int) -> None:
    events = generate(replace(FULL, seed=seed), FixedPrices())
    kinds = {(label.kind, label.category) for _, label in labelled(events)}
    assert {("incident", c) for c in INCIDENT_CATEGORIES} <= kinds
    assert {("normal", c) for c in QUIET_CATEGORIES} <= kinds
    allowed = {("incident", c) for c in INCIDENT_CATEGORIES}
    assert kinds <= allowed | {("normal", c) for c in QUIET_CATEGORIES}


@pytest.mark.slow  # uses the full scenario runs
def test_every_labelled_record_is_a_cost_event_the_engine_parses(full: list[Event]) -> None:
    names = {(e.record["eventSource"], e.record["eventName"]) for e, _ in labelled(full)}
    assert names <= PARSERS_KEYS
    assert COST_EVENTS <= PARSERS_KEYS


def catalogue_usd(prices: CataloguePrices, record: dict[str, Any]) -> float | None:
    """Quantity x the catalogue's price of what a creating call asks for, floored to cents."""
    request, region, name = record["requestParameters"], record["awsRegion"], record["eventName"]
    if name == "RunInstances":
        items = record["responseElements"]["instancesSet"]["items"]
        unit = prices.ec2(items[0]["instanceType"], region)
        return floor_cents(unit, len(items), "ec2")
    quotes = {
        "CreateDBInstance": lambda: (
            prices.rds(request["dBInstanceClass"], region, request["engine"], request["multiAZ"]),
            1,
        ),
        "CreateReplicationGroup": lambda: (
            prices.elasticache(request["cacheNodeType"], region),
            request["numCacheClusters"],
        ),
        "CreateCluster": lambda: (
            prices.redshift(request["nodeType"], region),
            request["numberOfNodes"],
        ),
        "CreateNotebookInstance": lambda: (prices.sagemaker(request["instanceType"], region), 1),
        "CreateNodegroup": lambda: (
            prices.ec2(request["instanceTypes"][0], region),
            request["scalingConfig"]["desiredSize"],
        ),
        # issue 14
        "CreateSavingsPlan": lambda: (float(request["commitment"]), 1),
        "CreateCapacityReservation": lambda: (
            prices.ec2(request["CreateCapacityReservationRequest"]["InstanceType"], region),
            request["CreateCapacityReservationRequest"]["InstanceCount"],
        ),
        "CreateProvisionedModelThroughput": lambda: (
            bedrock_model_unit(request["modelId"], region, "1-month").usd,
            request["modelUnits"],
        ),
        "UpdateService": lambda: (
            fargate_task(region, TASK_VCPU, TASK_GB).usd,
            request["desiredCount"],
        ),
    }
    if name not in quotes:
        return None
    unit, count = quotes[name]()
    return floor_cents(unit, count, name)


@pytest.mark.slow  # uses the full scenario runs
def test_incident_costs_are_the_catalogue_price_times_quantity(full: list[Event]) -> None:
    prices = CataloguePrices()
    checked: Counter[str] = Counter()
    for event, label in labelled(full):
        if label.kind != "incident":
            continue
        expected = catalogue_usd(prices, event.record)
        if expected is None:  # UpdateAutoScalingGroup: priced on the capacity it adds
            assert event.record["eventName"] == "UpdateAutoScalingGroup"
            continue
        assert label.min_hourly_usd == expected, (label.scenario, event.record["eventName"])
        checked[label.category or ""] += 1
    assert checked.keys() == set(INCIDENT_CATEGORIES)


def incident_calls(events: list[Event], category: str) -> dict[str, list[Event]]:
    calls: dict[str, list[Event]] = {}
    for event, label in labelled(events):
        if label.kind == "incident" and label.category == category:
            calls.setdefault(label.incident_id or "", []).append(event)
    return calls


@pytest.mark.slow  # uses the full scenario runs
def test_subtle_incidents_are_mostly_cheap_and_in_mature_accounts(full: list[Event]) -> None:
    new_accounts = {e.account for e, x in labelled(full) if x.category == "day0"}
    subtle = [
        (e, x)
        for e, x in labelled(full)
        if x.kind == "incident"
        and x.category not in ("expensive", "day0", *set(LATE_INCIDENTS.values()))
    ]
    assert len({x.incident_id for _, x in subtle}) == len(SUBTLE_INCIDENTS)
    assert all(e.account not in new_accounts for e, _ in subtle)
    cheap = [x for _, x in subtle if x.min_hourly_usd is not None and x.min_hourly_usd < 5]
    assert len(cheap) >= 0.8 * len(subtle)
    assert any(e.when.day >= 22 for e, _ in subtle)  # some in week 3-4 (days 21+)


@pytest.mark.slow  # uses the full scenario runs
def test_rate_burst_is_12_to_20_single_instance_calls_within_ten_minutes(
    full: list[Event],
) -> None:
    (calls,) = incident_calls(full, "rate-burst").values()
    assert 12 <= len(calls) <= 20
    assert max(e.when for e in calls) - min(e.when for e in calls) <= timedelta(minutes=10)
    assert all(len(e.record["responseElements"]["instancesSet"]["items"]) == 1 for e in calls)
    assert len({e.record["userIdentity"]["arn"] for e in calls}) == 1


@pytest.mark.slow  # uses the full scenario runs
def test_repeat_compromise_is_three_batches_hours_apart_the_same_day(full: list[Event]) -> None:
    (calls,) = incident_calls(full, "repeat-compromise").values()
    times = sorted(e.when for e in calls)
    assert len(times) == 3 and times[0].date() == times[-1].date()
    assert all(b - a >= timedelta(hours=2) for a, b in zip(times, times[1:], strict=False))


@pytest.mark.slow  # uses the full scenario runs
def test_recurring_cold_start_runs_every_night_above_five_dollars(full: list[Event]) -> None:
    prices = CataloguePrices()
    nights = [(e, x) for e, x in labelled(full) if x.category == "recurring-cold-start"]
    days = sorted(e.when.date() for e, _ in nights)
    assert len(days) >= 5 and len(set(days)) == len(days)
    assert (days[-1] - days[0]).days == len(days) - 1
    assert all((catalogue_usd(prices, e.record) or 0) > 5 for e, _ in nights)
    assert all(x.kind == "normal" for _, x in nights)

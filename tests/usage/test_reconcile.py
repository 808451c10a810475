"""The daily reconciliation against moto's Cost Explorer over real HTTP (results injected through
moto's `/moto-api/static/ce/cost-and-usage-results`, per account), on a constructed day whose
estimate and bill are known to the cent; then the digest and `/dd0c status` that show it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.blocks import digest_message, status_message
from bot.queries import accuracy_trend, digest
from onboarding.permissions import USAGE_ACTIONS
from storage import Store
from storage.resources import COLLECTION as RESOURCES
from storage.resources import LiveResource
from tests.bot.blocks.helpers import account as connected
from tests.bot.blocks.helpers import all_text, check_message
from tests.usage.conftest import ONE_SHOT, Account
from tests.usage.series import BILLED, inject
from tests.usage.series import RECONCILED_DAY as DAY
from usage.reconcile import reconcile_account

START = datetime(2026, 12, 4, tzinfo=UTC)
NOW = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
TENANT = "T-recon"


async def _resource(store: Store, account_id: str, rid: str, **fields: Any) -> None:
    doc: dict[str, Any] = {
        "_id": f"{TENANT}|{account_id}|us-east-1|{fields['resource_type']}|{rid}",
        "tenant_id": TENANT,
        "account_id": account_id,
        "region": "us-east-1",
        "resource_id": rid,
        "last_event_id": f"ev-{rid}",
    }
    doc.update(fields)
    doc.setdefault("last_event_time", doc["first_seen"])
    await store.connection.db[RESOURCES].insert_one(LiveResource(**doc).to_mongo())


async def _inventory(store: Store, account_id: str) -> None:
    """EC2 compute 24 h x $0.096 + 6.5 h x $1 = $8.80; RDS 12 h x $0.50 = $6.00; NAT gateway
    24 h x $0.045 = $1.08 (EC2 - Other): $15.88. Two resources outside the day add nothing."""
    await _resource(
        store,
        account_id,
        "i-allday",
        resource_type="ec2:instance",
        state="running",
        hourly_cost=0.096,
        first_seen=START - timedelta(days=3),
    )
    await _resource(
        store,
        account_id,
        "i-stopped",
        resource_type="ec2:instance",
        state="stopped",
        hourly_cost=1.0,
        first_seen=START - timedelta(days=1),
        last_event_time=START + timedelta(hours=6, minutes=30),
    )
    await _resource(
        store,
        account_id,
        "db-noon",
        resource_type="rds:db-instance",
        state="running",
        hourly_cost=0.5,
        first_seen=START + timedelta(hours=12),
    )
    await _resource(
        store,
        account_id,
        "nat-1",
        resource_type="ec2:natgateway",
        state="running",
        hourly_cost=0.045,
        first_seen=START - timedelta(days=10),
    )
    await _resource(
        store,
        account_id,
        "i-gone",
        resource_type="ec2:instance",
        state="ended",
        hourly_cost=50.0,
        first_seen=START - timedelta(days=5),
        last_event_time=START - timedelta(days=1),
    )
    await _resource(
        store,
        account_id,
        "i-later",
        resource_type="ec2:instance",
        state="running",
        hourly_cost=50.0,
        first_seen=START + timedelta(days=1, hours=1),
    )


@pytest.mark.slow
async def test_the_digest_figure_is_right_to_the_cent_on_a_constructed_day(
    account: Account, store: Store
) -> None:
    inject(account.endpoint, account.account_id, BILLED)
    await store.tenants.ensure(TENANT, NOW)
    await _inventory(store, account.account_id)
    calls: list[str] = []
    session = account.session()
    session.events.register("before-call.ce.*", lambda model, **_: calls.append(model.name))

    record = await reconcile_account(
        store,
        session,
        TENANT,
        account.account_id,
        DAY,
        NOW,
        endpoint_url=account.endpoint,
        retry=ONE_SHOT,
    )
    assert record is not None
    assert (record.estimated_usd, record.billed_usd) == (15.88, 23.13)
    pairs = {p.service: (p.estimated_usd, p.billed_usd) for p in record.services}
    assert pairs == {
        "AWS Lambda": (0.0, 1.25),
        "Amazon Elastic Compute Cloud - Compute": (8.8, 9.12),
        "Amazon Relational Database Service": (6.0, 6.0),
        "EC2 - Other": (1.08, 3.46),
    }
    assert [(p.service, p.billed_usd) for p in record.unwatched] == [
        ("Amazon Simple Storage Service", 2.5),
        ("Tax", 0.8),
    ]

    # Asked once: the stored day is not asked for again (each Cost Explorer request is billed).
    again = await reconcile_account(
        store,
        session,
        TENANT,
        account.account_id,
        DAY,
        NOW + timedelta(hours=1),
        endpoint_url=account.endpoint,
        retry=ONE_SHOT,
    )
    assert again is None
    assert calls == ["GetCostAndUsage"]
    assert set(account.operations) == {"ce:GetCostAndUsage"} <= USAGE_ACTIONS

    summary = await digest(store, TENANT, NOW)
    assert not summary.empty
    text = all_text(check_message(digest_message(summary, NOW)))
    assert f"`{account.account_id}`: estimated $15.88, billed $23.13 (69 %)" in text
    assert (
        "largest gaps: EC2 - Other $1.08 est. / $3.46 billed (+$2.38); "
        "AWS Lambda $0.00 est. / $1.25 billed (+$1.25); "
        "Amazon Elastic Compute Cloud - Compute $8.80 est. / $9.12 billed (+$0.32)"
    ) in text
    assert "not watched by dd0c: Amazon Simple Storage Service $2.50, Tax $0.80" in text

    trend = await accuracy_trend(store, TENANT, NOW)
    assert [r.day for r in trend] == ["2026-12-04"]
    status = status_message([connected(account.account_id)], {}, 0, "on", NOW, accuracy=trend)
    status_text = all_text(check_message(status))
    assert "*Estimate accuracy*" in status_text
    assert f"`{account.account_id}`: 69 % (latest estimated $15.88, billed $23.13 (69 %))" in (
        status_text
    )

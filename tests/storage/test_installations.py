"""Slack installations and OAuth states on the in-process store: tokens encrypted, tenants apart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation

from storage import (
    MongoInstallationStore,
    MongoOAuthStateStore,
    Store,
    StoreConfigError,
    TokenCipher,
    TokenDecryptError,
    rotate_tokens,
    tenant_id_for,
)
from storage.installations import BOTS, INSTALLATIONS, OAUTH_STATES
from tests.storage.conftest import KEY_A, KEY_B
from tests.stores import NOW

T1, T2, E1 = "T0ACME0001", "T0BETA0002", "E0GRID0001"
INSTALLED = NOW.timestamp() - 3600


def secrets_of(team: str, user: str) -> dict[str, str]:
    """Distinctive secret values for one installation."""
    return {
        "bot_token": f"xoxb-{team}-4412-botsecret{user}",
        "bot_refresh_token": f"xoxe-1-botrefresh{team}{user}",
        "user_token": f"xoxp-{team}-5523-usersecret{user}",
        "user_refresh_token": f"xoxe-1-userrefresh{team}{user}",
        "incoming_webhook_url": f"https://hooks.slack.com/services/{team}/B0HOOK/hooksecret{user}",
    }


def installation(
    team: str | None = T1,
    user: str = "U0ALICE001",
    *,
    enterprise: str | None = None,
    org: bool = False,
    at: float = INSTALLED,
) -> Installation:
    """An Installation as Bolt's OAuth flow builds it from oauth.v2.access."""
    secret = secrets_of(str(enterprise if org else team), user)
    return Installation(
        app_id="A0DD0COST1",
        enterprise_id=enterprise,
        enterprise_name="Acme Grid" if enterprise else None,
        enterprise_url="https://acme-grid.enterprise.slack.com/" if org else None,
        team_id=None if org else team,
        team_name=None if org else f"{team} workspace",
        bot_id="B0DD0COST1",
        bot_user_id="U0DD0BOT01",
        bot_scopes="chat:write,commands,app_mentions:read",
        bot_token_expires_at=int(at) + 43_200,
        user_id=user,
        user_scopes="identity.basic",
        user_token_expires_at=int(at) + 43_200,
        incoming_webhook_channel="#cost-alerts",
        incoming_webhook_channel_id="C0ALERTS01",
        incoming_webhook_configuration_url="https://acme.slack.com/services/B0HOOK",
        is_enterprise_install=org,
        token_type="bot",
        installed_at=float(int(at)),
        bot_token=secret["bot_token"],
        bot_refresh_token=secret["bot_refresh_token"],
        user_token=secret["user_token"],
        user_refresh_token=secret["user_refresh_token"],
        incoming_webhook_url=secret["incoming_webhook_url"],
    )


async def raw_documents(store: Store) -> list[dict[str, Any]]:
    """Every stored bot and installation document, as MongoDB holds it."""
    db = store.connection.db
    return [raw for name in (BOTS, INSTALLATIONS) async for raw in db[name].find({})]


@pytest.mark.parametrize(
    ("enterprise", "team", "org", "tenant"),
    [
        (None, T1, False, T1),
        (E1, T1, False, T1),  # a workspace-level install inside a Grid org
        (E1, None, True, E1),  # an org-wide install
        (E1, T1, True, E1),  # an event in one workspace of an org-wide install
        (E1, None, False, E1),
        (E1, T1, None, T1),
    ],
)
def test_tenant_id_for(
    enterprise: str | None, team: str | None, org: bool | None, tenant: str
) -> None:
    assert tenant_id_for(enterprise, team, org) == tenant


def test_tenant_id_needs_an_id() -> None:
    with pytest.raises(ValueError):
        tenant_id_for(None, None, False)


async def test_round_trip(secure_store: Store) -> None:
    saved = installation()
    await secure_store.installations.async_save(saved)
    found = await secure_store.installations.async_find_installation(enterprise_id=None, team_id=T1)
    assert found is not None and found.to_dict() == saved.to_dict()
    mine = await secure_store.installations.async_find_installation(
        enterprise_id=None, team_id=T1, user_id="U0ALICE001"
    )
    assert mine is not None and mine.to_dict() == saved.to_dict()
    bot = await secure_store.installations.async_find_bot(enterprise_id=None, team_id=T1)
    assert bot is not None and bot.to_dict() == saved.to_bot().to_dict()
    assert bot.bot_token == secrets_of(T1, "U0ALICE001")["bot_token"]
    assert bot.bot_scopes == ["chat:write", "commands", "app_mentions:read"]
    assert await secure_store.installations.is_active(T1)


async def test_only_ciphertext_is_stored(secure_store: Store) -> None:
    await secure_store.installations.async_save(installation())
    await secure_store.installations.async_save(installation(user="U0BOB00002"))
    docs = await raw_documents(secure_store)
    assert len(docs) == 4  # the bot, two user installations, the latest one
    dumped = repr(docs)
    for user in ("U0ALICE001", "U0BOB00002"):
        for secret in secrets_of(T1, user).values():
            assert secret not in dumped
    assert "botsecret" not in dumped and "hooksecret" not in dumped
    for doc in docs:
        assert doc["tenantId"] == T1
        assert doc["botTokenEnc"].startswith("gAAAAA")
    assert all(doc["incomingWebhookUrlEnc"].startswith("gAAAAA") for doc in docs if "kind" in doc)


async def test_without_a_cipher_tokens_are_refused(store: Store) -> None:
    with pytest.raises(StoreConfigError, match="DD0C_TOKEN_KEY"):
        await store.installations.async_save(installation())
    assert await raw_documents(store) == []


async def test_a_wrong_key_is_a_decrypt_error_without_the_token(secure_store: Store) -> None:
    await secure_store.installations.async_save(installation())
    other = MongoInstallationStore(secure_store.connection.db, TokenCipher([KEY_B]))
    with pytest.raises(TokenDecryptError) as caught:
        await other.async_find_bot(enterprise_id=None, team_id=T1)
    message = str(caught.value)
    assert "DD0C_TOKEN_KEY" in message
    assert all(secret not in message for secret in secrets_of(T1, "U0ALICE001").values())


async def test_org_wide_and_workspace_installs(secure_store: Store) -> None:
    store = secure_store.installations
    await store.async_save(installation(enterprise=E1, org=True))
    await store.async_save(installation(T2, enterprise=E1))
    org = await store.async_find_bot(enterprise_id=E1, team_id=T1, is_enterprise_install=True)
    assert org is not None and org.is_enterprise_install and org.team_id is None
    assert org.bot_token == secrets_of(E1, "U0ALICE001")["bot_token"]
    found = await store.async_find_installation(
        enterprise_id=E1, team_id=None, is_enterprise_install=True
    )
    assert found is not None and found.enterprise_url and found.enterprise_id == E1
    workspace = await store.async_find_bot(enterprise_id=E1, team_id=T2)
    assert (
        workspace is not None and workspace.bot_token == secrets_of(T2, "U0ALICE001")["bot_token"]
    )
    assert await store.async_find_bot(enterprise_id=E1, team_id=T1) is None  # not installed there
    tenants = {doc["tenantId"] for doc in await raw_documents(secure_store)}
    assert tenants == {E1, T2}


async def test_the_latest_installation_wins(secure_store: Store) -> None:
    store = secure_store.installations
    await store.async_save(installation(user="U0ALICE001", at=INSTALLED))
    await store.async_save(installation(user="U0BOB00002", at=INSTALLED + 60))
    await store.async_save(installation(user="U0CAROL003", at=INSTALLED - 60))  # arrives late
    latest = await store.async_find_installation(enterprise_id=None, team_id=T1)
    assert latest is not None and latest.user_id == "U0BOB00002"
    carol = await store.async_find_installation(
        enterprise_id=None, team_id=T1, user_id="U0CAROL003"
    )
    assert carol is not None and carol.user_token == secrets_of(T1, "U0CAROL003")["user_token"]
    # every installation answers with the workspace's current bot
    assert carol.bot_token == secrets_of(T1, "U0BOB00002")["bot_token"]
    bot = await store.async_find_bot(enterprise_id=None, team_id=T1)
    assert bot is not None and bot.bot_token == secrets_of(T1, "U0BOB00002")["bot_token"]
    assert (
        await store.async_find_installation(enterprise_id=None, team_id=T1, user_id="U0NOBODY")
        is None
    )


async def test_a_bot_saved_alone_is_what_installations_return(secure_store: Store) -> None:
    store = secure_store.installations
    await store.async_save(installation())
    refreshed = Bot(**{**installation().to_bot().to_dict_for_copying(), "bot_token": "xoxb-new"})
    await store.async_save_bot(refreshed)
    found = await store.async_find_installation(enterprise_id=None, team_id=T1)
    assert found is not None and found.bot_token == "xoxb-new"
    assert found.user_token == secrets_of(T1, "U0ALICE001")["user_token"]


async def test_revoking_the_latest_user_promotes_the_previous_one(secure_store: Store) -> None:
    store = secure_store.installations
    await store.async_save(installation(user="U0ALICE001", at=INSTALLED))
    await store.async_save(installation(user="U0BOB00002", at=INSTALLED + 60))
    await store.async_delete_installation(enterprise_id=None, team_id=T1, user_id="U0BOB00002")
    assert (
        await store.async_find_installation(enterprise_id=None, team_id=T1, user_id="U0BOB00002")
        is None
    )
    latest = await store.async_find_installation(enterprise_id=None, team_id=T1)
    assert latest is not None and latest.user_id == "U0ALICE001"
    assert latest.user_token == secrets_of(T1, "U0ALICE001")["user_token"]


async def test_uninstall_stops_everything_and_reinstall_restores(secure_store: Store) -> None:
    store = secure_store.installations
    await store.async_save(installation())
    await store.async_delete_all(enterprise_id=None, team_id=T1)
    assert await store.async_find_bot(enterprise_id=None, team_id=T1) is None
    assert await store.async_find_installation(enterprise_id=None, team_id=T1) is None
    assert not await store.is_active(T1)
    [bot] = await raw_documents(secure_store)  # the bot's record stays, without its tokens
    assert bot["active"] is False and bot["deactivatedAt"] is not None
    assert bot["botTokenEnc"] is None and bot["botRefreshTokenEnc"] is None
    await store.async_save(installation(at=INSTALLED + 600))
    assert await store.is_active(T1)
    found = await store.async_find_bot(enterprise_id=None, team_id=T1)
    assert found is not None and found.bot_token == secrets_of(T1, "U0ALICE001")["bot_token"]


async def test_deactivate_then_resave_reactivates(secure_store: Store) -> None:
    store = secure_store.installations
    saved = installation()
    await store.async_save(saved)
    assert await store.deactivate(T1, NOW) is True
    assert await store.deactivate(T1, NOW + timedelta(hours=1)) is False  # first time is kept
    assert await store.async_find_bot(enterprise_id=None, team_id=T1) is None
    assert await store.async_find_installation(enterprise_id=None, team_id=T1) is None
    assert (
        await store.async_find_installation(enterprise_id=None, team_id=T1, user_id="U0ALICE001")
        is None
    )
    assert await store.bot_for(T1) is None and not await store.is_active(T1)
    await store.async_save(saved)
    assert await store.is_active(T1)
    assert await store.bot_for(T1) is not None


async def test_revoking_the_bot_token_stops_the_bot(secure_store: Store) -> None:
    store = secure_store.installations
    await store.async_save(installation())
    await store.async_delete_bot(enterprise_id=None, team_id=T1)
    assert await store.async_find_bot(enterprise_id=None, team_id=T1) is None
    assert await store.async_find_installation(enterprise_id=None, team_id=T1) is None


async def test_tenants_never_see_each_other(secure_store: Store) -> None:
    store = secure_store.installations
    await store.async_save(installation(T1))
    await store.async_save(installation(T2))
    one = await store.async_find_installation(enterprise_id=None, team_id=T1)
    two = await store.async_find_installation(enterprise_id=None, team_id=T2)
    assert one is not None and two is not None
    assert (one.team_id, one.bot_token) == (T1, secrets_of(T1, "U0ALICE001")["bot_token"])
    assert (two.team_id, two.bot_token) == (T2, secrets_of(T2, "U0ALICE001")["bot_token"])
    await store.async_delete_all(enterprise_id=None, team_id=T1)
    assert await store.async_find_bot(enterprise_id=None, team_id=T1) is None
    still = await store.async_find_installation(
        enterprise_id=None, team_id=T2, user_id="U0ALICE001"
    )
    assert still is not None and still.user_token == secrets_of(T2, "U0ALICE001")["user_token"]
    assert await store.async_find_bot(enterprise_id=None, team_id=None) is None


async def test_rotation_re_encrypts_under_the_new_key(secure_store: Store) -> None:
    db = secure_store.connection.db
    await secure_store.installations.async_save(installation())
    await secure_store.installations.async_save(installation(T2))
    both = TokenCipher([KEY_B, KEY_A])
    rotating = MongoInstallationStore(db, both)
    assert (await rotating.async_find_bot(enterprise_id=None, team_id=T1)) is not None
    # per tenant: the bot's 2 ciphertexts, and 5 in each of two installation documents
    assert await rotate_tokens(rotating, both) == 2 * (2 + 5 + 5)
    assert await rotate_tokens(rotating, both) == 0
    only_new = MongoInstallationStore(db, TokenCipher([KEY_B]))
    found = await only_new.async_find_installation(enterprise_id=None, team_id=T2)
    assert found is not None and found.to_dict() == installation(T2).to_dict()
    with pytest.raises(TokenDecryptError):
        await secure_store.installations.async_find_bot(enterprise_id=None, team_id=T1)


async def test_rotation_names_the_document_it_cannot_read(secure_store: Store) -> None:
    await secure_store.installations.async_save(installation())
    stranger = TokenCipher([TokenCipher.new_key()])
    with pytest.raises(TokenDecryptError, match=f"{BOTS} {T1}: .*DD0C_TOKEN_KEY"):
        await rotate_tokens(MongoInstallationStore(secure_store.connection.db, stranger), stranger)


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_an_oauth_state_is_consumed_once(store: Store) -> None:
    state = await store.oauth_states.async_issue()
    other = await store.oauth_states.async_issue()
    assert state != other and len(state) >= 32
    raw = [doc async for doc in store.connection.db[OAUTH_STATES].find({})]
    assert len(raw) == 2 and state not in repr(raw)  # only its digest is stored
    assert await store.oauth_states.async_consume(state) is True
    assert await store.oauth_states.async_consume(state) is False
    assert await store.oauth_states.async_consume("forged-state") is False
    assert await store.oauth_states.async_consume("") is False
    assert await store.oauth_states.async_consume(other) is True


async def test_concurrent_consumers_get_a_state_once(store: Store) -> None:
    state = await store.oauth_states.async_issue()
    results = await asyncio.gather(*(store.oauth_states.async_consume(state) for _ in range(5)))
    assert sorted(results) == [False] * 4 + [True]


async def test_an_expired_oauth_state_is_refused(store: Store) -> None:
    start = datetime.now(UTC)  # the fake's TTL index runs on the wall clock
    clock = Clock(start)
    states = MongoOAuthStateStore(store.connection.db, expiration_seconds=600, clock=clock)
    fresh, stale = await states.async_issue(), await states.async_issue()
    clock.now = start + timedelta(seconds=599)
    assert await states.async_consume(fresh) is True
    clock.now = start + timedelta(seconds=600)
    assert await states.async_consume(stale) is False
    assert [doc async for doc in store.connection.db[OAUTH_STATES].find({})] == []

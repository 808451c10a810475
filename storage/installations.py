"""Slack installations and OAuth states on MongoDB, every token encrypted at rest.

Implements slack_sdk's async installation and OAuth-state store interfaces, the only Slack
types storage knows. One tenant per workspace (team id; enterprise id on an org-wide Enterprise
Grid install). Collections:

- `slack_bots`: one document per tenant (`_id` = tenant id), the workspace's current bot. An
  uninstall or revocation deactivates it (`active: false`, `deactivatedAt`) and erases its tokens;
  a new install reactivates it.
- `slack_installations`: `<tenant>/user/<user id>` per installing user and `<tenant>/latest` per
  tenant; an older installation (by `installedAt`) never replaces a newer one.
- `slack_oauth_states`: one document per issued OAuth state, keyed by its SHA-256 (the state
  itself is never stored), expired by a TTL index and checked on consume. States belong to no
  tenant: the workspace is only known after the callback.

Tokens, refresh tokens and the incoming-webhook URL are stored as TokenCipher ciphertexts in
`…Enc` fields; nothing else is secret.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import Field
from pydantic.alias_generators import to_camel
from pymongo.errors import DuplicateKeyError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from storage._documents import Document, utc
from storage.clock import utc_now as _wall_clock
from storage.crypto import SETTING, TokenCipher
from storage.errors import StoreConfigError, TokenDecryptError

BOTS = "slack_bots"
INSTALLATIONS = "slack_installations"
OAUTH_STATES = "slack_oauth_states"
DEFAULT_STATE_SECONDS = 600


@dataclass(frozen=True, slots=True)
class _Shape:
    """How an SDK object's attributes are stored: as they are, sealed, as lists or as dates."""

    plain: tuple[str, ...]
    secret: tuple[str, ...]
    scopes: tuple[str, ...]
    expiries: tuple[str, ...]

    @property
    def secret_fields(self) -> tuple[str, ...]:
        """The stored names of the sealed attributes."""
        return tuple(to_camel(f"{name}_enc") for name in self.secret)


_BOT = _Shape(
    plain=(
        "app_id",
        "enterprise_id",
        "enterprise_name",
        "team_id",
        "team_name",
        "bot_id",
        "bot_user_id",
    ),
    secret=("bot_token", "bot_refresh_token"),
    scopes=("bot_scopes",),
    expiries=("bot_token_expires_at",),
)
_INSTALLATION = _Shape(
    plain=(
        *_BOT.plain,
        "enterprise_url",
        "user_id",
        "token_type",
        "incoming_webhook_channel",
        "incoming_webhook_channel_id",
        "incoming_webhook_configuration_url",
    ),
    secret=(*_BOT.secret, "user_token", "user_refresh_token", "incoming_webhook_url"),
    scopes=("bot_scopes", "user_scopes"),
    expiries=("bot_token_expires_at", "user_token_expires_at"),
)
BOT_SECRETS = _BOT.secret_fields
INSTALLATION_SECRETS = _INSTALLATION.secret_fields

Clock = Callable[[], datetime]
logger = logging.getLogger(__name__)


class _Workspace(Document):
    """Fields shared by bot and installation documents."""

    tenant_id: str
    app_id: str | None = None
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    team_id: str | None = None
    team_name: str | None = None
    bot_id: str | None = None
    bot_user_id: str | None = None
    bot_scopes: list[str] = Field(default_factory=list)
    bot_token_enc: str | None = None
    bot_refresh_token_enc: str | None = None
    bot_token_expires_at: datetime | None = None
    is_enterprise_install: bool = False
    installed_at: datetime
    updated_at: datetime


class StoredBot(_Workspace):
    """A tenant's bot: tokens as ciphertexts; inactive after an uninstall or revocation."""

    id: str = Field(alias="_id")  # the tenant id
    active: bool = True
    deactivated_at: datetime | None = None


class StoredInstallation(_Workspace):
    """One installation (per installing user, or the tenant's latest): tokens as ciphertexts."""

    id: str = Field(alias="_id")  # "<tenant>/user/<user id>" or "<tenant>/latest"
    kind: Literal["user", "latest"]
    enterprise_url: str | None = None
    user_id: str | None = None
    user_scopes: list[str] = Field(default_factory=list)
    user_token_enc: str | None = None
    user_refresh_token_enc: str | None = None
    user_token_expires_at: datetime | None = None
    incoming_webhook_url_enc: str | None = None
    incoming_webhook_channel: str | None = None
    incoming_webhook_channel_id: str | None = None
    incoming_webhook_configuration_url: str | None = None
    token_type: str | None = None


class OAuthState(Document):
    """An issued OAuth state, by its SHA-256."""

    id: str = Field(alias="_id")
    issued_at: datetime
    expire_at: datetime


def tenant_id_for(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
) -> str:
    """The tenant of a workspace: the team id, or the enterprise id for an org-wide install."""
    tenant = enterprise_id if is_enterprise_install or not team_id else team_id
    if not tenant:
        raise ValueError("an installation needs a team id or an enterprise id")
    return tenant


def _tenant_or_none(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
) -> str | None:
    try:
        return tenant_id_for(enterprise_id, team_id, is_enterprise_install)
    except ValueError:
        return None


def _latest_key(tenant_id: str) -> str:
    return f"{tenant_id}/latest"


def _user_key(tenant_id: str, user_id: str) -> str:
    return f"{tenant_id}/user/{user_id}"


def _when(seconds: float) -> datetime:
    """A Unix time as a stored datetime (UTC, milliseconds)."""
    return utc(datetime.fromtimestamp(seconds, UTC))


def _at(seconds: float | None) -> datetime | None:
    """An optional Unix time as a stored datetime."""
    return None if seconds is None else _when(seconds)


def _overlay(installation: Installation, bot: Bot) -> None:
    """Give the installation the tenant's current bot (the bot may have been re-saved alone)."""
    installation.bot_id = bot.bot_id
    installation.bot_user_id = bot.bot_user_id
    installation.bot_token = bot.bot_token
    installation.bot_scopes = bot.bot_scopes
    installation.bot_refresh_token = bot.bot_refresh_token
    installation.bot_token_expires_at = bot.bot_token_expires_at


async def _put_unless_newer(col: Any, doc: _Workspace, tenant_id: str) -> bool:
    """Write the document unless a newer installation is stored; False when it was older."""
    fields = doc.to_mongo()
    key = fields.pop("_id")
    try:
        await col.update_one(
            {"_id": key, "installedAt": {"$lte": fields["installedAt"]}},
            {"$set": fields},
            upsert=True,
        )
    except DuplicateKeyError:  # the document exists with a newer installedAt
        logger.info("kept the newer stored installation", extra={"team_id": tenant_id})
        return False
    return True


class MongoInstallationStore(AsyncInstallationStore):
    """slack_sdk's AsyncInstallationStore on MongoDB; tokens encrypted with a TokenCipher."""

    def __init__(self, db: Any, cipher: TokenCipher | None, *, clock: Clock | None = None) -> None:
        self._bots = db[BOTS]
        self._installations = db[INSTALLATIONS]
        self._cipher = cipher
        self._clock = clock or _wall_clock

    @property
    def logger(self) -> logging.Logger:
        """The module logger (the SDK interface asks for one)."""
        return logger

    def _require_cipher(self) -> TokenCipher:
        if self._cipher is None:
            raise StoreConfigError(
                f"{SETTING} is not set: Slack tokens are stored encrypted and cannot be saved or "
                "read without it (give a Fernet key or a random passphrase of 32+ characters)"
            )
        return self._cipher

    def _seal(self, plaintext: str | None) -> str | None:
        return None if plaintext is None else self._require_cipher().encrypt(plaintext)

    def _open(self, ciphertext: str | None) -> str | None:
        return None if ciphertext is None else self._require_cipher().decrypt(ciphertext)

    def _fields(self, source: Bot | Installation, shape: _Shape) -> dict[str, Any]:
        """The stored fields of an SDK object, secrets sealed (snake_case names)."""
        out: dict[str, Any] = {name: getattr(source, name) for name in shape.plain}
        out |= {f"{name}_enc": self._seal(getattr(source, name)) for name in shape.secret}
        out |= {name: list(getattr(source, name) or []) for name in shape.scopes}
        out |= {name: _at(getattr(source, name)) for name in shape.expiries}
        out["is_enterprise_install"] = bool(source.is_enterprise_install)
        out["installed_at"] = _when(source.installed_at)
        out["updated_at"] = utc(self._clock())
        return out

    def _values(self, doc: _Workspace, shape: _Shape) -> dict[str, Any]:
        """The SDK constructor arguments of a stored document, secrets opened."""
        names = (*shape.plain, *shape.scopes, *shape.expiries)
        out: dict[str, Any] = {name: getattr(doc, name) for name in names}
        out |= {name: self._open(getattr(doc, f"{name}_enc")) for name in shape.secret}
        out["is_enterprise_install"] = doc.is_enterprise_install
        out["installed_at"] = doc.installed_at
        return out

    def _bot(self, doc: StoredBot) -> Bot:
        return Bot(**self._values(doc, _BOT))

    def _installation(self, doc: StoredInstallation) -> Installation:
        return Installation(**self._values(doc, _INSTALLATION))

    async def async_save(self, installation: Installation) -> None:
        """Save an installation: the tenant's bot, the installer's record and the latest one."""
        tenant = tenant_id_for(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )
        fields = self._fields(installation, _INSTALLATION)
        latest = StoredInstallation(
            id=_latest_key(tenant), kind="latest", tenant_id=tenant, **fields
        )
        if installation.bot_token is not None:
            await self.async_save_bot(installation.to_bot())
        if installation.user_id:
            key = _user_key(tenant, installation.user_id)
            mine = latest.model_copy(update={"id": key, "kind": "user"})
            await _put_unless_newer(self._installations, mine, tenant)
        await _put_unless_newer(self._installations, latest, tenant)

    async def async_save_bot(self, bot: Bot) -> None:
        """Save (and reactivate) the tenant's bot, unless a newer one is stored."""
        if bot.bot_token is None:
            return
        tenant = tenant_id_for(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        doc = StoredBot(id=tenant, tenant_id=tenant, active=True, **self._fields(bot, _BOT))
        await _put_unless_newer(self._bots, doc, tenant)

    async def bot_for(self, tenant_id: str) -> Bot | None:
        """The tenant's active bot (tokens decrypted), or None."""
        raw = await self._bots.find_one({"_id": tenant_id, "tenantId": tenant_id, "active": True})
        if raw is None:
            return None
        doc = StoredBot.from_mongo(raw)
        return self._bot(doc) if doc.bot_token_enc is not None else None

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The workspace's active bot, or None (never installed, uninstalled or revoked)."""
        tenant = _tenant_or_none(enterprise_id, team_id, is_enterprise_install)
        return None if tenant is None else await self.bot_for(tenant)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The user's installation (or the latest one), with the current bot; None if inactive."""
        tenant = _tenant_or_none(enterprise_id, team_id, is_enterprise_install)
        if tenant is None:
            return None
        bot_raw = await self._bots.find_one({"_id": tenant, "tenantId": tenant})
        bot = StoredBot.from_mongo(bot_raw) if bot_raw else None
        if bot is not None and not bot.active:
            return None
        key = _user_key(tenant, user_id) if user_id else _latest_key(tenant)
        raw = await self._installations.find_one({"_id": key, "tenantId": tenant})
        if raw is None:
            return None
        installation = self._installation(StoredInstallation.from_mongo(raw))
        if bot is not None and bot.bot_token_enc is not None:
            _overlay(installation, self._bot(bot))
        return installation

    async def deactivate(self, tenant_id: str, now: datetime) -> bool:
        """Stop all use of the tenant's bot (tokens kept); False if it was not active."""
        result = await self._bots.update_one(
            {"_id": tenant_id, "tenantId": tenant_id, "active": True},
            {"$set": {"active": False, "deactivatedAt": utc(now), "updatedAt": utc(now)}},
        )
        return bool(result.modified_count)

    async def is_active(self, tenant_id: str) -> bool:
        """Whether the tenant has an active bot installation."""
        raw = await self._bots.find_one({"_id": tenant_id, "tenantId": tenant_id, "active": True})
        return raw is not None

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Deactivate the workspace's bot and erase its tokens (the record of it stays)."""
        tenant = _tenant_or_none(enterprise_id, team_id, False)
        if tenant is None:
            return
        await self.deactivate(tenant, self._clock())
        await self._bots.update_one(
            {"_id": tenant, "tenantId": tenant},
            {"$set": {field: None for field in BOT_SECRETS}},
        )

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Delete the user's installation (all of the workspace's without a user)."""
        tenant = _tenant_or_none(enterprise_id, team_id, False)
        if tenant is None:
            return
        if user_id is None:
            await self._installations.delete_many({"tenantId": tenant})
            return
        mine = {"_id": _user_key(tenant, user_id), "tenantId": tenant}
        await self._installations.delete_one(mine)
        gone = await self._installations.delete_one(
            {"_id": _latest_key(tenant), "tenantId": tenant, "userId": user_id}
        )
        if gone.deleted_count:
            await self._promote_latest(tenant)

    async def _promote_latest(self, tenant_id: str) -> None:
        """Make the newest remaining user installation the tenant's latest one."""
        cursor = (
            self._installations.find({"tenantId": tenant_id, "kind": "user"})
            .sort("installedAt", -1)
            .limit(1)
        )
        async for raw in cursor:
            doc = StoredInstallation.from_mongo(raw)
            latest = doc.model_copy(update={"id": _latest_key(tenant_id), "kind": "latest"})
            await _put_unless_newer(self._installations, latest, tenant_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Deactivate the bot and delete every installation of the workspace (app uninstalled)."""
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    def _secret_collections(self) -> tuple[tuple[Any, tuple[str, ...]], ...]:
        return ((self._bots, BOT_SECRETS), (self._installations, INSTALLATION_SECRETS))


async def rotate_tokens(store: MongoInstallationStore, cipher: TokenCipher) -> int:
    """Re-encrypt under the first key every ciphertext made with another; how many were."""
    rotated = 0
    for col, fields in store._secret_collections():
        for raw in [raw async for raw in col.find({})]:
            rotated += await _rotate_document(col, raw, fields, cipher)
    return rotated


async def _rotate_document(
    col: Any, raw: dict[str, Any], fields: tuple[str, ...], cipher: TokenCipher
) -> int:
    """Rotate one document's ciphertexts unless it changed meanwhile (then it is current)."""
    try:
        old = {f: raw[f] for f in fields if isinstance(raw.get(f), str)}
        old = {f: value for f, value in old.items() if cipher.needs_rotation(value)}
        new = {f: cipher.rotate(value) for f, value in old.items()}
    except TokenDecryptError as exc:
        raise TokenDecryptError(f"{col.name} {raw['_id']}: {exc}") from exc
    if not new:
        return 0
    result = await col.update_one({"_id": raw["_id"], **old}, {"$set": new})
    return len(new) if result.modified_count else 0


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


class MongoOAuthStateStore(AsyncOAuthStateStore):
    """slack_sdk's AsyncOAuthStateStore on MongoDB: each state is accepted once, before expiry."""

    def __init__(
        self,
        db: Any,
        *,
        expiration_seconds: int = DEFAULT_STATE_SECONDS,
        clock: Clock | None = None,
    ) -> None:
        self._col = db[OAUTH_STATES]
        self.expiration_seconds = expiration_seconds
        self._clock = clock or _wall_clock

    @property
    def logger(self) -> logging.Logger:
        """The module logger (the SDK interface asks for one)."""
        return logger

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A new random state, valid for `expiration_seconds`."""
        state = secrets.token_urlsafe(32)
        now = utc(self._clock())
        doc = OAuthState(
            id=_digest(state),
            issued_at=now,
            expire_at=now + timedelta(seconds=self.expiration_seconds),
        )
        await self._col.insert_one(doc.to_mongo())
        return state

    async def async_consume(self, state: str) -> bool:
        """True once for a state issued here and not expired; the state is used up either way."""
        if not state:
            return False
        raw = await self._col.find_one_and_delete({"_id": _digest(state)})
        if raw is None:
            return False
        return OAuthState.from_mongo(raw).expire_at > utc(self._clock())


Installations = MongoInstallationStore
OAuthStates = MongoOAuthStateStore

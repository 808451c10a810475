"""The store: one object holding every collection, built once in app.py and passed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.accounts import Accounts
from storage.anomalies import Anomalies
from storage.audit import AuditLog
from storage.baselines import Baselines
from storage.client import Connection, connect, in_process
from storage.coverage import Coverage
from storage.crypto import TokenCipher
from storage.events import Events
from storage.indexes import ensure_indexes
from storage.installations import Installations, OAuthStates
from storage.migrations import migrate
from storage.profiles import Profiles
from storage.rejects import Rejects
from storage.resources import Resources
from storage.tenants import Tenants


@dataclass
class Store:
    """Every collection of the product's database."""

    connection: Connection
    tenants: Tenants
    accounts: Accounts
    events: Events
    baselines: Baselines
    profiles: Profiles
    anomalies: Anomalies
    resources: Resources
    audit: AuditLog
    rejects: Rejects
    installations: Installations
    oauth_states: OAuthStates
    coverage: Coverage

    @classmethod
    def on(cls, connection: Connection, cipher: TokenCipher | None = None) -> Store:
        """The store over an open connection; without a cipher no Slack token can be saved."""
        db = connection.db
        return cls(
            connection=connection,
            tenants=Tenants(db),
            accounts=Accounts(db),
            events=Events(db),
            baselines=Baselines(db),
            profiles=Profiles(db),
            anomalies=Anomalies(db),
            resources=Resources(db),
            audit=AuditLog(db),
            rejects=Rejects(db),
            installations=Installations(db, cipher),
            oauth_states=OAuthStates(db),
            coverage=Coverage(db),
        )

    @property
    def kind(self) -> str:
        """'mongodb' or 'in-process'."""
        return self.connection.kind

    async def start(self, now: datetime) -> list[str]:
        """Apply pending migrations, then create any index not there yet; the ids applied."""
        applied = await migrate(self.connection.db, now)
        await ensure_indexes(self.connection.db)
        return applied

    async def ping(self) -> None:
        """Raise when MongoDB does not answer."""
        await self.connection.ping()

    async def close(self) -> None:
        """Close the client."""
        await self.connection.close()


def open_store(
    uri: str | None,
    *,
    dev: bool = False,
    database: str | None = None,
    cipher: TokenCipher | None = None,
) -> Store:
    """The store on `uri`, or in-process when `dev` and no URI (see storage.client.connect)."""
    return Store.on(connect(uri, dev=dev, database=database), cipher)


def memory_store(cipher: TokenCipher | None = None) -> Store:
    """A fresh in-process store (tests, DD0C_DEV=1)."""
    return Store.on(in_process(), cipher)

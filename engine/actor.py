"""Who made a call: the ARN as logged and the stable principal that baselines learn."""

from __future__ import annotations

from functools import lru_cache

from engine.models import Actor
from engine.record_model import UserIdentity


def _session_name(arn: str | None) -> str | None:
    if not arn or ":assumed-role/" not in arn:
        return None
    return arn.rsplit("/", 1)[-1] or None


def _role_of_session(arn: str | None) -> str | None:
    """`arn:aws:sts::ACCT:assumed-role/ROLE/SESSION` -> `arn:aws:iam::ACCT:role/ROLE`.

    The session ARN carries no role path, so the role ARN is path-less; that is still one
    principal per role, where the session ARN would be a new actor per session name.
    """
    if not arn or ":assumed-role/" not in arn:
        return None
    head, _, tail = arn.partition(":assumed-role/")
    parts = head.split(":")  # arn, partition, sts, region, account
    role = tail.split("/", 1)[0]
    if len(parts) != 5 or parts[2] != "sts" or not role or not parts[4]:
        return None
    return f"arn:{parts[1]}:iam::{parts[4]}:role/{role}"


def _issuer_arn(identity: UserIdentity) -> str | None:
    context = identity.session_context
    issuer = context.session_issuer if context else None
    return (issuer.arn if issuer else None) or _role_of_session(identity.arn)


def _principal(identity: UserIdentity, kind: str) -> str | None:
    if kind in ("AssumedRole", "FederatedUser"):
        return _issuer_arn(identity) or identity.arn or identity.principal_id
    if kind == "AWSService":
        return identity.invoked_by or identity.principal_id
    if identity.arn:
        return identity.arn
    if kind == "AWSAccount" and identity.account_id:
        return f"arn:aws:iam::{identity.account_id}:root"
    return identity.invoked_by or identity.principal_id


def actor_of(identity: UserIdentity) -> Actor:
    """The actor of a record: for an assumed role the role ARN is the stable principal."""
    kind = identity.type or ("AWSService" if identity.invoked_by else "Unknown")
    return _actor(identity.arn, kind, _principal(identity, kind), identity.invoked_by)


@lru_cache(maxsize=4096)
def _actor(arn: str | None, kind: str, principal: str | None, invoked_by: str | None) -> Actor:
    # Actors repeat (the same roles call all day); a frozen Actor can be shared.
    return Actor(
        arn=arn,
        type=kind,
        principal_arn=principal,
        invoked_by=invoked_by,
        session_name=_session_name(arn),
    )

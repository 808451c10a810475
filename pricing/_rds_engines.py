"""How an RDS engine as CloudTrail spells it maps onto the catalogue's RDS table (pure).

`resolve` turns (engine, licence model, I/O-Optimized, Multi-AZ) into the table keys to look up,
or into the reason no price can be given.
"""

from __future__ import annotations

from dataclasses import dataclass

NONE = "none"
LICENSE_INCLUDED = "license-included"
BYOL = "bring-your-own-license"
MARKETPLACE = "marketplace-license"
IO_OPTIMIZED_SUFFIX = "-io-optimized"


@dataclass(frozen=True, slots=True)
class EngineSpec:
    """One CloudTrail engine: its table edition and licence models, the default first."""

    edition: str
    licences: tuple[str, ...]
    aurora: bool = False
    # caveat when priced under bring-your-own-license: whose licence is not included
    byol_vendor: str | None = None


@dataclass(frozen=True, slots=True)
class RdsKey:
    """The table keys for one lookup, and the caveats that go with its price."""

    edition: str
    licence: str
    deployment: str
    note: str | None


_OPEN = (NONE,)
_MYSQL = EngineSpec("mysql", _OPEN)
_AURORA_MYSQL = EngineSpec("aurora-mysql", _OPEN, aurora=True)
_ORACLE_EE = EngineSpec("oracle-ee", (BYOL,), byol_vendor="Oracle")
_ORACLE_SE2 = EngineSpec("oracle-se2", (LICENSE_INCLUDED, BYOL), byol_vendor="Oracle")
_DB2 = EngineSpec("db2", (BYOL,), byol_vendor="IBM Db2")

ENGINES: dict[str, EngineSpec] = {
    "mysql": _MYSQL,
    "postgres": EngineSpec("postgres", _OPEN),
    "mariadb": EngineSpec("mariadb", _OPEN),
    "aurora": _AURORA_MYSQL,
    "aurora-mysql": _AURORA_MYSQL,
    "aurora-postgresql": EngineSpec("aurora-postgresql", _OPEN, aurora=True),
    "sqlserver-ee": EngineSpec("sqlserver-ee", (LICENSE_INCLUDED,)),
    "sqlserver-se": EngineSpec("sqlserver-se", (LICENSE_INCLUDED,)),
    "sqlserver-ex": EngineSpec("sqlserver-ex", (LICENSE_INCLUDED,)),
    "sqlserver-web": EngineSpec("sqlserver-web", (LICENSE_INCLUDED,)),
    "oracle-ee": _ORACLE_EE,
    "oracle-ee-cdb": _ORACLE_EE,
    "oracle-se2": _ORACLE_SE2,
    "oracle-se2-cdb": _ORACLE_SE2,
    "db2-se": _DB2,
    "db2-ae": _DB2,
}

# CloudTrail's licenseModel values; the open-source ones mean "no licence" here.
_LICENCE_MODELS = {
    LICENSE_INCLUDED: LICENSE_INCLUDED,
    BYOL: BYOL,
    MARKETPLACE: MARKETPLACE,
    "general-public-license": NONE,
    "postgresql-license": NONE,
}

_AURORA_MULTI_AZ = (
    "Aurora bills per instance: a Multi-AZ cluster's replicas are separate instances at this price"
)


def _licence(spec: EngineSpec, engine: str, license_model: str | None) -> tuple[str, str | None]:
    """(licence key, note) or ("", reason) when the licence model rules the price out."""
    if spec.licences == _OPEN:
        return NONE, None
    if license_model is None:
        default = spec.licences[0]
        assumed = len(spec.licences) > 1
        return default, f"licence model not given: priced as {default}" if assumed else None
    licence = _LICENCE_MODELS.get(license_model)
    if licence is None:
        return "", f"unknown licence model '{license_model}'"
    if licence == MARKETPLACE and spec.byol_vendor == "IBM Db2":
        return (
            "",
            f"{engine} through AWS Marketplace adds IBM's licence fee, which is not in the data",
        )
    if licence not in spec.licences:
        return "", f"{engine} is not offered as {license_model} (only {', '.join(spec.licences)})"
    return licence, None


def _notes(*notes: str | None) -> str | None:
    kept = [note for note in notes if note]
    return "; ".join(kept) if kept else None


def resolve(
    engine: str, license_model: str | None, io_optimized: bool, multi_az: bool
) -> RdsKey | str:
    """The table keys for this engine and options, or the reason there is no price."""
    if engine.startswith("custom-"):
        return f"RDS Custom ({engine}) is priced differently and is not in the price data"
    spec = ENGINES.get(engine)
    if spec is None:
        return f"unknown RDS engine '{engine}'"
    if io_optimized and not spec.aurora:
        return f"I/O-Optimized applies only to Aurora, not to {engine}"
    licence, text = _licence(spec, engine, license_model)
    if not licence:
        return text or f"no licence model for {engine}"
    byol = f"{spec.byol_vendor} licence not included ({BYOL})" if licence == BYOL else None
    aurora_note = _AURORA_MULTI_AZ if spec.aurora and multi_az else None
    edition = spec.edition + (IO_OPTIMIZED_SUFFIX if io_optimized else "")
    deployment = "multi" if multi_az and not spec.aurora else "single"
    return RdsKey(edition, licence, deployment, _notes(text, byol, aurora_note))

"""flags.json variants written for one test (flagd's format, owner and expiry included)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flags import DEFAULT_PATH


def flag(gates: str, default: str = "on", targeting: Any = None, **meta: str) -> dict[str, Any]:
    """One boolean flag."""
    out: dict[str, Any] = {
        "state": "ENABLED",
        "variants": {"on": True, "off": False},
        "defaultVariant": default,
        "metadata": {"owner": "tests", "added": "2026-12-05", "expires": "2026-12-19"}
        | {"gates": gates}
        | meta,
    }
    if targeting is not None:
        out["targeting"] = targeting
    return out


def for_workspaces(*workspaces: str) -> dict[str, Any]:
    """JsonLogic: the 'on' variant for these workspaces, the default for the others."""
    return {"if": [{"in": [{"var": "workspace"}, list(workspaces)]}, "on", None]}


def write(path: Path, flags: dict[str, Any]) -> Path:
    """Write a flags file."""
    path.write_text(json.dumps({"flags": flags}))
    return path


def repository_flags_all(default: str) -> dict[str, Any]:
    """The repository's flags, every one switched to `default` for everyone."""
    flags: dict[str, Any] = json.loads(DEFAULT_PATH.read_text())["flags"]
    for definition in flags.values():
        definition["defaultVariant"] = default
        definition.pop("targeting", None)
    return flags

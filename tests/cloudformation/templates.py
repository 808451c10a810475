"""Reading CloudFormation templates in tests (short-form tags such as !Ref and !Sub included)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]


def load_template(path: Path) -> dict[str, Any]:
    """The template as a dict."""
    loaded = cfn_yaml.load(str(path))
    assert isinstance(loaded, dict)
    return loaded


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource, for every resource of one type."""
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == kind
    }

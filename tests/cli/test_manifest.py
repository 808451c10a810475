"""The Slack app manifest and `dd0c-cost manifest`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML comes with cfn-lint, without stubs

from cli import main
from cli.manifest import PLACEHOLDER, TEMPLATE

ROUTES = ("/slack/events", "/slack/oauth_redirect")


def _manifest(text: str) -> dict[str, Any]:
    loaded = yaml.safe_load(text)
    assert isinstance(loaded, dict)
    return loaded


def test_the_template_points_every_url_at_our_routes() -> None:
    manifest = _manifest(TEMPLATE.read_text())
    settings = manifest["settings"]
    urls = [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        *(c["url"] for c in manifest["features"]["slash_commands"]),
        *manifest["oauth_config"]["redirect_urls"],
    ]
    assert urls and all(u.startswith(PLACEHOLDER) and u.endswith(ROUTES) for u in urls)
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    }


def test_scopes_are_minimal_and_each_is_justified() -> None:
    text = TEMPLATE.read_text()
    scopes = _manifest(text)["oauth_config"]["scopes"]["bot"]
    assert scopes == ["chat:write", "commands", "incoming-webhook", "im:write"]
    for scope in scopes:
        assert f"# {scope} - " in text, f"{scope} has no justification comment"


def test_manifest_command_fills_in_the_public_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", "--public-url", "https://cost.acme.io/"]) == 0
    out = capsys.readouterr().out
    assert PLACEHOLDER not in out
    manifest = _manifest(out)
    assert manifest["settings"]["interactivity"]["request_url"] == (
        "https://cost.acme.io/slack/events"
    )


@pytest.mark.parametrize("url", ["http://cost.acme.io", "cost.acme.io", "https://x.io/?a=1"])
def test_unusable_urls_are_refused(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", "--public-url", url]) == 2
    assert "--public-url" in capsys.readouterr().err


def test_the_template_ships_with_the_cli_package() -> None:
    assert TEMPLATE == Path(__file__).resolve().parents[2] / "cli" / "slack-manifest.yml"

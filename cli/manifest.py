"""`dd0c-cost manifest [--public-url URL]`: the Slack app manifest with your URLs filled in.

Paste the output into https://api.slack.com/apps -> Create New App -> From an app manifest.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

# Package data (pyproject), so an installed wheel has it too.
TEMPLATE = Path(__file__).resolve().parent / "slack-manifest.yml"
PLACEHOLDER = "https://dd0c.example.com"


def register(sub: SubParsers) -> None:
    """Add the `manifest` sub-command."""
    parser = sub.add_parser(
        "manifest",
        help="print the Slack app manifest for your public URL",
        description="Print cli/slack-manifest.yml with every URL pointing at --public-url "
        "(default: DD0C_PUBLIC_URL).",
    )
    parser.add_argument("--public-url", metavar="URL", help="https://host[:port][/prefix]")
    parser.set_defaults(func=run)


def public_url_problem(url: str) -> str | None:
    """Why `url` cannot serve Slack's requests, or None."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        return f"must be an https:// URL Slack can reach (got {url!r})"
    if parts.query or parts.fragment:
        return f"must not have a query or fragment (got {url!r})"
    return None


def render(public_url: str, template: str) -> str:
    """The manifest with the placeholder replaced by `public_url` (no trailing slash)."""
    return template.replace(PLACEHOLDER, public_url.rstrip("/"))


def run(args: argparse.Namespace) -> int:
    """Print the manifest; exit 2 when the URL is missing or unusable."""
    url = args.public_url or os.environ.get("DD0C_PUBLIC_URL", "")
    if not url:
        print("dd0c-cost manifest: give --public-url or set DD0C_PUBLIC_URL", file=sys.stderr)
        return 2
    problem = public_url_problem(url)
    if problem:
        print(f"dd0c-cost manifest: --public-url {problem}", file=sys.stderr)
        return 2
    sys.stdout.write(render(url, TEMPLATE.read_text()))
    return 0

"""The fake Slack Web API server for the tests: it lives in `bench/slack_fake.py`.

The alert benchmark drives it too, and bench never imports tests (import-linter contract), so its
home is bench; this module keeps the tests' imports short.
"""

from __future__ import annotations

from bench.slack_fake import Call, FakeSlack, Workspace

__all__ = ["Call", "FakeSlack", "Workspace"]

"""The API benchmark end to end (a small, quick run): every request answered, figures printed."""

from __future__ import annotations

import pytest

from bench import api_bench


@pytest.mark.slow  # a server process, seeding, two one-second open loops
def test_the_quick_run_answers_every_request(capsys: pytest.CaptureFixture[str]) -> None:
    assert api_bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "GET /v1/accounts, open loop 20 req/s: 20/20 answered, 0 errors" in out
    assert "20 requests: 20 answered within 30 s, 0 errors" in out
    assert "p99" in out and "RSS" in out

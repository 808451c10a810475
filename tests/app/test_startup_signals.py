"""SIGTERM at any moment of start-up ends the process cleanly: exit 0, no traceback, no leak.

The moment is chosen by what the child writes, never by a delay: `python -X importtime` reports
each module as it finishes loading (so the signal lands while the libraries load), and the first
JSON log line is written while the store is being opened (so it lands inside the aiohttp start-up).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable, Sequence

import orjson
import pytest

from tests.app.test_serve import CONSOLE_SCRIPT, REPO, free_port, kill_if_running
from tests.conftest import FAKE_AWS_ENV

pytestmark = pytest.mark.slow  # signals to `app.py` and `dd0c-cost serve` processes: 1 s each

LEAKS = ("Traceback", "Unclosed", "Task was destroyed", "was never awaited")


def dev_env() -> dict[str, str]:
    """A dev-mode service (in-process store, real Redis, no queue) on a free port."""
    return {
        "PATH": os.environ.get("PATH", ""),
        **FAKE_AWS_ENV,
        "DD0C_DEV": "1",
        "PORT": str(free_port()),
    }


async def terminate_when(
    command: Sequence[str], env: dict[str, str], marker: Callable[[str], bool]
) -> tuple[int, list[str]]:
    """Start `command`, send SIGTERM as soon as a stderr line satisfies `marker`; the exit code
    and every stderr line."""
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=REPO,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(60):
            while line := (await process.stderr.readline()).decode():
                lines.append(line.rstrip("\n"))
                if marker(line):
                    process.send_signal(signal.SIGTERM)
                    break
            assert process.returncode is None, f"exited {process.returncode} before the marker"
            rest = await process.stderr.read()
            code = await process.wait()
    finally:
        await kill_if_running(process)
    return code, lines + rest.decode().splitlines()


def log_messages(lines: list[str]) -> list[str]:
    """The messages of the JSON log lines (other stderr output, like -X importtime's, skipped)."""
    return [orjson.loads(line)["message"] for line in lines if line.startswith("{")]


def finished_importing(module: str) -> Callable[[str], bool]:
    """Matches -X importtime's line for `module` itself (loaded with all it imports)."""
    return lambda line: line.startswith("import time:") and line.split("|")[-1].strip() == module


@pytest.mark.parametrize(
    "command",
    [
        pytest.param([sys.executable, "-X", "importtime", "app.py"], id="python-app.py"),
        pytest.param(
            [sys.executable, "-X", "importtime", str(CONSOLE_SCRIPT), "serve"], id="dd0c-cost-serve"
        ),
    ],
)
async def test_sigterm_while_the_libraries_load_exits_0(command: list[str]) -> None:
    # aioboto3 is the first of app.py's third-party imports; slack_bolt and more follow it.
    code, lines = await terminate_when(command, dev_env(), finished_importing("aioboto3"))
    output = "\n".join(lines)
    assert code == 0, output[-3000:]
    assert not [leak for leak in LEAKS if leak in output], output[-3000:]
    assert "serving" not in log_messages(lines)


async def test_sigterm_during_the_aiohttp_start_up_cancels_it_and_exits_0() -> None:
    # The first log line is written while the store opens; the catalogue still has to load.
    code, lines = await terminate_when(
        [sys.executable, "app.py"], dev_env(), lambda line: "in-process store" in line
    )
    output = "\n".join(lines)
    assert code == 0, output[-3000:]
    assert not [leak for leak in LEAKS if leak in output], output[-3000:]
    messages = log_messages(lines)
    assert messages[-1] == "signal received during start-up: stopped"
    assert "serving" not in messages and "started" not in messages

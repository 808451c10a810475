"""moto's SQS, made safe for concurrent requests: one lock around every queue operation.

moto's server answers each request on its own thread, and its SQS backend has no lock: two
ReceiveMessage calls running at once can both see a message visible and both hand it out (two
receive counts, two receipt handles, both deletes accepted), and both can pass a FIFO group's
in-flight check. Under CPU load that interleaving happens; a healthy message then reached the
chaos run's DLQ (maxReceiveCount) and the throughput bench counted one message deleted twice
and left another behind. Real SQS hands a message to one receiver at a time, so the test double
must too: `install()` wraps every public SQSBackend method in one re-entrant lock, and runs a
long poll as repeated non-waiting receives under the lock with the waits outside it (a waiting
poll must not block the other pollers' deletes and heartbeats).

Run as a script, it is moto's server with the lock installed (`moto_process` starts it so).
"""

from __future__ import annotations

import functools
import inspect
import threading
import time
from collections.abc import Callable
from typing import Any

LOCK = threading.RLock()
_MARK = "_dd0c_serialised"


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with LOCK:
            return method(*args, **kwargs)

    return call


def _long_poll(receive: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(receive)
    def call(
        self: Any,
        queue_name: str,
        count: int,
        wait_seconds_timeout: int,
        visibility_timeout: int,
        message_attribute_names: list[str] | None = None,
    ) -> Any:
        deadline = time.monotonic() + wait_seconds_timeout
        while True:
            with LOCK:
                got = receive(
                    self, queue_name, count, 0, visibility_timeout, message_attribute_names
                )
                queue = self.get_queue(queue_name)
            left = deadline - time.monotonic()
            if got or left <= 0:
                return got
            queue.wait_for_messages(min(left, 0.2))

    return call


def install() -> None:
    """Serialise moto's SQS backend in this process (idempotent)."""
    from moto.sqs.models import SQSBackend

    if getattr(SQSBackend, _MARK, False):
        return
    for name, member in list(vars(SQSBackend).items()):
        if name.startswith("_") or not inspect.isfunction(member):
            continue
        wrap = _long_poll if name == "receive_message" else _locked
        setattr(SQSBackend, name, wrap(member))
    setattr(SQSBackend, _MARK, True)


def main() -> None:
    """moto's server (same arguments as `python -m moto.server`) with the lock installed."""
    install()
    from moto.server import main as moto_main

    moto_main()


if __name__ == "__main__":
    main()

"""Flags evaluated per workspace through OpenFeature (flagd provider, FILE mode), and what they
do to the one event path: detectors and new parsers switched per workspace, the safety net never."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from openfeature.event import ProviderEvent

from engine.detectors import DETECTORS, SIZE_JUMP
from engine.thresholds import DEFAULT_THRESHOLDS
from flags import ALL_ON, DEFAULT_PATH, Switches
from ingest.memory import MemoryStore
from ingest.processor import EventProcessor
from pricing import load_catalogue
from tests.flags.flagfiles import flag, for_workspaces, repository_flags_all, write
from tests.stores import NOW
from tests.trails import run_instances

CATALOGUE = load_catalogue()
CAPACITY = "ec2.amazonaws.com/RunInstances"


@pytest.fixture
def started() -> Iterator[list[Switches]]:
    """Switches started by a test, shut down after it."""
    running: list[Switches] = []
    yield running
    for switches in running:
        switches.shutdown()


def start(path: Path, running: list[Switches]) -> Switches:
    switches = Switches(path)
    switches.start()
    running.append(switches)
    return switches


def test_the_repository_flags_give_the_engine_its_decided_behaviour(
    started: list[Switches],
) -> None:
    switched = start(DEFAULT_PATH, started).evaluate("T1", "111111111111")
    assert switched.enabled == ALL_ON.enabled == frozenset(DETECTORS)
    assert switched.thresholds == DEFAULT_THRESHOLDS
    assert switched.parsers_off == frozenset()
    assert (
        "detector.sizeJump" in switched.flags_on and "scoring.z-medium-2.0" not in switched.flags_on
    )


def test_a_flag_on_for_some_workspaces_only(tmp_path: Path, started: list[Switches]) -> None:
    path = write(
        tmp_path / "flags.json",
        {
            "detector.sizeJump": flag("detector:sizeJump", "off", for_workspaces("T1", "T2")),
            "parsers.new": flag(f"parsers:{CAPACITY}", "off", for_workspaces("T2")),
            "scoring.z": flag("threshold:z.medium=2.0", "off", for_workspaces("T1")),
            "scoring.actor": flag("weight:weight_actor", "on", for_workspaces("T9")),
        },
    )
    switches = start(path, started)
    t1, t2, t3 = (switches.evaluate(t, "111111111111") for t in ("T1", "T2", "T3"))
    assert SIZE_JUMP in t1.enabled and SIZE_JUMP in t2.enabled and SIZE_JUMP not in t3.enabled
    assert t2.parses("ec2.amazonaws.com", "RunInstances")
    assert not t1.parses("ec2.amazonaws.com", "RunInstances")
    assert not t3.parses("ec2.amazonaws.com", "RunInstances")
    assert t1.thresholds.z["medium"] == 2.0 and t2.thresholds.z["medium"] == 2.5
    assert t1.thresholds.weight_actor == 0.15  # T9 is targeted, others get the default: on
    assert t1.flags_on == ("detector.sizeJump", "scoring.actor", "scoring.z")


def test_an_unknown_or_unreadable_flag_is_off(tmp_path: Path, started: list[Switches]) -> None:
    path = write(tmp_path / "flags.json", {"detector.sizeJump": flag("detector:sizeJump")})
    switches = start(path, started)
    assert SIZE_JUMP in switches.evaluate("T1", "1").enabled
    switches._gates["detector.gone"] = switches._gates["detector.sizeJump"]
    switches._cache.clear()
    assert "detector.gone" not in switches.evaluate("T1", "1").flags_on


async def test_a_changed_file_is_picked_up_without_a_restart(
    tmp_path: Path, started: list[Switches]
) -> None:
    path = write(tmp_path / "flags.json", {"detector.sizeJump": flag("detector:sizeJump")})
    switches = start(path, started)
    assert SIZE_JUMP in switches.evaluate("T1", "1").enabled
    before = switches.generation
    changed = {"detector.sizeJump": flag("detector:sizeJump", "off")}
    path.write_text(json.dumps({"flags": changed}))
    os.utime(path, (time.time() + 5, time.time() + 5))  # a newer mtime than the first file's
    for _ in range(3):  # a late event of the first load may come first: wait for the next
        reloaded = await asyncio.to_thread(switches.wait_reload, before, 60)
        assert reloaded, "the provider never reloaded the file"
        if SIZE_JUMP not in switches.evaluate("T1", "1").enabled:
            break
        before = switches.generation
    assert SIZE_JUMP not in switches.evaluate("T1", "1").enabled


async def test_a_parser_flag_off_skips_the_event_for_that_workspace_only(
    tmp_path: Path, started: list[Switches]
) -> None:
    path = write(
        tmp_path / "flags.json",
        {"parsers.new": flag(f"parsers:{CAPACITY}", "off", for_workspaces("T-on"))},
    )
    switches = start(path, started)
    record = run_instances("e-1", NOW, ["i-1"], "p4d.24xlarge")
    for tenant, stored in (("T-on", 1), ("T-off", 0)):
        ports = MemoryStore()
        processor = EventProcessor(ports, CATALOGUE, lambda: NOW, tenant=tenant, switches=switches)
        _, verdict = await processor.process(record)
        assert (verdict is not None) == bool(stored)
        assert processor.stats.events == stored  # claimed (stored) events
        assert processor.stats.ignored == 1 - stored


async def test_with_every_flag_off_the_safety_net_still_rates_25_per_hour_critical(
    tmp_path: Path, started: list[Switches]
) -> None:
    switches = start(write(tmp_path / "flags.json", repository_flags_all("off")), started)
    switched = switches.evaluate("T1", "1")
    assert switched.enabled == frozenset() and switched.flags_on == ()
    assert switched.thresholds.weight_size == 0.0 and switched.thresholds.weight_actor == 0.0
    processor = EventProcessor(
        MemoryStore(), CATALOGUE, lambda: NOW, tenant="T1", switches=switches
    )
    for i in range(30):  # a mature baseline of small launches, then a p4d by the same principal
        when = NOW - timedelta(days=20) + timedelta(hours=12 * i)
        await processor.process(run_instances(f"e-{i}", when, [f"i-{i}"], "t3.micro"))
    big = run_instances("e-big", NOW, ["i-b1", "i-b2"], "p4d.24xlarge")  # 2 x $21.96/h
    _, verdict = await processor.process(big)
    assert verdict is not None and verdict.phase == "mature"
    assert verdict.anomaly is not None and verdict.anomaly.severity == "critical"
    assert verdict.anomaly.signals.get("safetyNet") == 1.0


async def test_a_broken_file_keeps_the_last_good_flags(
    tmp_path: Path, started: list[Switches]
) -> None:
    path = write(tmp_path / "flags.json", {"detector.sizeJump": flag("detector:sizeJump")})
    switches = start(path, started)
    broken = threading.Event()
    switches._client.add_handler(ProviderEvent.PROVIDER_ERROR, lambda details: broken.set())
    path.write_text("{not json")
    os.utime(path, (time.time() + 5, time.time() + 5))  # a newer mtime than the good file's
    assert await asyncio.to_thread(broken.wait, 60), "the provider never read the broken file"
    switches._cache.clear()  # evaluate through the provider again, not from the cache
    assert SIZE_JUMP in switches.evaluate("T1", "1").enabled
    assert "detector.sizeJump" in switches.evaluate("T1", "1").flags_on
    # Repair it, so the watcher's last poll after the test (its thread ends after a sleep)
    # reads a good file instead of logging the parse error once more.
    write(path, {"detector.sizeJump": flag("detector:sizeJump")})
    os.utime(path, (time.time() + 10, time.time() + 10))

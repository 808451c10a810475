"""What a terminal user sees: a progress bar with files, bytes, records, rate and ETA; the report
as tables with severity colours. Piped output stays plain text (tests/ingest/test_backtest.py)."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest
from rich.console import Console

from cli import report_rich
from cli.report import Highlights, render
from cli.report_rich import RichProgress, show
from ingest.backtest import Options, Stats, run_backtest
from pricing import load_catalogue
from tests.fixtures import load

SAMPLES = Path(__file__).parents[2] / "samples" / "AWSLogs"


def _terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=220, color_system="standard"), out


def test_progress_shows_files_bytes_records_rate_and_eta() -> None:
    console, out = _terminal()
    with RichProgress(console) as progress:
        progress(Stats(files=12, bytes=3_400_000, records=56_789, events=321, fraction=0.25))
        progress._bar.refresh()
    text = out.getvalue()
    for part in ("12 files", "3.4 MB", "56,789 records", "321 cost events", "ETA", "25%"):
        assert part in text


@pytest.mark.parametrize(("every", "shown"), [(3600.0, "12 files"), (0.0, "13 files")])
def test_progress_takes_the_counts_at_most_every_update_interval(
    monkeypatch: pytest.MonkeyPatch, every: float, shown: str
) -> None:
    monkeypatch.setattr(report_rich, "UPDATE_EVERY", every)
    console, out = _terminal()
    with RichProgress(console) as progress:
        progress(Stats(files=12, bytes=3_400_000, records=56_789, events=321, fraction=0.25))
        progress(Stats(files=13, bytes=3_500_000, records=57_000, events=322, fraction=0.26))
        progress._bar.refresh()
    text = out.getvalue()
    assert shown in text
    assert ("13 files" in text) == (shown == "13 files")  # the second update taken or not


def test_progress_is_silent_when_not_a_terminal() -> None:
    out = io.StringIO()
    with RichProgress(Console(file=out, force_terminal=False)) as progress:
        progress(Stats(files=1, bytes=1, records=1, events=0, fraction=None))
    assert out.getvalue() == ""


def test_the_terminal_report_has_tables_in_severity_colours() -> None:
    found = Highlights()
    result = run_backtest(
        [SAMPLES], load_catalogue(), options=Options(keep=False, on_event=found.add)
    )
    assert result.events == []  # streamed, not kept
    console, out = _terminal()
    show(result, found, console)
    text = out.getvalue()
    assert "\x1b[1;31mCRITICAL" in text  # bold red
    for title in ("Alerts (critical and warning", "Costliest launches", "Per actor"):
        assert title in text
    assert "p4d.24xlarge" in text


def test_streamed_highlights_equal_those_of_kept_events() -> None:
    found = Highlights()
    streamed = run_backtest([SAMPLES], load_catalogue(), options=Options(on_event=found.add))
    assert render(streamed, found) == render(streamed)


def test_a_launch_by_an_unnamed_caller_is_shown_as_unknown_not_as_none(tmp_path: Path) -> None:
    """A record without a userIdentity ARN (hand-made, or a service event): "?" in every table,
    in plain text and on a terminal, never Python's "None"."""
    record = load("cloudtrail/ec2/run_instances_iam_user_cli.json")
    record.pop("userIdentity", None)
    path = tmp_path / "unnamed.json"
    path.write_bytes(orjson.dumps(record))
    result = run_backtest([path], load_catalogue())
    assert result.events and result.events[0].actor.principal_arn is None
    plain = render(result)
    console, out = _terminal()
    show(result, Highlights.of(result.events), console)
    for text in (plain, out.getvalue()):
        assert "Costliest launches" in text and "None" not in text
    assert plain.rstrip().splitlines()[-1].endswith(" ?")  # the per-actor line

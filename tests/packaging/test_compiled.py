"""The compiled engine (what `make wheel` ships) gives the pure-Python engine's verdicts, exactly.

mypyc adds run-time type checks and changes nothing else when the code type-checks; these tests
hold it to that on the bundled samples and a generated scenario month (every record's verdict,
reason and price, in the backtest's `--json` output), check that every module `setup.py` lists
really loads as an extension, and that the wheel built with `DD0C_COMPILE=1` carries them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bench import compiled
from bench.scenario_bench import generate
from setup import compiled_modules

ROOT = Path(__file__).resolve().parents[2]
BACKTEST = "import sys, cli; sys.argv = ['dd0c-cost', *sys.argv[1:]]; sys.exit(cli.main())"
WHERE = "import importlib, json, sys; print(json.dumps({n: importlib.import_module(n).__file__ for n in sys.argv[1:]}))"  # noqa: E501

pytestmark = pytest.mark.slow


def _dotted(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout with the engine compiled in place (bench.compiled)."""
    return compiled.build(tmp_path_factory.mktemp("compiled") / "dd0c-cost")


def _python(cwd: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    done = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"{args[:3]} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done.stdout


def _verdicts(cwd: Path, logs: Path) -> list[dict[str, object]]:
    """Every line of `backtest --json`, the summary's run time left out."""
    lines = [
        json.loads(line)
        for line in _python(cwd, "-c", BACKTEST, "backtest", str(logs), "--json").splitlines()
    ]
    for line in lines:
        line.pop("seconds", None)
    return lines


def test_every_listed_module_loads_compiled(build: Path) -> None:
    names = [_dotted(path) for path in compiled_modules(ROOT)]
    assert "engine.scoring" in names and "engine.records" in names and "engine.detectors" in names
    where = json.loads(_python(build, "-c", WHERE, *names))
    assert {name for name, file in where.items() if not compiled.is_compiled(file)} == set()
    assert all(str(file).startswith(str(build)) for file in where.values())


def test_the_checkout_itself_stays_pure_python() -> None:
    """Extensions built in place (`make compile-inplace`) would shadow every edit to engine/."""
    names = [_dotted(path) for path in compiled_modules(ROOT)]
    where = json.loads(_python(ROOT, "-c", WHERE, *names))
    stale = sorted(name for name, file in where.items() if compiled.is_compiled(file))
    assert stale == [], "compiled modules in the checkout shadow their sources: make uncompile"


def test_compiled_verdicts_equal_pure_python_on_the_samples(build: Path) -> None:
    samples = ROOT / "samples" / "AWSLogs"
    pure, fast = _verdicts(ROOT, samples), _verdicts(build, samples)
    assert len(pure) > 100 and any(line.get("anomaly") for line in pure)
    assert fast == pure


def test_compiled_verdicts_equal_pure_python_on_a_scenario_month(
    build: Path, tmp_path: Path
) -> None:
    generate(tmp_path, 30, 2, seed=7)
    logs = tmp_path / "AWSLogs"
    pure, fast = _verdicts(ROOT, logs), _verdicts(build, logs)
    anomalies = [line for line in pure if line.get("anomaly")]
    assert len(pure) > 1000 and len(anomalies) > 10
    assert fast == pure


def test_the_compiled_wheel_carries_the_extensions(build: Path, tmp_path: Path) -> None:
    env = {**os.environ, "DD0C_COMPILE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
        + ["--no-index", "--wheel-dir", str(tmp_path), str(build)],
        cwd=build, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = tmp_path.glob("dd0c_cost-*-cp311-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    for path in compiled_modules(ROOT):
        stem = path.removesuffix(".py")
        assert any(n.startswith(f"{stem}.cpython-311") and n.endswith(".so") for n in names), stem
        assert path in names  # the source ships beside it (tracebacks, inspection)

"""The package as a user installs it: a real wheel, in a venv of its own, away from the checkout.

An editable install (`make install`) hides a package missing from the wheel, because the checkout
is on the path; this test builds the wheel from a copy of the sources, installs it into a scratch
venv (dependencies come from this venv's site-packages through a `.pth` line, so nothing is
downloaded), and from a folder outside the checkout imports every module the wheel holds, runs
`dd0c-cost --help` and prices one instance from the shipped catalogue data.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Folders that never ship: the test suite, the benchmarks, build output, tooling state.
NOT_SHIPPED = {"tests", "bench", "build", "dist", "docs", "samples", "setup.py"}
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", ".*_cache", "__pycache__", "build", "dist", "*.egg-info"
)
IMPORT_ALL = """
import importlib, json, sys
prefix, names = sys.argv[1], sys.argv[2:]
outside = {}
for name in names:
    module = importlib.import_module(name)
    if not str(module.__file__).startswith(prefix):
        outside[name] = module.__file__
print(json.dumps({"imported": len(names), "outside": outside}))
"""


def _dotted(parts: tuple[str, ...]) -> str:
    """`("bot", "actions", "__init__")` -> "bot.actions"."""
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _shipped_python_files() -> list[Path]:
    """Every .py file of the checkout outside NOT_SHIPPED and hidden folders (.venv, .git).

    Walks only the shipped top-level entries: a walk of the whole checkout also lists .venv,
    which alone takes about a second.
    """
    files: list[Path] = []
    for top in ROOT.iterdir():
        if top.name in NOT_SHIPPED or top.name.startswith("."):
            continue
        if top.is_dir():
            files.extend(top.rglob("*.py"))
        elif top.suffix == ".py":
            files.append(top)
    return files


def _source_modules() -> set[str]:
    """Dotted names of every shipped Python module in the checkout."""
    return {
        _dotted(path.relative_to(ROOT).with_suffix("").parts) for path in _shipped_python_files()
    }


def _wheel_modules(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        paths = [PurePosixPath(name) for name in archive.namelist()]
    return {_dotted(p.with_suffix("").parts) for p in paths if p.suffix == ".py"}


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_every_folder_with_python_code_is_a_package() -> None:
    """setuptools' discovery only takes folders with __init__.py: a new one without is caught."""
    folders = {
        path.parent.relative_to(ROOT) for path in _shipped_python_files() if path.parent != ROOT
    }
    assert folders, "no package found"
    missing = sorted(str(f) for f in folders if not (ROOT / f / "__init__.py").is_file())
    assert missing == []


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built offline from a copy of the sources (the checkout stays clean)."""
    source = tmp_path_factory.mktemp("src") / "dd0c-cost"
    shutil.copytree(ROOT, source, ignore=COPY_IGNORE)
    out = tmp_path_factory.mktemp("dist")
    _run(
        sys.executable,
        *("-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index"),
        *("--wheel-dir", out, source),
        cwd=source,
    )
    (built,) = out.glob("dd0c_cost-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch venv holding only the wheel; this venv's packages serve as its dependencies."""
    scratch = tmp_path_factory.mktemp("venv")
    _run(sys.executable, "-m", "venv", "--without-pip", scratch, cwd=scratch)
    python = scratch / "bin" / "python"
    site = _run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=scratch
    )
    (Path(site.strip()) / "dd0c_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(
        sys.executable,
        *("-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index"),
        wheel,
        cwd=scratch,
    )
    return scratch


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = "/usr/bin:/bin"
    return env


@pytest.mark.slow
def test_wheel_holds_every_module_and_the_catalogue_data(wheel: Path) -> None:
    assert _wheel_modules(wheel) == _source_modules()
    assert _source_modules() >= {"bot.actions", "bot.commands", "bot.events", "app", "settings"}
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "pricing/data/ec2.json" in names and "storage/schema.lock.json" in names
    assert "cli/slack-manifest.yml" in names
    assert not any(name.startswith(("tests/", "bench/")) for name in names)
    assert not any(name.startswith("pricing/sources/") for name in names)  # generator input only


@pytest.mark.slow
def test_installed_wheel_imports_every_module_outside_the_checkout(wheel: Path, venv: Path) -> None:
    modules = sorted(_wheel_modules(wheel))
    out = _run(
        venv / "bin" / "python", "-c", IMPORT_ALL, venv, *modules, cwd=venv, env=_clean_env()
    )
    assert json.loads(out) == {"imported": len(modules), "outside": {}}


@pytest.mark.slow
def test_installed_console_script_runs(venv: Path) -> None:
    script = venv / "bin" / "dd0c-cost"
    usage = _run(script, "--help", cwd=venv, env=_clean_env())
    assert usage.startswith("usage: dd0c-cost")
    for command in ("backtest", "manifest", "normalize", "price", "serve"):
        assert command in usage
    quote = _run(
        script,
        "price",
        "ec2",
        "m6i.large",
        "--region",
        "us-east-1",
        "--json",
        cwd=venv,
        env=_clean_env(),
    )
    assert json.loads(quote)["usd"] == 0.096
    manifest = _run(
        script, "manifest", "--public-url", "https://cost.example.com", cwd=venv, env=_clean_env()
    )
    assert "https://cost.example.com/slack/events" in manifest

"""The engine as production runs it: a copy of the checkout with `engine/` compiled by mypyc.

    python -m bench.compiled DEST      build it (about a minute) and print where

`setup.py` decides what is compiled (`DD0C_COMPILE=1`); this builds the same extensions in place
in a copy, so a benchmark or test can run the compiled engine from that copy (as the working
directory, it comes first on `sys.path`) while the checkout stays pure Python.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", ".*_cache", "__pycache__", "build", "dist", "*.egg-info", "*.so"
)


class BuildError(RuntimeError):
    """mypyc or the C compiler failed; the message holds their output."""


def build(dest: Path, root: Path = ROOT) -> Path:
    """Copy `root` to `dest` and compile its engine in place; return `dest`."""
    shutil.copytree(root, dest, ignore=COPY_IGNORE, dirs_exist_ok=True)
    env = {**os.environ, "DD0C_COMPILE": "1"}
    done = subprocess.run(
        [sys.executable, "setup.py", "--quiet", "build_ext", "--inplace"],
        cwd=dest,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise BuildError(
            f"compiling the engine failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
    return dest


def is_compiled(module_file: str | None) -> bool:
    """True when a module was loaded from an extension (a compiled build)."""
    return bool(module_file) and str(module_file).endswith(".so")


def main(argv: list[str] | None = None) -> int:
    """Build into the folder given."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bench.compiled DEST", file=sys.stderr)
        return 2
    print(build(Path(args[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Build hook: with `DD0C_COMPILE=1` the engine's modules are compiled to C with mypyc.

Everything else about the package is in pyproject.toml. The compiled build is what production
runs (`make wheel`, README "Running it for real"); a development install (`make install`) stays
pure Python, so an edit to `engine/` takes effect at once. `engine/` type-checks with
`mypy --strict`, which is what mypyc needs; `tests/packaging/test_compiled.py` builds the compiled
wheel and checks it gives the same verdicts as the pure-Python engine.
"""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import setup  # type: ignore[import-untyped]

# Not compiled: the pydantic models (mypyc cannot compile pydantic classes; pydantic's own core is
# compiled already), package markers, and the error type (raised across the compiled boundary).
NOT_COMPILED = {"engine/models.py", "engine/record_model.py", "engine/errors.py"}


def compiled_modules(root: Path = Path(__file__).parent) -> list[str]:
    """The engine's source files mypyc compiles, relative to `root`, sorted."""
    return sorted(
        path.relative_to(root).as_posix()
        for path in (root / "engine").rglob("*.py")
        if path.name != "__init__.py" and path.relative_to(root).as_posix() not in NOT_COMPILED
    )


def _extensions() -> list[object]:
    if os.environ.get("DD0C_COMPILE") != "1":
        return []
    from mypyc.build import mypycify  # only the compiled build needs mypy

    return list(mypycify(compiled_modules(), opt_level="3"))


if __name__ == "__main__":  # setuptools runs this file as __main__; tests import the list
    setup(ext_modules=_extensions())

"""Decision logs (seed 10.3): every scoring file's current content is recorded in some log.

Each `docs/decisions/NNNN-<slug>.json` holds the seed's fields (`prompt`, `reasoning`,
`alternatives_considered`, `confidence`, `timestamp`, `author`). From log 0008 on (when this
check was introduced) a log also names the scoring files it `covers` and their content
`hashes` ({path: "sha256:<hex>"}). The check fails when a scoring file's content matches no
log's recorded hash, or a log misses a field; its message says how to add the log.

    python -m governance.decisions            check (exit 1 with the reasons)
    python -m governance.decisions --print    the `covers` and `hashes` to paste into a new log
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = "docs/decisions"
SCORING_FILES: tuple[str, ...] = (
    "engine/scoring.py",
    "engine/thresholds.py",
    "engine/baselines.py",
    "engine/detectors.py",
    "engine/profiles.py",
    "engine/sizes.py",
    "engine/process.py",
)
"""The files whose every change needs a decision log (weights, thresholds, baselines, detectors)."""
SEED_FIELDS = (
    "prompt",
    "reasoning",
    "alternatives_considered",
    "confidence",
    "timestamp",
    "author",
)
HASHED_FROM = 8
"""The first log number that must record `covers` and `hashes` (the check's introduction)."""
PRINT_COMMAND = "python -m governance.decisions --print"


@dataclass
class Report:
    """What the check found: one sentence per problem."""

    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every log is complete and every scoring file is recorded."""
        return not self.problems


def file_hash(path: Path) -> str:
    """`sha256:<hex>` of the file's bytes."""
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def current_hashes(root: Path = ROOT, files: Sequence[str] = SCORING_FILES) -> dict[str, str]:
    """Each scoring file's current content hash."""
    return {name: file_hash(root / name) for name in files}


def _number(path: Path) -> int:
    head = path.name.split("-", 1)[0]
    return int(head) if head.isdigit() else 0


def _load(path: Path, report: Report) -> dict[str, object] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        report.problems.append(f"{path.name}: not readable JSON ({exc})")
        return None
    if not isinstance(data, dict):
        report.problems.append(f"{path.name}: not a JSON object")
        return None
    return data


def _check_fields(path: Path, data: dict[str, object], report: Report) -> None:
    needed = SEED_FIELDS + (("covers", "hashes") if _number(path) >= HASHED_FROM else ())
    missing = [name for name in needed if data.get(name) in (None, "", [], {})]
    if missing:
        report.problems.append(
            f"{path.name}: missing field(s) {', '.join(missing)} (seed 10.3 schema: "
            f"{', '.join(SEED_FIELDS)}; from {HASHED_FROM:04d} on also covers and hashes)"
        )


def _recorded(data: dict[str, object]) -> dict[str, str]:
    hashes = data.get("hashes")
    if not isinstance(hashes, dict):
        return {}
    return {str(k): str(v) for k, v in hashes.items()}


def check(root: Path = ROOT, files: Sequence[str] = SCORING_FILES) -> Report:
    """Check every log's fields and that each scoring file's hash is recorded in some log."""
    report = Report()
    recorded: dict[str, set[str]] = {name: set() for name in files}
    for path in sorted((root / LOG_DIR).glob("*.json")):
        data = _load(path, report)
        if data is None:
            continue
        _check_fields(path, data, report)
        for name, digest in _recorded(data).items():
            recorded.setdefault(name, set()).add(digest)
    now = current_hashes(root, files)
    changed = {name: digest for name, digest in now.items() if digest not in recorded[name]}
    if changed:
        report.problems.append(_unrecorded(changed, root))
    return report


def _next_number(root: Path) -> int:
    return max((_number(p) for p in (root / LOG_DIR).glob("*.json")), default=0) + 1


def _unrecorded(changed: dict[str, str], root: Path) -> str:
    lines = [f"  {name}: {digest}" for name, digest in changed.items()]
    return (
        "scoring file(s) changed without a decision log (no log records their current hash):\n"
        + "\n".join(lines)
        + f"\nAdd {LOG_DIR}/{_next_number(root):04d}-<what-changed>.json with "
        f"{', '.join(SEED_FIELDS)} (why, the alternatives, the before/after figures) and the "
        f'"covers"/"hashes" block that `{PRINT_COMMAND}` prints.'
    )


def covers_block(root: Path = ROOT, files: Sequence[str] = SCORING_FILES) -> str:
    """The JSON fields a new log records: the files it covers and their hashes now."""
    hashes = current_hashes(root, files)
    return json.dumps({"covers": list(hashes), "hashes": hashes}, indent=2)


def main(argv: Sequence[str] | None = None) -> int:
    """Check the logs (exit 1 with the reasons), or print the block for a new log."""
    parser = argparse.ArgumentParser(prog="python -m governance.decisions", description=__doc__)
    parser.add_argument("--print", action="store_true", help="print covers + hashes for a log")
    args = parser.parse_args(argv)
    if args.print:
        print(covers_block())
        return 0
    report = check()
    for problem in report.problems:
        print(problem, file=sys.stderr)
    if report.ok:
        print(f"decision logs: ok ({len(SCORING_FILES)} scoring files recorded)")
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

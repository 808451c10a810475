"""The generator: the committed catalogue is exactly what it produces, and its edges behave."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import orjson
import pytest

from pricing import build
from pricing._schema import DATA_FILES


@pytest.fixture(scope="module")
def generated(source: Path) -> dict[str, bytes]:
    """What the generator makes from its default sources (the vendored archive)."""
    return build.generate(source)


def test_committed_catalogue_equals_generator_output(generated: dict[str, bytes]) -> None:
    problems = build.check(build.DEFAULT_OUT, generated)
    assert problems == [], "pricing/data is stale: run `python -m pricing.build`\n" + "\n".join(
        problems
    )


def test_generates_one_file_per_data_file(generated: dict[str, bytes]) -> None:
    assert sorted(generated) == sorted(f"{name}.json" for name in DATA_FILES)


@pytest.mark.parametrize("name", [f"{name}.json" for name in DATA_FILES])
def test_files_are_deterministic_compact_json(generated: dict[str, bytes], name: str) -> None:
    content = generated[name]
    assert content.endswith(b"\n") and not content.endswith(b"\n\n")
    value = orjson.loads(content)
    # orjson writes compact separators; sorted keys + one newline make the bytes canonical
    assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE) == content


@pytest.mark.slow  # one more generator run: about 1 s
def test_generation_is_repeatable(source: Path, generated: dict[str, bytes]) -> None:
    assert build.generate(source) == generated


@pytest.mark.slow  # unpacks the archive, one more generator run
def test_unpacked_folder_and_archive_give_the_same_catalogue(
    source_dir: Path, generated: dict[str, bytes]
) -> None:
    assert build.generate(source_dir) == generated


@pytest.mark.slow  # one more generator run: about 1 s
def test_main_defaults_to_the_vendored_archive(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(build.SOURCE_ENV, raising=False)
    assert build.DEFAULT_SOURCE.is_file()
    assert build.main(["--check"]) == 0
    assert "is up to date" in capsys.readouterr().out


def test_vendored_sources_md_states_the_archive_checksum() -> None:
    digest = hashlib.sha256(build.DEFAULT_SOURCE.read_bytes()).hexdigest()
    notes = (build.DEFAULT_SOURCE.parent / "SOURCES.md").read_text()
    assert f"sha256 `{digest}`" in notes


def test_catalogue_stays_compact(generated: dict[str, bytes]) -> None:
    assert sum(len(content) for content in generated.values()) < 4_000_000


def test_prices_are_numbers_parsed_from_the_source_strings(generated: dict[str, bytes]) -> None:
    ec2 = orjson.loads(generated["ec2.json"])
    # "0.0960000000" in the source becomes the JSON number 0.096
    assert ec2["linux"]["us-east-1"]["m6i.large"] == 0.096
    assert b'"m6i.large":0.096,' in generated["ec2.json"]


def test_write_then_check_is_clean_and_check_names_a_changed_file(
    tmp_path: Path, generated: dict[str, bytes]
) -> None:
    assert build.write(tmp_path, generated) == []
    assert build.check(tmp_path, generated) == []
    (tmp_path / "stale.json").write_text("{}\n")
    assert build.write(tmp_path, generated) == ["stale.json"]
    ec2 = orjson.loads(generated["ec2.json"])
    ec2["linux"]["us-east-1"]["m6i.large"] = 0.1
    (tmp_path / "ec2.json").write_bytes(orjson.dumps(ec2, option=orjson.OPT_SORT_KEYS))
    problems = build.check(tmp_path, generated)
    assert any(
        "ec2.json differs" in p and "linux.us-east-1.m6i.large: 0.1 -> 0.096" in p for p in problems
    )
    assert any("stale.json is not generated" in p for p in problems)


@pytest.mark.slow  # three more generator runs: about 2 s
def test_main_check_exits_1_naming_the_file(
    tmp_path: Path, source_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert build.main(["--source", str(source_dir), "--out", str(tmp_path)]) == 0
    assert f"wrote {len(DATA_FILES)} files" in capsys.readouterr().out
    assert build.main(["--source", str(source_dir), "--out", str(tmp_path), "--check"]) == 0
    (tmp_path / "lambda.json").unlink()
    capsys.readouterr()
    assert build.main(["--source", str(source_dir), "--out", str(tmp_path), "--check"]) == 1
    assert "lambda.json is missing" in capsys.readouterr().err


def test_missing_source_dir_is_one_line_naming_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    assert build.main(["--source", str(missing), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert str(missing) in err and build.SOURCE_ENV in err
    assert not (tmp_path / "out").exists()


def test_missing_source_file_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ec2.shop" / "data" / "ec2").mkdir(parents=True)
    assert build.main(["--source", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ebs.json" in err


def test_default_source_dir_prefers_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(build.SOURCE_ENV, "/some/where")
    assert build.default_source_dir() == Path("/some/where")
    monkeypatch.delenv(build.SOURCE_ENV)
    assert build.default_source_dir() == build.PACKAGE_DIR / "sources" / "aws-pricing.tar.xz"
    assert build.default_source_dir({}) == build.DEFAULT_SOURCE


def test_unreadable_archive_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "sources.tar.xz"
    broken.write_bytes(b"not xz at all")
    assert build.main(["--source", str(broken), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(broken) in err and "not a readable .tar.xz" in err
    assert not (tmp_path / "out").exists()


def test_archive_missing_a_file_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    member = tmp_path / "us-east-1-ondemand.json"
    member.write_text('{"manifest": {}, "regions": {}}')
    archive = tmp_path / "partial.tar.xz"
    with tarfile.open(archive, "w:xz") as tar:
        tar.add(member, arcname="ec2.shop/data/ec2/us-east-1-ondemand.json")
    assert build.main(["--source", str(archive), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{archive}:ec2.shop/data/ebs/ebs.json" in err

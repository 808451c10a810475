"""The generator's view of the price-data sources: a folder, or the vendored `.tar.xz` of one.

Only `pricing.build` uses this (it is the package's one edge step; nothing here runs when the
product prices an event). Both forms answer the same two questions: the bytes of a file at a
relative path, and the `*.json` names in a folder. `pricing/sources/aws-pricing.tar.xz` is the
folder described in `pricing/sources/SOURCES.md`, packed with its relative paths.
"""

from __future__ import annotations

import lzma
import tarfile
from pathlib import Path, PurePosixPath
from typing import Protocol

from pricing.errors import SourceFormatError, SourceMissingError

ARCHIVE_SUFFIX = ".tar.xz"


class SourceTree(Protocol):
    """Read-only access to the source files by their relative (POSIX) path."""

    def read(self, relative: str) -> bytes:
        """The file's bytes; SourceMissingError naming it when absent."""
        ...

    def json_names(self, folder: str) -> list[str]:
        """Sorted names of the `*.json` files directly in `folder`; SourceMissingError if none."""
        ...

    def where(self, relative: str) -> str:
        """How an error message names the file."""
        ...


class FolderTree:
    """Sources as files under a directory."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, relative: str) -> bytes:
        path = self.root / relative
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise SourceMissingError(f"price-data source file not found: {path}") from exc

    def json_names(self, folder: str) -> list[str]:
        path = self.root / folder
        if not path.is_dir():
            raise SourceMissingError(f"price-data source folder not found: {path}")
        return sorted(p.name for p in path.glob("*.json"))

    def where(self, relative: str) -> str:
        return str(self.root / relative)


class ArchiveTree:
    """Sources as members of a `.tar.xz` archive, read into memory once (about 45 MB)."""

    def __init__(self, archive: Path) -> None:
        self.archive = archive
        self.files = _unpack(archive)

    def read(self, relative: str) -> bytes:
        try:
            return self.files[relative]
        except KeyError:
            message = f"price-data source file not found: {self.where(relative)}"
            raise SourceMissingError(message) from None

    def json_names(self, folder: str) -> list[str]:
        names = sorted(
            path.name
            for path in map(PurePosixPath, self.files)
            if str(path.parent) == folder and path.suffix == ".json"
        )
        if not names:
            raise SourceMissingError(f"price-data source folder not found: {self.where(folder)}")
        return names

    def where(self, relative: str) -> str:
        return f"{self.archive}:{relative}"


def _unpack(archive: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every regular file in the archive."""
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(archive, "r:xz") as tar:
            for member in tar:
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is not None:
                    files[str(PurePosixPath(member.name))] = handle.read()
    except (tarfile.TarError, lzma.LZMAError, EOFError) as exc:
        raise SourceFormatError(f"{archive}: not a readable .tar.xz archive: {exc}") from exc
    return files


def open_tree(source: Path, hint: str) -> SourceTree:
    """The tree at `source`: a directory, or a `.tar.xz` file; `hint` ends the not-found message."""
    if source.is_dir():
        return FolderTree(source)
    if source.is_file() and source.name.endswith(ARCHIVE_SUFFIX):
        return ArchiveTree(source)
    raise SourceMissingError(
        f"price-data source directory or {ARCHIVE_SUFFIX} archive not found: {source} ({hint})"
    )

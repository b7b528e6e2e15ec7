"""Bundles: a CSV/JSONL file, a folder of a bulk export, or a .zip/.tar.gz of one.

Members are known by their base name (`bulk_export/funding_rounds.csv` is
`funding_rounds.csv`). Archive members with an absolute path or `..` are
refused, and so is an archive whose readable members unpack to more than the
cap given to `open_bundle` (a decompression bomb); nothing is ever extracted
to disk. The sizes checked are those the archive declares, which the readers
enforce: zipfile stops at a member's declared size and checks its CRC, and a
tar member's size is its header's.
"""

from __future__ import annotations

import io
import tarfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from funding.importers.base import NotTheFormatError

READABLE = (".csv", ".jsonl", ".json", ".ndjson")


class ReadLimitError(NotTheFormatError):
    """A run read more than it may: the run fails with this message, changing nothing."""


@dataclass
class ReadLimits:
    """What reading one run's files may take: lines (blank ones included) and seconds.

    Shared by every file the run opens. A file of nothing but line breaks
    compresses a thousandfold; these bounds end its run in seconds.
    """

    max_lines: int | None = None
    max_seconds: float | None = None
    lines: int = 0
    started: float = field(default_factory=time.monotonic)

    def count(self, block: bytes) -> None:
        self.lines += block.count(b"\n")
        if self.max_lines is not None and self.lines > self.max_lines:
            raise ReadLimitError(
                f"The import read more than {self.max_lines:,} lines (IMPORT_MAX_LINES, "
                "blank lines included) and stopped; split the file or raise the limit."
            )
        if self.max_seconds is not None and time.monotonic() - self.started > self.max_seconds:
            raise ReadLimitError(
                f"Reading the file took longer than {self.max_seconds:g} s "
                "(IMPORT_MAX_READ_SECONDS) and stopped; split the file or raise the limit."
            )


class _Bounded(io.RawIOBase):
    """A binary stream whose reads count against a run's `ReadLimits` (at C speed)."""

    def __init__(self, inner: IO[bytes], limits: ReadLimits) -> None:
        super().__init__()
        self._inner, self._limits = inner, limits

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        self._limits.count(data)
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
        super().close()


def bounded(stream: IO[bytes], limits: ReadLimits | None) -> IO[bytes]:
    """`stream`, buffered, counting against `limits` (itself when there are none)."""
    if limits is None:
        return stream
    return io.BufferedReader(_Bounded(stream, limits), buffer_size=65536)


def _safe_member(name: str) -> str | None:
    """The member's base name, None for a directory or a file of no interest."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (name[1:3] == ":/"):
        raise NotTheFormatError(f"The archive holds an unsafe path ({name[:100]!r}); refused.")
    base = path.name
    if not base or base.startswith(".") or not base.lower().endswith(READABLE):
        return None
    return base


class FileBundle:
    def __init__(self, path: Path, *, limits: ReadLimits | None = None) -> None:
        self.path, self.limits = path, limits

    def names(self) -> list[str]:
        return [self.path.name]

    def open(self, name: str) -> IO[bytes]:
        return bounded(self.path.open("rb"), self.limits)

    def describe(self) -> str:
        return self.path.name


class FolderBundle:
    def __init__(self, path: Path, *, limits: ReadLimits | None = None) -> None:
        self.path, self.limits = path, limits
        self.members = {
            p.name: p for p in sorted(path.rglob("*")) if p.is_file() and _safe_member(p.name)
        }

    def names(self) -> list[str]:
        return list(self.members)

    def open(self, name: str) -> IO[bytes]:
        return bounded(self.members[name].open("rb"), self.limits)

    def describe(self) -> str:
        return f"the folder {self.path.name}"


def _check_unpacked(path: Path, size: int, max_bytes: int | None) -> None:
    if max_bytes is not None and size > max_bytes:
        raise NotTheFormatError(
            f"{path.name} unpacks to {size / 2**20:,.0f} MB, more than the "
            f"{max_bytes / 2**20:,.0f} MB allowed; refused."
        )


class ZipBundle:
    def __init__(
        self,
        path: Path,
        *,
        max_unpacked_bytes: int | None = None,
        limits: ReadLimits | None = None,
    ) -> None:
        self.path, self.limits = path, limits
        unpacked = 0
        with zipfile.ZipFile(path) as archive:
            self.members: dict[str, str] = {}
            for info in archive.infolist():
                base = _safe_member(info.filename)
                if base and not info.is_dir():
                    self.members.setdefault(base, info.filename)
                    unpacked += info.file_size
        _check_unpacked(path, unpacked, max_unpacked_bytes)

    def names(self) -> list[str]:
        return list(self.members)

    def open(self, name: str) -> IO[bytes]:
        archive = zipfile.ZipFile(self.path)
        return bounded(archive.open(self.members[name]), self.limits)

    def describe(self) -> str:
        return self.path.name


class TarBundle:
    def __init__(
        self,
        path: Path,
        *,
        max_unpacked_bytes: int | None = None,
        limits: ReadLimits | None = None,
    ) -> None:
        self.path, self.limits = path, limits
        self.members: dict[str, str] = {}
        unpacked = links = 0
        with tarfile.open(path) as archive:
            for info in archive:
                base = _safe_member(info.name)
                if base and info.isfile():
                    self.members.setdefault(base, info.name)
                    unpacked += info.size
                    _check_unpacked(path, unpacked, max_unpacked_bytes)
                elif base and (info.issym() or info.islnk()):
                    links += 1
        if links and not self.members:
            raise NotTheFormatError(
                f"{path.name}: the archive holds no regular files, only {links} "
                f"link{'s' if links > 1 else ''} (links are never followed)."
            )

    def names(self) -> list[str]:
        return list(self.members)

    def open(self, name: str) -> IO[bytes]:
        archive = tarfile.open(self.path)  # noqa: SIM115 (closed with the member by the reader)
        member = archive.extractfile(self.members[name])
        if member is None:
            raise NotTheFormatError(f"{name} is not a regular file.")
        return bounded(member, self.limits)

    def describe(self) -> str:
        return self.path.name


def open_bundle(
    path: Path, *, max_unpacked_bytes: int | None = None, limits: ReadLimits | None = None
) -> FileBundle | FolderBundle | ZipBundle | TarBundle:
    """The bundle at `path`; an unreadable or oversized archive is NotTheFormatError.

    With `limits`, every file read from it counts against them (ReadLimitError).
    """
    if path.is_dir():
        return FolderBundle(path, limits=limits)
    if not path.is_file():
        raise NotTheFormatError(f"{path} does not exist.")
    try:
        if zipfile.is_zipfile(path):
            return ZipBundle(path, max_unpacked_bytes=max_unpacked_bytes, limits=limits)
        if tarfile.is_tarfile(path):
            return TarBundle(path, max_unpacked_bytes=max_unpacked_bytes, limits=limits)
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as error:
        raise NotTheFormatError(f"{path.name} is a damaged archive: {error}") from None
    return FileBundle(path, limits=limits)

"""Reading a run's file into chunks: each row parsed by its importer and stored as JSON,
each unreadable row recorded as an `ImportRowError`."""

from __future__ import annotations

from pathlib import Path

import orjson
from django.conf import settings

from funding.importers import RoundRow, RowError, importer_for
from funding.importers.base import MAX_RAW
from funding.importers.files import ReadLimits, open_bundle
from funding.models import ImportChunk, ImportRowError, ImportRun


def read_into_chunks(run: ImportRun, local: tuple[Path, bool]) -> None:
    """Read the file (`local`: its path, and whether it is a download to delete) into chunks."""
    path, temporary = local
    try:
        bundle = open_bundle(
            path,
            max_unpacked_bytes=settings.IMPORT_MAX_UNPACKED_BYTES,
            limits=ReadLimits(
                max_lines=settings.IMPORT_MAX_LINES, max_seconds=settings.IMPORT_MAX_READ_SECONDS
            ),
        )
        importer = importer_for(bundle, run.format)
        run.format = importer.name
        size = settings.IMPORT_CHUNK_ROWS
        buffer: list[bytes] = []
        errors: list[ImportRowError] = []
        for item in importer.read(bundle):
            run.rows_total += 1
            stored, refused = _stored_row(item)
            if refused is not None:
                run.failed += 1
                errors.append(row_error(run, refused.line, refused.raw, refused.reasons))
                if len(errors) >= size:
                    ImportRowError.objects.bulk_create(errors)
                    errors = []
                continue
            buffer.append(stored)
            if len(buffer) >= size:
                _add_chunk(run, buffer)
                buffer = []
        if buffer:
            _add_chunk(run, buffer)
        ImportRowError.objects.bulk_create(errors)
    finally:
        if temporary:
            path.unlink(missing_ok=True)


def _stored_row(item: RoundRow | RowError) -> tuple[bytes, RowError | None]:
    """A row as its chunk stores it (JSON), or the row error to record instead."""
    if isinstance(item, RowError):
        return b"", item
    try:
        return orjson.dumps(item.to_json()), None
    except TypeError:  # text an importer should have refused: the row is, not the run
        return b"", RowError(item.line, item.raw, {"row": "holds text that is not UTF-8"})


def _add_chunk(run: ImportRun, rows: list[bytes]) -> None:
    """Store rows (each a JSON object) as the run's next chunk: one JSON array."""
    payload = b"[" + b",".join(rows) + b"]"
    ImportChunk.objects.create(run=run, number=run.chunks_total, payload=payload)
    run.chunks_total += 1


def row_error(
    run: ImportRun, line: int, raw: str, reasons: dict[str, str], *, rejected: bool = True
) -> ImportRowError:
    return ImportRowError(
        run=run,
        line=line,
        raw=_storable(raw)[:MAX_RAW],
        reasons={_storable(k): _storable(v) for k, v in reasons.items()},
        rejected=rejected,
    )


def _storable(text: str) -> str:
    """`text` with what a database cannot store (bytes that were not UTF-8, NUL) as U+FFFD."""
    return text.encode("utf-8", errors="replace").decode().replace("\x00", "\ufffd")

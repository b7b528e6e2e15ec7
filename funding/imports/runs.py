"""Import runs: create, prepare (read into chunks), apply chunk by chunk, resume, fail;
scheduled sources. Each step is idempotent (see the package's docstring)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, Q
from django.utils import timezone

from companies.models import Company, Investor
from funding.importers import NotTheFormatError, RoundRow
from funding.importers.fetch import fetch_to_file
from funding.imports.planning import apply_rows
from funding.imports.reading import read_into_chunks
from funding.models import (
    FundingRound,
    ImportChunk,
    ImportRowError,
    ImportRun,
    ImportSource,
    Participation,
    RoundKey,
    Source,
)

logger = logging.getLogger(__name__)


def import_run_create(
    *,
    location: str,
    trigger: str,
    format_name: str = "",
    started_by: Any = None,
    source: ImportSource | None = None,
) -> ImportRun:
    run = ImportRun(
        location=location,
        trigger=trigger,
        format=format_name,
        started_by=started_by,
        source=source,
    )
    run.full_clean()
    run.save()
    return run


def _local_path(location: str) -> tuple[Path, bool]:
    """The file to read and whether it is a temporary download to delete afterwards."""
    if location.startswith(("http://", "https://")):
        return fetch_to_file(
            location,
            max_bytes=settings.IMPORT_MAX_BYTES,
            timeout=settings.IMPORT_FETCH_TIMEOUT,
            deadline=settings.IMPORT_FETCH_DEADLINE,
        ), True
    if "://" in location:
        raise NotTheFormatError(f"Only files and http(s) URLs can be imported, not {location}.")
    return Path(location), False


def import_run_prepare(*, run_id: int, enqueue: Callable[[int, int], None] | None = None) -> None:
    """Read the run's file into chunks and mark the run running (or failed, changing nothing).

    `enqueue(run_id, number)` is called on commit for each chunk still to
    apply, also when the run was prepared before (a re-delivered task).
    """
    try:
        with transaction.atomic():
            run = ImportRun.objects.select_for_update().get(pk=run_id)
            if run.status == ImportRun.Status.QUEUED:
                run.started_at = timezone.now()
                started = time.perf_counter()
                read_into_chunks(run, _local_path(run.location))
                run.read_seconds = time.perf_counter() - started
                run.status = ImportRun.Status.RUNNING if run.chunks_total else ImportRun.Status.DONE
                if not run.chunks_total:
                    run.finished_at = timezone.now()
                run.save()
            if enqueue is not None and run.status == ImportRun.Status.RUNNING:
                pending = list(
                    run.chunks.filter(applied=False)
                    .order_by("number")
                    .values_list("number", flat=True)
                )
                transaction.on_commit(lambda: [enqueue(run_id, n) for n in pending])
    except NotTheFormatError as error:  # nothing was stored: the transaction rolled back
        _run_fail(run_id=run_id, message=str(error))
    _forget_upload(run_id)


def _forget_upload(run_id: int) -> None:
    """An uploaded file is not needed once its rows are stored (or the run failed)."""
    run = ImportRun.objects.only("trigger", "location").get(pk=run_id)
    if run.trigger == ImportRun.Trigger.UPLOAD:
        path = Path(run.location)
        if path.parent == Path(settings.IMPORT_UPLOAD_DIR):
            path.unlink(missing_ok=True)


def _run_fail(*, run_id: int, message: str) -> None:
    ImportRun.objects.filter(pk=run_id).update(
        status=ImportRun.Status.FAILED, message=message[:5000], finished_at=timezone.now()
    )
    logger.warning("import run failed", extra={"run": run_id, "reason": message[:500]})


def import_runs_stalled(*, idle_seconds: float) -> list[int]:
    """Queued or running runs that have not moved on for `idle_seconds`. One query."""
    cutoff = timezone.now() - timedelta(seconds=idle_seconds)
    return list(
        ImportRun.objects.filter(
            status__in=[ImportRun.Status.QUEUED, ImportRun.Status.RUNNING],
            progressed_at__lt=cutoff,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def import_run_resume(
    *,
    run_id: int,
    idle_seconds: float,
    max_resumes: int,
    enqueue_start: Callable[[int], None],
    enqueue_chunk: Callable[[int, int], None],
) -> str:
    """Resume a run that stopped moving on: "resumed", "failed" or "" (it moved, or is busy).

    Its task was lost (a worker died reading it and the broker forgot it, or
    Redis restarted without it): a queued run is read again (`enqueue_start`),
    a running one gets its unapplied chunks again (`enqueue_chunk`), on commit.
    A second delivery of either changes nothing. After `max_resumes` the run
    fails with a message; the rows already applied stay. A run whose row is
    locked is being worked on and is left alone.
    """
    cutoff = timezone.now() - timedelta(seconds=idle_seconds)
    with transaction.atomic():
        run = (
            ImportRun.objects.select_for_update(skip_locked=True)
            .filter(
                pk=run_id,
                status__in=[ImportRun.Status.QUEUED, ImportRun.Status.RUNNING],
                progressed_at__lt=cutoff,
            )
            .first()
        )
        if run is None:
            return ""
        if run.resumes >= max_resumes:
            _run_fail(
                run_id=run_id,
                message=f"The run made no progress for {idle_seconds:g} s after being resumed "
                f"{run.resumes} times (its worker or task was lost) and was stopped; "
                f"{run.chunks_done} of {run.chunks_total} chunks were applied and stay. "
                "Start it again once the workers are healthy.",
            )
            return "failed"
        run.resumes += 1
        run.save(update_fields=["resumes", "progressed_at"])
        if run.status == ImportRun.Status.QUEUED:
            transaction.on_commit(lambda: enqueue_start(run_id))
        else:
            pending = list(
                run.chunks.filter(applied=False).order_by("number").values_list("number", flat=True)
            )

            def enqueue_pending() -> None:
                for number in pending:
                    enqueue_chunk(run_id, number)

            transaction.on_commit(enqueue_pending)
    logger.warning("import run resumed", extra={"run": run_id, "resumes": run.resumes})
    return "resumed"


def import_run_fail(*, run_id: int, message: str) -> None:
    """Mark a run failed (a chunk kept failing); rows already applied stay."""
    _run_fail(run_id=run_id, message=message)


# --- Chunks ---------------------------------------------------------------------

# A run that wrote this many rounds refreshes the planner's statistics when it ends.
ANALYZE_AFTER_ROWS = 1000


def _analyze(models: tuple[type[Model], ...] = (FundingRound,)) -> None:
    """Refresh PostgreSQL's statistics of the tables an import fills.

    Autovacuum would, some time later (or never, where it is off); until then a
    database that grew tenfold is planned as if it had not, and the pages slow
    down. A fraction of a second for 100k rounds.
    """
    if connection.vendor != "postgresql":
        return
    tables = [m._meta.db_table for m in models]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(connection.ops.quote_name(t) for t in tables)}")


def _doubled(before: int, after: int) -> bool:
    """Whether a run's written rows passed a power of two, from ANALYZE_AFTER_ROWS on."""
    return after >= ANALYZE_AFTER_ROWS and after.bit_length() > max(before, 1).bit_length()


def import_chunk_apply(*, run_id: int, number: int) -> bool:
    """Apply one chunk in one transaction; False when it was applied before."""
    started = time.perf_counter()
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run_id)
        chunk = ImportChunk.objects.get(run_id=run_id, number=number)
        if chunk.applied or run.status != ImportRun.Status.RUNNING:
            return False
        counts = apply_rows(run, [RoundRow.from_json(r) for r in orjson.loads(chunk.payload)])
        run.db_seconds += counts.db_seconds
        ImportRowError.objects.bulk_create(counts.errors)
        chunk.applied = True
        chunk.payload = b""  # applied rows are not needed again
        chunk.save(update_fields=["applied", "payload"])
        written = run.created + run.updated
        run.created += counts.created
        run.updated += counts.updated
        run.unchanged += counts.unchanged
        run.failed += counts.failed
        run.chunks_done += 1
        if run.chunks_done >= run.chunks_total:
            run.status = ImportRun.Status.DONE
            run.finished_at = timezone.now()
            if run.created + run.updated >= ANALYZE_AFTER_ROWS:
                _analyze((Company, Investor, FundingRound, Participation, Source, RoundKey))
        elif _doubled(written, run.created + run.updated):
            # The next chunks look rounds up by company and date: plan them on today's size.
            _analyze()
        run.apply_seconds += time.perf_counter() - started
        run.save()
    return True


# --- Scheduled sources ------------------------------------------------------------


def import_source_start(*, source: ImportSource, trigger: str, started_by: Any = None) -> ImportRun:
    """A queued run of the source, and its next scheduled time moved on."""
    run = import_run_create(
        location=source.url,
        trigger=trigger,
        format_name=source.format,
        started_by=started_by,
        source=source,
    )
    source.next_run_at = timezone.now() + timedelta(minutes=source.every_minutes)
    source.save(update_fields=["next_run_at"])
    return run


def import_sources_due() -> list[ImportSource]:
    """Enabled sources whose next run time has come (or was never set). One query."""
    return list(
        ImportSource.objects.filter(enabled=True).filter(
            Q(next_run_at__isnull=True) | Q(next_run_at__lte=timezone.now())
        )
    )

"""Celery tasks: thin wrappers that take plain values and call one service."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import Task, shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction

from funding.imports import (
    import_chunk_apply,
    import_run_fail,
    import_run_prepare,
    import_run_resume,
    import_runs_stalled,
    import_source_start,
    import_sources_due,
)
from funding.models import ImportRun
from funding.services import rounds_reconvert


@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def rounds_reconvert_currency(currency: str) -> int:
    """Recompute the USD figures of `currency` rounds after its rates changed."""
    return rounds_reconvert(currency=currency)


# --- Imports --------------------------------------------------------------------
# A worker killed mid-task leaves its message unacknowledged (acks_late) and the
# broker hands it to another worker (reject_on_worker_lost); the services make a
# second delivery harmless. Transient database errors are retried with
# exponential backoff and full jitter; anything else, or the last retry, fails the
# run with the reason (also under eager execution, where on_failure is not called).
TRANSIENT = (OperationalError, InterfaceError, IntegrityError)
IMPORT_TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": 6,
}
RETRY_BACKOFF_FACTOR = 2
RETRY_BACKOFF_MAX = 120


@contextmanager
def _failing_the_run_on_error(task: Task, run_id: int) -> Iterator[None]:
    try:
        yield
    except TRANSIENT as error:
        retries = task.request.retries
        if retries < (task.max_retries or 0):
            countdown = get_exponential_backoff_interval(
                RETRY_BACKOFF_FACTOR, retries, RETRY_BACKOFF_MAX, full_jitter=True
            )
            raise task.retry(exc=error, countdown=countdown) from error
        import_run_fail(
            run_id=run_id, message=f"{task.name} gave up after {retries} retries: {error!r}"
        )
        raise
    except Exception as error:
        import_run_fail(run_id=run_id, message=f"{task.name} failed: {error!r}")
        raise


# Python's cyclic garbage collector while an import reads or applies a chunk: see below.
IMPORT_GC_THRESHOLD = (100_000, 50, 1000)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector rarely meanwhile (reference counting frees the rest).

    An import allocates millions of short-lived objects and almost no cycles.
    At Python's default thresholds the collector runs every 700 allocations
    and, now and then, walks every live object (the name indexes, the chunk
    in hand). Measured on the bench's 100k-round import, two alternating passes:
    45.9 s on average with these thresholds, 51.0 s with Python's (-10 %). Restored
    afterwards.
    """
    previous = gc.get_threshold()
    gc.set_threshold(*IMPORT_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


@shared_task(**IMPORT_TASK_OPTIONS)
def import_run_start(self: Task, run_id: int) -> None:
    """Read the run's file into chunks; each chunk is then applied by `import_chunk`."""
    with _failing_the_run_on_error(self, run_id), fewer_collections():
        import_run_prepare(run_id=run_id, enqueue=_enqueue_chunk)


@shared_task(**IMPORT_TASK_OPTIONS)
def import_chunk(self: Task, run_id: int, number: int) -> bool:
    """Apply chunk `number` of the run in one transaction (a no-op when already applied)."""
    with _failing_the_run_on_error(self, run_id), fewer_collections():
        return import_chunk_apply(run_id=run_id, number=number)
    raise AssertionError  # unreachable: the context manager re-raises


def _enqueue_chunk(run_id: int, number: int) -> None:
    import_chunk.delay(run_id, number)


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, retry_jitter=True, max_retries=3)
def import_sources_run_due() -> int:
    """Run every enabled ImportSource that is due (Celery beat calls this every minute)."""
    started = 0
    for source in import_sources_due():
        with transaction.atomic():
            run = import_source_start(source=source, trigger=ImportRun.Trigger.SCHEDULE)
            import_run_enqueue(run_id=run.pk)
        started += 1
    return started


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, retry_jitter=True, max_retries=3)
def import_runs_resume_stalled() -> int:
    """Resume the runs that stopped moving on (Celery beat calls this every minute)."""
    idle = settings.IMPORT_RUN_STALLED_SECONDS
    resumed = 0
    for run_id in import_runs_stalled(idle_seconds=idle):
        outcome = import_run_resume(
            run_id=run_id,
            idle_seconds=idle,
            max_resumes=settings.IMPORT_RUN_MAX_RESUMES,
            enqueue_start=import_run_start.delay,
            enqueue_chunk=_enqueue_chunk,
        )
        resumed += outcome == "resumed"
    return resumed


def import_run_enqueue(*, run_id: int) -> None:
    """Start the run once the current transaction commits."""
    transaction.on_commit(lambda: import_run_start.delay(run_id))

"""Imports through real Celery workers on Redis and PostgreSQL, one of them killed mid-run."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from config.celery_app import app
from funding.imports import import_run_create
from funding.models import FundingRound, ImportRun, Participation, RoundKey
from funding.tasks import import_run_start, import_runs_resume_stalled
from tests.funding.importers.layouts import v4_generated

ROWS = 20_000
# The shipped broker options (config/settings.py), with the visibility timeout shortened
# as an operator would, through CELERY_VISIBILITY_TIMEOUT: a dead worker's task is handed
# to another once it has been out this long (checked every 10 s).
VISIBILITY_TIMEOUT = 30


def wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker_factory(
    celery_broker: str, postgres: None
) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Starts `celery worker` processes on the test database; kills what is left at the end."""
    started: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": celery_broker,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DEBUG": "False",
        "LOG_LEVEL": "WARNING",
    }

    def start() -> subprocess.Popen[bytes]:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config.celery_app",
                "worker",
                "--pool=prefork",
                "--concurrency=2",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            env=env,
            start_new_session=True,  # its own process group: the kill takes the pool too
            stdout=subprocess.DEVNULL,
        )
        started.append(worker)
        return worker

    app.control.purge()
    yield start
    for worker in started:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_loses_and_doubles_nothing(
    tmp_path: Path, worker_factory: Callable[[], subprocess.Popen[bytes]]
) -> None:
    folder = v4_generated(tmp_path / "bulk", rows=ROWS, companies=2000)
    run = import_run_create(location=str(folder), trigger=ImportRun.Trigger.COMMAND)

    def progress() -> ImportRun:
        return ImportRun.objects.get(pk=run.pk)

    first = worker_factory()
    import_run_start.delay(run.pk)
    assert wait_for(lambda: progress().chunks_done >= 2, timeout=180), progress().__dict__
    os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool, mid-chunk
    killed = time.monotonic()
    first.wait()
    killed_at = progress()
    assert killed_at.status == "running"
    assert killed_at.chunks_done < killed_at.chunks_total

    worker_factory()
    assert wait_for(lambda: progress().status == "done", timeout=300), progress().__dict__
    kill_to_done = time.monotonic() - killed
    assert kill_to_done < 300

    finished = progress()
    assert (finished.created, finished.updated, finished.unchanged, finished.failed) == (
        ROWS,
        0,
        0,
        0,
    )
    assert FundingRound.objects.count() == ROWS
    assert RoundKey.objects.count() == ROWS
    assert Participation.objects.count() == ROWS
    doubled = (
        FundingRound.objects.values("company", "stage", "announced_on", "amount")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not doubled.exists()
    print(
        f"worker kill: killed after {killed_at.chunks_done}/{killed_at.chunks_total} chunks; "
        f"done {kill_to_done:.0f} s after the kill (visibility timeout {VISIBILITY_TIMEOUT} s); "
        f"final {finished.summary}; rounds {ROWS}"
    )


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_task_was_lost_while_queued_is_resumed_by_the_periodic_task(
    tmp_path: Path, worker_factory: Callable[[], subprocess.Popen[bytes]]
) -> None:
    """Its task died in the read phase and the broker forgot it: the run sat queued."""
    folder = v4_generated(tmp_path / "bulk", rows=500, companies=50)
    run = import_run_create(location=str(folder), trigger=ImportRun.Trigger.COMMAND)
    long_ago = timezone.now() - timedelta(hours=2)
    ImportRun.objects.filter(pk=run.pk).update(progressed_at=long_ago)
    worker_factory()
    assert import_runs_resume_stalled() == 1  # as beat would call it; the worker reads the run
    assert wait_for(lambda: ImportRun.objects.get(pk=run.pk).status == "done", timeout=120)
    finished = ImportRun.objects.get(pk=run.pk)
    assert finished.created + finished.updated + finished.unchanged == 500
    assert (finished.failed, finished.resumes) == (0, 1)
    assert FundingRound.objects.count() == finished.created > 0

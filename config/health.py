"""Liveness and readiness probes for the container orchestrator and monitoring.

`/healthz` says the process serves requests and touches nothing else.
`/readyz` says this instance can do its work: the database answers and has
every migration applied, and Redis (cache) and the Celery broker answer when
they are configured. Failures are logged with their cause; the public answer
names only the failing check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

logger = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 2.0

OK = "ok"
FAILED = "failed"
NOT_CONFIGURED = "not configured"


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": OK})


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Runs a query, reads the migration table, and pings Redis and the broker."""
    checks = {
        "database": _run(_check_database),
        "migrations": _run(_check_migrations),
        "redis": _run(_check_redis) if settings.REDIS_URL else NOT_CONFIGURED,
        "broker": _run(_check_broker) if settings.CELERY_BROKER_URL else NOT_CONFIGURED,
    }
    ready = FAILED not in checks.values()
    return JsonResponse(
        {"status": OK if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


def _run(check: Callable[[], None]) -> str:
    try:
        check()
    except Exception:
        logger.exception("readiness check %s failed", check.__name__.removeprefix("_check_"))
        return FAILED
    return OK


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


class MigrationsPendingError(RuntimeError):
    pass


def _check_migrations() -> None:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        pending = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan)
        raise MigrationsPendingError(f"unapplied migrations: {pending}")


def _check_redis() -> None:
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=PROBE_TIMEOUT_SECONDS,
        socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
    )
    with client:
        client.ping()


def _check_broker() -> None:
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=PROBE_TIMEOUT_SECONDS) as broker:
        broker.ensure_connection(max_retries=0)

"""Test-wide settings and fixtures.

Tests that need a real server (PostgreSQL, a Redis broker) ask for the
`postgres` or `celery_broker` fixtures: without the server they are skipped,
unless REQUIRE_SERVICES=1 (as in CI), where a missing server fails them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection

from companies.services import OrganizationIndex

# Browser tests run the live server in a thread next to Playwright's event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def need_service(reason: str) -> None:
    """Skip the test, or fail it when CI requires every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _live_server_speaks_plain_http() -> Iterator[None]:
    """The live server (browser and probe tests) serves plain http.

    Its middleware reads settings once, when the session-wide server starts, so
    the per-test `settings` fixture below comes too late for it.
    """
    previous = django_settings.SECURE_SSL_REDIRECT
    django_settings.SECURE_SSL_REDIRECT = False
    yield
    django_settings.SECURE_SSL_REDIRECT = previous


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    # Cached figures are keyed by a stamp of the rounds, not by the test database:
    # a test must not see another test's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _test_settings(settings: pytest.FixtureRequest) -> None:
    # Manifest storage needs collectstatic; MD5 keeps user creation fast.
    settings.STORAGES = {  # type: ignore[attr-defined]
        **django_settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    # Production settings (DEBUG off) redirect http to https; the test client
    # speaks http unless a test passes secure=True (tests/config/ does).
    settings.SECURE_SSL_REDIRECT = False  # type: ignore[attr-defined]
    # client.login() authenticates without a request, which django-axes refuses;
    # tests/config/test_login_protection.py switches it back on.
    settings.AXES_ENABLED = False  # type: ignore[attr-defined]
    # Tests run in one process, so its memory cache is shared by everything they run.
    settings.CACHE_ROUND_FIGURES = True  # type: ignore[attr-defined]
    # No test is throttled unless it lowers the rates itself.
    settings.API_THROTTLE_RATES = {"anon": "1000000/minute", "token": "1000000/minute"}  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fresh_organization_index() -> None:
    """Each test starts without the process's index of the last test's (rolled back) rows."""
    OrganizationIndex.forget()


@pytest.fixture
def postgres() -> None:
    if connection.vendor != "postgresql":
        need_service("this test needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def celery_broker() -> str:
    url: str = django_settings.CELERY_BROKER_URL
    if not url:
        need_service("this test needs a Celery broker (set CELERY_BROKER_URL)")
    return url


# --- API ---------------------------------------------------------------------------


@pytest.fixture
def redis_url() -> str:
    url: str = django_settings.REDIS_URL
    if not url:
        need_service("this test needs Redis for the cache (set REDIS_URL)")
    return url


@pytest.fixture(scope="module")
def demo_data(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo data, loaded once for a module's tests and removed after them.

    Tests using it run in transactions that roll back, so they see it unchanged.
    """
    with django_db_blocker.unblock():
        call_command("load_demo", stdout=StringIO())
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, stdout=StringIO())

"""/healthz: the process is up. /readyz: it can work (database, migrations, Redis, broker)."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from config import probe
from tests.conftest import need_service

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3Xq9vLmP2rT8wYz5bNc7dFh1jGs4aUe6iOo0pQlRtSvWxYzAbCdEfGhIjKlMnOp"
UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def no_services(settings: Any) -> None:
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = ""


def test_healthz_answers_without_touching_the_database(client: Client) -> None:
    # No django_db mark: pytest-django fails any query made here.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_ready_on_a_migrated_database(client: Client, no_services: None) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "migrations": "ok",
            "redis": "not configured",
            "broker": "not configured",
        },
    }


@pytest.mark.django_db
def test_readyz_is_unavailable_while_a_migration_is_pending(
    client: Client, no_services: None, caplog: pytest.LogCaptureFixture
) -> None:
    MigrationRecorder.Migration.objects.filter(app="funding").order_by("-id").first().delete()  # type: ignore[union-attr]
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["migrations"] == "failed"
    assert "unapplied migrations: funding." in caplog.text


@pytest.mark.django_db
def test_readyz_is_unavailable_when_the_database_is_down(
    client: Client, no_services: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise ConnectionError("database down")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "failed"


@pytest.mark.django_db
@pytest.mark.parametrize("setting", ["REDIS_URL", "CELERY_BROKER_URL"])
def test_readyz_is_unavailable_when_redis_or_the_broker_is_unreachable(
    client: Client, settings: Any, no_services: None, setting: str, caplog: pytest.LogCaptureFixture
) -> None:
    setattr(settings, setting, UNREACHABLE)
    with caplog.at_level(logging.ERROR, logger="config.health"):
        response = client.get("/readyz")
    assert response.status_code == 503
    check = {"REDIS_URL": "redis", "CELERY_BROKER_URL": "broker"}[setting]
    assert response.json()["checks"][check] == "failed"
    # The cause goes to the log, never to the anonymous caller.
    assert "127.0.0.1:1" in caplog.text
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_readyz_reaches_the_real_redis_and_broker(client: Client, celery_broker: str) -> None:
    if not os.environ.get("REDIS_URL"):
        need_service("this test needs Redis (set REDIS_URL)")
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "redis": "ok",
        "broker": "ok",
    }


@pytest.mark.parametrize(
    ("allowed_hosts", "host"),
    [
        ("roundbook.example.com,www.example.com", "roundbook.example.com"),
        (" .example.com ", "example.com"),
        ("*,roundbook.example.com", "roundbook.example.com"),
        ("", "localhost"),
    ],
)
def test_the_probe_presents_a_host_django_accepts(allowed_hosts: str, host: str) -> None:
    assert probe.probe_host(allowed_hosts) == host


@pytest.mark.django_db(transaction=True)
def test_the_container_probe_passes_on_a_ready_server(
    live_server: Any, monkeypatch: pytest.MonkeyPatch, no_services: None
) -> None:
    monkeypatch.setenv("PORT", str(live_server.thread.port))
    monkeypatch.setenv("ALLOWED_HOSTS", "localhost")
    assert probe.main(["probe.py", "/readyz"]) == 0
    assert probe.main(["probe.py", "/no-such-probe"]) == 1


def test_the_container_probe_fails_when_nothing_listens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "1")
    assert probe.main(["probe.py"]) == 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_gunicorn_serves_the_app_with_production_settings_and_json_logs(tmp_path: Path) -> None:
    """The container's command, outside a container: gunicorn with config/gunicorn.py."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "DEBUG": "False",
        "SECRET_KEY": STRONG_KEY,
        "ALLOWED_HOSTS": "roundbook.example.com",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(  # noqa: S603
        [
            str(gunicorn),
            "--config",
            "config/gunicorn.py",
            "--bind",
            f"127.0.0.1:{port}",
            "config.wsgi",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        ok = False
        while time.monotonic() < deadline and not ok:
            time.sleep(0.2)
            ok = probe.probe("/healthz", port=port, host="roundbook.example.com")
        assert ok
        assert not probe.probe("/healthz", port=port, host="attacker.example.net")
    finally:
        server.terminate()
        output, errors = server.communicate(timeout=20)
    assert "Traceback" not in errors, errors
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert any('"GET /healthz HTTP/1.1" 200' in line["message"] for line in lines)
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)

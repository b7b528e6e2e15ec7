"""docker-compose.yml, Dockerfile and .env.example describe a safe, self-healing deployment.

CI also validates the compose file with docker-compose itself (`.ci/run`).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ["web", "worker", "beat"]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_it_runs_the_whole_stack(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"db", "redis", "migrate", "web", "worker", "beat"}
    assert compose["services"]["db"]["image"].startswith("postgres:16")


@pytest.mark.parametrize("service", ["db", "redis", "web", "worker"])
def test_long_running_services_have_a_health_check(compose: dict[str, Any], service: str) -> None:
    assert compose["services"][service]["healthcheck"]["test"]


def test_the_web_health_check_is_the_readiness_probe(compose: dict[str, Any]) -> None:
    assert compose["services"]["web"]["healthcheck"]["test"][-1] == "/readyz"


@pytest.mark.parametrize("service", ["db", "redis", *APP_SERVICES])
def test_services_restart_after_a_crash(compose: dict[str, Any], service: str) -> None:
    assert compose["services"][service]["restart"] == "unless-stopped"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_the_application_waits_for_healthy_servers_and_migrations(
    compose: dict[str, Any], service: str
) -> None:
    depends_on = compose["services"][service]["depends_on"]
    assert depends_on["db"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"


def test_data_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    assert set(compose["volumes"]) == {
        "postgres-data",
        "redis-data",
        "beat-schedule",
        "import-uploads",
    }
    mounts = [m for s in compose["services"].values() for m in s.get("volumes", [])]
    assert all(mount.split(":")[0] in compose["volumes"] for mount in mounts)


def test_workers_can_be_scaled(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    assert "container_name" not in worker
    assert "ports" not in worker


def test_the_example_environment_holds_no_secret() -> None:
    values = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert values["SECRET_KEY"] == ""
    assert values["POSTGRES_PASSWORD"] == ""
    assert values["DEBUG"] == "False"


def test_the_image_is_multi_stage_non_root_with_static_files_collected() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.MULTILINE)) == 2
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users
    assert users[-1] not in {"root", "0"}
    assert "collectstatic" in dockerfile
    assert '"gunicorn"' in dockerfile


def test_secrets_and_local_files_stay_out_of_the_image() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for entry in [".env", "local.env", ".git", ".venv", "db.sqlite3*"]:
        assert entry in ignored


def test_uploaded_imports_are_shared_by_web_and_workers(compose: dict[str, Any]) -> None:
    # The root filesystem is read-only; an upload must reach the worker that reads it.
    for service in ("web", "worker"):
        assert (
            "import-uploads:/var/lib/roundbook/imports" in compose["services"][service]["volumes"]
        )
        environment = compose["services"][service]["environment"]
        assert environment["IMPORT_UPLOAD_DIR"] == "/var/lib/roundbook/imports"


def test_gunicorn_logs_through_the_settings_logging_configuration(settings: Any) -> None:
    """One logging configuration: gunicorn's (loaded by path, as gunicorn loads it) has the
    settings' formatter and handler, and only adds its own two loggers."""
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "config/gunicorn.py")
    assert spec is not None
    assert spec.loader is not None
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    ours = conf.logconfig_dict
    for part in ("formatters", "handlers", "root"):
        assert ours[part] == settings.LOGGING[part], part
    assert set(ours["loggers"]) == {"gunicorn.error", "gunicorn.access"}

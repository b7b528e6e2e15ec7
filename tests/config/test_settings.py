"""Start-up configuration: loud failures in production, safe local defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3Xq9vLmP2rT8wYz5bNc7dFh1jGs4aUe6iOo0pQlRtSvWxYzAbCdEfGhIjKlMnOp"


def start(**env: str) -> subprocess.CompletedProcess[str]:
    """Import the settings in a fresh interpreter (not under pytest) with `env`."""
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("key", ["", "short", "django-insecure-" + "a1b2c3" * 10, "a" * 80])
def test_production_refuses_a_missing_or_weak_secret_key(key: str) -> None:
    result = start(DEBUG="False", SECRET_KEY=key)
    assert result.returncode != 0
    assert "SECRET_KEY is missing or weak" in result.stderr


def test_production_starts_with_a_strong_key() -> None:
    result = start(DEBUG="False", SECRET_KEY=STRONG_KEY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("False")


def test_a_bad_boolean_is_an_error_not_a_guess() -> None:
    result = start(DEBUG="sometimes", SECRET_KEY=STRONG_KEY)
    assert result.returncode != 0


def test_the_default_database_is_the_local_sqlite_file() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.settings as s; print(s.DATABASES['default']['NAME'])",
        ],
        cwd=ROOT,
        env={**env, "DEBUG": "True", "SECRET_KEY": STRONG_KEY},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == str(ROOT / "db.sqlite3")


def test_postgres_gets_persistent_connections_with_health_checks() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import config.settings as s; d = s.DATABASES['default']; "
            "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DEBUG": "False",
            "SECRET_KEY": STRONG_KEY,
            "DATABASE_URL": "postgres://u@db:5432/roundbook",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["600", "True"]


def test_development_without_a_key_starts_with_a_throwaway_one() -> None:
    result = start(DEBUG="True", SECRET_KEY="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("True")

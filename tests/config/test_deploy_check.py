"""`manage.py check --deploy` is clean for a production configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3Xq9vLmP2rT8wYz5bNc7dFh1jGs4aUe6iOo0pQlRtSvWxYzAbCdEfGhIjKlMnOp"
PRODUCTION = {
    "DEBUG": "False",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "roundbook.example.com",
}


def check_deploy(**env: str) -> subprocess.CompletedProcess[str]:
    # tests/conftest.py allows async-unsafe calls for browser tests; a deployment does not.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_production_configuration_passes_the_deployment_checklist() -> None:
    result = check_deploy(**PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_checklist_fails_a_debug_configuration() -> None:
    result = check_deploy(**{**PRODUCTION, "DEBUG": "True"})
    assert result.returncode != 0
    assert "security.W018" in result.stderr  # DEBUG on in deployment

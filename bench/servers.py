"""The benchmark's gunicorn servers: Roundbook and the raw baseline, on loopback.

Both run with the project's gunicorn settings (config/gunicorn.py: JSON access
log, timeouts) and 2 workers, with two changes: they bind to 127.0.0.1 on the
benchmark's port, and workers are not recycled (`max_requests` 0), because at
benchmark rates recycling every ~1,000 requests would time Django's start-up
instead of its serving.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = PROJECT_DIR / "config" / "gunicorn.py"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
# Every request says it came through the TLS proxy, as in production
# (BEHIND_HTTPS_PROXY): no redirect to https, and the same Host for both servers,
# so that the `next` links of Roundbook and of the raw app are the same bytes.
REQUEST_HEADERS = {"Host": "localhost", "X-Forwarded-Proto": "https"}
WORKERS = 2


def django_env(database_url: str) -> dict[str, str]:
    """Production settings (DEBUG off) for the bench database, with throttling raised.

    Set explicitly, so that a developer's local.env (DEBUG=True) changes nothing.
    """
    return {
        **os.environ,
        "DEBUG": "False",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "BEHIND_HTTPS_PROXY": "True",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": "",
        # The benchmark measures serving, not 429s.
        "API_THROTTLE_ANON": "1000000000/minute",
        "API_THROTTLE_TOKEN": "1000000000/minute",
    }


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the master's children, read from /proc."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def workers_rss_mb(self) -> list[float]:
        return [rss_mb(pid) for pid in self.worker_pids()]


def rss_mb(pid: int) -> float:
    """Resident memory of one process, in MB (VmRSS in /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def fetch(url: str, *, timeout: float = 30) -> tuple[int, bytes]:
    """One GET with the benchmark's headers: (status, body). Redirects are not followed."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers=REQUEST_HEADERS)  # noqa: S310 (loopback)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@contextmanager
def gunicorn(
    name: str, app: str, *, port: int, env: dict[str, str], log_dir: Path, probe: str
) -> Iterator[Server]:
    """A gunicorn master with 2 workers serving `app`; stopped on exit.

    Waits until `probe` answers 200, so that the workers have started.
    """
    log = log_dir / f"{name}.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        f"--config={GUNICORN_CONFIG}",
        "--no-control-socket",
        f"--bind=127.0.0.1:{port}",
        f"--workers={WORKERS}",
        "--max-requests=0",
        app,
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 (our own arguments)
            command, cwd=PROJECT_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    server = Server(name=name, port=port, process=process, log=log)
    try:
        _wait_ready(server, probe)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(server: Server, probe: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited; see {server.log}")
        try:
            status, _ = fetch(server.base_url + probe, timeout=5)
            if status == 200 and len(server.worker_pids()) == WORKERS:
                return
            last = f"status {status}"
        except OSError as error:
            last = str(error)
        time.sleep(0.3)
    raise RuntimeError(f"{server.name} not ready after {timeout:.0f} s ({last}); see {server.log}")

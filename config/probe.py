"""Container health check: `python config/probe.py [/readyz]` exits 0 when the app answers 200.

Runs inside the web container against gunicorn on loopback, with the standard
library only (run by path, it imports neither Django nor Celery). Django answers
only the host names in ALLOWED_HOSTS, so the first concrete one is sent as Host.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_PATH = "/readyz"
TIMEOUT_SECONDS = 5.0


def probe_host(allowed_hosts: str) -> str:
    """The first ALLOWED_HOSTS entry usable as a Host header (`.example.com` -> `example.com`)."""
    for entry in allowed_hosts.split(","):
        host = entry.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def probe(path: str, *, port: int, host: str) -> bool:
    url = f"http://127.0.0.1:{port}{path}"
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (a fixed http URL on loopback)
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else DEFAULT_PATH
    port = int(os.environ.get("PORT", "8000"))
    host = probe_host(os.environ.get("ALLOWED_HOSTS", ""))
    return 0 if probe(path, port=port, host=host) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

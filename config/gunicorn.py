"""gunicorn settings for the container: `gunicorn --config config/gunicorn.py config.wsgi`.

Loaded by path, before Django and before the project is importable: environment
variables only. Logs go as JSON lines to stdout in the same shape as the
application's own (settings.LOGGING repeats this formatter for that reason).
"""

from __future__ import annotations

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Recycle workers now and then, so a slow leak never becomes an outage.
max_requests = 1000
max_requests_jitter = 100
# The heartbeat file on tmpfs: the container's root filesystem is read-only.
worker_tmp_dir = "/dev/shm"  # noqa: S108 (tmpfs in containers, not a shared /tmp)
# No runtime control interface in the container (gunicorn 27 opens one by default).
control_socket_disable = True

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
        },
    },
    "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
}

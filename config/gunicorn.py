"""gunicorn settings for the container: `gunicorn --config config/gunicorn.py config.wsgi`.

Loaded by path, before Django and before the project is importable: environment
variables only. Logs go as JSON lines to stdout through the application's own
logging configuration (config/log.py, which settings.LOGGING is built with).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

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

# The application's logging configuration (config/log.py), loaded by path as this file is.
_log_path = Path(__file__).with_name("log.py")
_log_spec = importlib.util.spec_from_file_location("roundbook_log", _log_path)
if _log_spec is None or _log_spec.loader is None:
    raise ImportError(f"cannot load {_log_path}")
_log = importlib.util.module_from_spec(_log_spec)
_log_spec.loader.exec_module(_log)
logconfig_dict = _log.logging_config(
    os.environ.get("LOG_LEVEL", "INFO"),
    loggers={
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
    },
)

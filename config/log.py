"""The one logging configuration: JSON lines on standard output, in one shape for Django,
Celery workers and gunicorn (`{"time", "level", "logger", "message", …}`).

`settings.py` builds LOGGING with it; `gunicorn.py`, which gunicorn loads by path
before the project is importable, loads this file by path too. Standard library only.
"""

from __future__ import annotations

from typing import Any


def logging_config(level: str, *, loggers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A `logging.config.dictConfig` dict: every record through one JSON handler on stdout."""
    return {
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
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": loggers,
    }

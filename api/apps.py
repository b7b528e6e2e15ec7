from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    """What every endpoint under /api/ shares: errors, rendering, paging, auth, throttling."""

    name = "api"
    verbose_name = "API"

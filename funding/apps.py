from __future__ import annotations

from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = "Funding"

    def ready(self) -> None:
        from funding import checks  # noqa: F401, PLC0415 (registers the stored-URL check once apps are ready)

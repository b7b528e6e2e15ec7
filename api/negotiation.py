from __future__ import annotations

from collections.abc import Iterable

from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer


class ContentNegotiation(DefaultContentNegotiation):
    """An unknown `?format=` is a 406 like an Accept header the API cannot serve (DRF: 404)."""

    def filter_renderers(
        self, renderers: Iterable[BaseRenderer], format: str
    ) -> list[BaseRenderer]:
        renderers = list(renderers)
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            renderers = list(renderers)
            raise exceptions.NotAcceptable(
                f"format={format!r} is not available here; use one of "
                + ", ".join(sorted({str(r.format) for r in renderers}))
                + "."
            )
        return matching

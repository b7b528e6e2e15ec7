"""JSON rendered by orjson; CSV for the rounds lists; problem+json for errors."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson
from django.utils.functional import Promise
from rest_framework.renderers import BaseRenderer


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Promise):  # lazily translated messages
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_dumps(data: Any) -> bytes:
    return orjson.dumps(data, default=_default)


class ORJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        return json_dumps(data)


class ProblemJSONRenderer(ORJSONRenderer):
    """Only ever chosen by the exception handler, never by negotiation."""

    media_type = "application/problem+json"
    format = "problem"


class CSVRenderer(BaseRenderer):
    """Selects CSV by `Accept: text/csv` or `?format=csv`; the view streams the rows itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        raise TypeError("CSV is streamed by the view")

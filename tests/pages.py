"""Helpers for page tests: fetch a page counting its SQL queries."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def get_counting(client: Client, url: str) -> tuple[Any, list[str]]:
    """The response and the SQL it ran (streamed bodies are read inside the count)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if getattr(response, "streaming", False):
            response._body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response, [q["sql"] for q in queries.captured_queries]

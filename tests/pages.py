"""Helpers for page tests: fetch a page counting its SQL queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import rounds_with_investors


def get_counting(client: Client, url: str) -> tuple[Any, list[str]]:
    """The response and the SQL it ran (streamed bodies are read inside the count)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if getattr(response, "streaming", False):
            response._body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response, [q["sql"] for q in queries.captured_queries]


def queries_with_10_and_100_rounds(
    client: Client, url: str, *, more_rows: Callable[[], object] | None = None
) -> tuple[list[str], list[str]]:
    """The SQL of `url` with 10 rounds, then with 100 (and whatever `more_rows` adds)."""
    rounds_with_investors(10)
    _, small = get_counting(client, url)
    rounds_with_investors(90, start=10)
    if more_rows is not None:
        more_rows()
    _, large = get_counting(client, url)
    return small, large

"""Links from the pages to the API answering the same question."""

from __future__ import annotations

from django.http import QueryDict


def api_query(path: str, params: QueryDict) -> str:
    """The API URL answering the same question as a page (its `page` number dropped)."""
    params = params.copy()
    params.pop("page", None)
    return f"{path}?{params.urlencode()}" if params else path

"""The raw baseline writes values and links exactly as the API does (bench/raw_app.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from api.pagination import CursorPagination, ordering_for
from bench import raw_app
from funding.models import FundingRound
from funding.roundbook_format import plain


@pytest.mark.parametrize(
    "value",
    [
        Decimal("1000000000.00"),
        Decimal("2500000.50"),
        Decimal("0.00"),
        Decimal("12.30"),
        date(2024, 2, 19),
        datetime(2026, 11, 29, 12, 0, 5, 123456, tzinfo=UTC),
        None,
    ],
)
def test_values_are_written_as_the_api_writes_them(value: object) -> None:
    assert raw_app._plain(value) == plain(value)


def test_the_next_link_is_the_apis() -> None:
    environ = {
        "QUERY_STRING": "page_size=50",
        "HTTP_HOST": "localhost",
        "HTTP_X_FORWARDED_PROTO": "https",
        "PATH_INFO": "/api/v1/rounds/",
        "wsgi.url_scheme": "http",
    }
    last = (4242, "co", "Co", "seed", date(2023, 7, 1))
    expected = CursorPagination()._link(
        "https://localhost/api/v1/rounds/?page_size=50",
        ordering_for(FundingRound, "-announced_on"),
        {"announced_on": date(2023, 7, 1), "id": 4242},
        False,
    )
    assert raw_app._next_link(environ, last) == expected

"""The raw baseline writes values and links exactly as the API does (bench/raw_app.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import psycopg
import pytest
from django.db import connection
from django.test import Client

from api.pagination import CursorPagination, ordering_for
from bench import raw_app
from funding.models import FundingRound
from funding.record import RECORD_KEYS
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


def test_the_raw_app_serves_the_round_records_keys_in_order() -> None:
    assert raw_app.RECORD_KEYS == RECORD_KEYS


@pytest.mark.django_db
def test_the_raw_app_serves_the_apis_bytes(
    postgres: None, demo_data: None, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the bench checks before it times anything, on the demo data: a field added
    to the record and not to the raw app's SQL fails here rather than in `make bench`."""
    db = connection.settings_dict
    raw = psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"],
        port=db["PORT"] or None,
        autocommit=True,
        options="-c TimeZone=UTC",
    )
    monkeypatch.setattr(raw_app, "_connection", raw)
    environ = {
        "QUERY_STRING": "page_size=20",
        "HTTP_HOST": "testserver",
        "PATH_INFO": "/api/v1/rounds/",
        "wsgi.url_scheme": "http",
    }
    try:
        raw_body = raw_app.api_rounds(environ)
    finally:
        raw.close()
    response = client.get("/api/v1/rounds/?page_size=20")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 20
    assert raw_body == response.content

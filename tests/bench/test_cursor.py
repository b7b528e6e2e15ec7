"""The deep page's cursor is the one the API itself writes and reads (api/pagination.py)."""

from __future__ import annotations

from datetime import date

from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.pagination import CursorPagination, ordering_for
from bench.measures import cursor_token, deep_page_path
from funding.models import FundingRound

NEWEST_FIRST = ordering_for(FundingRound, "-announced_on")


def test_the_deep_page_path_is_the_apis_own_next_link() -> None:
    row = {"announced_on": date(2019, 3, 14), "id": 10_123}
    link = CursorPagination()._link(
        "https://localhost/api/v1/rounds/?page_size=50", NEWEST_FIRST, row, False
    )
    assert link == "https://localhost" + deep_page_path(date(2019, 3, 14), 10_123)


def test_the_api_reads_the_cursor_back_as_the_row_it_points_after() -> None:
    request = Request(APIRequestFactory().get(deep_page_path(date(2019, 3, 14), 10_123)))
    assert CursorPagination()._decode(request, NEWEST_FIRST) == (date(2019, 3, 14), 10_123, False)


def test_the_cursor_names_its_ordering() -> None:
    assert cursor_token("-announced_on", date(2020, 1, 1), 1) != cursor_token(
        "announced_on", date(2020, 1, 1), 1
    )

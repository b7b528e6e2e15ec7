"""Paging through rounds while another connection adds rounds (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from funding.models import FundingRound
from tests.factories import CompanyFactory, RoundFactory


@pytest.mark.usefixtures("postgres")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("ordering", ["-announced_on", "amount_usd"])
def test_a_cursor_walk_returns_each_existing_round_once_while_rounds_are_added(
    ordering: str,
) -> None:
    company = CompanyFactory.create(name="Walk Co")
    for n in range(60):
        RoundFactory.create(
            company=company,
            announced_on=date(2024, 1, 1) + timedelta(days=n % 20),
            amount=None if n % 7 == 0 else 1_000_000 * (n % 9 + 1),
            currency="" if n % 7 == 0 else "USD",
        )
    existing = set(FundingRound.objects.values_list("id", flat=True))
    inserted = threading.Event()
    stop = threading.Event()

    def writer() -> None:
        # Same dates and amounts as the walked rows: they land on every page, before
        # and after the cursor.
        try:
            n = 0
            while not stop.is_set() and n < 200:
                RoundFactory.create(
                    company=company,
                    announced_on=date(2024, 1, 1) + timedelta(days=n % 20),
                    amount=1_000_000 * (n % 9 + 1),
                )
                n += 1
                inserted.set()
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    inserted.wait(timeout=10)
    client = Client()
    seen: list[int] = []
    url: Any = f"/api/v1/rounds/?page_size=7&ordering={ordering}"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    stop.set()
    thread.join()
    assert FundingRound.objects.count() > len(existing), "rows were added during the walk"
    walked_existing = [pk for pk in seen if pk in existing]
    assert sorted(walked_existing) == sorted(existing)
    assert len(seen) == len(set(seen)), "no round twice"

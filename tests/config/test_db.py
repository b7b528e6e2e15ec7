"""`bulk_upsert`: inserts, changes only what differs, and needs no caller transaction.

`build`: the same instance as the model's constructor, defaults included.
"""

from __future__ import annotations

from datetime import date

import pytest

from companies.models import Company, Sector
from config.db import build, bulk_upsert
from funding.models import FundingRound


def _upsert(name: str) -> tuple[int, int]:
    result = bulk_upsert(
        Sector,
        [(name, "ai")],
        columns=["name", "slug"],
        conflict=["slug"],
        update=["name"],
        history=False,
    )
    return len(result.inserted), len(result.updated)


@pytest.mark.django_db(transaction=True)
def test_an_upsert_inserts_then_changes_only_what_differs_even_in_autocommit() -> None:
    assert _upsert("AI") == (1, 0)
    assert _upsert("AI") == (0, 0)
    assert _upsert("Artificial intelligence") == (0, 1)
    assert Sector.objects.get(slug="ai").name == "Artificial intelligence"


def test_build_gives_what_the_constructor_gives_and_fresh_mutable_defaults() -> None:
    values = {"company_id": 7, "stage": "seed", "announced_on": date(2024, 2, 19)}
    built, constructed = build(FundingRound, values), FundingRound(**values)
    fields = [f.attname for f in FundingRound._meta.concrete_fields]
    assert [getattr(built, f) for f in fields] == [getattr(constructed, f) for f in fields]
    assert (built.status, built._state.adding) == ("announced", True)
    first, second = build(Company, {"name": "A"}), build(Company, {"name": "B"})
    first.aliases.append("Alpha")
    assert second.aliases == []

"""`bulk_upsert`: inserts, changes only what differs, and needs no caller transaction."""

from __future__ import annotations

import pytest

from companies.models import Sector
from config.db import bulk_upsert


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

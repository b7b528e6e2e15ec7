"""Keyset cursors: the condition for the rows after a cursor can start an index scan there."""

from __future__ import annotations

from datetime import date

from django.db.models import Q

from api.pagination import KeysetOrdering


def _children(condition: Q) -> list[object]:
    return list(condition.children) if condition.connector == Q.AND else [condition]


def test_rows_after_a_cursor_are_bounded_by_its_value_so_an_index_can_start_there() -> None:
    newest_first = KeysetOrdering(key="-announced_on", nullable=False)
    condition = newest_first.after(date(2024, 2, 1), 42)
    assert ("announced_on__lte", date(2024, 2, 1)) in _children(condition)


def test_rows_before_a_cursor_are_bounded_by_its_value_too() -> None:
    newest_first = KeysetOrdering(key="-announced_on", nullable=False)
    condition = newest_first.before(date(2024, 2, 1), 42)
    assert ("announced_on__gte", date(2024, 2, 1)) in _children(condition)

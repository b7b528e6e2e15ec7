"""Template filters show money, dates and stages as people read them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.template import Context, Template


def render(source: str, **context: object) -> str:
    return Template("{% load roundbook %}" + source).render(Context(context))


def test_money_in_its_own_currency() -> None:
    assert render("{{ a|money:'EUR' }}", a=Decimal("385000000")) == "€385M"
    assert render("{{ a|money:'CNY' }}", a=Decimal("5e9")) == "¥5.0B (CNY)"


def test_undisclosed_money_says_so() -> None:
    assert render("{{ a|money:'USD' }}", a=None) == "undisclosed"


def test_usd() -> None:
    assert render("{{ a|usd }}", a=Decimal("1e9")) == "$1.0B"


def test_dates_at_their_precision() -> None:
    day = date(2023, 8, 14)
    assert render("{{ d|at_precision:'quarter' }}", d=day) == "Q3 2023"
    assert render("{{ d|at_precision:'month' }}", d=day) == "Aug 2023"
    assert render("{{ d|at_precision:'day' }}", d=day) == "14 Aug 2023"


def test_stage_label() -> None:
    assert render("{{ s|stage_label }}", s="series_unknown") == "Venture (series unknown)"

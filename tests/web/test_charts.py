"""Server-side SVG charts: accessible, one point per priced round, up/down marked."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from web.charts import (
    Bar,
    ValuationPoint,
    bar_chart,
    nice_ceiling,
    valuation_changes,
    valuation_chart,
)

B = Decimal("1e9")


def point(day: date, valuation: Decimal | None, amount: Decimal | None = None) -> ValuationPoint:
    return ValuationPoint(
        day=day, label=f"Round {day:%b %Y}", amount_usd=amount, valuation_usd=valuation
    )


SERIES = [
    point(date(2023, 6, 1), None, Decimal("60e6")),
    point(date(2024, 2, 1), Decimal("2.5") * B, 1 * B),
    point(date(2024, 8, 1), Decimal("3.3") * B, Decimal("0.3") * B),
    point(date(2025, 3, 1), Decimal("3.0") * B, None),
]


def test_it_draws_one_point_per_priced_round() -> None:
    svg = valuation_chart(SERIES, chart_id="v", name="Moonshot AI")
    assert svg.count('<g class="point') == 3


def test_it_marks_up_and_down_rounds() -> None:
    assert valuation_changes(SERIES) == [None, None, "up", "down"]
    svg = valuation_chart(SERIES, chart_id="v", name="Moonshot AI")
    assert '<g class="point up">' in svg
    assert '<g class="point down">' in svg


def test_it_has_a_title_a_description_and_hover_figures() -> None:
    svg = valuation_chart(SERIES, chart_id="v", name="Moonshot AI")
    assert 'role="img"' in svg
    assert 'aria-labelledby="v-title v-desc"' in svg
    assert '<title id="v-title">Moonshot AI: post-money valuation' in svg
    assert "latest post-money valuation $3.0B" in svg
    assert "<title>Round Feb 2024: valued at $2.5B post-money, raised $1.0B</title>" in svg


def test_it_draws_a_bar_per_round_with_a_known_amount() -> None:
    svg = valuation_chart(SERIES, chart_id="v", name="X")
    assert svg.count('<rect class="bar"') == 3


def test_the_step_line_steps_horizontally_then_vertically() -> None:
    svg = valuation_chart(SERIES, chart_id="v", name="X")
    path = re.search(r'<path class="step" d="([^"]+)"', svg)
    assert path is not None
    assert re.fullmatch(r"M[\d.]+ [\d.]+( H[\d.]+ V[\d.]+){2}", path.group(1))


def test_a_company_without_rounds_gets_an_empty_chart_that_says_so() -> None:
    svg = valuation_chart([], chart_id="v", name="X")
    assert "No rounds yet." in svg


def test_names_are_escaped() -> None:
    svg = valuation_chart(
        [ValuationPoint(date(2024, 1, 1), "<script>", None, B)], chart_id="v", name="A&B"
    )
    assert "<script>" not in svg
    assert "A&amp;B" in svg


def test_axis_maximum_is_a_round_figure() -> None:
    assert nice_ceiling(Decimal("3.3e9")) == Decimal("5e9")
    assert nice_ceiling(Decimal("1.9e9")) == Decimal("2e9")
    assert nice_ceiling(Decimal("2.1e9")) == Decimal("2.5e9")
    assert nice_ceiling(Decimal(0)) == 1


def test_bar_chart_stacks_segments_and_labels_counts() -> None:
    bars = [
        Bar("Q1 2024", [("Early", 2 * B), ("Growth", 3 * B)], note="4"),
        Bar("Q2 2024", [("Early", 0 * B), ("Growth", 1 * B)], note="1"),
    ]
    svg = bar_chart(bars, chart_id="q", title="Capital", description="Per quarter")
    assert svg.count("<rect") == 3, "an empty segment draws nothing"
    assert "<title>Q1 2024 · Growth: $3.0B</title>" in svg
    assert '<text class="note"' in svg

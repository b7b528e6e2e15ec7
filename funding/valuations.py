"""How a priced round's post-money valuation moved: the rule the API and the charts share."""

from __future__ import annotations

from decimal import Decimal


def valuation_change(previous: Decimal | None, current: Decimal | None) -> str | None:
    """ "up", "down" or "flat" against the previous priced round; None for the first or unpriced."""
    if previous is None or current is None:
        return None
    if current > previous:
        return "up"
    return "down" if current < previous else "flat"

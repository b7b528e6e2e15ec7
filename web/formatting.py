"""Money and dates as people read them: "$1.0B", "¥5.0B (CNY)", "Q3 2023"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

# Currencies whose symbol is unambiguous among the ones we show.
_OWN_SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£"}
# Symbols shared by several currencies: shown with the code after the figure.
_SHARED_SYMBOL = {
    "CNY": "¥",
    "JPY": "¥",
    "KRW": "₩",
    "INR": "₹",
    "HKD": "$",
    "CAD": "$",
    "AUD": "$",
    "SGD": "$",
}
_SCALES = (
    (Decimal("1e12"), "T"),
    (Decimal("1e9"), "B"),
    (Decimal("1e6"), "M"),
    (Decimal("1e3"), "K"),
)


def compact_number(value: Decimal) -> str:
    """1000000000 → "1.0B", 385000000 → "385M", 8800000 → "8.8M", 512 → "512"."""
    for scale, suffix in _SCALES:
        if abs(value) >= scale:
            scaled = value / scale
            if suffix in {"B", "T"} and abs(scaled) < 100:
                return f"{scaled:.1f}{suffix}"
            if abs(scaled) < 10:
                return f"{scaled:.1f}{suffix}"
            return f"{scaled:.0f}{suffix}"
    return f"{value:.0f}"


def format_money(amount: Decimal | None, currency: str) -> str:
    """ "$1.0B", "€385M", "¥5.0B (CNY)", "CHF 12M"; "undisclosed" for None."""
    if amount is None:
        return "undisclosed"
    figure = compact_number(amount)
    if currency in _OWN_SYMBOL:
        return f"{_OWN_SYMBOL[currency]}{figure}"
    if currency in _SHARED_SYMBOL:
        return f"{_SHARED_SYMBOL[currency]}{figure} ({currency})"
    return f"{currency} {figure}".strip()


def format_usd(amount: Decimal | None) -> str:
    return format_money(amount, "USD")


def format_date_at_precision(day: date, precision: str) -> str:
    """A date at the precision it is known: "19 Feb 2024", "Feb 2024", "Q3 2023", "2023"."""
    if precision == "year":
        return f"{day.year}"
    if precision == "quarter":
        return f"Q{(day.month - 1) // 3 + 1} {day.year}"
    if precision == "month":
        return day.strftime("%b %Y")
    return f"{day.day} {day:%b %Y}"

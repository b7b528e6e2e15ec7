"""Writes for funding rounds, their participations and sources, and exchange rates.

The admin, the API, the importers and the management commands all write
through these functions: money derivation, validation and history happen the
same way whatever the entry point.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, TypedDict, Unpack

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from companies.dates import in_range
from companies.models import Company, Investor
from companies.services import organization_save
from config.db import bulk_insert, bulk_insert_children
from funding.currency import ecb_rate_to_usd
from funding.models import ExchangeRate, FundingRound, Participation, Source
from funding.versions import rounds_changed

CENTS = Decimal("0.01")


@dataclass(frozen=True)
class ParticipationSpec:
    investor: Investor
    is_lead: bool = False
    amount: Decimal | None = None


@dataclass(frozen=True)
class SourceSpec:
    url: str
    title: str = ""
    publisher: str = ""
    published_on: date | None = None


class RoundOptionalFields(TypedDict, total=False):
    announced_on_precision: str
    amount: Decimal | None
    currency: str
    pre_money_valuation: Decimal | None
    post_money_valuation: Decimal | None
    amount_usd_published: Decimal | None
    status: str
    notes: str


class RoundFields(RoundOptionalFields, total=False):
    company: Company
    stage: str
    announced_on: date


# --- Exchange rates -------------------------------------------------------------


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


# --- Rounds ---------------------------------------------------------------------


def round_prepare(
    *, funding_round: FundingRound, relations_checked: bool = False, rates: RateCache | None = None
) -> None:
    """Derive the money fields and validate a round, without saving it.

    `relations_checked`: the company and exchange rate were just read from the
    database, so their existence is not queried again (the foreign keys still hold).
    """
    round_derive_money(funding_round=funding_round, rates=rates)
    round_validate(funding_round=funding_round, relations_checked=relations_checked)


def _field(name: str) -> models.Field[Any, Any]:
    field = FundingRound._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


@functools.cache
def _choice_values(field_name: str) -> frozenset[str]:
    return frozenset(str(value) for value, _ in _field(field_name).flatchoices)


_CHOICE_FIELDS = ("stage", "announced_on_precision", "currency", "usd_basis", "status")


# The USD figures derived from what the client sends, and the field each comes from.
_CONVERTED_FROM = {
    "amount_usd": "amount",
    "pre_money_valuation_usd": "pre_money_valuation",
    "post_money_valuation_usd": "post_money_valuation",
}
_USD_TOO_LARGE = (
    "In US dollars this is more than the 18 digits before the decimal point a figure may "
    "have; check the figure and its currency."
)


def round_validate(*, funding_round: FundingRound, relations_checked: bool = False) -> None:
    """`full_clean` of a round, with the same messages, at a fraction of its cost.

    clean() and the field checks cover every check constraint of a round with
    a message per field; re-running the constraints in Python would cost one
    query each (16) for nothing, and Django's choice check walks the ~180
    currencies per call: choices are looked up in sets instead. The database
    still enforces every constraint.
    """
    errors: dict[str, list[str]] = {}
    exclude = [*_CHOICE_FIELDS, *(("company", "exchange_rate") if relations_checked else ())]
    try:
        funding_round.clean_fields(exclude=exclude)
    except ValidationError as error:
        errors.update(error.message_dict)
    for name in _CHOICE_FIELDS:
        value = getattr(funding_round, name)
        field = _field(name)
        if value in field.empty_values:
            if not field.blank:
                errors.setdefault(name, []).append(str(field.error_messages["blank"]))
        elif str(value) not in _choice_values(name):
            message = field.error_messages["invalid_choice"] % {"value": value}
            errors.setdefault(name, []).append(str(message))
    try:
        funding_round.clean()
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    for derived, given in _CONVERTED_FROM.items():
        if errors.pop(derived, None):  # the USD figure does not fit: say so on the figure sent
            errors.setdefault(given, []).append(_USD_TOO_LARGE)
    if errors:
        raise ValidationError(errors)


def round_save(*, funding_round: FundingRound) -> FundingRound:
    """Derive money fields, validate and save one round (not its investors or sources)."""
    round_prepare(funding_round=funding_round)
    funding_round.save()
    rounds_changed()
    return funding_round


@dataclass
class RoundDraft:
    """A new round with its investors and sources, validated by `round_draft_prepare`."""

    funding_round: FundingRound
    investors: Sequence[ParticipationSpec] = ()
    sources: Sequence[SourceSpec] = ()


def _check_unique_investors(investors: Sequence[ParticipationSpec]) -> None:
    seen: set[int] = set()
    for spec in investors:
        if spec.investor.pk in seen:
            raise ValidationError(
                {"investors": f"{spec.investor} is listed twice; one row per investor."}
            )
        seen.add(spec.investor.pk)


def round_draft_prepare(*, draft: RoundDraft, rates: RateCache | None = None) -> None:
    """Derive and validate a new round, its participations and sources, in memory.

    The same derivation and checks as `round_create`, with no query except the
    exchange-rate lookups of `round_derive_money` (shared through `rates`; the
    company and investors come from the database); ValidationError when invalid.
    """
    round_prepare(funding_round=draft.funding_round, relations_checked=True, rates=rates)
    _check_unique_investors(draft.investors)
    participation_amount = Participation._meta.get_field("amount")
    for spec in draft.investors:
        # What Participation.full_clean checks, without building one per investor.
        if spec.amount is not None:
            try:
                participation_amount.clean(spec.amount, None)
            except ValidationError as error:
                raise ValidationError({"investors": error.messages}) from error
            if spec.amount < 0:
                raise ValidationError({"investors": "An investor's amount cannot be negative."})
    if len({s.url for s in draft.sources}) != len(draft.sources):
        raise ValidationError({"sources": "A source URL is listed twice."})
    for source in draft.sources:
        # Source.full_clean's field checks, without building a Source per citation.
        errors: dict[str, list[str]] = {}
        for name in ("url", "title", "publisher", "published_on"):
            field = Source._meta.get_field(name)
            assert isinstance(field, models.Field)
            try:
                field.clean(getattr(source, name), None)
            except ValidationError as error:
                errors[name] = error.messages
        if errors:
            raise ValidationError(errors)


def rounds_insert_prepared(*, drafts: Sequence[RoundDraft]) -> list[FundingRound]:
    """Insert drafts that passed `round_draft_prepare`, with their history, in bulk.

    A few statements per chunk (COPY on PostgreSQL) instead of several per
    round; the database enforces every constraint again.
    """
    if not drafts:
        return []
    rounds = bulk_insert(FundingRound, [d.funding_round for d in drafts])
    bulk_insert_children(
        Participation,
        [
            (r.pk, s.investor.pk, s.is_lead, s.amount)
            for r, d in zip(rounds, drafts, strict=True)
            for s in d.investors
        ],
        columns=["round_id", "investor_id", "is_lead", "amount"],
        parent_column="round_id",
    )
    bulk_insert_children(
        Source,
        [
            (r.pk, s.url, s.title, s.publisher, s.published_on)
            for r, d in zip(rounds, drafts, strict=True)
            for s in d.sources
        ],
        columns=["round_id", "url", "title", "publisher", "published_on"],
        parent_column="round_id",
    )
    rounds_changed()
    return rounds


def round_set_participations(
    *, funding_round: FundingRound, investors: Sequence[ParticipationSpec]
) -> None:
    """Make the round's investors exactly `investors`; unchanged rows (and history) are kept."""
    _check_unique_investors(investors)
    rounds_changed()
    seen = {spec.investor.pk for spec in investors}
    existing = {p.investor_id: p for p in funding_round.participations.all()}
    for investor_id, participation in existing.items():
        if investor_id not in seen:
            participation.delete()
    for spec in investors:
        participation = existing.get(spec.investor.pk) or Participation(
            round=funding_round, investor=spec.investor
        )
        if (
            participation.pk
            and participation.is_lead == spec.is_lead
            and participation.amount == spec.amount
        ):
            continue
        participation.is_lead = spec.is_lead
        participation.amount = spec.amount
        participation.full_clean()
        participation.save()


def round_set_sources(*, funding_round: FundingRound, sources: Sequence[SourceSpec]) -> None:
    """Make the round's sources exactly `sources` (matched by URL)."""
    wanted = {spec.url: spec for spec in sources}
    if len(wanted) != len(sources):
        raise ValidationError({"sources": "A source URL is listed twice."})
    existing = {s.url: s for s in funding_round.sources.all()}
    for url, source in existing.items():
        if url not in wanted:
            source.delete()
    for url, spec in wanted.items():
        source = existing.get(url) or Source(round=funding_round, url=url)
        if source.pk and (source.title, source.publisher, source.published_on) == (
            spec.title,
            spec.publisher,
            spec.published_on,
        ):
            continue
        source.title, source.publisher, source.published_on = (
            spec.title,
            spec.publisher,
            spec.published_on,
        )
        source.full_clean()
        source.save()


@transaction.atomic
def round_create(
    *,
    company: Company,
    stage: str,
    announced_on: date,
    investors: Sequence[ParticipationSpec] = (),
    sources: Sequence[SourceSpec] = (),
    **fields: Unpack[RoundOptionalFields],
) -> FundingRound:
    """Create a round with its investors and sources in one transaction."""
    funding_round = FundingRound(company=company, stage=stage, announced_on=announced_on, **fields)
    round_save(funding_round=funding_round)
    round_set_participations(funding_round=funding_round, investors=investors)
    round_set_sources(funding_round=funding_round, sources=sources)
    return funding_round


def round_change(
    *,
    funding_round: FundingRound,
    fields: RoundFields,
    relations_checked: bool = False,
    rates: RateCache | None = None,
) -> None:
    """Set fields of a saved round, derive its money again and validate it, without saving.

    A new amount or post-money drops the old pre-money (derived again) unless
    one is given. On ValidationError the round is left as it was.
    """
    before = {f.attname: getattr(funding_round, f.attname) for f in FundingRound._meta.fields}
    money_moved = "amount" in fields or "post_money_valuation" in fields
    if money_moved and "pre_money_valuation" not in fields:
        funding_round.pre_money_valuation = None  # derived again from the new figures
    for field, value in fields.items():
        setattr(funding_round, field, value)
    try:
        round_prepare(funding_round=funding_round, relations_checked=relations_checked, rates=rates)
    except ValidationError:
        for attname, value in before.items():
            setattr(funding_round, attname, value)
        raise


@transaction.atomic
def round_update(
    *,
    funding_round: FundingRound,
    investors: Sequence[ParticipationSpec] | None = None,
    sources: Sequence[SourceSpec] | None = None,
    **fields: Unpack[RoundFields],
) -> FundingRound:
    """Change a round's fields; replace its investors / sources when given (None keeps them)."""
    round_change(funding_round=funding_round, fields=fields)
    funding_round.save()
    rounds_changed()
    if investors is not None:
        round_set_participations(funding_round=funding_round, investors=investors)
    if sources is not None:
        round_set_sources(funding_round=funding_round, sources=sources)
    return funding_round


# --- Investors ------------------------------------------------------------------


@transaction.atomic
def investor_merge(*, source: Investor, target: Investor) -> Investor:
    """Fold `source` into `target`: its rounds, aliases and company link; then delete it.

    Where both took part in the same round, one participation remains, lead if
    either led. Each moved row is saved individually so the history shows it.
    """
    if source.pk == target.pk:
        raise ValidationError("An investor cannot be merged into itself.")
    target_rounds = {p.round_id: p for p in target.participations.all()}
    for participation in source.participations.select_related("round"):
        kept = target_rounds.get(participation.round_id)
        if kept is None:
            participation.investor = target
            participation.full_clean()
            participation.save()
            continue
        kept.is_lead = kept.is_lead or participation.is_lead
        if kept.amount is None:
            kept.amount = participation.amount
        participation.delete()
        kept.save()
    target.aliases = [*target.aliases, source.name, *source.aliases]
    if target.company_id is None and source.company_id is not None:
        company = source.company
        source.company = None
        source.save(update_fields=["company"])
        target.company = company
    source.delete()
    rounds_changed()
    return organization_save(organization=target)


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


@transaction.atomic
def round_delete(*, funding_round: FundingRound) -> None:
    """Delete a round with its participations and sources; their history keeps them."""
    funding_round.delete()
    rounds_changed()

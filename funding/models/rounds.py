"""Rounds: stages, exchange rates, funding rounds, their participations and sources."""

from __future__ import annotations

import pycountry
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from companies.dates import DATE_RANGE_MESSAGE, earliest_condition, validate_event_date
from companies.links import WebURLField
from companies.models import Company, Investor
from companies.text import NoControlCharacters

CURRENCY_CODES = sorted(c.alpha_3 for c in pycountry.currencies)


class Stage(models.TextChoices):
    """Crunchbase's investment types, so that imports keep their meaning."""

    PRE_SEED = "pre_seed", "Pre-seed"
    SEED = "seed", "Seed"
    ANGEL = "angel", "Angel"
    SERIES_A = "series_a", "Series A"
    SERIES_B = "series_b", "Series B"
    SERIES_C = "series_c", "Series C"
    SERIES_D = "series_d", "Series D"
    SERIES_E = "series_e", "Series E"
    SERIES_F = "series_f", "Series F"
    SERIES_G = "series_g", "Series G"
    SERIES_H = "series_h", "Series H"
    SERIES_I = "series_i", "Series I"
    SERIES_J = "series_j", "Series J"
    SERIES_UNKNOWN = "series_unknown", "Venture (series unknown)"
    CORPORATE_ROUND = "corporate_round", "Corporate round"
    CONVERTIBLE_NOTE = "convertible_note", "Convertible note"
    DEBT_FINANCING = "debt_financing", "Debt financing"
    EQUITY_CROWDFUNDING = "equity_crowdfunding", "Equity crowdfunding"
    PRODUCT_CROWDFUNDING = "product_crowdfunding", "Product crowdfunding"
    GRANT = "grant", "Grant"
    NON_EQUITY_ASSISTANCE = "non_equity_assistance", "Non-equity assistance"
    INITIAL_COIN_OFFERING = "initial_coin_offering", "Initial coin offering"
    PRIVATE_EQUITY = "private_equity", "Private equity"
    SECONDARY_MARKET = "secondary_market", "Secondary market"
    POST_IPO_EQUITY = "post_ipo_equity", "Post-IPO equity"
    POST_IPO_DEBT = "post_ipo_debt", "Post-IPO debt"
    POST_IPO_SECONDARY = "post_ipo_secondary", "Post-IPO secondary"
    UNDISCLOSED = "undisclosed", "Undisclosed"


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"


class ExchangeRate(models.Model):
    """How many US dollars one unit of `currency` bought on `date`."""

    class Origin(models.TextChoices):
        ECB = "ecb", "European Central Bank reference rate"
        MANUAL = "manual", "Entered by an editor"

    currency = models.CharField(max_length=3, choices=[(c, c) for c in CURRENCY_CODES])
    date = models.DateField()
    rate = models.DecimalField(max_digits=24, decimal_places=12)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.MANUAL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["currency", "-date"]
        constraints = [
            # Also the index for "latest rate on or before a date".
            models.UniqueConstraint(fields=["currency", "date"], name="exchange_rate_unique_day"),
            models.CheckConstraint(
                condition=Q(rate__gt=0),
                name="exchange_rate_positive",
                violation_error_message="A rate must be greater than zero.",
            ),
            models.CheckConstraint(
                condition=Q(currency__in=CURRENCY_CODES),
                name="exchange_rate_currency_iso",
                violation_error_message="Currency must be an ISO 4217 code.",
            ),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} USD on {self.date}"


class RoundStatus(models.TextChoices):
    ANNOUNCED = "announced", "Announced"
    CLOSED = "closed", "Closed"
    RUMORED = "rumored", "Rumored"
    NEEDS_REVIEW = "needs_review", "Needs review"


class UsdBasis(models.TextChoices):
    """Where a round's USD figures come from."""

    NONE = "", "No USD figure"
    SAME_CURRENCY = "same_currency", "Published in USD"
    EXCHANGE_RATE = "exchange_rate", "Converted with the stored exchange rate"
    PUBLISHED = "published", "USD figure published by the source"


class FundingRound(models.Model):
    Status = RoundStatus
    UsdBasis = UsdBasis

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="funding_rounds")
    stage = models.CharField(max_length=24, choices=Stage.choices)
    announced_on = models.DateField(validators=[validate_event_date])
    announced_on_precision = models.CharField(
        max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    amount = models.DecimalField(
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="As published; empty when undisclosed.",
    )
    currency = models.CharField(
        max_length=3,
        blank=True,
        default="",
        choices=[(c, c) for c in CURRENCY_CODES],
        help_text="ISO 4217 code of the amount and valuations.",
    )
    pre_money_valuation = models.DecimalField(
        max_digits=20, decimal_places=2, null=True, blank=True
    )
    post_money_valuation = models.DecimalField(
        max_digits=20, decimal_places=2, null=True, blank=True
    )
    amount_usd_published = models.DecimalField(
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        verbose_name="USD amount as published",
        help_text="When the source also gave a USD figure for a non-USD round: kept as published "
        "instead of converting.",
    )
    amount_usd = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True)
    pre_money_valuation_usd = models.DecimalField(
        max_digits=20, decimal_places=2, null=True, blank=True
    )
    post_money_valuation_usd = models.DecimalField(
        max_digits=20, decimal_places=2, null=True, blank=True
    )
    usd_basis = models.CharField(
        max_length=16, choices=UsdBasis.choices, blank=True, default=UsdBasis.NONE, editable=False
    )
    exchange_rate = models.ForeignKey(
        ExchangeRate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The rate the USD figures were computed with.",
    )
    status = models.CharField(
        max_length=16, choices=RoundStatus.choices, default=RoundStatus.ANNOUNCED
    )
    notes = models.TextField(
        blank=True, default="", validators=[NoControlCharacters(multiline=True)]
    )
    investors = models.ManyToManyField(
        Investor, through="Participation", related_name="funding_rounds"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-announced_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=earliest_condition("announced_on"),
                name="round_announced_on_range",
                violation_error_message=DATE_RANGE_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values),
                name="round_stage_valid",
                violation_error_message="Unknown stage.",
            ),
            models.CheckConstraint(
                condition=Q(announced_on_precision__in=DatePrecision.values),
                name="round_precision_valid",
                violation_error_message="Unknown date precision.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=RoundStatus.values),
                name="round_status_valid",
                violation_error_message="Unknown round status.",
            ),
            models.CheckConstraint(
                condition=Q(usd_basis__in=UsdBasis.values),
                name="round_usd_basis_valid",
                violation_error_message="Unknown USD basis.",
            ),
            models.CheckConstraint(
                condition=Q(currency__in=CURRENCY_CODES) | Q(currency=""),
                name="round_currency_iso",
                violation_error_message="Currency must be an ISO 4217 code.",
            ),
            models.CheckConstraint(
                condition=Q(currency__gt="")
                | Q(
                    amount__isnull=True,
                    pre_money_valuation__isnull=True,
                    post_money_valuation__isnull=True,
                ),
                name="round_currency_with_money",
                violation_error_message=(
                    "A currency is required when an amount or valuation is given."
                ),
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{field}__gte": 0}) | Q(**{f"{field}__isnull": True}),
                    name=f"round_{field}_not_negative",
                    violation_error_message="Amounts and valuations cannot be negative.",
                )
                for field in (
                    "amount",
                    "amount_usd_published",
                    "pre_money_valuation",
                    "post_money_valuation",
                    "amount_usd",
                    "pre_money_valuation_usd",
                    "post_money_valuation_usd",
                )
            ),
            models.CheckConstraint(
                condition=Q(post_money_valuation__gte=F("amount"))
                | Q(post_money_valuation__isnull=True)
                | Q(amount__isnull=True),
                name="round_post_money_covers_amount",
                violation_error_message=(
                    "The post-money valuation cannot be below the amount raised."
                ),
            ),
            models.CheckConstraint(
                condition=Q(pre_money_valuation=F("post_money_valuation") - F("amount"))
                | Q(pre_money_valuation__isnull=True)
                | Q(post_money_valuation__isnull=True)
                | Q(amount__isnull=True),
                name="round_pre_money_consistent",
                violation_error_message="Pre-money must equal post-money minus the amount raised.",
            ),
        ]
        indexes = [
            # Rounds list, feed and API cursor pagination: newest first, id as tiebreak.
            models.Index(F("announced_on").desc(), F("id").desc(), name="round_newest_idx"),
            # Company timeline and valuation series.
            models.Index(fields=["company", "announced_on"], name="round_company_date_idx"),
            # Largest rounds and ordering / range filters by USD amount.
            models.Index(fields=["amount_usd"], name="round_amount_usd_idx"),
            # API sync: rounds changed since a date.
            models.Index(fields=["updated_at", "id"], name="round_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.get_stage_display()} · {self.announced_on:%Y-%m-%d}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if (
            self.pk is not None
            and self.company_id is not None
            and self.participations.filter(investor__company_id=self.company_id).exists()
        ):
            errors["company"] = (
                "One of this round's investors is that company, and a company cannot invest "
                "in itself."
            )
        money_given = any(
            v is not None
            for v in (self.amount, self.pre_money_valuation, self.post_money_valuation)
        )
        if money_given and not self.currency:
            errors["currency"] = (
                "Give the currency of the amount and valuations (ISO 4217, e.g. USD)."
            )
        for field in ("amount", "pre_money_valuation", "post_money_valuation"):
            value = getattr(self, field)
            if value is not None and value < 0:
                errors[field] = "Cannot be negative."
        if self.amount_usd_published is not None:
            if self.amount_usd_published < 0:
                errors["amount_usd_published"] = "Cannot be negative."
            elif self.amount is None:
                errors["amount_usd_published"] = (
                    "A published USD figure needs the amount as published."
                )
        if "amount" not in errors and "post_money_valuation" not in errors:
            if (
                self.amount is not None
                and self.post_money_valuation is not None
                and self.post_money_valuation < self.amount
            ):
                errors["post_money_valuation"] = (
                    f"The post-money valuation ({self.post_money_valuation:,}) cannot be "
                    f"below the amount raised ({self.amount:,})."
                )
            elif (
                self.amount is not None
                and self.post_money_valuation is not None
                and self.pre_money_valuation is not None
                and self.pre_money_valuation != self.post_money_valuation - self.amount
            ):
                errors["pre_money_valuation"] = (
                    "Pre-money must equal post-money minus the amount raised "
                    f"({self.post_money_valuation - self.amount:,}); leave it empty to derive it."
                )
        if errors:
            raise ValidationError(errors)


class Participation(models.Model):
    """One investor in one round."""

    round = models.ForeignKey(FundingRound, on_delete=models.CASCADE, related_name="participations")
    investor = models.ForeignKey(Investor, on_delete=models.PROTECT, related_name="participations")
    is_lead = models.BooleanField(default=False)
    amount = models.DecimalField(
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="This investor's share, in the round's currency, when published.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_lead", "investor__name"]
        constraints = [
            # Also the index for "the investors of these rounds".
            models.UniqueConstraint(
                fields=["round", "investor"],
                name="participation_unique_investor",
                violation_error_message="This investor is already in the round.",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0) | Q(amount__isnull=True),
                name="participation_amount_not_negative",
                violation_error_message="An investor's amount cannot be negative.",
            ),
        ]
        indexes = [
            # Investor portfolio and "rounds led": rounds by investor.
            models.Index(fields=["investor", "is_lead"], name="participation_investor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.investor} in {self.round_id}" + (" (lead)" if self.is_lead else "")

    def clean(self) -> None:
        if self.amount is not None and self.amount < 0:
            raise ValidationError({"amount": "Cannot be negative."})
        try:
            round_company_id = self.round.company_id
            investor_company_id = self.investor.company_id
        except ObjectDoesNotExist:  # the form reports the missing round or investor
            return
        if investor_company_id is not None and investor_company_id == round_company_id:
            raise ValidationError(
                {
                    "investor": f"{self.investor} is the company raising this round; "
                    "a company cannot invest in itself."
                }
            )


class Source(models.Model):
    """A public citation for a round."""

    round = models.ForeignKey(FundingRound, on_delete=models.CASCADE, related_name="sources")
    url = WebURLField()
    title = models.CharField(
        max_length=300, blank=True, default="", validators=[NoControlCharacters()]
    )
    publisher = models.CharField(
        max_length=120, blank=True, default="", validators=[NoControlCharacters()]
    )
    published_on = models.DateField(null=True, blank=True, validators=[validate_event_date])

    history = HistoricalRecords()

    class Meta:
        ordering = ["published_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=earliest_condition("published_on"),
                name="source_published_on_range",
                violation_error_message=DATE_RANGE_MESSAGE,
            ),
            models.UniqueConstraint(
                fields=["round", "url"],
                name="source_unique_url",
                violation_error_message="This source is already cited for the round.",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.url

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django_countries.data import COUNTRIES
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from companies.dates import DATE_RANGE_MESSAGE, earliest_condition, validate_event_date
from companies.links import WebURLField
from companies.text import NoControlCharacters, control_character_message

COUNTRY_CODES = sorted(COUNTRIES)


def aliases_are_strings(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Aliases must be a list of names.", code="invalid_aliases")
    for alias in value:
        if message := control_character_message(alias):
            raise ValidationError(message, code="control_characters")


class Sector(models.Model):
    name = models.CharField(max_length=100, unique=True, validators=[NoControlCharacters()])
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organization(models.Model):
    """Fields shared by companies and investors: names, aliases and matching keys."""

    name = models.CharField(max_length=200, validators=[NoControlCharacters()])
    slug = models.SlugField(max_length=220, unique=True, allow_unicode=True)
    aliases = models.JSONField(
        default=list,
        blank=True,
        validators=[aliases_are_strings],
        help_text="Other names and spellings, used to match imports.",
    )
    # "|key|key|": normalised name, slug and aliases, kept by the services.
    match_keys = models.TextField(blank=True, default="", editable=False)
    website = WebURLField(blank=True, default="")
    country = CountryField(blank=True, default="", help_text="ISO 3166-1 alpha-2")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


class CompanyStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ACQUIRED = "acquired", "Acquired"
    PUBLIC = "public", "Public"
    CLOSED = "closed", "Closed"


class InvestorKind(models.TextChoices):
    VENTURE_CAPITAL = "venture_capital", "Venture capital"
    CORPORATE = "corporate", "Corporate"
    ANGEL = "angel", "Angel"
    PRIVATE_EQUITY = "private_equity", "Private equity"
    GOVERNMENT = "government", "Government"
    SOVEREIGN_WEALTH = "sovereign_wealth", "Sovereign wealth fund"
    ACCELERATOR = "accelerator", "Accelerator"
    FAMILY_OFFICE = "family_office", "Family office"
    BANK = "bank", "Bank"
    OTHER = "other", "Other"


class Company(Organization):
    Status = CompanyStatus

    description = models.TextField(
        blank=True, default="", validators=[NoControlCharacters(multiline=True)]
    )
    founded_on = models.DateField(null=True, blank=True, validators=[validate_event_date])
    city = models.CharField(
        max_length=100, blank=True, default="", validators=[NoControlCharacters()]
    )
    sectors = models.ManyToManyField(Sector, blank=True, related_name="companies")
    status = models.CharField(
        max_length=16, choices=CompanyStatus.choices, default=CompanyStatus.ACTIVE
    )

    history = HistoricalRecords(m2m_fields=[sectors])

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=earliest_condition("founded_on"),
                name="company_founded_on_range",
                violation_error_message=DATE_RANGE_MESSAGE,
            ),
            models.CheckConstraint(
                condition=Q(status__in=CompanyStatus.values),
                name="company_status_valid",
                violation_error_message="Unknown company status.",
            ),
            models.CheckConstraint(
                condition=Q(country__in=COUNTRY_CODES) | Q(country=""),
                name="company_country_iso",
                violation_error_message="Country must be an ISO 3166-1 alpha-2 code.",
            ),
        ]
        indexes = [
            # /companies/?country=… and the per-country stats grouping.
            models.Index(fields=["country"], name="company_country_idx"),
        ]


class Investor(Organization):
    Kind = InvestorKind

    kind = models.CharField(
        max_length=20, choices=InvestorKind.choices, default=InvestorKind.VENTURE_CAPITAL
    )
    company = models.OneToOneField(
        Company,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="investor_profile",
        help_text="The tracked company this investor is, if any (e.g. a corporate investor).",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=InvestorKind.values),
                name="investor_kind_valid",
                violation_error_message="Unknown investor kind.",
            ),
            models.CheckConstraint(
                condition=Q(country__in=COUNTRY_CODES) | Q(country=""),
                name="investor_country_iso",
                violation_error_message="Country must be an ISO 3166-1 alpha-2 code.",
            ),
        ]

    def clean(self) -> None:
        # A company cannot invest in itself (also a database trigger, see funding 0002).
        if (
            self.pk is not None
            and self.company_id is not None
            and self.participations.filter(round__company_id=self.company_id).exists()
        ):
            raise ValidationError(
                {
                    "company": "This investor took part in a round of that company, "
                    "and a company cannot invest in itself."
                }
            )

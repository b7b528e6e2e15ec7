"""Writes and matching for companies, investors and sectors.

Every write (admin, API, importers, commands) goes through these functions, so
slugs, matching keys and validation are the same whatever the entry point.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TypedDict, Unpack

from django.db import models, transaction
from django.db.models import Q

from companies.models import Company, Investor, Organization, Sector
from companies.names import base_slug, encode_keys, match_key, match_keys


def unique_slug[M: models.Model](
    model: type[M], name: str, *, exclude_pk: int | None = None
) -> str:
    """`slugify(name)`, with "-2", "-3"… on a clash. Runs one query."""
    base = base_slug(name)[:200]
    taken = set(
        model._default_manager.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _clean_aliases(name: str, aliases: Iterable[str]) -> list[str]:
    """Trimmed aliases without blanks, repeats, or the name itself."""
    seen = {match_key(name)}
    kept: list[str] = []
    for raw in aliases:
        alias = raw.strip()
        key = match_key(alias)
        if alias and key and key not in seen:
            seen.add(key)
            kept.append(alias)
    return kept


def organization_save[O: Organization](*, organization: O) -> O:
    """Validate and save a company or investor, keeping slug and matching keys current."""
    organization.name = organization.name.strip()
    if isinstance(organization.aliases, list):
        organization.aliases = _clean_aliases(organization.name, organization.aliases)
    if not organization.slug:
        organization.slug = unique_slug(
            type(organization), organization.name, exclude_pk=organization.pk
        )
    organization.match_keys = encode_keys(
        match_keys(organization.name, organization.aliases or [], organization.slug)
    )
    organization.full_clean()
    organization.save()
    return organization


def organization_match[O: Organization](model: type[O], name: str) -> O | None:
    """The company or investor a name refers to, or None. Runs one query.

    Case-, accent- and punctuation-insensitive over slug, name and aliases.
    Preference on several hits: same slug, then same name, then alias; the
    oldest record among equals.
    """
    key = match_key(name)
    slug = base_slug(name)
    if not key:
        return None
    candidates = list(
        model._default_manager.filter(Q(slug=slug) | Q(match_keys__contains=f"|{key}|")).order_by(
            "pk"
        )
    )
    if not candidates:
        return None

    def rank(candidate: O) -> int:
        if candidate.slug == slug:
            return 0
        if match_key(candidate.name) == key:
            return 1
        return 2

    return min(candidates, key=rank)


class CompanyFields(TypedDict, total=False):
    aliases: Sequence[str]
    description: str
    website: str
    founded_on: date | None
    country: str
    city: str
    status: str
    sectors: Sequence[str]


class InvestorFields(TypedDict, total=False):
    aliases: Sequence[str]
    kind: str
    country: str
    website: str
    company: Company | None


def sector_get_or_create(*, name: str) -> Sector:
    """The sector with this name (case-insensitive), created if missing."""
    name = name.strip()
    existing = Sector.objects.filter(Q(slug=base_slug(name)) | Q(name__iexact=name)).first()
    if existing is not None:
        return existing
    sector = Sector(name=name, slug=unique_slug(Sector, name))
    sector.full_clean()
    sector.save()
    return sector


@transaction.atomic
def company_create(*, name: str, **fields: Unpack[CompanyFields]) -> Company:
    sectors = fields.pop("sectors", ())
    company = Company(name=name, **{k: v for k, v in fields.items() if k != "aliases"})
    company.aliases = list(fields.get("aliases", []))
    organization_save(organization=company)
    if sectors:
        company.sectors.set([sector_get_or_create(name=s) for s in sectors])
    return company


@transaction.atomic
def company_update(*, company: Company, **fields: Unpack[CompanyFields]) -> Company:
    sectors = fields.pop("sectors", None)
    aliases = fields.pop("aliases", None)
    if aliases is not None:
        company.aliases = list(aliases)
    for field, value in fields.items():
        setattr(company, field, value)
    organization_save(organization=company)
    if sectors is not None:
        company.sectors.set([sector_get_or_create(name=s) for s in sectors])
    return company


def company_match(*, name: str) -> Company | None:
    return organization_match(Company, name)


def company_get_or_create(*, name: str, **fields: Unpack[CompanyFields]) -> tuple[Company, bool]:
    """The company a name refers to, created with `fields` when none matches."""
    existing = company_match(name=name)
    if existing is not None:
        return existing, False
    return company_create(name=name, **fields), True


@transaction.atomic
def investor_create(*, name: str, **fields: Unpack[InvestorFields]) -> Investor:
    investor = Investor(name=name, **{k: v for k, v in fields.items() if k != "aliases"})
    investor.aliases = list(fields.get("aliases", []))
    return organization_save(organization=investor)


@transaction.atomic
def investor_update(*, investor: Investor, **fields: Unpack[InvestorFields]) -> Investor:
    aliases = fields.pop("aliases", None)
    if aliases is not None:
        investor.aliases = list(aliases)
    for field, value in fields.items():
        setattr(investor, field, value)
    return organization_save(organization=investor)


def investor_match(*, name: str) -> Investor | None:
    return organization_match(Investor, name)


def investor_get_or_create(*, name: str, **fields: Unpack[InvestorFields]) -> tuple[Investor, bool]:
    """The investor a name refers to, created with `fields` when none matches."""
    existing = investor_match(name=name)
    if existing is not None:
        return existing, False
    return investor_create(name=name, **fields), True

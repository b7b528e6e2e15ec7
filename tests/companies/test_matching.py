"""Companies and investors are found by slug, name and alias, whatever the spelling."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from companies.models import Company, Investor
from companies.names import match_key
from companies.services import (
    OrganizationIndex,
    company_create,
    company_get_or_create,
    company_match,
    company_update,
    investor_get_or_create,
    investor_update,
    organization_delete,
)
from tests.factories import CompanyFactory, InvestorFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "spelling", ["moonshot ai", "Moonshot", "MOONSHOT AI", "月之暗面", "moonshot-ai"]
)
def test_every_spelling_finds_the_one_company(spelling: str) -> None:
    moonshot = CompanyFactory.create(name="Moonshot AI", aliases=["Moonshot", "月之暗面"])
    CompanyFactory.create(name="Moonlight Labs")
    assert company_match(name=spelling) == moonshot


def test_matching_ignores_accents() -> None:
    company = CompanyFactory.create(name="Zürich Robotics")
    assert company_match(name="zurich robotics") == company
    assert match_key("Mistral ÄI") == "mistralai"


def test_an_unknown_name_matches_nothing() -> None:
    CompanyFactory.create(name="Moonshot AI")
    assert company_match(name="Moonshot Robotics") is None
    assert company_match(name="  ") is None


def test_an_exact_name_beats_an_alias_of_another_company() -> None:
    CompanyFactory.create(name="Kimi Labs", aliases=["Moonshot"])
    moonshot = CompanyFactory.create(name="Moonshot")
    assert company_match(name="moonshot") == moonshot


def test_the_slug_is_slugified_name_and_a_clash_gets_a_suffix() -> None:
    first = CompanyFactory.create(name="Moonshot AI")
    second = CompanyFactory.create(name="Moonshot  AI!")
    assert first.slug == "moonshot-ai"
    assert second.slug == "moonshot-ai-2"


def test_a_name_without_latin_letters_gets_a_unicode_slug() -> None:
    assert CompanyFactory.create(name="月之暗面").slug == "月之暗面"


def test_get_or_create_does_not_duplicate() -> None:
    company, created = company_get_or_create(name="Moonshot AI", aliases=["Kimi"])
    again, created_again = company_get_or_create(name="kimi")
    assert (created, created_again) == (True, False)
    assert again == company
    assert Company.objects.count() == 1


def test_investors_match_by_alias_too() -> None:
    a16z = InvestorFactory.create(name="Andreessen Horowitz", aliases=["a16z"])
    found, created = investor_get_or_create(name="A16Z")
    assert (found, created) == (a16z, False)


def test_aliases_are_trimmed_and_deduplicated() -> None:
    company = CompanyFactory.create(
        name="Moonshot AI", aliases=[" Kimi ", "kimi", "Moonshot AI", ""]
    )
    assert company.aliases == ["Kimi"]


def test_the_shared_index_sees_companies_added_renamed_and_deleted_since_it_was_read() -> None:
    alpha = company_create(name="Alpha AI")
    assert OrganizationIndex.current(Company).match("Alpha AI") == alpha.pk
    beta = company_create(name="Beta AI")
    company_update(company=alpha, aliases=["Alef Labs"])
    index = OrganizationIndex.current(Company)
    assert (index.match("Beta AI"), index.match("Alef Labs")) == (beta.pk, alpha.pk)
    organization_delete(organization=beta)
    index = OrganizationIndex.current(Company)
    assert index.match("Beta AI") is None
    assert index.match("alpha-ai") == alpha.pk


@pytest.mark.django_db(transaction=True)
def test_the_shared_index_forgets_companies_of_a_rolled_back_chunk() -> None:
    seen: list[int | None] = []

    def chunk_that_fails() -> None:
        with transaction.atomic():
            created, _ = OrganizationIndex.current(Company).create_many([Company(name="Ghost AI")])
            seen.append(OrganizationIndex.current(Company).match("Ghost AI"))
            seen.append(created[0].pk)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        chunk_that_fails()
    assert seen[0] == seen[1] is not None
    assert OrganizationIndex.current(Company).match("Ghost AI") is None


def test_investors_read_through_the_shared_index_are_read_once_and_again_when_changed(
    django_assert_num_queries: Any,
) -> None:
    lab = CompanyFactory.create(name="Lab AI")
    fund = InvestorFactory.create(name="Lab Ventures")
    fields = ("pk", "name", "company_id")
    index = OrganizationIndex.current(Investor)
    assert index.in_bulk([fund.pk], fields=fields)[fund.pk].company_id is None
    with django_assert_num_queries(0):
        assert index.in_bulk([fund.pk], fields=fields)[fund.pk].name == "Lab Ventures"
    investor_update(investor=fund, company=lab)
    index = OrganizationIndex.current(Investor)
    assert index.in_bulk([fund.pk], fields=fields)[fund.pk].company_id == lab.pk


@pytest.mark.django_db
def test_a_slug_validated_for_a_chunk_that_never_inserted_is_free_again() -> None:
    index = OrganizationIndex.current(Company)
    assert not index.validate_many([Company(name="Retry Robotics")])  # its chunk then fails
    again = Company(name="Retry Robotics")
    assert not index.validate_many([again])
    assert again.slug == "retry-robotics"
    index.insert_many([again])
    assert Company.objects.get().slug == "retry-robotics"


@pytest.mark.django_db
def test_a_slug_of_an_organisation_left_unused_is_free_again() -> None:
    index = OrganizationIndex.current(Company)
    unused, used = Company(name="Twin AI"), Company(name="Other AI")
    assert not index.validate_many([unused, used])
    index.insert_many([used], unused=[unused])
    later = Company(name="Twin AI")
    assert not index.validate_many([later])
    assert later.slug == "twin-ai"

"""/rounds/feed/: an Atom feed of new rounds, narrowed by company or investor."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from django.test import Client

from tests.factories import rounds_with_investors
from tests.pages import queries_with_10_and_100_rounds

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def entries(client: Client, query: str = "") -> list[ElementTree.Element]:
    response = client.get(f"/rounds/feed/?{query}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)  # noqa: S314 - our own feed
    return feed.findall(f"{ATOM}entry")


def entry_link(entry: ElementTree.Element) -> str:
    link = entry.find(f"{ATOM}link")
    assert link is not None
    return str(link.get("href"))


def test_it_lists_rounds_newest_added_first(client: Client) -> None:
    rounds = rounds_with_investors(3)
    links = [entry_link(e) for e in entries(client)]
    assert links == [f"http://testserver/rounds/{r.pk}/" for r in reversed(rounds)]


def test_it_narrows_to_a_company(client: Client) -> None:
    rounds = rounds_with_investors(10)
    slug = rounds[0].company.slug
    expected = {r.pk for r in rounds if r.company.slug == slug}
    got = {
        int(entry_link(e).rstrip("/").split("/")[-1]) for e in entries(client, f"company={slug}")
    }
    assert got == expected


def test_it_narrows_to_an_investor(client: Client) -> None:
    rounds_with_investors(4)
    assert len(entries(client, "investor=batch-investor-1")) == 2


def test_entries_read_like_a_headline(client: Client) -> None:
    rounds_with_investors(1)
    title = entries(client)[0].find(f"{ATOM}title")
    assert title is not None
    assert title.text == "Batch company 0: Seed, $1.0M"


def test_a_bad_filter_is_a_400(client: Client) -> None:
    assert client.get("/rounds/feed/?stage=series_z").status_code == 400


def test_query_count_does_not_grow_with_rounds(client: Client) -> None:
    small, large = queries_with_10_and_100_rounds(client, "/rounds/feed/")
    assert len(small) == len(large) == 1, large

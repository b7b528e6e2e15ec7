"""Every page parses as HTML5 without a single parse error (html5lib, strict)."""

from __future__ import annotations

import html5lib
import pytest
from django.core.management import call_command
from django.test import Client

from funding.models import FundingRound

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/rounds/",
    "/rounds/?stage=series_b&ordering=-amount_usd",
    "/rounds/?min_amount_usd=lots",
    "/companies/",
    "/companies/?sector=nope",
    "/companies/moonshot-ai/",
    "/investors/",
    "/investors/alibaba-group/",
    "/no-such-page/",
]


def test_every_page_is_valid_html5(client: Client) -> None:
    call_command("load_demo", verbosity=0)
    round_id = FundingRound.objects.filter(company__slug="moonshot-ai").first().pk  # type: ignore[union-attr]
    parser = html5lib.HTMLParser(strict=True)
    for url in [*PAGES, f"/rounds/{round_id}/"]:
        response = client.get(url)
        assert response.status_code in {200, 400, 404}, url
        try:
            parser.parse(response.content)
        except html5lib.html5parser.ParseError as error:
            pytest.fail(f"{url}: {error}")

"""The pages in a real browser: an analyst's path, console errors, accessibility, screenshots."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import ConsoleMessage, Page, ViewportSize

from funding.models import FundingRound

pytestmark = pytest.mark.django_db(transaction=True)

# The docs' screenshots are refreshed only on request (UPDATE_SCREENSHOTS=1), so a
# test run leaves the checkout clean; otherwise they go to pytest-playwright's folder.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
)
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def demo() -> None:
    call_command("load_demo", verbosity=0)


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_an_analyst_goes_from_the_dashboard_to_a_csv_export(
    page: Page, live_server: object, demo: None, console_errors: list[str], tmp_path: Path
) -> None:
    base = str(live_server)
    page.goto(base + "/")
    assert page.locator("#capital-per-quarter").is_visible()

    latest = page.locator("section[aria-labelledby=latest-h]")
    latest.get_by_role("link", name="Moonshot AI", exact=True).first.click()
    page.wait_for_url("**/companies/*/")
    slug = page.url.rstrip("/").split("/")[-1]
    priced = FundingRound.objects.filter(
        company__slug=slug, post_money_valuation_usd__isnull=False
    ).count()
    assert priced > 0
    assert page.locator("#valuation-chart g.point").count() == priced

    page.locator("section[aria-labelledby=investors-h] td a").first.click()
    page.wait_for_url("**/investors/*/")
    assert page.locator("#rounds-per-year").is_visible()

    page.get_by_role("link", name="These rounds in the list").click()
    page.wait_for_url("**/rounds/?investor=*")
    page.get_by_label("Announced from").fill("2023-01-01")
    page.get_by_role("button", name="Show rounds").click()
    page.wait_for_url("**announced_after=*")
    assert "announced_after=2023-01-01" in page.url
    assert "investor=" in page.url, "the filter form keeps the investor"
    shown = int(page.locator("p.summary").inner_text().split()[0])

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    path = tmp_path / "rounds.csv"
    download_info.value.save_as(path)
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == shown
    assert all(row["announced_on"] >= "2023-01-01" for row in rows)
    assert console_errors == []


PAGES = {
    "dashboard": "/",
    "company": "/companies/moonshot-ai/",
    "rounds": "/rounds/",
    "investor": "/investors/alibaba-group/",
    "companies": "/companies/",
    "bad-filter": "/rounds/?min_amount_usd=lots",
}
SCREENSHOTTED = {"dashboard", "company", "rounds"}


def test_pages_pass_the_accessibility_check_on_laptop_and_phone(
    page: Page, live_server: object, demo: None, console_errors: list[str]
) -> None:
    """axe-core finds no serious or critical violation (labels, contrast, landmarks, names).

    Also takes the docs' screenshots (see SCREENSHOTS).
    """
    axe = Axe()
    violations: list[str] = []
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        for name, url in PAGES.items():
            page.goto(str(live_server) + url)
            if name in SCREENSHOTTED:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(
                    path=SCREENSHOTS / f"{name}-{size}.png", full_page=size == "desktop"
                )
            violations += [
                f"{url} ({size}): {v['id']} ({v['impact']}) {v['help']} "
                f"at {[n['target'] for n in v['nodes']][:3]}"
                for v in axe.run(page).response["violations"]
                if v["impact"] in {"serious", "critical"}
            ]
            if name == "bad-filter":  # Chromium logs the (intended) 400 as a console error
                console_errors[:] = [e for e in console_errors if "status of 400" not in e]
    assert violations == []
    assert console_errors == []

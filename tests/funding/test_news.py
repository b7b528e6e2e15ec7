"""News to facts: reading an article or a feed, the money, stage and role grammar, names,
the extract_round command, and the extractor's floors on the labelled corpus."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from funding.news.evaluation import FIELDS, evaluate, load
from funding.news.extraction import extract, sentences
from funding.news.money import find_money
from funding.news.names import NameResolver, name_key
from tests.factories import CompanyFactory, InvestorFactory

# Every story of the corpus that reports a round; the headline of the first one.
STORIES = load()
MOONSHOT = (
    "Alibaba leads $1 billion round in Moonshot AI at $2.5 billion valuation; existing backers "
    "Monolith, Long-Z and HongShan join"
)


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("raised $1 billion", "1000000000", "USD"),
        ("raised US$1bn", "1000000000", "USD"),
        ("raised 1 billion yuan", "1000000000", "CNY"),
        ("raised €105 million", "105000000", "EUR"),
        ("the Beijing start-up raised ¥5 billion", "5000000000", "CNY"),
        ("the Tokyo start-up raised ¥5 billion", "5000000000", "JPY"),
        ("raised RMB 2.5bn", "2500000000", "CNY"),
        ("raised $300M", "300000000", "USD"),
        ("raised Rs 500 crore", "5000000000", "INR"),
        ("raised £30m", "30000000", "GBP"),
        ("raised 385 million euros ($414 million)", "385000000", "EUR"),
        ("raised $1,500,000", "1500000", "USD"),
    ],
)
def test_money_as_news_writes_it(text: str, amount: str, currency: str) -> None:
    money = find_money(text)[0]
    assert (money.amount, money.currency) == (Decimal(amount), currency)


def test_a_price_or_a_year_is_no_money() -> None:
    assert find_money("a $5 subscription launched in 2024 for 300 users") == []


@pytest.mark.parametrize(
    ("sentence", "stage"),
    [
        ("Acme raised $20 million in a Series B round.", "series_b"),
        ("Acme raised $2 million in a seed round.", "seed"),
        ("Acme raised $2 million in a pre-seed round.", "pre_seed"),
        ("Acme raised 50 million yuan in a Pre-A round.", "seed"),
        ("Acme raised 50 million yuan in an A+ round.", "series_a"),
        ("Acme raised 600 million yuan in its C plus financing round.", "series_c"),
        ("Acme raised $9 million in new funding.", "series_unknown"),
    ],
)
def test_stages_map_to_the_stage_table(sentence: str, stage: str) -> None:
    (found,) = extract(sentence, published_on=date(2024, 1, 1))
    assert found.stage == stage


def test_the_example_of_the_issue_gives_every_fact() -> None:
    (found,) = extract("", title=MOONSHOT, published_on=date(2024, 2, 27))
    record = found.to_json()
    assert {k: record[k] for k in ("company", "amount", "currency", "post_money_valuation")} == {
        "company": "Moonshot AI",
        "amount": "1000000000",
        "currency": "USD",
        "post_money_valuation": "2500000000",
    }
    assert record["leads"] == ["Alibaba"]
    assert record["participants"] == ["Monolith", "Long-Z", "HongShan"]
    assert record["announced_on"] == "2024-02-27"
    assert record["evidence"]["leads"] == {"sentence": MOONSHOT, "confidence": 0.85}


@pytest.mark.parametrize(
    ("text", "leads", "participants"),
    [
        (
            "Acme raised $10 million in a round co-led by Alpha Ventures and Beta Capital, "
            "with participation from Gamma Partners.",
            ["Alpha Ventures", "Beta Capital"],
            ["Gamma Partners"],
        ),
        (
            "Acme raised $10 million. Alpha Ventures led the round, joined by Beta Capital.",
            ["Alpha Ventures"],
            ["Beta Capital"],
        ),
        (
            "Acme raised $10 million. Alpha Ventures has taken the lead, alongside Beta Capital.",
            ["Alpha Ventures"],
            ["Beta Capital"],
        ),
    ],
)
def test_roles_of_investors(text: str, leads: list[str], participants: list[str]) -> None:
    (found,) = extract(text, published_on=date(2024, 1, 1))
    assert (found.leads, found.participants) == (leads, participants)


def test_names_resolve_to_known_ones_with_aliases_and_legal_suffixes() -> None:
    assert name_key("Alibaba Group Holding Ltd.") == name_key("Alibaba")
    assert name_key("Hongshan") == name_key("HongShan")
    names = NameResolver(investors=[("HongShan", ["Sequoia China"]), ("Alibaba Group", [])])
    assert names.investor("Hongshan") == "HongShan"
    assert names.investor("Sequoia China") == "HongShan"
    assert names.investor("Alibaba Group Holding Ltd.") == "Alibaba Group"
    assert names.investor("Nobody Known") == "Nobody Known"


def test_sentences_keep_abbreviations_and_decimals_whole() -> None:
    text = "SenseTime Group Ltd. has raised $1.5 billion from U.S. investors. It is valued at $6bn."
    assert sentences(text) == [
        "SenseTime Group Ltd. has raised $1.5 billion from U.S. investors.",
        "It is valued at $6bn.",
    ]


@pytest.mark.parametrize(
    "headline",
    [
        "Acme Ventures closes $500 million fund to back AI startups",
        "Nvidia to acquire AI startup Run:ai for $700 million",
        "AI startup Acme lays off 20% of staff after raising $50 million",
        "Acme files for IPO after raising $300 million",
        "Acme wins $2 million grant from the European Innovation Council",
        "Acme secures $100 million debt facility from Silicon Valley Bank",
    ],
)
def test_a_story_about_something_else_yields_nothing(headline: str) -> None:
    assert extract("", title=headline, published_on=date(2024, 1, 1)) == []


# --- The command ----------------------------------------------------------------------


def _html(story: dict[str, Any]) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in story["lead"].split("\n") if p.strip())
    return (
        "<!doctype html><html><head>"
        f"<title>{story['headline'] or 'News'}</title>"
        f'<meta property="og:title" content="{story["headline"] or "News"}">'
        f'<meta property="article:published_time" content="{story["published_on"]}T08:00:00Z">'
        "</head><body><nav><a href='/'>Home</a> <a href='/tech'>Tech</a></nav>"
        f"<article><h1>{story['headline']}</h1>{paragraphs}</article>"
        "<footer>All rights reserved.</footer></body></html>"
    )


def _extract_round(*arguments: str) -> list[dict[str, Any]]:
    out = StringIO()
    call_command("extract_round", *arguments, stdout=out)
    return list(json.loads(out.getvalue()))


@pytest.mark.django_db
def test_extract_round_reads_a_saved_page_and_prints_every_fact_with_its_evidence(
    tmp_path: Path,
) -> None:
    story = next(s for s in STORIES if s["id"] == "cnbc-mistral-2024-06")
    page = tmp_path / "mistral.html"
    page.write_text(_html(story), encoding="utf-8")
    (record,) = _extract_round(str(page))
    assert record["company"] == "Mistral AI"
    assert (record["amount"], record["currency"]) == ("645000000", "USD")
    assert (record["post_money_valuation"], record["valuation_currency"]) == ("6000000000", "USD")
    assert record["title"] == story["headline"]
    assert record["announced_on"] == "2024-06-12"
    assert set(record) == {
        "company", "amount", "currency", "post_money_valuation", "valuation_currency",
        "pre_money_valuation", "stage", "announced_on", "leads", "participants", "source_url",
        "title", "evidence",
    }  # fmt: skip
    for fact in ("company", "amount", "currency", "post_money_valuation", "announced_on"):
        evidence = record["evidence"][fact]
        assert evidence["sentence"], fact
        assert 0 < evidence["confidence"] <= 1, fact


@pytest.mark.django_db
def test_extract_round_prints_names_as_roundbook_knows_them(tmp_path: Path) -> None:
    CompanyFactory.create(name="SenseTime", aliases=["SenseTime Group"])
    InvestorFactory.create(name="Alibaba Group", aliases=[])
    story = next(s for s in STORIES if s["id"] == "reuters-sensetime-2018-04")
    text = tmp_path / "sensetime.txt"
    text.write_text(f"Date: {story['published_on']}\nURL: {story['url']}\n\n{story['lead']}")
    (record,) = _extract_round(str(text))
    assert record["company"] == "SenseTime"
    assert record["leads"] == ["Alibaba Group"]
    assert record["source_url"] == story["url"]


@pytest.mark.django_db
def test_extract_round_reads_every_entry_of_a_feed(tmp_path: Path) -> None:
    entries = [s for s in STORIES if s["id"] in {"scmp-baichuan-2024-07", "afp-mistral-2023-12"}]
    items = "".join(
        f"<item><title>{s['headline'] or 'News'}</title><link>{s['url'].replace('&', '&amp;')}"
        f"</link><description>{s['lead']}</description>"
        f"<pubDate>{date.fromisoformat(s['published_on']):%a, %d %b %Y} 08:00:00 GMT</pubDate>"
        "</item>"
        for s in entries
    )
    items += (
        "<item><title>Acme Ventures closes $500 million fund to back AI startups</title>"
        "<link>https://example.com/fund</link><description>The fund is its third.</description>"
        "</item>"
    )
    feed = tmp_path / "feed.xml"
    feed.write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>AI</title>{items}'
                    "</channel></rss>", encoding="utf-8")  # fmt: skip
    records = _extract_round(str(feed), "--format=feed")
    assert [r["company"] for r in records] == ["Mistral AI", "Baichuan"] or [
        r["company"] for r in records
    ] == ["Baichuan", "Mistral AI"]
    assert {r["announced_on"] for r in records} == {"2023-12-10", "2024-07-25"}


@pytest.mark.django_db
def test_extract_round_fetches_only_public_addresses() -> None:
    with pytest.raises(CommandError, match=r"private|public|loopback|not allowed"):
        _extract_round("http://127.0.0.1:9/news.html")


@pytest.mark.django_db
def test_extract_round_says_why_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="is not a file"):
        _extract_round(str(tmp_path / "missing.html"))


# --- The corpus ----------------------------------------------------------------------


def test_the_extractor_keeps_its_floors_on_the_corpus() -> None:
    """Precision 0.85 and recall 0.8 per field (where the corpus labels the field), and no
    story without a round yielding one: a regression fails CI."""
    result = evaluate(STORIES)
    assert result.negatives_with_a_round == []
    for name in FIELDS:
        score = result.scores[name]
        if score.relevant:
            assert (score.precision or 0) >= 0.85, (name, result.misses)
            assert (score.recall or 0) >= 0.8, (name, result.misses)


def test_news_eval_prints_the_table() -> None:
    out = StringIO()
    call_command("news_eval", stdout=out)
    table = out.getvalue()
    assert f"{len(STORIES)} stories" in table
    for name in FIELDS:
        assert name in table


def test_the_corpus_covers_what_the_extractor_must_read() -> None:
    rounds = [s["round"] for s in STORIES if s["round"]]
    negatives = [s for s in STORIES if not s["round"]]
    assert len(rounds) >= 40
    assert len(negatives) >= 6
    kinds = " ".join(s["kind"] for s in negatives)
    for kind in ("fund", "acquisition", "layoffs", "IPO", "grant", "debt"):
        assert kind in kinds, kind
    assert {"USD", "EUR", "CNY", "INR"} <= {r["currency"] for r in rounds}
    assert any(r["amount"] is None for r in rounds)  # undisclosed
    assert any(r["amount"] is None and r["post_money_valuation"] for r in rounds)
    assert any(len(r["leads"]) + len(r["participants"]) >= 4 for r in rounds)
    for story in STORIES:
        assert story["url"].startswith(("http://", "https://")), story["id"]
        assert story["lead"].strip(), story["id"]
    assert len({s["id"] for s in STORIES}) == len(STORIES)

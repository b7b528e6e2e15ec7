"""The facts of a funding round in a news story, each with the sentence it came from.

Offline and rule-based: a story is split into sentences (the headline first);
the sentence that reports a raise names the company and the amount; valuation,
stage and investors come from the first sentence that states each, by the
phrases funding news uses ("at a $2.5 billion valuation", "led by", "with
participation from"). A story about something other than a startup's equity
round (a fund closing, an acquisition, layoffs, an IPO, a grant, a loan)
yields nothing. Confidence is the rule's: 0.9 for an explicit phrase, less for
a fallback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from funding.news.grammar import (
    COMPANY_AFTER,
    COMPANY_BEFORE_VERB,
    FROM_AFTER_MONEY,
    INVESTOR_NAME,
    LEADS_AFTER,
    LEADS_BEFORE,
    NOT_A_ROUND,
    NOT_A_ROUND_OPENING,
    NOT_THE_AMOUNT,
    PARTICIPANTS_AFTER,
    PARTICIPATED_BEFORE,
    RAISE,
    ROUND_WORDS,
    STAGES,
    SUBJECT_DESCRIBED,
    TEXT_DATE,
    UNDISCLOSED,
    VALUATION_AFTER,
    VALUATION_BEFORE,
    WORTH,
)
from funding.news.money import Money, find_money, plain_amount
from funding.news.names import NameResolver, clean_name, split_names

# --- Sentences ----------------------------------------------------------------------

_ABBREVIATIONS = re.compile(
    r"\b(?:Inc|Ltd|Co|Corp|Mr|Ms|Dr|St|Jr|Sr|No|vs|U\.S|U\.K|Pte|Bhd|S\.A|N\.V|Rs|approx|est)\.$"
)


def sentences(text: str) -> list[str]:
    """`text` cut into sentences, keeping "Inc.", "U.S." and "$1.5 billion" whole."""
    out: list[str] = []
    for line in re.split(r"\n\s*\n|\n", text):
        paragraph = " ".join(line.split())
        if not paragraph:
            continue
        start = 0
        for match in re.finditer(
            r"[.!?][\"\u201d\u2019)]?\s+(?=[\"\u201c\u2018(]?[A-Z0-9$€£¥₹])", paragraph
        ):
            head = paragraph[start : match.start() + 1]
            if _ABBREVIATIONS.search(head) or re.search(r"\b[A-Z]\.$", head):
                continue
            out.append(paragraph[start : match.end()].strip())
            start = match.end()
        if paragraph[start:].strip():
            out.append(paragraph[start:].strip())
    return out


def is_about_a_round(headline: str, lead: list[str]) -> bool:
    """Whether the story reports a startup raising an equity round."""
    opening = " ".join([headline, *lead[:2]])
    if not RAISE.search(opening) or not (
        ROUND_WORDS.search(opening) or find_money(opening, story=opening)
    ):
        return False
    if any(rule.search(headline) for rule in NOT_A_ROUND):
        return False
    first = " ".join(lead[:2]) if not headline else lead[0] if lead else ""
    return not any(rule.search(first) for rule in NOT_A_ROUND_OPENING)


@dataclass
class Evidence:
    sentence: str
    confidence: float

    def to_json(self) -> dict[str, Any]:
        return {"sentence": self.sentence, "confidence": round(self.confidence, 2)}


@dataclass
class Round:
    company: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    post_money_valuation: Decimal | None = None
    valuation_currency: str | None = None
    pre_money_valuation: Decimal | None = None
    stage: str | None = None
    announced_on: date | None = None
    leads: list[str] = field(default_factory=list)
    participants: list[str] = field(default_factory=list)
    source_url: str | None = None
    title: str | None = None
    evidence: dict[str, Evidence] = field(default_factory=dict)

    def note(self, name: str, sentence: str, confidence: float) -> None:
        """The sentence a fact came from (the first one that gave it)."""
        self.evidence.setdefault(name, Evidence(sentence, confidence))

    def to_json(self) -> dict[str, Any]:
        def money(value: Decimal | None) -> str | None:
            return None if value is None else plain_amount(value)

        return {
            "company": self.company,
            "amount": money(self.amount),
            "currency": self.currency,
            "post_money_valuation": money(self.post_money_valuation),
            "valuation_currency": self.valuation_currency,
            "pre_money_valuation": money(self.pre_money_valuation),
            "stage": self.stage,
            "announced_on": self.announced_on.isoformat() if self.announced_on else None,
            "leads": self.leads,
            "participants": self.participants,
            "source_url": self.source_url,
            "title": self.title,
            "evidence": {name: e.to_json() for name, e in self.evidence.items()},
        }


def _valuation_kind(sentence: str, money: Money) -> str | None:
    """ "post" or "pre" when `money` in `sentence` is a valuation, else None."""
    before = sentence[max(0, money.start - 90) : money.start]
    after = sentence[money.end : money.end + 40]
    if WORTH.search(before):
        return "post"
    for match in (VALUATION_AFTER.search(before), VALUATION_BEFORE.search(after)):
        if match:
            return "pre" if (match.group("kind") or "").startswith("pre") else "post"
    return None


def _stage(sentence: str) -> str | None:
    for pattern, stage in STAGES:
        match = pattern.search(sentence)
        if match:
            return stage.format(match.group(1).lower()) if "{}" in stage else stage
    return None


def _company(sentence: str) -> str | None:
    for match in COMPANY_BEFORE_VERB.finditer(sentence):
        if name := clean_name(match.group("name")):
            return name
    for match in COMPANY_AFTER.finditer(sentence):
        names = split_names(re.split(r"\s(?:with|from|by|at|to|as|led)\s", match.group("name"))[0])
        if names:
            return names[0]
    return None


def _names_after(pattern: re.Pattern[str], sentence: str) -> list[str]:
    names: list[str] = []
    for match in pattern.finditer(sentence):
        names += [n for n in split_names(match.group("names")) if n not in names]
    return names


def _participated(sentence: str) -> list[str]:
    """ "Temasek and retailer Suning.com also participated": the names of the clause."""
    names: list[str] = []
    for match in PARTICIPATED_BEFORE.finditer(sentence):
        clause = re.split(r"\b(?:in which|which|where|that|while|after|with)\b", match["clause"])[
            -1
        ]
        names += [n for n in split_names(clause) if n not in names]
    return names


def _from_investors(sentence: str, story: str) -> list[str]:
    names: list[str] = []
    for money in find_money(sentence, story=story):
        if match := FROM_AFTER_MONEY.match(sentence[money.end :]):
            names += [n for n in split_names(match["names"]) if n not in names]
    return names


def _names_before(pattern: re.Pattern[str], sentence: str) -> list[str]:
    names: list[str] = []
    for match in pattern.finditer(sentence):
        parts = split_names(match.group(1))
        if parts and parts[-1] not in names:
            names.append(parts[-1])
    return names


def _company_and_amount(
    found: Round, candidates: list[str], story: str, names: NameResolver
) -> None:
    """From the first sentences that report a raise: who raised, and how much."""
    for index, sentence in enumerate(candidates[:6]):
        if not RAISE.search(sentence):
            continue
        confidence = 0.9 if index <= 1 else 0.7
        # Once the company is known, a later sentence gives the amount only if it is about
        # the round (not "the $29 billion price tag OpenAI received").
        about_the_round = found.company is None or ROUND_WORDS.search(sentence)
        if found.company is None and (name := _company(sentence)):
            found.company = names.company(name)
            found.note("company", sentence, confidence)
        if found.amount is None and about_the_round:
            for money in find_money(sentence, story=story):
                before = sentence[max(0, money.start - 60) : money.start]
                if _valuation_kind(sentence, money) or NOT_THE_AMOUNT.search(before):
                    continue
                found.amount, found.currency = money.amount, money.currency
                found.note("amount", sentence, confidence)
                found.note("currency", sentence, confidence)
                break
        if found.company and found.amount is not None:
            return


def _valuations_and_stage(found: Round, candidates: list[str], story: str) -> None:
    for sentence in candidates[:8]:
        for money in find_money(sentence, story=story):
            kind = _valuation_kind(sentence, money)
            if kind == "post" and found.post_money_valuation is None:
                found.post_money_valuation = money.amount
                found.valuation_currency = money.currency
                found.note("post_money_valuation", sentence, 0.85)
            elif kind == "pre" and found.pre_money_valuation is None:
                found.pre_money_valuation = money.amount
                found.valuation_currency = found.valuation_currency or money.currency
                found.note("pre_money_valuation", sentence, 0.85)
        if found.stage is None and (stage := _stage(sentence)):
            found.stage = stage
            found.note("stage", sentence, 0.9)
    if found.stage is None:
        found.stage = "series_unknown"
        found.note("stage", candidates[0], 0.4)


def _investors(found: Round, candidates: list[str], story: str, names: NameResolver) -> None:
    """Leads, then the other participants; never the company itself, never a name twice."""
    taken = {names.key(found.company)}
    for sentence in candidates[:8]:
        for name in _names_after(LEADS_AFTER, sentence) + _names_before(LEADS_BEFORE, sentence):
            resolved = names.investor(name)
            if names.key(resolved) not in taken:
                taken.add(names.key(resolved))
                found.leads.append(resolved)
                found.note("leads", sentence, 0.85)
    for sentence in candidates[:8]:
        others = (
            _names_after(PARTICIPANTS_AFTER, sentence)
            + _participated(sentence)
            + _from_investors(sentence, story)
        )
        for name in others:
            resolved = names.investor(name)
            if names.key(resolved) not in taken:
                taken.add(names.key(resolved))
                found.participants.append(resolved)
                found.note("participants", sentence, 0.75)


def _announced_on(found: Round, candidates: list[str]) -> None:
    """The date the text gives for the announcement, else the story's own date."""
    for sentence in candidates[:4]:
        match = TEXT_DATE.search(sentence)
        if match is None:
            continue
        try:
            day = datetime.strptime(  # noqa: DTZ007 (a calendar day)
                " ".join(match.group(1, 2, 3)).replace(",", ""), "%B %d %Y"
            ).date()
        except ValueError:
            continue
        if found.announced_on is None or day <= found.announced_on:
            found.announced_on = day
            found.note("announced_on", sentence, 0.8)
            return
    if found.announced_on is not None:
        found.note("announced_on", "(the date the story was published)", 0.7)


def extract(
    text: str,
    *,
    title: str = "",
    published_on: date | None = None,
    source_url: str | None = None,
    resolver: NameResolver | None = None,
) -> list[Round]:
    """The rounds a story reports: none, or one (a story reports one round)."""
    body = sentences(text)
    if title and body and body[0] == title:
        body = body[1:]
    if not is_about_a_round(title, body[:3]):
        return []
    story = " ".join([title, *body])
    candidates = ([title] if title else []) + body
    found = Round(title=title or None, source_url=source_url, announced_on=published_on)
    names = resolver or NameResolver()
    _company_and_amount(found, candidates, story, names)
    if found.company is None and found.amount is not None:
        # The raise told without the name ("A Chinese AI startup has closed a $600 million
        # round"): the company is the subject the next sentences describe.
        for sentence in candidates[1:5]:
            if (match := SUBJECT_DESCRIBED.match(sentence)) and (name := clean_name(match["name"])):
                found.company = names.company(name)
                found.note("company", sentence, 0.6)
                break
    if found.company is None or INVESTOR_NAME.search(found.company):
        return []
    _valuations_and_stage(found, candidates, story)
    _investors(found, candidates, story, names)
    _announced_on(found, candidates)
    if found.amount is None and (
        undisclosed := next((s for s in candidates[:4] if UNDISCLOSED.search(s)), None)
    ):
        found.note("amount", undisclosed, 0.8)
    return [found]

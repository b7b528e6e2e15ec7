"""How well the extractor reads the labelled news corpus: precision and recall per field.

A fact counts as predicted when the extractor gives a value, as relevant when the
label has one, and as right when both agree (names by `name_key`, amounts as
decimals; a "series_unknown" stage is no stage). A story labelled as no round
that yields one makes every fact it gives a wrong prediction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from funding.news.extraction import extract
from funding.news.names import NameResolver, name_key

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "tests" / "data" / "news" / "corpus.json"
SCALARS = (
    "company",
    "amount",
    "currency",
    "post_money_valuation",
    "valuation_currency",
    "pre_money_valuation",
    "stage",
)
LISTS = ("leads", "participants")
FIELDS = (*SCALARS, *LISTS)


@dataclass
class Score:
    predicted: int = 0
    relevant: int = 0
    right: int = 0

    @property
    def precision(self) -> float | None:
        return self.right / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.right / self.relevant if self.relevant else None


@dataclass
class Evaluation:
    stories: int = 0
    rounds: int = 0
    negatives: int = 0
    negatives_with_a_round: list[str] = field(default_factory=list)
    scores: dict[str, Score] = field(default_factory=lambda: {f: Score() for f in FIELDS})
    misses: list[str] = field(default_factory=list)

    def table(self) -> str:
        def percent(value: float | None) -> str:
            return "   -" if value is None else f"{value:4.2f}"

        lines = [
            f"{self.stories} stories: {self.rounds} rounds, {self.negatives} with no round "
            f"({len(self.negatives_with_a_round)} of them yielding one)",
            f"{'field':<22} {'precision':>9} {'recall':>7} {'right':>6} {'given':>6} "
            f"{'labelled':>8}",
        ]
        for name, score in self.scores.items():
            lines.append(
                f"{name:<22} {percent(score.precision):>9} {percent(score.recall):>7} "
                f"{score.right:>6} {score.predicted:>6} {score.relevant:>8}"
            )
        return "\n".join(lines)


def _same(name: str, got: Any, want: Any) -> bool:
    if name in {"company"}:
        return name_key(str(got)) == name_key(str(want))
    if name.endswith(("amount", "valuation")):
        return Decimal(str(got)) == Decimal(str(want))
    return bool(got == want)


def _value(name: str, record: dict[str, Any] | None) -> Any:
    if record is None:
        return None
    value = record.get(name)
    if name == "stage" and value == "series_unknown":
        return None
    return value


def load(path: Path = DEFAULT_CORPUS) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text(encoding="utf-8"))["stories"])


def evaluate(stories: list[dict[str, Any]], resolver: NameResolver | None = None) -> Evaluation:
    result = Evaluation()
    resolver = resolver or NameResolver()
    for story in stories:
        result.stories += 1
        want: dict[str, Any] | None = story.get("round")
        found = extract(
            story["lead"],
            title=story.get("headline") or "",
            published_on=date.fromisoformat(story["published_on"])
            if story.get("published_on")
            else None,
            source_url=story["url"],
            resolver=resolver,
        )
        got = found[0].to_json() if found else None
        if want is None:
            result.negatives += 1
            if got is not None:
                result.negatives_with_a_round.append(story["id"])
        else:
            result.rounds += 1
        for name in SCALARS:
            g, w = _value(name, got), _value(name, want)
            score = result.scores[name]
            score.predicted += g is not None
            score.relevant += w is not None
            if g is not None and w is not None and _same(name, g, w):
                score.right += 1
            elif g != w:
                result.misses.append(f"{story['id']}: {name} {g!r}, labelled {w!r}")
        for name in LISTS:
            g_names = list(_value(name, got) or [])
            w_keys = [name_key(n) for n in _value(name, want) or []]
            score = result.scores[name]
            score.predicted += len(g_names)
            score.relevant += len(w_keys)
            hits = [n for n in g_names if name_key(n) in w_keys]
            score.right += len(hits)
            if len(hits) != len(g_names) or len(hits) != len(w_keys):
                result.misses.append(
                    f"{story['id']}: {name} {g_names!r}, labelled {_value(name, want)!r}"
                )
    return result

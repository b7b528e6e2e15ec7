"""Money as funding news writes it: "$1 billion", "US$1bn", "1 billion yuan", "€105 million",
"¥5 billion", "RMB 2.5bn", "$300M", "Rs 500 crore", "£30m", "CHF 20 million".

No library reads these (price-parser cannot read "$1 billion"): the grammar is a
currency before the number (a sign or a code), a number with an optional scale
word, or a currency word after it. "¥" is yuan in a story about China and yen
otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Before the number: a sign or an ISO-like code. Longest first.
_PREFIXES = {
    "us$": "USD",
    "usd": "USD",
    "hk$": "HKD",
    "s$": "SGD",
    "a$": "AUD",
    "c$": "CAD",
    "ca$": "CAD",
    "nz$": "NZD",
    "r$": "BRL",
    "$": "USD",
    "€": "EUR",
    "eur": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "¥": "¥",  # yuan or yen: decided by the story
    "rmb": "CNY",
    "cny": "CNY",
    "jpy": "JPY",
    "₹": "INR",
    "rs.": "INR",
    "rs": "INR",
    "inr": "INR",
    "chf": "CHF",
    "sek": "SEK",
    "₩": "KRW",
    "krw": "KRW",
    "aed": "AED",
    "sar": "SAR",
}
# After the number (and its scale): a currency word.
_SUFFIXES = {
    "yuan": "CNY",
    "renminbi": "CNY",
    "rmb": "CNY",
    "euros": "EUR",
    "euro": "EUR",
    "eur": "EUR",
    "dollars": "USD",
    "usd": "USD",
    "pounds": "GBP",
    "yen": "JPY",
    "rupees": "INR",
    "won": "KRW",
    "francs": "CHF",
    "kronor": "SEK",
}
_SCALES = {
    "trillion": Decimal(10) ** 12,
    "tn": Decimal(10) ** 12,
    "billion": Decimal(10) ** 9,
    "bn": Decimal(10) ** 9,
    "b": Decimal(10) ** 9,
    "million": Decimal(10) ** 6,
    "mn": Decimal(10) ** 6,
    "mln": Decimal(10) ** 6,
    "m": Decimal(10) ** 6,
    "crore": Decimal(10) ** 7,
    "crores": Decimal(10) ** 7,
    "cr": Decimal(10) ** 7,
    "lakh": Decimal(10) ** 5,
    "lakhs": Decimal(10) ** 5,
    "thousand": Decimal(10) ** 3,
    "k": Decimal(10) ** 3,
}


def _alternation(words: Mapping[str, object]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = rf"(?:[\s-]?(?P<scale>{_alternation(_SCALES)})\b)"
MONEY = re.compile(
    rf"(?<![\w$€£¥₹])(?P<prefix>{_alternation(_PREFIXES)})\s?(?P<number>{_NUMBER}){_SCALE}?"
    rf"(?:\s(?P<suffix1>{_alternation(_SUFFIXES)})\b)?"
    rf"|(?<![\w.,])(?P<bare>{_NUMBER}){_SCALE.replace('scale', 'scale2')}?"
    rf"\s(?P<suffix2>{_alternation(_SUFFIXES)})\b",
    re.IGNORECASE,
)
_CHINA = re.compile(r"\b(?:China|Chinese|Beijing|Shanghai|Shenzhen|Hangzhou|yuan|RMB)\b")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str
    start: int
    end: int
    text: str


def find_money(sentence: str, *, story: str = "") -> list[Money]:
    """Every sum of money in `sentence`, in order; `story` (the whole text) decides "¥"."""
    found: list[Money] = []
    for match in MONEY.finditer(sentence):
        number = match.group("number") or match.group("bare")
        scale = match.group("scale") or match.group("scale2")
        if match.group("prefix"):
            currency = _PREFIXES[match.group("prefix").casefold()]
            if match.group("suffix1"):
                currency = _SUFFIXES[match.group("suffix1").casefold()]
        else:
            currency = _SUFFIXES[match.group("suffix2").casefold()]
        if currency == "¥":
            currency = "CNY" if _CHINA.search(story or sentence) else "JPY"
        if (
            scale
            and scale.casefold() in {"m", "b", "k"}
            and scale.islower()
            and not (match.group("prefix"))
        ):
            continue  # "5 m yuan" is too odd to trust
        try:
            value = Decimal(number.replace(",", ""))
        except InvalidOperation:
            continue
        if scale:
            value *= _SCALES[scale.casefold()]
        if not scale and value < 1000 and currency != "¥":
            # "$5" alone is a price, not a round; a year or a count is no money either.
            continue
        found.append(Money(value.normalize(), currency, match.start(), match.end(), match[0]))
    return found


def plain_amount(value: Decimal) -> str:
    """`Decimal` as the records write it: "105000000", "2.5"."""
    return format(value.normalize(), "f")

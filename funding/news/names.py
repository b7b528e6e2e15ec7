"""Names in funding news: cut out of a sentence, cleaned, and resolved to known
companies and investors.

A name is compared by its match key (`companies.names.match_key`) with legal and
group suffixes left out, so "Alibaba Group Holding Ltd." is "Alibaba" and
"Hongshan" is "HongShan"; a name within a small edit of a known one (rapidfuzz)
is that one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import fuzz, process

from companies.names import match_key

# Left off the end of a name before comparing (and, the legal ones, before printing).
_LEGAL = {
    "inc", "inc.", "incorporated", "ltd", "ltd.", "limited", "llc", "l.l.c.", "llp", "lp", "l.p.",
    "corp", "corp.", "corporation", "co", "co.", "company", "gmbh", "ag", "sa", "s.a.", "sas",
    "plc", "bv", "b.v.", "nv", "n.v.", "pte", "pte.", "oy", "ab", "spa", "s.p.a.", "srl", "kk",
}  # fmt: skip
_GROUP = {"group", "holding", "holdings", "(holdings)", "international"}
# Words that open a noun phrase before a name ("Chinese AI startup Moonshot AI").
_DESCRIPTORS = {
    "the", "a", "an", "ai", "startup", "start-up", "unicorn", "firm", "company", "giant",
    "chinese", "french", "indian", "german", "british", "uk", "u.k.", "us", "u.s.", "u.s",
    "american",
    "european", "israeli", "japanese", "korean", "canadian", "swiss", "swedish", "dutch",
    "spanish", "italian", "singaporean", "californian", "state-backed", "state-owned",
    "generative", "gen", "exclusive:", "breaking:", "report:", "fintech", "robotics", "chip",
    "chipmaker", "humanoid", "agentic", "legal", "health", "healthcare", "defense", "defence",
    "autonomous", "driving", "self-driving", "voice", "video", "search", "coding", "biotech",
    "quantum", "cybersecurity", "security", "data", "cloud", "saas", "b2b", "enterprise",
    "today", "this", "on", "in", "after", "retailer", "lidl", "owner",
}  # fmt: skip
# A place alone is no investor ("Singapore state fund Temasek"), though it may open a name.
_PLACES = {
    "singapore", "china", "india", "france", "germany", "japan", "korea", "israel", "europe",
    "paris", "london", "berlin", "beijing", "shanghai", "shenzhen", "hangzhou", "bengaluru",
    "bangalore", "mumbai", "delhi", "tokyo", "seoul", "toronto", "stockholm", "munich",
    "california", "silicon", "valley", "america", "britain", "canada", "dubai", "abu",
}  # fmt: skip
# Places written in several words; never an investor or a startup.
_PLACE_NAMES = {"united states", "united kingdom", "hong kong", "new york", "silicon valley",
                "san francisco", "new delhi", "tel aviv", "abu dhabi", "saudi arabia"}  # fmt: skip
_NOT_NAMES = {
    "series", "seed", "round", "the company", "company", "investors", "existing investors",
    "others", "other investors", "several", "funding", "monday", "tuesday", "wednesday",
    "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april", "may",
    "june", "july", "august", "september", "october", "november", "december", "it", "we", "its",
    "they", "he", "she", "ceo", "the round", "reuters", "bloomberg", "techcrunch",
}  # fmt: skip
# "Paris-based", "Microsoft-backed", "US-blacklisted": a description of the name after it.
_DESCRIBED = re.compile(r"^[\w.]+-[a-z]+$")
# "Spotify CEO Daniel Ek", "Spotify founder Daniel Ek": the person after the role.
_ROLES = {
    "ceo", "cto", "coo", "cfo", "founder", "co-founder", "cofounder", "chairman", "chairwoman",
    "chief", "president", "billionaire", "boss", "executive", "investor",
}  # fmt: skip
# After a place alone, a word that makes it a description ("a Chengdu government-backed fund").
_PLACE_DESCRIPTIONS = {"government", "government-backed", "state", "state-backed", "city",
                       "municipal", "provincial", "state-owned", "state-run"}  # fmt: skip
# "Singaporean", "Californian", "Japanese", "Swedish", "Israeli": a description, not a name.
_NATIONALITY = re.compile(r"^[A-Z][a-z]+(?:ian|ean|ese|ish|eli)$")
_TOKEN = re.compile(r"[\w.&'\u2019+-]+|\([^)]*\)")
_CONNECTORS = {"of", "and", "&", "de", "la", "du", "der", "von", "for", "the"}


def _capitalised(token: str) -> bool:
    """ "Alibaba", "01.AI", and the camel case of "xAI" or "iFlytek"."""
    return bool(token) and (
        token[0].isupper() or token[0].isdigit() or any(ch.isupper() for ch in token[1:3])
    )


def clean_name(raw: str) -> str | None:
    """A name cut from a sentence, without descriptors before it or legal suffixes after."""
    tokens = [t for t in _TOKEN.findall(raw) if not t.startswith("(")]
    # "China's SenseTime", "Paris-based Mistral AI": what comes before is a description.
    for index, token in enumerate(tokens[:-1]):
        if (
            token.endswith(("'s", "\u2019s"))
            or _DESCRIBED.match(token)
            or token.casefold() in _ROLES
        ):
            tokens = tokens[index + 1 :]
            break
    while len(tokens) > 1 and (
        tokens[0].casefold() in _DESCRIPTORS or _NATIONALITY.match(tokens[0])
    ):
        tokens = tokens[1:]
    while len(tokens) > 1 and tokens[-1].casefold().rstrip(",") in _LEGAL:
        tokens = tokens[:-1]
    while tokens and tokens[-1].casefold() in _CONNECTORS:
        tokens = tokens[:-1]
    name = " ".join(tokens).strip(" ,.;:'\u2019\"")
    if name.endswith(("'s", "\u2019s")):
        name = name[:-2]
        tokens = name.split()
    if not name or name.casefold() in _NOT_NAMES | _PLACE_NAMES or not _capitalised(name):
        return None
    if len(tokens) == 1 and (
        tokens[0].casefold() in _DESCRIPTORS | _PLACES
        or _NATIONALITY.match(tokens[0])
        or _DESCRIBED.match(tokens[0])
    ):
        return None
    if not any(ch.isalpha() for ch in name):
        return None
    return name


def split_names(segment: str) -> list[str]:
    """The names in a list as news writes it: "A, B and C", "A (BABA.N) and B"."""
    segment = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", segment)
    names: list[str] = []
    keys: set[str] = set()
    parts = re.split(r",\s*(?:and\s+|as well as\s+|plus\s+)?|\s+and\s+|\s+as well as\s+", segment)
    for part in parts:
        # The first run of capitalised words that is a name: "Singapore state fund Temasek"
        # gives Temasek ("Singapore" alone is a description).
        run: list[str] = []
        for token in [*_TOKEN.findall(part), "."]:
            if _capitalised(token) or (run and token.casefold() in _CONNECTORS):
                run.append(token)
                continue
            word = token.casefold()
            if word in _ROLES or (len(run) == 1 and word in _PLACE_DESCRIPTIONS):
                run = []  # "Spotify founder Daniel Ek": the person comes next
                continue
            name = clean_name(" ".join(run)) if run else None
            run = []
            if name:
                if name_key(name) not in keys:
                    names.append(name)
                    keys.add(name_key(name))
                break
    return names


def name_key(name: str) -> str:
    """The key two spellings of one organisation share: match key without legal or group
    suffixes ("Alibaba Group Holding Ltd." and "Alibaba" → "alibaba")."""
    tokens = name.split()
    while len(tokens) > 1 and tokens[-1].casefold().strip(",") in _LEGAL | _GROUP | {"ai"}:
        tokens = tokens[:-1]
    return match_key(" ".join(tokens))


class NameResolver:
    """Known names, to print a name as Roundbook knows it; without any, names stay as read."""

    def __init__(
        self,
        companies: Iterable[tuple[str, Iterable[str]]] = (),
        investors: Iterable[tuple[str, Iterable[str]]] = (),
    ) -> None:
        self._companies = self._index(companies)
        self._investors = self._index(investors)

    @staticmethod
    def _index(known: Iterable[tuple[str, Iterable[str]]]) -> dict[str, str]:
        index: dict[str, str] = {}
        for name, aliases in known:
            for spelling in (name, *aliases):
                key = name_key(spelling)
                if key:
                    index.setdefault(key, name)
        return index

    @classmethod
    def from_database(cls) -> NameResolver:
        """The companies and investors stored; none when the database is not set up yet."""
        from django.db import DatabaseError  # noqa: PLC0415 (the app registry)

        from companies.models import Company, Investor  # noqa: PLC0415

        try:
            return cls(
                list(Company.objects.values_list("name", "aliases")),
                list(Investor.objects.values_list("name", "aliases")),
            )
        except DatabaseError:
            return cls()

    @staticmethod
    def key(name: str | None) -> str:
        return name_key(name or "")

    @staticmethod
    def _resolve(name: str, index: dict[str, str]) -> str:
        key = name_key(name)
        if key in index:
            return index[key]
        if index and len(key) >= 5:
            best = process.extractOne(key, index.keys(), scorer=fuzz.ratio, score_cutoff=92)
            if best is not None:
                return index[best[0]]
        return name

    def company(self, name: str) -> str:
        return self._resolve(name, self._companies)

    def investor(self, name: str) -> str:
        return self._resolve(name, self._investors)

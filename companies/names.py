"""Name normalisation shared by slugs and matching."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from django.utils.text import slugify


def match_key(name: str) -> str:
    """Case-, accent-, spacing- and punctuation-insensitive form of a name.

    "Moonshot AI", "moonshot-ai" and "MOONSHOT  AI" share the key "moonshotai";
    "Mistral AI" and "Mistral Ä.I." too. Letters of other scripts are kept
    ("月之暗面" stays itself).
    """
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(
        ch for ch in decomposed.casefold() if ch.isalnum() and not unicodedata.combining(ch)
    )


def match_keys(name: str, aliases: Iterable[str], slug: str = "") -> list[str]:
    """The distinct keys under which an organisation can be found."""
    keys: list[str] = []
    for candidate in (name, slug, *aliases):
        key = match_key(candidate)
        if key and key not in keys:
            keys.append(key)
    return keys


def encode_keys(keys: Iterable[str]) -> str:
    """Keys stored as "|k1|k2|" so one `contains` lookup matches a whole key."""
    joined = "|".join(keys)
    return f"|{joined}|" if joined else ""


def base_slug(name: str) -> str:
    """`slugify(name)`, falling back to a Unicode slug for names without Latin letters."""
    return slugify(name) or slugify(name, allow_unicode=True) or "unnamed"

"""Reading news: an article (a URL, a saved HTML page, a .txt file) or a feed (RSS/Atom).

An HTML page's main text, title and date come from trafilatura; a feed's
entries from feedparser. A URL is fetched by the importers' safe fetcher
(public addresses only, a deadline, a size cap), never by those libraries.
A .txt file is the title on its first line and the text after it; a line
"Date: YYYY-MM-DD" or "URL: …" in its first lines is read as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import feedparser
import trafilatura
from django.conf import settings

from funding.importers.fetch import fetch_to_file


class ReadError(ValueError):
    """The source cannot be read: the command says why and prints nothing."""


@dataclass(frozen=True)
class Story:
    title: str
    text: str
    published_on: date | None
    url: str | None


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _fetch(url: str) -> bytes:
    path = fetch_to_file(
        url,
        max_bytes=settings.NEWS_MAX_BYTES,
        timeout=settings.IMPORT_FETCH_TIMEOUT,
        deadline=settings.IMPORT_FETCH_DEADLINE,
    )
    try:
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


def _load(source: str) -> bytes:
    if _is_url(source):
        return _fetch(source)
    path = Path(source)
    if not path.is_file():
        raise ReadError(f"{source} is not a file or an http(s) URL.")
    if path.stat().st_size > settings.NEWS_MAX_BYTES:
        raise ReadError(f"{path.name} is larger than NEWS_MAX_BYTES ({settings.NEWS_MAX_BYTES}).")
    return path.read_bytes()


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


_TXT_HEADER = re.compile(r"^(Date|URL|Title):\s*(.+)$", re.IGNORECASE)


def _from_text(text: str, url: str | None) -> Story:
    lines = text.strip().splitlines()
    fields: dict[str, str] = {}
    while lines and (match := _TXT_HEADER.match(lines[0].strip())):
        fields[match.group(1).casefold()] = match.group(2).strip()
        lines = lines[1:]
    if "title" not in fields and lines:
        fields["title"] = lines.pop(0).strip()
    return Story(
        title=fields.get("title", ""),
        text="\n".join(lines).strip(),
        published_on=_date(fields.get("date")),
        url=fields.get("url") or url,
    )


def _from_html(html: str, url: str | None) -> Story:
    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False
    )
    if document is None:
        raise ReadError("No article text was found in the page.")
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    return Story(
        title=str(data.get("title") or ""),
        text=str(data.get("text") or ""),
        published_on=_date(data.get("date")),
        url=url or data.get("url") or None,
    )


def read_article(source: str) -> Story:
    """The story at `source`: a URL, a saved .html page or a .txt file."""
    raw = _load(source)
    text = raw.decode("utf-8", errors="replace")
    url = source if _is_url(source) else None
    if not _is_url(source) and Path(source).suffix.casefold() == ".txt":
        return _from_text(text, url)
    if "<" not in text[:2000]:
        return _from_text(text, url)
    return _from_html(text, url)


def read_feed(source: str) -> list[Story]:
    """The entries of the RSS or Atom feed at `source` (a URL or a file)."""
    parsed = feedparser.parse(_load(source))
    if parsed.bozo and not parsed.entries:
        raise ReadError(f"Not a readable RSS or Atom feed: {parsed.get('bozo_exception')}")
    stories = []
    for entry in parsed.entries:
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        summary = str(entry.get("summary") or "")
        if "<" in summary:
            summary = trafilatura.extract(summary) or re.sub(r"<[^>]+>", " ", summary)
        stories.append(
            Story(
                title=str(entry.get("title") or ""),
                text=summary,
                published_on=date(*published[:3]) if published else None,
                url=str(entry.get("link") or "") or None,
            )
        )
    return stories

"""Roundbook's own format (funding.roundbook_format), as JSON Lines or CSV.

Reads exactly what the exports write: a record's `id` and company slug find
the round it came from, so exporting the whole database and importing it back
creates and changes nothing. `amount_usd` is taken as published only when
`usd_basis` says it was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import IO, Any, ClassVar

from companies.names import match_key
from funding.importers.base import (
    MAX_RAW,
    Bundle,
    CellError,
    Record,
    RoundRow,
    RowError,
    cell,
    check_text,
    csv_records,
    currency_cell,
    date_cell,
    first_line,
    header_of,
    money_cell,
    money_text,
    name_cell,
    parse_record,
    web_url_cell,
)
from funding.models import DatePrecision, RoundStatus, Stage, UsdBasis
from funding.record import CSV_COLUMNS
from funding.roundbook_format import LIST_SEPARATOR, csv_unescape

CSV_REQUIRED = {"company", "company_name", "stage", "announced_on", "amount", "currency"}
_MONEY_FIELDS = ("amount", "pre_money_valuation", "post_money_valuation")


def _text(value: Any, *, limit: int = 100_000) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise CellError("must be text")
    text = check_text(str(value))
    if len(text) > limit:
        raise CellError(f"is longer than {limit} characters")
    return text


def _choice(value: Any, choices: list[str], default: str) -> str:
    text = _text(value).strip() or default
    if text not in choices:
        raise CellError(f"{text[:40]!r} is not one of {', '.join(choices)}")
    return text


def _row(line: int, raw: str, data: dict[str, Any], errors: dict[str, str]) -> RoundRow | None:
    def field(name: str, parse: Any) -> Any:
        try:
            return parse(data.get(name))
        except CellError as error:
            errors[name] = str(error)
            return None

    company = data.get("company")
    if not isinstance(company, dict):
        company = {"slug": company, "name": data.get("company_name")}
    name = field(
        "company",
        lambda _: name_cell(_text(company.get("name") or company.get("slug")), formula_ok=True),
    )
    slug = field("company", lambda _: _text(company.get("slug"), limit=220).strip())
    stage = field("stage", lambda v: _choice(v, Stage.values, ""))
    announced = field("announced_on", lambda v: date_cell(_text(v)))
    precision = field(
        "announced_on_precision", lambda v: _choice(v, DatePrecision.values, DatePrecision.DAY)
    )
    money = {m: field(m, lambda v: money_cell(_text(v))) for m in (*_MONEY_FIELDS, "amount_usd")}
    currency = field("currency", lambda v: currency_cell(_text(v)))
    usd_basis = field("usd_basis", lambda v: _choice(v, UsdBasis.values, UsdBasis.NONE))
    status = field("status", lambda v: _choice(v, RoundStatus.values, RoundStatus.ANNOUNCED))
    notes = field("notes", _text)
    investors = field("investors", _investors)
    sources = field("sources", _sources)
    raw_id = data.get("id")
    round_id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None
    if errors or not name or not stage or not announced:
        return None
    key_parts = [slug or match_key(name), str(round_id) if round_id else f"{stage}|{announced[0]}"]
    return RoundRow(
        line=line,
        raw=raw,
        key="roundbook:" + hashlib.sha256("|".join(key_parts).encode()).hexdigest()[:40],
        company=name,
        company_slug=slug or "",
        stage=stage,
        announced_on=announced[0].isoformat(),
        precision=precision or DatePrecision.DAY,
        amount=money_text(money["amount"]),
        currency=currency or "",
        amount_usd_published=(
            money_text(money["amount_usd"]) if usd_basis == UsdBasis.PUBLISHED else None
        ),
        pre_money_valuation=money_text(money["pre_money_valuation"]),
        post_money_valuation=money_text(money["post_money_valuation"]),
        status=status or RoundStatus.ANNOUNCED,
        notes=notes or "",
        investors=investors or [],
        sources=sources or [],
        round_id=round_id,
    )


def _investors(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
        raise CellError("must be a list of {slug, name, is_lead}")
    return [
        {
            "name": name_cell(_text(i.get("name") or i.get("slug")), formula_ok=True),
            "slug": _text(i.get("slug"), limit=220).strip(),
            "is_lead": i.get("is_lead") is True,
        }
        for i in value
    ]


def _sources(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(s, dict) for s in value):
        raise CellError("must be a list of {url, title, publisher, published_on}")
    sources = []
    for s in value:
        url = web_url_cell(_text(s.get("url")))
        published = _text(s.get("published_on")).strip()
        sources.append(
            {
                "url": url,
                "title": _text(s.get("title"), limit=300),
                "publisher": _text(s.get("publisher"), limit=120),
                "published_on": date_cell(published)[0].isoformat() if published else None,
            }
        )
    return sources


def _csv_data(record: Record) -> dict[str, Any]:
    c = {k: csv_unescape(v) for k, v in record.cells.items()}
    leads = [n for n in c.get("lead_investors", "").split(LIST_SEPARATOR) if n.strip()]
    others = [n for n in c.get("other_investors", "").split(LIST_SEPARATOR) if n.strip()]
    return {
        **c,
        "id": int(c["id"]) if c.get("id", "").isdigit() else None,
        "company": {"slug": c.get("company"), "name": c.get("company_name")},
        "investors": [
            *({"name": n.strip(), "slug": "", "is_lead": True} for n in leads),
            *({"name": n.strip(), "slug": "", "is_lead": False} for n in others),
        ],
        # Titles are not in the CSV: None keeps what the round already cites.
        "sources": None,
    }


def _source_urls(value: str) -> list[str]:
    """The CSV's space-separated source URLs, each under the web URL rule."""
    return [web_url_cell(url) for url in csv_unescape(value).split()]


def _formula(record: Record, errors: dict[str, str]) -> None:
    """A raw text cell starting like a formula was not written by Roundbook (it escapes them)."""
    for column, value in record.cells.items():
        if column in CSV_COLUMNS and value.startswith(("=", "+", "@")):
            errors[column] = "looks like a spreadsheet formula"


class RoundbookImporter:
    name: ClassVar[str] = "roundbook"

    def _file(self, bundle: Bundle) -> str:
        names = bundle.names()
        return names[0] if len(names) == 1 else ""

    def _is_jsonl(self, bundle: Bundle, name: str) -> bool:
        line = first_line(bundle, name).strip()
        if not line.startswith("{"):
            return False
        try:
            data = json.loads(line)
        except ValueError:
            return False
        return isinstance(data, dict) and {"company", "stage", "announced_on"} <= data.keys()

    def detect(self, bundle: Bundle) -> bool:
        name = self._file(bundle)
        if not name:
            return False
        return self._is_jsonl(bundle, name) or set(header_of(bundle, name)) >= CSV_REQUIRED

    def read(self, bundle: Bundle) -> Iterator[RoundRow | RowError]:
        name = self._file(bundle)
        with bundle.open(name) as binary:
            if self._is_jsonl(bundle, name):
                yield from self._jsonl(binary)
            else:
                yield from self._csv(binary)

    def _jsonl(self, binary: IO[bytes]) -> Iterator[RoundRow | RowError]:
        for number, line in enumerate(binary, start=1):
            if not line.strip():
                continue
            raw_text = line.decode("utf-8", errors="replace").strip()[:MAX_RAW]
            try:
                data = json.loads(line.decode("utf-8-sig" if number == 1 else "utf-8"))
            except UnicodeDecodeError:
                yield RowError(number, raw_text, {"row": "not valid UTF-8"})
                continue
            except ValueError as error:
                yield RowError(number, raw_text, {"row": f"not a JSON object: {error}"})
                continue
            if not isinstance(data, dict):
                yield RowError(number, raw_text, {"row": "not a JSON object"})
                continue
            errors: dict[str, str] = {}
            row = _row(number, raw_text, data, errors)
            if errors:
                yield RowError(number, raw_text, errors)
            elif row is not None:
                yield row

    def _csv(self, binary: IO[bytes]) -> Iterator[RoundRow | RowError]:
        for record in csv_records(binary):
            if isinstance(record, RowError):
                yield record
                continue

            def build(record: Record, errors: dict[str, str]) -> RoundRow | None:
                _formula(record, errors)
                data = _csv_data(record)
                urls = cell(record, errors, "source_urls", _source_urls)
                row = _row(record.line, record.raw, data, errors)
                if row is not None:
                    row.sources = [
                        {"url": url, "title": None, "publisher": None, "published_on": None}
                        for url in urls or []
                    ]
                return row

            row = parse_record(record, build)
            if row is not None:
                yield row

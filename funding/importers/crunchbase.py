"""Crunchbase exports in their three layouts, told apart by the rounds file's header.

- bulk export v4: `funding_rounds.csv` (or `funding_rounds_part_*.csv`) with
  `investment_type` and `org_name`, plus `investments.csv` (investors and lead
  flags), optional `organizations.csv` and `investors.csv`;
- 2.x: `funding_rounds.csv` with `funding_round_type` + `funding_round_code`
  and `investor_names`, optional `investments.csv` (`t`/`f`) and `investors.csv`;
- Pro web UI: `Company Name, Announced Date, …, Money Raised, Lead Investors,
  Funding Type`, money as display strings (`$2.3B`, `€8.8M`).

The side files (investments, organizations, investors) are streamed first
into a temporary SQLite file keyed by uuid; the rounds are then streamed, and
looked up in it a batch at a time.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sqlite3
from collections.abc import Iterator, Sequence
from decimal import Decimal
from operator import itemgetter
from typing import Any, ClassVar

from django_countries import countries

from companies.links import is_web_url
from companies.names import match_key
from funding.importers.base import (
    MAX_RAW,
    Bundle,
    CellError,
    Record,
    RoundRow,
    RowError,
    bool_cell,
    cell,
    csv_records,
    currency_cell,
    date_cell,
    header_of,
    money_cell,
    money_text,
    name_cell,
    name_list,
    parse_record,
    text_stream,
    unreadable,
    web_url_cell,
)
from funding.importers.stages import stage_for

V4_COLUMNS = {"investment_type", "announced_on", "org_name"}
V2_COLUMNS = {"funding_round_type", "announced_on", "company_name"}
UI_COLUMNS = {"Announced Date", "Money Raised", "Funding Type"}
UI_COMPANY = ("Company Name", "Organization Name")

_SYMBOLS = {
    "$": "USD",
    "US$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "JP¥": "JPY",
    "CN¥": "CNY",
    "A$": "AUD",
    "CA$": "CAD",
    "HK$": "HKD",
    "₹": "INR",
    "₩": "KRW",
    "R$": "BRL",
    "NZ$": "NZD",
    "S$": "SGD",
    "CHF": "CHF",
}
_SCALE = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
_DISPLAY_MONEY = re.compile(
    r"^(?P<symbol>[A-Z]{0,3}[$€£¥₹₩]|[A-Z]{3})?\s*(?P<number>\d[\d,]*(?:\.\d+)?)\s*"
    r"(?P<scale>[KMBT])?$"
)


def display_money(text: str) -> tuple[Decimal, str] | None:
    """`$2.3B` -> (2300000000, USD), `€8.8M` -> (8800000, EUR); empty -> None."""
    text = text.strip()
    if not text or text in {"-", "—"}:
        return None
    match = _DISPLAY_MONEY.match(text.upper().replace("\u00a0", " "))
    if match is None:
        raise CellError(f"{text[:40]!r} is not an amount like $2.3B")
    symbol = match["symbol"] or "$"
    currency = _SYMBOLS.get(symbol, symbol if len(symbol) == 3 and symbol.isalpha() else "")
    if not currency:
        raise CellError(f"unknown currency symbol {symbol!r}")
    amount = Decimal(match["number"].replace(",", "")) * _SCALE[match["scale"] or ""]
    parsed = money_cell(str(amount))
    assert parsed is not None  # a number was matched
    return parsed, currency_cell(currency)


def _country(code: str) -> str:
    code = code.strip().upper()
    return countries.alpha2(code) if code else ""


def _hash_key(prefix: str, *parts: str) -> str:
    return f"{prefix}:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def _url(value: str) -> str:
    """A company's homepage, or "" when it is not a web URL (a round is not refused for it)."""
    value = value.strip()
    return value if is_web_url(value) else ""


def _crunchbase_source(record: Record, errors: dict[str, str]) -> list[dict[str, object]]:
    """The round's Crunchbase page as its source; a `cb_url` that is not a web URL
    rejects the row."""
    url = cell(record, errors, "cb_url", lambda v: web_url_cell(v) if v.strip() else "")
    return [{"url": url, "title": "Crunchbase", "publisher": "Crunchbase"}] if url else []


def _amount(value: str) -> str | None:
    """`money_text` of an amount where Crunchbase's 0 means unknown (None).

    Empty cells (most are) and whole numbers of up to 18 digits (most others
    are), which money_cell would take as they are, skip the Decimal.
    """
    if not value:
        return None
    if len(value) <= 18 and value.isascii() and value.isdigit():
        number = int(value)
        return f"{number}.00" if number else None
    return money_text(money_cell(value, zero_is_unknown=True))


def _money(
    record: Record,
    errors: dict[str, str],
    row: RoundRow,
    *,
    post_currency_column: str,
) -> None:
    """Amount, currency, published USD and post-money of a v4 or 2.x row, filled into `row`.

    The amounts are handled as their text: a nonzero amount or None.
    """
    amount = cell(record, errors, "raised_amount", _amount)
    usd = cell(record, errors, "raised_amount_usd", _amount)
    currency = cell(record, errors, "raised_amount_currency_code", currency_cell) or ""
    post = cell(record, errors, "post_money_valuation", _amount)
    post_usd = cell(record, errors, "post_money_valuation_usd", _amount)
    post_currency = cell(record, errors, post_currency_column, currency_cell) or ""
    if amount is None and usd is not None:
        amount, currency = usd, "USD"
    if amount is not None and not currency and "raised_amount_currency_code" not in errors:
        errors["raised_amount_currency_code"] = "is missing for the amount"
    if post is None and post_usd is not None and currency in {"", "USD"}:
        post, post_currency = post_usd, "USD"
    if post is not None:
        if not currency:
            currency = post_currency or "USD"
        elif post_currency and post_currency != currency:
            post = post_usd if currency == "USD" else None
    row.amount = amount
    row.currency = currency
    row.amount_usd_published = usd if currency != "USD" and amount else None
    row.post_money_valuation = post


# Rounds read before the side files are queried for them, together: at most so many, and
# about so many characters of cells (a row can hold megabytes).
LOOKUP_ROWS = 100
LOOKUP_CHARS = 1_000_000
_NO_ORGANIZATION = ("", "", "", "")


def _unnamed_investors(unnamed: dict[str, bool], outcome: str) -> str:
    """The warning for a round's investments whose investor has no name in any file."""
    leads = sum(unnamed.values())
    shown = ", ".join(list(unnamed)[:3]) + (" …" if len(unnamed) > 3 else "")
    count = len(unnamed)
    return (
        f"{count} investor{'s' if count > 1 else ''} ({leads} marked as lead) "
        f"{'are' if count > 1 else 'is'} in no investors file nor named by the investment "
        f"({shown}): {outcome}"
    )


def _leads(cells: dict[str, str]) -> dict[str, None]:
    """The lead investors' uuids of a v4 round, in the cell's order."""
    listed = cells.get("lead_investor_uuids", "")
    return dict.fromkeys(u for u in map(str.strip, listed.split(",")) if u) if listed else {}


def _batches(records: Iterator[Record | RowError]) -> Iterator[list[Record | RowError]]:
    """The records in lists of up to LOOKUP_ROWS rows, or LOOKUP_CHARS characters and one row."""
    batch: list[Record | RowError] = []
    size = 0
    for record in records:
        batch.append(record)
        if isinstance(record, Record):
            # `raw` is the row's first MAX_RAW characters: a row that fills it is counted whole.
            size += len(record.raw)
            if len(record.raw) >= MAX_RAW:
                size += sum(map(len, record.cells.values()))
        if len(batch) >= LOOKUP_ROWS or size >= LOOKUP_CHARS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _side_rows(bundle: Bundle, name: str, columns: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """`columns` ("" where the file has no such column) of each readable row of a side file.

    What `csv_records` would skip or reject is skipped (blank rows, rows with
    the wrong number of cells, rows the csv module cannot read), and so is a
    row with a cell that is not valid UTF-8 or holds a NUL byte. Reads the
    cells by position: no dict per row.
    """
    with bundle.open(name) as binary:
        reader = csv.reader(text_stream(binary))
        try:
            header = [h.strip() for h in next(reader)]
        except (StopIteration, csv.Error):
            return
        width = len(header)
        position = {h: i for i, h in enumerate(header)}  # a repeated column: the last one
        # A column the file lacks reads the "" appended to every row.
        pick = itemgetter(*(position.get(c, width) for c in columns))
        while True:
            try:
                for cells in reader:
                    if len(cells) == width:
                        text = "".join(cells)
                        if text.strip() and not unreadable(text):  # not blank, readable
                            cells.append("")
                            yield pick(cells)
            except csv.Error:
                continue  # the reader goes on with the next line
            return


class CrunchbaseImporter:
    name: ClassVar[str] = "crunchbase"

    def _rounds_files(self, bundle: Bundle) -> list[str]:
        names = bundle.names()
        if len(names) == 1:
            return names
        parts = sorted(n for n in names if n.lower().startswith("funding_rounds_part_"))
        whole = [n for n in names if n.lower() == "funding_rounds.csv"]
        return whole + parts

    def layout(self, bundle: Bundle) -> str:
        files = self._rounds_files(bundle)
        if not files:
            return ""
        header = set(header_of(bundle, files[0]))
        if header >= V4_COLUMNS:
            return "v4"
        if header >= V2_COLUMNS:
            return "2.x"
        if header >= UI_COLUMNS and header & set(UI_COMPANY):
            return "ui"
        return ""

    def detect(self, bundle: Bundle) -> bool:
        return bool(self.layout(bundle))

    def read(self, bundle: Bundle) -> Iterator[RoundRow | RowError]:
        layout = self.layout(bundle)
        side = _SideFiles(bundle)
        build = {"v4": side.v4_row, "2.x": side.v2_row, "ui": _ui_row}[layout]
        look_up = {"v4": side.look_up_v4, "2.x": side.look_up_v2, "ui": None}[layout]
        try:
            for name in self._rounds_files(bundle):
                with bundle.open(name) as binary:
                    # In batches: the side files are queried once for the rows of a batch.
                    for batch in _batches(csv_records(binary)):
                        if look_up is not None:
                            look_up([r.cells for r in batch if isinstance(r, Record)])
                        for record in batch:
                            if isinstance(record, RowError):
                                yield record
                                continue
                            row = parse_record(record, build)
                            if row is not None:
                                yield row
        finally:
            side.close()


class _SideFiles:
    """investments.csv, investors.csv and organizations.csv, by uuid. Bad side rows are ignored.

    They are streamed into a private temporary SQLite file (indexed by uuid)
    rather than held in dictionaries, so memory stays flat however large the
    export: a full Crunchbase export holds millions of investments. The rounds
    are looked up a batch at a time (`look_up_v4`, `look_up_v2`): a few
    queries for a hundred rounds, whose answers `investments`, `organization`
    and `investor_name` then give.
    """

    def __init__(self, bundle: Bundle) -> None:
        names = {n.lower(): n for n in bundle.names()}
        # What the rows of the batch being read need: see `look_up_v4` and `look_up_v2`.
        self._investments: dict[str, list[tuple[str, str, bool]]] = {}
        self._organizations: dict[str, tuple[str, str, str, str]] = {}
        self._investor_names: dict[str, str] = {}
        self._countries: dict[str, str] = {}
        # "": a private on-disk database, deleted when closed; a small page cache.
        self.db = sqlite3.connect("", check_same_thread=False)
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE investor (uuid TEXT PRIMARY KEY, name TEXT) WITHOUT ROWID;
            CREATE TABLE organization (
                uuid TEXT PRIMARY KEY, name TEXT, country TEXT, city TEXT, website TEXT,
                description TEXT
            ) WITHOUT ROWID;
            CREATE TABLE investment (round TEXT, investor TEXT, name TEXT, lead INTEGER);
            """
        )
        if "investors.csv" in names:
            self.db.executemany(
                "INSERT OR REPLACE INTO investor VALUES (?, ?)",
                (
                    (uuid, (name or investor_name).strip())
                    for uuid, name, investor_name in _side_rows(
                        bundle, names["investors.csv"], ("uuid", "name", "investor_name")
                    )
                ),
            )
        if "organizations.csv" in names:
            self.db.executemany(
                "INSERT OR REPLACE INTO organization VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (
                        uuid,
                        name.strip(),
                        self.country(country),
                        city.strip()[:100],
                        _url(homepage),
                        description.strip(),
                    )
                    for uuid, name, country, city, homepage, description in _side_rows(
                        bundle,
                        names["organizations.csv"],
                        (
                            "uuid",
                            "name",
                            "country_code",
                            "city",
                            "homepage_url",
                            "short_description",
                        ),
                    )
                ),
            )
        if "investments.csv" in names:
            self.db.executemany(
                "INSERT INTO investment VALUES (?, ?, ?, ?)",
                (
                    (round_uuid, investor, name.strip(), bool_cell(lead))
                    for round_uuid, investor, name, lead in _side_rows(
                        bundle,
                        names["investments.csv"],
                        (
                            "funding_round_uuid",
                            "investor_uuid",
                            "investor_name",
                            "is_lead_investor",
                        ),
                    )
                ),
            )
            self.db.execute("CREATE INDEX investment_round ON investment (round)")
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    def country(self, code: str) -> str:
        """`_country(code)`, remembered: an alpha-3 code is looked for through the whole table."""
        known = self._countries.get(code)
        if known is None:
            known = _country(code)
            if len(code) < 10 and len(self._countries) < 1000:  # a few hundred are real codes
                self._countries[code] = known
        return known

    def look_up_v4(self, rounds: list[dict[str, str]]) -> None:
        """Fetch what `v4_row` will ask of these rounds (v4 cells), a few queries in all."""
        # The leads of the whole batch in one split, the same uuids as `_leads` row by row.
        leads = ",".join(c.get("lead_investor_uuids", "") for c in rounds).split(",")
        self._look_up(
            rounds=[c.get("uuid", "").strip() for c in rounds],
            organizations=[c.get("org_uuid", "") for c in rounds],
            investors=[u for u in map(str.strip, leads) if u],
        )

    def look_up_v2(self, rounds: list[dict[str, str]]) -> None:
        """Fetch what `v2_row` will ask of these rounds (2.x cells), a few queries in all."""
        self._look_up(rounds=[c.get("funding_round_uuid", "").strip() for c in rounds])

    def _look_up(
        self,
        *,
        rounds: Sequence[str],
        organizations: Sequence[str] = (),
        investors: Sequence[str] = (),
    ) -> None:
        self._investments = {}
        for round_uuid, investor, name, lead in self._select(
            # An investment without an investor name takes the investors file's. A round's
            # investments in file order; by round first, as the index has them: no sorting.
            """
            SELECT round, investor, CASE WHEN name != '' THEN name ELSE coalesce(
                (SELECT investor.name FROM investor WHERE investor.uuid = investment.investor), ''
            ) END, lead
            FROM investment WHERE round IN ({}) ORDER BY round, rowid
            """,
            rounds,
        ):
            self._investments.setdefault(round_uuid, []).append((investor, name, bool(lead)))
        self._organizations = {
            row[0]: row[1:]
            for row in self._select(
                "SELECT uuid, country, city, website, description FROM organization "
                "WHERE uuid IN ({})",
                organizations,
            )
        }
        self._investor_names = dict(
            self._select("SELECT uuid, name FROM investor WHERE uuid IN ({})", investors)
        )

    def _select(self, sql: str, keys: Sequence[str]) -> list[tuple[Any, ...]]:
        """The rows of `sql` for the readable keys among `keys`, in queries of up to 500 keys."""
        wanted = list(dict.fromkeys(k for k in keys if not unreadable(k)))
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            rows += self.db.execute(sql.format(", ".join("?" * len(part))), part).fetchall()
        return rows

    def investor_name(self, uuid: str) -> str:
        """The name of an investor of the rounds last looked up ("" if unknown)."""
        return self._investor_names.get(uuid, "")

    def organization(self, uuid: str) -> tuple[str, str, str, str]:
        """(country, city, website, description) of an organization of the rounds last looked up."""
        return self._organizations.get(uuid, _NO_ORGANIZATION)

    def investments(self, round_uuid: str) -> list[tuple[str, str, bool]]:
        """(investor uuid, investor name, is lead) of a round last looked up, in file order.

        The name is the investors file's where the investment has none ("" if neither has one).
        """
        return self._investments.get(round_uuid, [])

    def v4_row(self, record: Record, errors: dict[str, str]) -> RoundRow | None:
        c = record.cells
        country, city, website, description = self.organization(c.get("org_uuid", ""))
        company = cell(record, errors, "org_name", name_cell)
        stage = stage_for(c.get("investment_type", ""))
        if stage is None:
            errors["investment_type"] = f"unknown investment type {c.get('investment_type')!r}"
        announced = cell(record, errors, "announced_on", date_cell)
        uuid = c.get("uuid", "").strip()
        row = RoundRow(
            line=record.line,
            raw=record.raw,
            key=f"crunchbase:{uuid}" if uuid else "",
            company=company or "",
            stage=stage or "",
            announced_on=announced[0].isoformat() if announced else "",
            company_fields={
                "country": country or self.country(c.get("country_code", "")),
                "city": city or c.get("city", "").strip()[:100],
                "website": website,
                "description": description,
            },
            sources=_crunchbase_source(record, errors),
        )
        _money(record, errors, row, post_currency_column="post_money_valuation_currency_code")
        leads = _leads(c)
        investors: dict[str, bool] = {}
        named: set[str] = set()  # investor uuids with a name
        unnamed: dict[str, bool] = {}  # investor uuid -> lead, for those without one
        for investor_uuid, resolved, is_lead in self.investments(uuid):
            lead = is_lead or (investor_uuid in leads)
            if resolved:
                named.add(investor_uuid)
                investors[resolved] = investors.get(resolved, False) or lead
            else:
                unnamed[investor_uuid] = unnamed.get(investor_uuid, False) or lead
        for lead_uuid in leads:
            resolved = self.investor_name(lead_uuid)
            if resolved:
                investors[resolved] = True
            elif lead_uuid not in named:
                unnamed[lead_uuid] = True
        row.investors = [{"name": n, "slug": "", "is_lead": lead} for n, lead in investors.items()]
        if unnamed:
            row.warnings["investors"] = _unnamed_investors(unnamed, "not recorded")
        if not row.key and company and announced:
            row.key = _hash_key("crunchbase", match_key(company), row.stage, row.announced_on)
        return row

    def v2_row(self, record: Record, errors: dict[str, str]) -> RoundRow | None:
        c = record.cells
        company = cell(record, errors, "company_name", name_cell)
        stage = stage_for(c.get("funding_round_type", ""), c.get("funding_round_code", ""))
        if stage is None:
            errors["funding_round_type"] = (
                f"unknown funding round type {c.get('funding_round_type')!r}"
            )
        announced = cell(record, errors, "announced_on", date_cell)
        uuid = c.get("funding_round_uuid", "").strip()
        row = RoundRow(
            line=record.line,
            raw=record.raw,
            key=f"crunchbase:{uuid}" if uuid else "",
            company=company or "",
            stage=stage or "",
            announced_on=announced[0].isoformat() if announced else "",
            company_fields={
                "country": self.country(c.get("country_code", "")),
                "city": c.get("city", "").strip()[:100],
            },
            sources=_crunchbase_source(record, errors),
        )
        _money(record, errors, row, post_currency_column="pre_money_currency_code")
        investors = dict.fromkeys(cell(record, errors, "investor_names", name_list) or [], False)
        unnamed: dict[str, bool] = {}
        for investor_uuid, resolved, is_lead in self.investments(uuid):
            if resolved and is_lead:
                investors[resolved] = True
            elif is_lead:  # its name may be in investor_names, but which one is unknown
                unnamed[investor_uuid] = True
        if unnamed:
            row.warnings["investors"] = _unnamed_investors(
                unnamed, "the round keeps investor_names, without these lead flags"
            )
        row.investors = [{"name": n, "slug": "", "is_lead": lead} for n, lead in investors.items()]
        if not row.key and company and announced:
            row.key = _hash_key("crunchbase", match_key(company), row.stage, row.announced_on)
        return row


def _ui_row(record: Record, errors: dict[str, str]) -> RoundRow | None:
    c = record.cells
    company_column = next(col for col in UI_COMPANY if col in c)
    company = cell(record, errors, company_column, name_cell)
    stage = stage_for(c.get("Funding Type", ""))
    if stage is None:
        errors["Funding Type"] = f"unknown funding type {c.get('Funding Type')!r}"
    announced = cell(record, errors, "Announced Date", date_cell)
    money = cell(record, errors, "Money Raised", display_money)
    leads = cell(record, errors, "Lead Investors", name_list) or []
    others = cell(record, errors, "Investor Names", name_list) or []
    investors = {**dict.fromkeys(others, False), **dict.fromkeys(leads, True)}
    if errors or company is None or announced is None or stage is None:
        return None
    return RoundRow(
        line=record.line,
        raw=record.raw,
        key=_hash_key("crunchbase-ui", match_key(company), stage, announced[0].isoformat()),
        company=company,
        stage=stage,
        announced_on=announced[0].isoformat(),
        precision=announced[1],
        amount=money_text(money[0]) if money else None,
        currency=money[1] if money else "",
        investors=[{"name": n, "slug": "", "is_lead": lead} for n, lead in investors.items()],
    )

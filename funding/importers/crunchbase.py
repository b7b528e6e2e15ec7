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

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from companies.names import match_key
from funding.importers.base import (
    Bundle,
    Record,
    RoundRow,
    RowError,
    bool_cell,
    cell,
    csv_records,
    date_cell,
    header_of,
    money_text,
    name_cell,
    name_list,
    parse_record,
    unreadable,
)
from funding.importers.crunchbase_cells import (
    NO_ORGANIZATION,
    batches,
    country,
    crunchbase_source,
    display_money,
    hash_key,
    lead_flags,
    money,
    side_rows,
    unnamed_investors,
    url,
)
from funding.importers.stages import stage_for

V4_COLUMNS = {"investment_type", "announced_on", "org_name"}
V2_COLUMNS = {"funding_round_type", "announced_on", "company_name"}
UI_COLUMNS = {"Announced Date", "Money Raised", "Funding Type"}
UI_COMPANY = ("Company Name", "Organization Name")


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
                    for batch in batches(csv_records(binary)):
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
                    for uuid, name, investor_name in side_rows(
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
                        url(homepage),
                        description.strip(),
                    )
                    for uuid, name, country, city, homepage, description in side_rows(
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
                    for round_uuid, investor, name, lead in side_rows(
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
        """`country(code)`, remembered: an alpha-3 code is looked for through the whole table."""
        known = self._countries.get(code)
        if known is None:
            known = country(code)
            if len(code) < 10 and len(self._countries) < 1000:  # a few hundred are real codes
                self._countries[code] = known
        return known

    def look_up_v4(self, rounds: list[dict[str, str]]) -> None:
        """Fetch what `v4_row` will ask of these rounds (v4 cells), a few queries in all."""
        # The leads of the whole batch in one split, the same uuids as `leads` row by row.
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
        return self._organizations.get(uuid, NO_ORGANIZATION)

    def investments(self, round_uuid: str) -> list[tuple[str, str, bool]]:
        """(investor uuid, investor name, is lead) of a round last looked up, in file order.

        The name is the investors file's where the investment has none ("" if neither has one).
        """
        return self._investments.get(round_uuid, [])

    def v4_row(self, record: Record, errors: dict[str, str]) -> RoundRow | None:
        c = record.cells
        country, city, website, description = self.organization(c.get("org_uuid", ""))
        uuid = c.get("uuid", "").strip()
        row = _started_row(
            record,
            errors,
            company_column="org_name",
            stage_column="investment_type",
            stage=stage_for(c.get("investment_type", "")),
            uuid=uuid,
            company_fields={
                "country": country or self.country(c.get("country_code", "")),
                "city": city or c.get("city", "").strip()[:100],
                "website": website,
                "description": description,
            },
        )
        money(record, errors, row, post_currency_column="post_money_valuation_currency_code")
        leads = lead_flags(c)
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
            row.warnings["investors"] = unnamed_investors(unnamed, "not recorded")
        return _keyed(row)

    def v2_row(self, record: Record, errors: dict[str, str]) -> RoundRow | None:
        c = record.cells
        uuid = c.get("funding_round_uuid", "").strip()
        row = _started_row(
            record,
            errors,
            company_column="company_name",
            stage_column="funding_round_type",
            stage=stage_for(c.get("funding_round_type", ""), c.get("funding_round_code", "")),
            uuid=uuid,
            company_fields={
                "country": self.country(c.get("country_code", "")),
                "city": c.get("city", "").strip()[:100],
            },
        )
        money(record, errors, row, post_currency_column="pre_money_currency_code")
        investors = dict.fromkeys(cell(record, errors, "investor_names", name_list) or [], False)
        unnamed: dict[str, bool] = {}
        for investor_uuid, resolved, is_lead in self.investments(uuid):
            if resolved and is_lead:
                investors[resolved] = True
            elif is_lead:  # its name may be in investor_names, but which one is unknown
                unnamed[investor_uuid] = True
        if unnamed:
            row.warnings["investors"] = unnamed_investors(
                unnamed, "the round keeps investor_names, without these lead flags"
            )
        row.investors = [{"name": n, "slug": "", "is_lead": lead} for n, lead in investors.items()]
        return _keyed(row)


def _started_row(
    record: Record,
    errors: dict[str, str],
    *,
    company_column: str,
    stage_column: str,
    stage: str | None,
    uuid: str,
    company_fields: dict[str, str],
) -> RoundRow:
    """What the v4 and 2.x rounds files share: company, stage, date, key and source."""
    company = cell(record, errors, company_column, name_cell)
    if stage is None:
        errors[stage_column] = (
            f"unknown {stage_column.replace('_', ' ')} {record.cells.get(stage_column)!r}"
        )
    announced = cell(record, errors, "announced_on", date_cell)
    return RoundRow(
        line=record.line,
        raw=record.raw,
        key=f"crunchbase:{uuid}" if uuid else "",
        company=company or "",
        stage=stage or "",
        announced_on=announced[0].isoformat() if announced else "",
        company_fields=company_fields,
        sources=crunchbase_source(record, errors),
    )


def _keyed(row: RoundRow) -> RoundRow:
    """A round without a Crunchbase uuid keyed by company, stage and date."""
    if not row.key and row.company and row.announced_on:
        row.key = hash_key("crunchbase", match_key(row.company), row.stage, row.announced_on)
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
        key=hash_key("crunchbase-ui", match_key(company), stage, announced[0].isoformat()),
        company=company,
        stage=stage,
        announced_on=announced[0].isoformat(),
        precision=announced[1],
        amount=money_text(money[0]) if money else None,
        currency=money[1] if money else "",
        investors=[{"name": n, "slug": "", "is_lead": lead} for n, lead in investors.items()],
    )

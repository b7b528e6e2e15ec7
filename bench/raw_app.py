"""The benchmark's baseline: the rounds list served by a bare WSGI app (psycopg 3, orjson).

    DATABASE_URL=postgres://… gunicorn bench.raw_app:application

`/api/v1/rounds/` answers the same bytes as Roundbook's API for the first page in
the default ordering (newest first), `next` cursor link included; the harness
checks that before it times anything. `/rounds/` renders the same 50 rows and
columns as the `/rounds/` page (date, company, stage, amount, post-money,
investors) in a plain HTML table, with the round count the page shows.

One SQL query per request (two for the HTML page), a connection per process,
nothing else: no framework, no validation, no middleware, no throttling. That is
the point of a baseline: what serving these rows costs with no overhead at all.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode

import orjson
import psycopg

StartResponse = Callable[[str, list[tuple[str, str]]], Any]

# The columns in the round record's order (funding/record.py): id, the company's slug
# and name, then one column per record key (the investors and sources as JSON).
_ROUNDS_SQL = """
SELECT r.id, c.slug, c.name, r.stage, r.announced_on, r.announced_on_precision, r.amount,
       r.currency, r.amount_usd, r.usd_basis, r.pre_money_valuation, r.post_money_valuation,
       r.pre_money_valuation_usd, r.post_money_valuation_usd, r.status,
       (SELECT coalesce(json_agg(json_build_object('slug', i.slug, 'name', i.name,
                                                   'is_lead', p.is_lead)
                                 ORDER BY p.is_lead DESC, i.name), '[]')
          FROM funding_participation p JOIN companies_investor i ON i.id = p.investor_id
         WHERE p.round_id = r.id),
       (SELECT coalesce(json_agg(json_build_object('url', s.url, 'title', s.title,
                                                   'publisher', s.publisher,
                                                   'published_on', s.published_on)
                                 ORDER BY s.published_on NULLS LAST, s.id), '[]')
          FROM funding_source s WHERE s.round_id = r.id),
       r.notes, r.created_at, r.updated_at
  FROM funding_fundinground r JOIN companies_company c ON c.id = r.company_id
 ORDER BY r.announced_on DESC, r.id DESC
 LIMIT %s
"""
#: The keys of a round, in order: the columns after the company's slug and name.
RECORD_KEYS = (
    "id",
    "company",
    "stage",
    "announced_on",
    "announced_on_precision",
    "amount",
    "currency",
    "amount_usd",
    "usd_basis",
    "pre_money_valuation",
    "post_money_valuation",
    "pre_money_valuation_usd",
    "post_money_valuation_usd",
    "status",
    "investors",
    "sources",
    "notes",
    "created_at",
    "updated_at",
)
_SCALARS = RECORD_KEYS[2:]  # after id and company, which take columns 0 to 2
_INVESTORS = 3 + _SCALARS.index("investors")
_COUNT_SQL = "SELECT count(*) FROM funding_fundinground"

_connection: psycopg.Connection[Any] | None = None


def _db() -> psycopg.Connection[Any]:
    """This worker's connection, opened on first use (after gunicorn forks)."""
    global _connection  # noqa: PLW0603 (one connection per process, like CONN_MAX_AGE)
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(
            os.environ["DATABASE_URL"], autocommit=True, options="-c TimeZone=UTC"
        )
    return _connection


def _plain(value: Any) -> Any:
    """As the API writes values: whole decimals without ".00", dates ISO 8601."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _page(size: int) -> list[tuple[Any, ...]]:
    return _db().execute(_ROUNDS_SQL, (size + 1,)).fetchall()


def _next_link(environ: dict[str, Any], last: tuple[Any, ...]) -> str:
    token = orjson.dumps(
        {"o": "-announced_on", "v": last[4].isoformat(), "id": last[0], "r": False}
    )
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    query["cursor"] = [base64.urlsafe_b64encode(token).decode().rstrip("=")]
    scheme = environ.get("HTTP_X_FORWARDED_PROTO") or environ["wsgi.url_scheme"]
    return (
        f"{scheme}://{environ['HTTP_HOST']}{environ['PATH_INFO']}"
        f"?{urlencode(sorted(query.items()), doseq=True)}"
    )


def _page_size(environ: dict[str, Any]) -> int:
    return int(parse_qs(environ.get("QUERY_STRING", "")).get("page_size", ["50"])[0])


def api_rounds(environ: dict[str, Any]) -> bytes:
    size = _page_size(environ)
    rows = _page(size)
    results = [
        {
            "id": row[0],
            "company": {"slug": row[1], "name": row[2]},
            **{key: _plain(value) for key, value in zip(_SCALARS, row[3:], strict=True)},
        }
        for row in rows[:size]
    ]
    following = _next_link(environ, rows[size - 1]) if len(rows) > size else None
    return orjson.dumps({"next": following, "previous": None, "results": results})


_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def _money(amount: Decimal | None, currency: str, usd: Decimal | None = None) -> str:
    if amount is None:
        return "undisclosed"
    if currency != "USD" and usd is not None:
        return f"{_money(amount, currency)} ≈ {_money(usd, 'USD')}"
    for scale, suffix in ((Decimal("1e9"), "B"), (Decimal("1e6"), "M"), (Decimal("1e3"), "K")):
        if amount >= scale:
            figure = f"{amount / scale:.1f}{suffix}"
            break
    else:
        figure = f"{amount:.0f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{figure}" if symbol else f"{figure} ({currency})"


def html_rounds(environ: dict[str, Any]) -> bytes:
    (count,) = _db().execute(_COUNT_SQL).fetchone() or (0,)
    rows = _page(50)[:50]
    out = [
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Rounds</title></head>",
        f"<body><h1>Funding rounds</h1><p>{count} rounds</p><table><thead><tr>",
        "<th>Date</th><th>Company</th><th>Stage</th><th>Amount</th><th>Post-money</th>",
        "<th>Investors</th></tr></thead><tbody>",
    ]
    for row in rows:
        investors = ", ".join(
            f'<a href="/investors/{html.escape(i["slug"])}/">{html.escape(i["name"])}</a>'
            + (' <span class="tag">lead</span>' if i["is_lead"] else "")
            for i in row[_INVESTORS]
        )
        out.append(
            f'<tr><td><a href="/rounds/{row[0]}/">{row[4]:%d %b %Y}</a></td>'
            f'<td><a href="/companies/{html.escape(row[1])}/">{html.escape(row[2])}</a></td>'
            f"<td>{html.escape(row[3].replace('_', ' ').capitalize())}</td>"
            f"<td>{_money(row[6], row[7], row[8])}</td>"
            f"<td>{_money(row[11], row[7], row[13])}</td>"
            f"<td>{investors or '—'}</td></tr>"
        )
    out.append("</tbody></table></body></html>")
    return "".join(out).encode()


_ROUTES: dict[str, tuple[Callable[[dict[str, Any]], bytes], str]] = {
    "/api/v1/rounds/": (api_rounds, "application/json"),
    "/rounds/": (html_rounds, "text/html; charset=utf-8"),
}


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    route = _ROUTES.get(environ["PATH_INFO"])
    if route is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not found\n"]
    view, content_type = route
    body = view(environ)
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]

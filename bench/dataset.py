"""The benchmark's data: a fresh database loaded by Roundbook's own import, the
import's timing and memory, and PostgreSQL COPY of the same rows as its baseline."""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from bench.servers import PROJECT_DIR

# What an import stores, in an order that COPY into tables without foreign keys accepts.
IMPORTED_TABLES = (
    "companies_company",
    "companies_investor",
    "funding_fundinground",
    "funding_participation",
    "funding_source",
)
# The rest of what an import writes: external keys and the history of every row.
IMPORT_EXTRA_TABLES = (
    "funding_roundkey",
    "companies_historicalcompany",
    "companies_historicalinvestor",
    "funding_historicalfundinground",
    "funding_historicalparticipation",
    "funding_historicalsource",
)
COPY_SCHEMA = "bench_copy"
_PHASE_COLUMNS = ("read_seconds", "apply_seconds", "db_seconds")


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def recreate_database(url: str) -> None:
    """Drop the benchmark database if it exists and create it empty."""
    parts = urlsplit(url)
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    name = sql.Identifier(database_name(url))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(name))


def database_has_rounds(url: str) -> bool:
    try:
        with psycopg.connect(url) as connection:
            row = connection.execute(
                "SELECT to_regclass('funding_fundinground') IS NOT NULL"
            ).fetchone()
            if not row or not row[0]:
                return False
            row = connection.execute(
                "SELECT EXISTS (SELECT 1 FROM funding_fundinground)"
            ).fetchone()
            return bool(row and row[0])
    except psycopg.OperationalError:
        return False


def manage(*arguments: str, env: dict[str, str]) -> None:
    subprocess.run(  # noqa: S603 (our own arguments)
        [sys.executable, "manage.py", *arguments], cwd=PROJECT_DIR, env=env, check=True
    )


def generate(out: Path, *, rounds: int) -> None:
    """The deterministic Crunchbase v4 export (bench/generate.py), scaled to `rounds`."""
    scale = rounds / 100_000
    subprocess.run(  # noqa: S603 (our own arguments)
        [
            sys.executable,
            "-m",
            "bench.generate",
            str(out),
            f"--rounds={rounds}",
            f"--companies={max(1, round(20_000 * scale))}",
            f"--investors={max(1, round(5_000 * scale))}",
        ],
        cwd=PROJECT_DIR,
        check=True,
    )


@dataclass(frozen=True)
class ImportTiming:
    seconds: float
    max_rss_mb: float
    exit_code: int
    log: Path


def timed_import(data_dir: Path, *, env: dict[str, str], log: Path) -> ImportTiming:
    """`manage.py import_rounds DIR --format crunchbase`, end to end: wall time and max RSS.

    `os.wait4` gives the resource usage of this one child (and what it waited
    for), not of every process the harness started.
    """
    command = [
        sys.executable,
        "manage.py",
        "import_rounds",
        str(data_dir),
        "--format=crunchbase",
    ]
    with log.open("wb") as output:
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 (our own arguments)
            command, cwd=PROJECT_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return ImportTiming(
        seconds=seconds,
        max_rss_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
        exit_code=process.returncode,
        log=log,
    )


def last_import_run(url: str) -> dict[str, Any]:
    """The latest funding_importrun row: counts, status, and its phase timings.

    `db_seconds` (staging + upsert statements) comes from the column of that name
    when the import records it; otherwise it is finished_at - started_at and
    `db_seconds_measured` is False.
    """
    with psycopg.connect(url) as connection:
        present = {
            row[0]
            for row in connection.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'funding_importrun' AND column_name = ANY(%s)",
                (list(_PHASE_COLUMNS),),
            )
        }
        phases = [column for column in _PHASE_COLUMNS if column in present]
        columns = [
            "status",
            "rows_total",
            "created",
            "updated",
            "unchanged",
            "failed",
            "extract(epoch FROM finished_at - started_at)",
            *phases,
        ]
        query = sql.SQL("SELECT {} FROM funding_importrun ORDER BY id DESC LIMIT 1").format(
            sql.SQL(", ").join(sql.SQL(column) for column in columns)
        )
        row = connection.execute(query).fetchone()
    if row is None:
        raise RuntimeError("the import left no funding_importrun row")
    status, rows_total, created, updated, unchanged, failed, run_seconds, *timings = row
    run: dict[str, Any] = {
        "status": status,
        "rows_total": rows_total,
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "failed": failed,
        "run_seconds": float(run_seconds or 0),
    }
    run.update({column: float(value or 0) for column, value in zip(phases, timings, strict=True)})
    run["db_seconds_measured"] = "db_seconds" in phases and bool(run.get("db_seconds"))
    if not run["db_seconds_measured"]:
        run["db_seconds"] = run["run_seconds"]
    return run


def count_rows(url: str) -> dict[str, int]:
    with psycopg.connect(url) as connection:
        counts = {}
        for table in IMPORTED_TABLES:
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            row = connection.execute(query).fetchone()
            counts[table] = int(row[0]) if row else 0
    return counts


def _export(connection: psycopg.Connection[Any], tables: tuple[str, ...]) -> dict[str, bytes]:
    """Each table's rows as binary COPY data, in memory."""
    exported: dict[str, bytes] = {}
    for table in tables:
        buffer = io.BytesIO()
        query = sql.SQL("COPY (SELECT * FROM {}) TO STDOUT (FORMAT binary)").format(
            sql.Identifier(table)
        )
        with connection.cursor().copy(query) as copy:
            for chunk in copy:
                buffer.write(chunk)
        exported[table] = buffer.getvalue()
    return exported


def _copy_in(
    connection: psycopg.Connection[Any], exported: dict[str, bytes], schema: str = "public"
) -> None:
    for table, data in exported.items():
        query = sql.SQL("COPY {}.{} FROM STDIN (FORMAT binary)").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        with connection.cursor().copy(query) as copy:
            copy.write(data)


def copy_seconds(url: str, *, repeats: int = 3) -> float:
    """Median seconds to COPY the imported rows into empty copies of their tables.

    The rows are first exported from the imported tables into memory (not
    timed); each repeat loads all of them into tables created `LIKE … INCLUDING
    ALL` (same indexes, check constraints and defaults; foreign keys and
    triggers are never copied by LIKE) in one transaction, commit included.
    """
    schema = sql.Identifier(COPY_SCHEMA)
    with psycopg.connect(url, autocommit=True) as connection:
        exported = _export(connection, IMPORTED_TABLES)
        timings = []
        for _ in range(repeats):
            connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))
            connection.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
            for table in IMPORTED_TABLES:
                connection.execute(
                    sql.SQL("CREATE TABLE {}.{} (LIKE public.{} INCLUDING ALL)").format(
                        schema, sql.Identifier(table), sql.Identifier(table)
                    )
                )
            started = time.perf_counter()
            with connection.transaction():
                _copy_in(connection, exported, COPY_SCHEMA)
            timings.append(time.perf_counter() - started)
        connection.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(schema))
    return statistics.median(timings)


def schema_copy_seconds(url: str, *, repeats: int = 3) -> float:
    """Median seconds to COPY everything the import wrote back into Roundbook's own tables.

    What no import into this schema can beat: the same rows plus their
    external keys and history, as binary COPY with no work per row, into the
    real tables with their foreign keys (checked before the clock stops),
    triggers, check constraints and indexes. Each repeat empties the tables
    (not timed) in a transaction that is then rolled back, so the data stays.
    """
    tables = (*IMPORTED_TABLES, *IMPORT_EXTRA_TABLES)
    with psycopg.connect(url, autocommit=True) as connection:
        exported = _export(connection, tables)
        timings = []
        for _ in range(repeats):
            with connection.transaction(force_rollback=True):
                connection.execute(
                    sql.SQL("TRUNCATE {} CASCADE").format(
                        sql.SQL(", ").join(sql.Identifier(t) for t in tables)
                    )
                )
                started = time.perf_counter()
                _copy_in(connection, exported)
                connection.execute("SET CONSTRAINTS ALL IMMEDIATE")
                timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def vacuum_analyze(url: str) -> None:
    """Planner statistics and visibility maps for the freshly loaded tables.

    What autovacuum does soon after a bulk load in any deployment; without it
    (autovacuum off, or not yet run) the planner guesses, and the benchmark
    would time a transient state rather than serving.
    """
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")


def row_at_depth(url: str, depth: int) -> tuple[date, int]:
    """(announced_on, id) of the depth-th round in the API's default order (newest first)."""
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT announced_on, id FROM funding_fundinground "
            "ORDER BY announced_on DESC, id DESC OFFSET %s LIMIT 1",
            (depth - 1,),
        ).fetchone()
    if row is None:
        raise RuntimeError(f"fewer than {depth} rounds in the database")
    return row[0], row[1]


def busiest_company(url: str) -> str:
    """The slug of the company with the most rounds."""
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT c.slug FROM companies_company c "
            "JOIN funding_fundinground r ON r.company_id = c.id "
            "GROUP BY c.id ORDER BY count(*) DESC, c.id LIMIT 1"
        ).fetchone()
    if row is None:
        raise RuntimeError("no rounds in the database")
    return str(row[0])

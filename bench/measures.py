"""What the benchmark reports and how it judges it: ratios from alternating runs,
verdicts against targets and floors, the cursor of a deep page, the results table.

Pure functions only (no database, no servers), so that tests/bench/ can pin them.
"""

from __future__ import annotations

import base64
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

import orjson

MET = "met"
FLOOR_ONLY = "floor only"
BELOW_FLOOR = "below floor"
NOT_MEASURED = "not measured"
INVALID = "invalid"


@dataclass(frozen=True)
class Goal:
    """A ratio's target and its floor (a ceiling when lower is better)."""

    target: float
    floor: float
    higher_is_better: bool = True
    # While a measure is still below its floor, half the floor would fail every run: the
    # smoke run guards it at about half of what it reaches instead (docs/benchmarks.md).
    interim_guard: float | None = None
    # Reported for context, with a verdict, but never failing a run.
    context: bool = False

    def verdict(self, ratio: float) -> str:
        if self.higher_is_better:
            if ratio >= self.target:
                return MET
            return FLOOR_ONLY if ratio >= self.floor else BELOW_FLOOR
        if ratio <= self.target:
            return MET
        return FLOOR_ONLY if ratio <= self.floor else BELOW_FLOOR

    def grossly_missed(self, ratio: float) -> bool:
        """Beyond half the floor (twice the ceiling): what fails the CI smoke run.

        A noisy machine moves ratios by tens of percent, not by half, so this
        stays quiet unless something really regressed.
        """
        if self.context:
            return False
        if self.higher_is_better:
            guard = self.floor / 2 if self.interim_guard is None else self.interim_guard
            return ratio < guard
        return ratio > self.floor * 2

    def describe(self) -> str:
        if self.higher_is_better:
            return f"≥ {self.target:g} (floor {self.floor:g})"
        return f"≤ {self.target:g} (ceiling {self.floor:g})"


GOALS: dict[str, Goal] = {
    "api_rounds_list_vs_raw": Goal(target=0.5, floor=0.30),
    "html_rounds_list_vs_raw": Goal(target=0.25, floor=0.12),
    "deep_page_vs_first": Goal(target=1.5, floor=2.0, higher_is_better=False),
    # Below their floors, which these tables put out of reach (docs/benchmarks.md):
    # guarded at about half of what they reach (smoke run at 6ff1767: 0.05 and 0.21).
    "import_vs_copy": Goal(target=0.5, floor=0.25, interim_guard=0.02),
    "import_db_phase_vs_copy": Goal(target=0.8, floor=0.6, interim_guard=0.1),
    # The same two against COPY of everything the import writes into Roundbook's own tables.
    "import_vs_own_tables_copy": Goal(target=0.5, floor=0.25, context=True),
    "import_db_phase_vs_own_tables_copy": Goal(target=0.8, floor=0.6, context=True),
}

DESCRIPTIONS: dict[str, str] = {
    "api_rounds_list_vs_raw": "API `/api/v1/rounds/?page_size=50` req/s ÷ raw psycopg+orjson app",
    "html_rounds_list_vs_raw": "`/rounds/` page req/s ÷ raw app's HTML table of the same rows",
    "deep_page_vs_first": "p50 latency of an API page {rows_deep:,} rows deep ÷ first page",
    "import_vs_copy": "`import_rounds` rows/s ÷ PostgreSQL COPY rows/s (same rows)",
    "import_db_phase_vs_copy": "import's staging + upsert phase rows/s ÷ COPY rows/s",
    "import_vs_own_tables_copy": "`import_rounds` rows/s ÷ COPY of all it writes (history, keys) "
    "into Roundbook's own tables",
    "import_db_phase_vs_own_tables_copy": "import's staging + upsert phase rows/s ÷ the same",
}


def pair_ratio(a: float, b: float) -> float:
    """a ÷ b, or 0 when b is 0 (a run that served nothing is no result)."""
    return a / b if b else 0.0


def median_ratio(pairs: Sequence[tuple[float, float]]) -> float:
    """The median of a ÷ b over alternating (A, B) pairs.

    Each pair ran back to back, so it shares the machine's momentary load;
    the median then drops the pairs a neighbour's burst spoiled.
    """
    if not pairs:
        raise ValueError("no pairs to take a median of")
    return statistics.median(pair_ratio(a, b) for a, b in pairs)


def measure_result(
    name: str, pairs: Sequence[tuple[float, float]], *, unit: str, valid: bool = True, **extra: Any
) -> dict[str, Any]:
    """The JSON entry of a ratio measure: ratio, the pairs, the goal and the verdict."""
    goal = GOALS[name]
    ratio = median_ratio(pairs)
    return {
        "ratio": round(ratio, 4),
        "pairs": [{"a": round(a, 4), "b": round(b, 4)} for a, b in pairs],
        "unit": unit,
        "target": goal.target,
        "floor" if goal.higher_is_better else "ceiling": goal.floor,
        "higher_is_better": goal.higher_is_better,
        "verdict": goal.verdict(ratio) if valid else INVALID,
        **extra,
    }


def gross_regressions(measures: dict[str, dict[str, Any]]) -> list[str]:
    """Names of the measures beyond half their floor (invalid and unmeasured ones aside)."""
    return [
        name
        for name, result in measures.items()
        if result["verdict"] not in {INVALID, NOT_MEASURED}
        and GOALS[name].grossly_missed(result["ratio"])
    ]


# --- The API's cursors (api/pagination.py) ------------------------------------------


def cursor_token(ordering: str, value: date | str | None, pk: int, *, reverse: bool = False) -> str:
    """The opaque `cursor` the API puts in a `next` link after the row (value, pk)."""
    serialized = value.isoformat() if isinstance(value, date) else value
    payload = {"o": ordering, "v": serialized, "id": pk, "r": reverse}
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def deep_page_path(value: date, pk: int, *, page_size: int = 50) -> str:
    """The rounds list (default ordering, newest first) starting right after row (value, pk)."""
    query = urlencode({"cursor": cursor_token("-announced_on", value, pk), "page_size": page_size})
    return f"/api/v1/rounds/?{query}"


# --- The results table -----------------------------------------------------------


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def render_markdown(results: dict[str, Any]) -> str:
    """`latest.md`: one row per ratio, then latencies and the import's figures."""
    lines = [
        f"# Roundbook benchmark ({results['mode']}, {results['rounds']:,} rounds)",
        "",
        f"Run {results['started_at']} on commit `{results.get('commit') or 'unknown'}`, "
        f"{results['wall_seconds']:.0f} s wall time. Ratios are medians of alternating "
        "runs; see docs/benchmarks.md.",
        "",
        "| measure | ratio | goal | verdict | what |",
        "|---|---|---|---|---|",
    ]
    for name, result in results["measures"].items():
        goal = GOALS[name]
        note = f" ({result['note']})" if result.get("note") else ""
        lines.append(
            f"| `{name}` | {_number(result['ratio'])} | {goal.describe()} "
            f"| {result['verdict']}{note} "
            f"| {DESCRIPTIONS[name].format(rows_deep=result.get('rows_deep', 90_000))} |"
        )
    latency = results.get("latency", {})
    if latency:
        lines += [
            "",
            f"Latency at {results.get('latency_connections', 4)} concurrent connections:",
            "",
            "| page | p50 ms | p99 ms | req/s |",
            "|---|---|---|---|",
        ]
        for label, figures in latency.items():
            lines.append(
                f"| {label} | {_number(figures['p50_ms'])} | {_number(figures['p99_ms'])} "
                f"| {_number(figures['requests_per_second'], 0)} |"
            )
    imported = results.get("import")
    if imported:
        lines += [
            "",
            "| import | value |",
            "|---|---|",
            f"| rounds imported | {imported['rounds']:,} |",
            f"| import_rounds wall time | {_number(imported['seconds'])} s |",
            f"| import rows/s | {_number(imported['rows_per_second'], 0)} |",
            f"| COPY of the same rows | {_number(imported['copy_seconds'])} s |",
        ]
        if imported.get("schema_copy_seconds"):
            schema_copy = imported["schema_copy_seconds"]
            lines += [
                "| COPY of the same rows, their keys and history into Roundbook's own tables "
                f"(foreign keys, triggers) | {_number(schema_copy)} s |",
                "| best write-phase ratio those tables allow (COPY ÷ the line above) "
                f"| {_number(imported['copy_seconds'] / schema_copy)} |",
            ]
        lines += [
            f"| staging + upsert (db_seconds) | {_number(imported.get('db_seconds'))} s"
            f"{'' if imported.get('db_seconds_measured') else ' (not measured)'} |",
            f"| peak memory (max RSS) | {_number(imported['max_rss_mb'], 0)} MB |",
        ]
        lines += [
            f"| {phase} (funding_importrun) | {_number(imported['run'][phase])} s |"
            for phase in ("read_seconds", "apply_seconds")
            if phase in imported.get("run", {})
        ]
    problems = results.get("problems") or []
    if problems:
        lines += ["", "Problems:", ""] + [f"- {problem}" for problem in problems]
    return "\n".join(lines) + "\n"

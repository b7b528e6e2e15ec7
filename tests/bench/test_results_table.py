"""latest.md as people read it (bench/measures.py: render_markdown)."""

from __future__ import annotations

from typing import Any

from bench.measures import NOT_MEASURED, measure_result, render_markdown


def _results(**overrides: Any) -> dict[str, Any]:
    db_phase = measure_result("import_db_phase_vs_copy", [(1000, 10_000)], unit="x")
    results = {
        "mode": "full",
        "rounds": 100_000,
        "started_at": "2026-11-29T12:00:00+00:00",
        "commit": "abc1234",
        "wall_seconds": 512.3,
        "measures": {
            "api_rounds_list_vs_raw": measure_result(
                "api_rounds_list_vs_raw", [(52, 100), (55, 100), (58, 100)], unit="x"
            ),
            "deep_page_vs_first": {
                **measure_result("deep_page_vs_first", [(3.0, 1.0)], unit="x"),
                "rows_deep": 90_000,
            },
            "import_db_phase_vs_copy": {
                **db_phase,
                "verdict": NOT_MEASURED,
                "note": "no db_seconds column",
            },
        },
        "latency": {
            "dashboard `/`": {"p50_ms": 41.234, "p99_ms": 97.5, "requests_per_second": 88.0}
        },
        "import": {
            "rounds": 100_000,
            "seconds": 130.0,
            "rows_per_second": 769.2,
            "copy_seconds": 6.5,
            "db_seconds": 120.0,
            "db_seconds_measured": False,
            "max_rss_mb": 250.0,
        },
        "problems": [],
    }
    results.update(overrides)
    return results


def test_each_measure_is_a_row_with_its_ratio_goal_and_verdict() -> None:
    table = render_markdown(_results())
    assert "| `api_rounds_list_vs_raw` | 0.55 | ≥ 0.5 (floor 0.3) | met |" in table
    assert "| `deep_page_vs_first` | 3.00 | ≤ 1.5 (ceiling 2) | below floor |" in table
    assert "90,000 rows deep" in table


def test_an_unmeasured_db_phase_says_so() -> None:
    table = render_markdown(_results())
    assert "| not measured (no db_seconds column) |" in table
    assert "| 120.00 s (not measured) |" in table


def test_latencies_and_import_figures_are_listed() -> None:
    table = render_markdown(_results())
    assert "| dashboard `/` | 41.23 | 97.50 | 88 |" in table
    assert "| peak memory (max RSS) | 250 MB |" in table


def test_problems_are_listed_only_when_there_are_some() -> None:
    assert "Problems" not in render_markdown(_results())
    table = render_markdown(_results(problems=["html run invalid: 3 not 2xx"]))
    assert "- html run invalid: 3 not 2xx" in table


def test_the_import_phases_are_listed_when_the_import_records_them() -> None:
    results = _results()
    assert "read_seconds" not in render_markdown(results)
    results["import"]["run"] = {"read_seconds": 2.5, "apply_seconds": 40.0}
    table = render_markdown(results)
    assert "| read_seconds (funding_importrun) | 2.50 s |" in table
    assert "| apply_seconds (funding_importrun) | 40.00 s |" in table


def test_the_copy_into_roundbooks_own_tables_is_listed_with_the_ratio_it_allows() -> None:
    results = _results()
    assert "Roundbook's own tables" not in render_markdown(results)
    results["import"]["schema_copy_seconds"] = 19.5
    table = render_markdown(results)
    assert "history into Roundbook's own tables (foreign keys, triggers) | 19.50 s |" in table
    assert "| best write-phase ratio those tables allow (COPY ÷ the line above) | 0.33 |" in table

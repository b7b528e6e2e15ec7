"""The benchmark's arithmetic and verdicts (bench/measures.py)."""

from __future__ import annotations

import pytest

from bench.measures import (
    BELOW_FLOOR,
    FLOOR_ONLY,
    GOALS,
    INVALID,
    MET,
    NOT_MEASURED,
    Goal,
    gross_regressions,
    measure_result,
    median_ratio,
    pair_ratio,
)
from bench.run import import_measures


def test_the_ratio_is_the_median_of_each_pairs_ratio_not_a_ratio_of_medians() -> None:
    # Ratios 0.5, 1.0 and 10: a noisy third pair does not drag the result.
    assert median_ratio([(1, 2), (3, 3), (10, 1)]) == 1.0
    # Medians of each side would give 3 / 2 = 1.5 instead.


def test_an_even_number_of_pairs_averages_the_middle_two() -> None:
    assert median_ratio([(1, 4), (1, 2), (3, 4), (1, 1)]) == pytest.approx(0.625)


def test_a_baseline_that_served_nothing_gives_ratio_zero() -> None:
    assert pair_ratio(100, 0) == 0.0


def test_no_pairs_is_an_error() -> None:
    with pytest.raises(ValueError, match="no pairs"):
        median_ratio([])


@pytest.mark.parametrize(
    ("ratio", "verdict"),
    [(0.5, MET), (0.62, MET), (0.49, FLOOR_ONLY), (0.30, FLOOR_ONLY), (0.29, BELOW_FLOOR)],
)
def test_higher_is_better_verdicts(ratio: float, verdict: str) -> None:
    assert Goal(target=0.5, floor=0.30).verdict(ratio) == verdict


@pytest.mark.parametrize(
    ("ratio", "verdict"),
    [(1.0, MET), (1.5, MET), (1.51, FLOOR_ONLY), (2.0, FLOOR_ONLY), (2.01, BELOW_FLOOR)],
)
def test_lower_is_better_verdicts_use_the_ceiling(ratio: float, verdict: str) -> None:
    assert GOALS["deep_page_vs_first"].verdict(ratio) == verdict


def test_only_half_the_floor_is_a_gross_regression() -> None:
    api = GOALS["api_rounds_list_vs_raw"]  # floor 0.30
    assert api.grossly_missed(0.14)
    assert not api.grossly_missed(0.16)
    deep = GOALS["deep_page_vs_first"]  # ceiling 2.0
    assert deep.grossly_missed(4.1)
    assert not deep.grossly_missed(3.9)


def test_a_measure_still_below_its_floor_is_guarded_at_its_interim_level() -> None:
    imported = GOALS["import_vs_copy"]  # floor 0.25, not yet reached: guarded at 0.02
    assert imported.verdict(0.05) == BELOW_FLOOR
    assert not imported.grossly_missed(0.05)
    assert imported.grossly_missed(0.01)


def test_a_context_measure_gets_a_verdict_but_never_fails_a_run() -> None:
    own = measure_result("import_vs_own_tables_copy", [(1, 100)], unit="x")
    assert own["verdict"] == BELOW_FLOOR
    assert gross_regressions({"import_vs_own_tables_copy": own}) == []
    assert GOALS["import_db_phase_vs_own_tables_copy"].verdict(0.7) == FLOOR_ONLY


def test_measure_result_carries_ratio_pairs_goal_and_verdict() -> None:
    result = measure_result("api_rounds_list_vs_raw", [(40, 100), (45, 100), (60, 100)], unit="x")
    assert result["ratio"] == 0.45
    assert result["pairs"][0] == {"a": 40, "b": 100}
    assert (result["target"], result["floor"]) == (0.5, 0.30)
    assert result["verdict"] == FLOOR_ONLY


def test_a_run_with_bad_answers_is_invalid_whatever_its_ratio() -> None:
    result = measure_result("api_rounds_list_vs_raw", [(90, 100)], unit="x", valid=False)
    assert result["verdict"] == INVALID


def test_gross_regressions_skip_invalid_and_unmeasured_results() -> None:
    measures = {
        "api_rounds_list_vs_raw": measure_result("api_rounds_list_vs_raw", [(1, 10)], unit="x"),
        "html_rounds_list_vs_raw": measure_result(
            "html_rounds_list_vs_raw", [(1, 100)], unit="x", valid=False
        ),
        "import_db_phase_vs_copy": {
            **measure_result("import_db_phase_vs_copy", [(1, 100)], unit="x"),
            "verdict": NOT_MEASURED,
        },
        "import_vs_copy": measure_result("import_vs_copy", [(30, 100)], unit="x"),
    }
    assert gross_regressions(measures) == ["api_rounds_list_vs_raw"]


def test_the_import_is_measured_against_both_copies() -> None:
    imported = {
        "rounds": 100_000,
        "seconds": 24.0,
        "rows_per_second": 100_000 / 24.0,
        "copy_seconds": 2.0,
        "schema_copy_seconds": 6.0,
        "db_seconds": 8.0,
        "db_seconds_measured": True,
    }
    measures = import_measures(imported)
    ratios = {name: round(result["ratio"], 3) for name, result in measures.items()}
    assert ratios == {
        "import_vs_copy": 0.083,
        "import_db_phase_vs_copy": 0.25,
        "import_vs_own_tables_copy": 0.25,
        "import_db_phase_vs_own_tables_copy": 0.75,
    }
    assert measures["import_db_phase_vs_own_tables_copy"]["verdict"] == FLOOR_ONLY

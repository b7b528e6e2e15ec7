"""Reading wrk's report (bench/wrk.py, bench/report.lua)."""

from __future__ import annotations

import pytest

from bench.wrk import parse_report

OUTPUT = """Running 5s test @ http://127.0.0.1:8101/api/v1/rounds/?page_size=50
  2 threads and 4 connections
BENCH_JSON {"requests": 1000, "duration_us": 5000000, "bytes": 38000000, "not_2xx": %d, \
"last_bad_status": %d, "socket_errors": 0, "timeouts": 0, \
"latency_us": {"mean": 19876.5, "p50": 18000, "p90": 25000, "p99": 41000, "max": 60000}}
"""


def test_it_reads_throughput_and_latency_percentiles() -> None:
    result = parse_report(OUTPUT % (0, 0))
    assert result.requests_per_second == 200
    assert (result.p50_ms, result.p99_ms) == (18.0, 41.0)
    assert result.valid


def test_a_run_with_any_answer_other_than_2xx_is_invalid() -> None:
    result = parse_report(OUTPUT % (3, 429))
    assert not result.valid
    assert "3 not 2xx (last status 429)" in result.problem()


def test_output_without_the_report_line_is_an_error() -> None:
    with pytest.raises(ValueError, match="BENCH_JSON"):
        parse_report("unable to connect to 127.0.0.1:8101 Connection refused\n")

"""The benchmark harness: `make bench`, `make bench-smoke`, `make bench-soak`.

    python -m bench.run            # 100k rounds; bench/results/latest.json and latest.md
    python -m bench.run --smoke    # 10k rounds, short runs, for CI; bench/results/smoke.*
    python -m bench.run --soak     # 10 minutes of mixed traffic; bench/results/soak.*

Loads a fresh database with Roundbook's own import, times it against COPY,
starts Roundbook and the raw baseline (bench/raw_app.py) under gunicorn on
loopback, checks that both serve the same API bytes, then times them in
alternating runs with wrk. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench import dataset
from bench.measures import (
    NOT_MEASURED,
    gross_regressions,
    measure_result,
    render_markdown,
)
from bench.measures import deep_page_path as build_deep_page_path
from bench.servers import (
    PROJECT_DIR,
    REQUEST_HEADERS,
    Server,
    django_env,
    fetch,
    gunicorn,
)
from bench.wrk import WrkResult, run_wrk, wrk_binary

RESULTS_DIR = PROJECT_DIR / "bench" / "results"
API_LIST = "/api/v1/rounds/?page_size=50"
HTML_LIST = "/rounds/"
PAGE_SIZE = 50
DEEP_ROWS = 90_000
THROUGHPUT_CONNECTIONS = 4
LATENCY_CONNECTIONS = 4


@dataclass(frozen=True)
class Profile:
    name: str
    rounds: int
    database_url: str
    app_port: int
    raw_port: int
    run_seconds: float
    pairs: int
    warmup_seconds: float
    output: str


def full_profile() -> Profile:
    return Profile(
        name="full",
        rounds=100_000,
        database_url=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/roundbook_bench"
        ),
        app_port=8101,
        raw_port=8102,
        run_seconds=5,
        pairs=5,
        warmup_seconds=2,
        output="latest",
    )


def smoke_profile() -> Profile:
    return Profile(
        name="smoke",
        rounds=10_000,
        database_url=os.environ.get(
            "BENCH_SMOKE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/roundbook_bench_smoke"
        ),
        app_port=8103,
        raw_port=8104,
        run_seconds=1,
        pairs=5,
        warmup_seconds=1,
        output="smoke",
    )


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def git_commit() -> str | None:
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 (git from PATH)
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return completed.stdout.strip()


def import_measures(imported: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The import's two ratios against each baseline: bare COPY, COPY into our tables."""
    rounds = imported["rounds"]
    measures: dict[str, dict[str, Any]] = {}
    baselines = (
        ("copy", imported["copy_seconds"], "COPY"),
        (
            "own_tables_copy",
            imported["schema_copy_seconds"],
            "COPY into Roundbook's tables, history and keys",
        ),
    )
    for suffix, copy_seconds, what in baselines:
        copy_rate = rounds / copy_seconds
        measures[f"import_vs_{suffix}"] = measure_result(
            f"import_vs_{suffix}",
            [(imported["rows_per_second"], copy_rate)],
            unit=f"rows/s (import) vs rows/s ({what})",
            seconds={"import": imported["seconds"], "copy": copy_seconds},
        )
        db_phase = measure_result(
            f"import_db_phase_vs_{suffix}",
            [(rounds / imported["db_seconds"], copy_rate)],
            unit=f"rows/s (staging + upsert) vs rows/s ({what})",
            seconds={"db_phase": imported["db_seconds"], "copy": copy_seconds},
        )
        if not imported["db_seconds_measured"]:
            db_phase["verdict"] = NOT_MEASURED
            db_phase["note"] = "funding_importrun has no db_seconds; ratio uses the whole run"
        measures[f"import_db_phase_vs_{suffix}"] = db_phase
    return measures


class Harness:
    """One benchmark run: its settings, what it measured and what went wrong."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.env = django_env(profile.database_url)
        self.problems: list[str] = []
        self.invalid: set[str] = set()
        self.deep_rows = 0
        self.logs = RESULTS_DIR / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def wrk(self, server: Server, path: str, *, connections: int, seconds: float) -> WrkResult:
        return run_wrk(
            server.base_url + path,
            seconds=seconds,
            connections=connections,
            threads=min(2, connections),
            headers=REQUEST_HEADERS,
        )

    def checked(self, measure: str, label: str, result: WrkResult) -> WrkResult:
        """A timed run; one that saw a non-2xx answer or a socket error makes `measure` invalid."""
        if not result.valid:
            self.invalid.add(measure)
            self.problems.append(f"{measure}: {label} run invalid: {result.problem()}")
            log(f"INVALID {measure} {label}: {result.problem()}")
        return result

    # --- Import ----------------------------------------------------------------

    def load(self) -> dict[str, Any]:
        """Fresh database, the generated export imported by `import_rounds`, then COPY."""
        profile = self.profile
        log(f"recreating {dataset.database_name(profile.database_url)}")
        dataset.recreate_database(profile.database_url)
        dataset.manage("migrate", "--no-input", "-v0", env=self.env)
        with tempfile.TemporaryDirectory(prefix="roundbook-bench-") as tmp:
            data_dir = Path(tmp) / "export"
            log(f"generating a Crunchbase v4 export of {profile.rounds:,} rounds")
            dataset.generate(data_dir, rounds=profile.rounds)
            log("importing it with manage.py import_rounds (timed)")
            timing = dataset.timed_import(data_dir, env=self.env, log=self.logs / "import.log")
        if timing.exit_code != 0:
            raise SystemExit(f"import_rounds failed (exit {timing.exit_code}); see {timing.log}")
        run = dataset.last_import_run(profile.database_url)
        counts = dataset.count_rows(profile.database_url)
        rounds = counts["funding_fundinground"]
        if run["status"] != "done" or run["failed"] or rounds != profile.rounds:
            self.problems.append(
                f"import stored {rounds:,} of {profile.rounds:,} rounds "
                f"(status {run['status']}, {run['unchanged']} rows unchanged, "
                f"{run['failed']} rows failed)"
            )
        log(f"import: {timing.seconds:.1f} s, max RSS {timing.max_rss_mb:.0f} MB; timing COPY")
        copy_seconds = dataset.copy_seconds(profile.database_url)
        log(f"COPY of the same rows: {copy_seconds:.2f} s; the same into Roundbook's tables")
        schema_copy_seconds = dataset.schema_copy_seconds(profile.database_url)
        log(f"with keys and history: {schema_copy_seconds:.2f} s; VACUUM (ANALYZE) before serving")
        dataset.vacuum_analyze(profile.database_url)
        return {
            "rounds": rounds,
            "rows": counts,
            "seconds": round(timing.seconds, 3),
            "rows_per_second": round(rounds / timing.seconds, 1),
            "max_rss_mb": round(timing.max_rss_mb, 1),
            "copy_seconds": round(copy_seconds, 3),
            "copy_rows_per_second": round(rounds / copy_seconds, 1),
            "schema_copy_seconds": round(schema_copy_seconds, 3),
            "run": run,
            "db_seconds": round(run["db_seconds"], 3),
            "db_seconds_measured": run["db_seconds_measured"],
        }

    # --- Serving ---------------------------------------------------------------

    def check_same_api_bytes(self, app: Server, raw: Server) -> None:
        """Abort, with a diff, unless both servers answer the API list with the same bytes."""
        app_status, app_body = fetch(app.base_url + API_LIST)
        raw_status, raw_body = fetch(raw.base_url + API_LIST)
        if app_status == raw_status == 200 and app_body == raw_body:
            log(f"API bytes identical ({len(app_body):,} bytes)")
            return
        diff = "\n".join(
            difflib.unified_diff(
                _pretty(raw_body),
                _pretty(app_body),
                "raw_app",
                "roundbook",
                lineterm="",
                n=2,
            )
        )
        raise SystemExit(
            f"The raw app does not serve Roundbook's API bytes (status {app_status} vs "
            f"{raw_status}); nothing was timed.\n{diff[:6000]}"
        )

    def deep_page(self, app: Server) -> str:
        """The path of an API page DEEP_ROWS rows in, checked to return a full page."""
        depth = min(DEEP_ROWS, self.profile.rounds * 9 // 10)
        value, pk = dataset.row_at_depth(self.profile.database_url, depth)
        path = build_deep_page_path(value, pk, page_size=PAGE_SIZE)
        status, body = fetch(app.base_url + path)
        results = orjson.loads(body).get("results", []) if status == 200 else []
        if len(results) != PAGE_SIZE:
            raise SystemExit(
                f"the deep page {path} answered {status} with {len(results)} rounds, "
                f"not {PAGE_SIZE}"
            )
        self.deep_rows = depth
        return path

    def throughput_pairs(
        self, measure: str, app: Server, raw: Server, app_path: str, raw_path: str
    ) -> list[tuple[float, float]]:
        pairs = []
        for number in range(self.profile.pairs):
            a = self.checked(measure, f"roundbook #{number + 1}", self._throughput(app, app_path))
            b = self.checked(measure, f"raw #{number + 1}", self._throughput(raw, raw_path))
            pairs.append((a.requests_per_second, b.requests_per_second))
            log(
                f"{measure} pair {number + 1}: {a.requests_per_second:.0f} vs "
                f"{b.requests_per_second:.0f} req/s"
            )
        return pairs

    def _throughput(self, server: Server, path: str) -> WrkResult:
        return self.wrk(
            server,
            path,
            connections=THROUGHPUT_CONNECTIONS,
            seconds=self.profile.run_seconds,
        )

    def latency_pairs(self, app: Server, deep: str) -> list[tuple[float, float]]:
        measure = "deep_page_vs_first"
        pairs = []
        for number in range(self.profile.pairs):
            a = self.checked(
                measure,
                f"deep #{number + 1}",
                self.wrk(app, deep, connections=1, seconds=self.profile.run_seconds),
            )
            b = self.checked(
                measure,
                f"first #{number + 1}",
                self.wrk(app, API_LIST, connections=1, seconds=self.profile.run_seconds),
            )
            pairs.append((a.p50_ms, b.p50_ms))
            log(f"{measure} pair {number + 1}: p50 {a.p50_ms:.2f} vs {b.p50_ms:.2f} ms")
        return pairs

    def serve(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        profile = self.profile
        log("collectstatic (the manifest that DEBUG=False pages need)")
        dataset.manage("collectstatic", "--no-input", "-v0", env=self.env)
        company = dataset.busiest_company(profile.database_url)
        raw_env = {**os.environ, "DATABASE_URL": profile.database_url}
        with (
            gunicorn(
                "roundbook",
                "config.wsgi",
                port=profile.app_port,
                env=self.env,
                log_dir=self.logs,
                probe=API_LIST,
            ) as app,
            gunicorn(
                "raw_app",
                "bench.raw_app:application",
                port=profile.raw_port,
                env=raw_env,
                log_dir=self.logs,
                probe=API_LIST,
            ) as raw,
        ):
            self.check_same_api_bytes(app, raw)
            deep = self.deep_page(app)
            company_page = f"/companies/{company}/"
            pages = {
                "API rounds list": API_LIST,
                f"company page ({company})": company_page,
                "dashboard `/`": "/",
            }
            for path in [HTML_LIST, *pages.values()]:
                status, _ = fetch(app.base_url + path)
                if status != 200:
                    raise SystemExit(f"{path} answered {status}; nothing was timed")
            status, _ = fetch(raw.base_url + HTML_LIST)
            if status != 200:
                raise SystemExit(f"the raw app's {HTML_LIST} answered {status}")
            log("warming up")
            for server, path in [
                (app, API_LIST),
                (raw, API_LIST),
                (app, HTML_LIST),
                (raw, HTML_LIST),
                (app, deep),
                (app, company_page),
                (app, "/"),
            ]:
                self.wrk(server, path, connections=4, seconds=profile.warmup_seconds)

            api = self.throughput_pairs("api_rounds_list_vs_raw", app, raw, API_LIST, API_LIST)
            pages_pairs = self.throughput_pairs(
                "html_rounds_list_vs_raw", app, raw, HTML_LIST, HTML_LIST
            )
            deep_pairs = self.latency_pairs(app, deep)
            latency = {}
            for label, path in pages.items():
                result = self.checked(
                    "latency",
                    label,
                    self.wrk(
                        app, path, connections=LATENCY_CONNECTIONS, seconds=profile.run_seconds
                    ),
                )
                latency[label] = {
                    "path": path,
                    "p50_ms": round(result.p50_ms, 2),
                    "p99_ms": round(result.p99_ms, 2),
                    "requests_per_second": round(result.requests_per_second, 1),
                    "valid": result.valid,
                }
                log(f"latency {label}: p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms")
        measures = {
            "api_rounds_list_vs_raw": measure_result(
                "api_rounds_list_vs_raw",
                api,
                unit="req/s (roundbook) vs req/s (raw)",
                valid="api_rounds_list_vs_raw" not in self.invalid,
            ),
            "html_rounds_list_vs_raw": measure_result(
                "html_rounds_list_vs_raw",
                pages_pairs,
                unit="req/s (roundbook) vs req/s (raw)",
                valid="html_rounds_list_vs_raw" not in self.invalid,
            ),
            "deep_page_vs_first": measure_result(
                "deep_page_vs_first",
                deep_pairs,
                unit="p50 ms (deep page) vs p50 ms (first page), 1 connection",
                valid="deep_page_vs_first" not in self.invalid,
                rows_deep=self.deep_rows,
                path=deep,
            ),
        }
        return measures, latency


def _pretty(body: bytes) -> list[str]:
    try:
        return orjson.dumps(orjson.loads(body), option=orjson.OPT_INDENT_2).decode().splitlines()
    except orjson.JSONDecodeError:
        return body.decode(errors="replace").splitlines()


def write_results(
    name: str,
    results: dict[str, Any],
    render: Callable[[dict[str, Any]], str] = render_markdown,
) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{name}.json").write_bytes(
        orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n"
    )
    markdown = RESULTS_DIR / f"{name}.md"
    markdown.write_text(render(results))
    return markdown


def benchmark(profile: Profile) -> int:
    """The whole run; the exit status says whether it may be trusted (and, for smoke, passed)."""
    started = time.monotonic()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    wrk_binary()  # before minutes of importing, not after
    harness = Harness(profile)
    imported = harness.load()
    serving, latency = harness.serve()
    measures = {**serving, **import_measures(imported)}
    ordered = {
        name: measures[name]
        for name in (
            "api_rounds_list_vs_raw",
            "html_rounds_list_vs_raw",
            "deep_page_vs_first",
            "import_vs_copy",
            "import_db_phase_vs_copy",
            "import_vs_own_tables_copy",
            "import_db_phase_vs_own_tables_copy",
        )
    }
    results: dict[str, Any] = {
        "mode": profile.name,
        "rounds": profile.rounds,
        "started_at": started_at,
        "commit": git_commit(),
        "wall_seconds": round(time.monotonic() - started, 1),
        "settings": {
            "run_seconds": profile.run_seconds,
            "pairs": profile.pairs,
            "throughput_connections": THROUGHPUT_CONNECTIONS,
            "gunicorn_workers": 2,
            "cpus": os.cpu_count(),
        },
        "measures": ordered,
        "latency_connections": LATENCY_CONNECTIONS,
        "latency": latency,
        "import": imported,
        "problems": harness.problems,
    }
    markdown = write_results(profile.output, results)
    print(markdown.read_text())
    log(f"wrote {markdown.relative_to(PROJECT_DIR)} in {results['wall_seconds']:.0f} s")
    if harness.invalid:
        log(f"invalid runs (non-2xx or socket errors): {sorted(harness.invalid)}")
        return 1
    if profile.name == "smoke":
        regressed = gross_regressions(ordered)
        if regressed:
            log(f"beyond half the floor: {', '.join(regressed)}")
            return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--smoke", action="store_true", help="10k rounds, short runs (CI)")
    mode.add_argument("--soak", action="store_true", help="mixed traffic for SOAK_SECONDS")
    arguments = parser.parse_args(argv)
    if arguments.soak:
        from bench.soak import soak  # noqa: PLC0415 (only the soak needs it)

        return soak(full_profile())
    return benchmark(smoke_profile() if arguments.smoke else full_profile())


if __name__ == "__main__":
    sys.exit(main())

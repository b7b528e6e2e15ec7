"""`make bench-soak`: mixed traffic at half the measured maximum, for SOAK_SECONDS (600).

80% API lists, 15% pages, 5% round details, against Roundbook alone (2 gunicorn
workers). The maximum is one wrk run of the same mix; the soak itself is an
open-loop Python load generator (each request has its due time, so a slow
answer does not slow the schedule down). Reports errors, 5xx, every other
non-2xx, and the workers' memory at the start and the end (≤ 10% growth).
"""

from __future__ import annotations

import http.client
import itertools
import os
import random
import statistics
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg

from bench import dataset
from bench.servers import REQUEST_HEADERS, gunicorn
from bench.wrk import MIX_SCRIPT, run_wrk

if TYPE_CHECKING:
    from bench.run import Profile

SOAK_PORT = 8107
MAX_RSS_GROWTH = 0.10
# The workers' memory is sampled every RSS_SAMPLE_SECONDS; growth is judged from the
# first sample after WARM_UP_SECONDS of soak traffic (a fifth of a shorter soak): the
# first thousand requests fill allocator arenas and per-connection statement caches,
# which is not a leak. Growth since the very start is reported too.
RSS_SAMPLE_SECONDS = 30.0
WARM_UP_SECONDS = 60.0
MIX = {"api": 80, "pages": 15, "details": 5}


def weighted_paths(groups: dict[str, list[str]], *, total: int = 100) -> list[str]:
    """`total` paths, each group taking its MIX share, its paths in turn."""
    paths: list[str] = []
    for group, weight in MIX.items():
        members = groups[group]
        if not members:
            raise ValueError(f"no {group} paths")
        count = round(total * weight / sum(MIX.values()))
        paths += list(itertools.islice(itertools.cycle(members), count))
    return paths


def traffic_paths(url: str) -> list[str]:
    """The soak's mix, built from rounds, companies and investors in the database."""
    with psycopg.connect(url) as connection:
        companies = [
            row[0]
            for row in connection.execute(
                "SELECT slug FROM companies_company ORDER BY md5(id::text) LIMIT 10"
            )
        ]
        investors = [
            row[0]
            for row in connection.execute(
                "SELECT slug FROM companies_investor ORDER BY md5(id::text) LIMIT 5"
            )
        ]
        rounds = [
            row[0]
            for row in connection.execute(
                "SELECT id FROM funding_fundinground ORDER BY md5(id::text) LIMIT 10"
            )
        ]
    api = [
        "/api/v1/rounds/?page_size=50",
        "/api/v1/rounds/?page_size=50",
        "/api/v1/rounds/?stage=seed",
        "/api/v1/rounds/?ordering=-amount_usd",
        "/api/v1/companies/",
        "/api/v1/investors/",
        *(f"/api/v1/companies/{slug}/rounds/" for slug in companies[:5]),
        *(f"/api/v1/investors/{slug}/rounds/" for slug in investors[:3]),
    ]
    pages = [
        "/",
        "/rounds/",
        "/companies/",
        "/investors/",
        *(f"/companies/{slug}/" for slug in companies[5:]),
        *(f"/investors/{slug}/" for slug in investors[3:]),
    ]
    details = [
        *(f"/api/v1/rounds/{pk}/" for pk in rounds[:5]),
        *(f"/rounds/{pk}/" for pk in rounds[5:]),
    ]
    return weighted_paths({"api": api, "pages": pages, "details": details})


@dataclass
class LoadResult:
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    late: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + self.errors

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    @property
    def not_2xx(self) -> int:
        return sum(count for status, count in self.statuses.items() if not 200 <= status < 300)


def generate_load(
    port: int, paths: list[str], *, rate: float, seconds: float, threads: int = 8
) -> LoadResult:
    """Requests at `rate` per second for `seconds`, on `threads` connections."""
    result = LoadResult()
    total = int(rate * seconds)
    numbers = itertools.count()
    started = time.monotonic()

    def worker(seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 (picks paths, not secrets)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while (number := next(numbers)) < total:
            delay = started + number / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif delay < -1:
                with result._lock:
                    result.late += 1
            sent = time.monotonic()
            try:
                connection.request("GET", rng.choice(paths), headers=REQUEST_HEADERS)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                with result._lock:
                    result.errors += 1
                continue
            with result._lock:
                result.statuses[status] += 1
                result.latencies_ms.append((time.monotonic() - sent) * 1000)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    result.seconds = time.monotonic() - started
    return result


def soak(profile: Profile) -> int:
    from bench.run import Harness, log, write_results  # noqa: PLC0415 (run imports soak lazily)

    seconds = float(os.environ.get("SOAK_SECONDS", "600"))
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    harness = Harness(profile)
    if dataset.database_has_rounds(profile.database_url):
        log(f"reusing the rounds in {dataset.database_name(profile.database_url)}")
        dataset.manage("migrate", "--no-input", "-v0", env=harness.env)
        dataset.vacuum_analyze(profile.database_url)
    else:
        harness.load()
    dataset.manage("collectstatic", "--no-input", "-v0", env=harness.env)
    paths = traffic_paths(profile.database_url)
    with (
        tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="roundbook-soak-") as paths_file,
        gunicorn(
            "roundbook-soak",
            "config.wsgi",
            port=SOAK_PORT,
            env=harness.env,
            log_dir=harness.logs,
            probe=paths[0],
        ) as app,
    ):
        paths_file.write("\n".join(paths) + "\n")
        paths_file.flush()

        def mix_run(run_seconds: float) -> Any:
            return run_wrk(
                app.base_url + "/",
                seconds=run_seconds,
                connections=4,
                threads=2,
                headers=REQUEST_HEADERS,
                script=MIX_SCRIPT,
                script_arguments=(paths_file.name,),
            )

        log("warming up, then measuring the mix's maximum throughput")
        mix_run(3)
        maximum = mix_run(10)
        if not maximum.valid:
            harness.problems.append(f"maximum-throughput run: {maximum.problem()}")
        rate = maximum.requests_per_second / 2
        rss_start = app.workers_rss_mb()
        log(
            f"max {maximum.requests_per_second:.0f} req/s; soaking at {rate:.0f} req/s for "
            f"{seconds:.0f} s; workers' RSS {', '.join(f'{mb:.0f}' for mb in rss_start)} MB"
        )
        samples: list[tuple[float, float]] = []  # (seconds into the soak, workers' RSS MB)
        done = threading.Event()

        def sample_rss() -> None:
            begun = time.monotonic()
            while not done.wait(RSS_SAMPLE_SECONDS):
                samples.append((time.monotonic() - begun, sum(app.workers_rss_mb())))

        sampler = threading.Thread(target=sample_rss, daemon=True)
        sampler.start()
        load = generate_load(SOAK_PORT, paths, rate=rate, seconds=seconds)
        done.set()
        sampler.join()
        rss_end = app.workers_rss_mb()
        pids_same = len(rss_end) == len(rss_start)
    warm_up = min(WARM_UP_SECONDS, seconds / 5)
    baseline = next((mb for at, mb in samples if at >= warm_up), sum(rss_start))
    growth = (sum(rss_end) - baseline) / baseline if baseline else 0.0
    growth_since_start = (sum(rss_end) - sum(rss_start)) / sum(rss_start) if sum(rss_start) else 0.0
    results: dict[str, Any] = {
        "mode": "soak",
        "started_at": started_at,
        "seconds": round(load.seconds, 1),
        "mix": MIX,
        "paths": sorted(set(paths)),
        "max_requests_per_second": round(maximum.requests_per_second, 1),
        "target_rate": round(rate, 1),
        "achieved_rate": round(load.requests / load.seconds, 1) if load.seconds else 0,
        "requests": load.requests,
        "statuses": {str(status): count for status, count in sorted(load.statuses.items())},
        "errors": load.errors,
        "server_errors_5xx": load.server_errors,
        "not_2xx": load.not_2xx,
        "late_requests": load.late,
        "p50_ms": round(statistics.median(load.latencies_ms), 2) if load.latencies_ms else None,
        "p99_ms": (
            round(statistics.quantiles(load.latencies_ms, n=100)[98], 2)
            if len(load.latencies_ms) > 1
            else None
        ),
        "workers_rss_mb_start": [round(mb, 1) for mb in rss_start],
        "workers_rss_mb_end": [round(mb, 1) for mb in rss_end],
        "rss_mb_samples": [[round(at), round(mb, 1)] for at, mb in samples],
        "rss_warm_up_seconds": warm_up,
        "rss_mb_after_warm_up": round(baseline, 1),
        "rss_growth": round(growth, 4),
        "rss_growth_since_start": round(growth_since_start, 4),
        "rss_growth_limit": MAX_RSS_GROWTH,
        "problems": harness.problems,
    }
    passed = (
        load.errors == 0
        and load.not_2xx == 0
        and growth <= MAX_RSS_GROWTH
        and pids_same
        and not harness.problems
    )
    results["verdict"] = "passed" if passed else "failed"
    markdown = write_results("soak", results, render_soak)
    print(markdown.read_text())
    return 0 if passed else 1


def render_soak(results: dict[str, Any]) -> str:
    """`soak.md`."""
    rows = [
        ("duration", f"{results['seconds']:.0f} s"),
        ("mix", ", ".join(f"{weight}% {group}" for group, weight in results["mix"].items())),
        ("maximum throughput (wrk, same mix)", f"{results['max_requests_per_second']:.0f} req/s"),
        (
            "target / achieved rate",
            f"{results['target_rate']:.0f} / {results['achieved_rate']:.0f} req/s",
        ),
        ("requests", f"{results['requests']:,}"),
        ("statuses", ", ".join(f"{s}: {n:,}" for s, n in results["statuses"].items()) or "—"),
        ("connection errors", str(results["errors"])),
        ("5xx", str(results["server_errors_5xx"])),
        ("other non-2xx", str(results["not_2xx"] - results["server_errors_5xx"])),
        ("p50 / p99 latency", f"{results['p50_ms']} / {results['p99_ms']} ms"),
        (
            "workers' RSS at start",
            ", ".join(f"{mb:.0f}" for mb in results["workers_rss_mb_start"]) + " MB",
        ),
        (
            "workers' RSS at end",
            ", ".join(f"{mb:.0f}" for mb in results["workers_rss_mb_end"]) + " MB",
        ),
        (
            f"workers' RSS after {results['rss_warm_up_seconds']:.0f} s of soak (warm-up)",
            f"{results['rss_mb_after_warm_up']:.0f} MB in all",
        ),
        (
            "RSS growth after warm-up",
            f"{results['rss_growth']:.1%} (limit {results['rss_growth_limit']:.0%})",
        ),
        ("RSS growth since the start", f"{results['rss_growth_since_start']:.1%}"),
        (
            "workers' RSS in all, every 30 s (MB)",
            " ".join(f"{mb:.0f}" for _, mb in results["rss_mb_samples"]) or "—",
        ),
    ]
    lines = [
        f"# Roundbook soak ({results['started_at']}): {results['verdict']}",
        "",
        "| | |",
        "|---|---|",
        *(f"| {label} | {value} |" for label, value in rows),
    ]
    if results["problems"]:
        lines += ["", "Problems:", "", *(f"- {problem}" for problem in results["problems"])]
    return "\n".join(lines) + "\n"

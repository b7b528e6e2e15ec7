"""Runs wrk (/usr/bin/wrk) against one URL and reads what bench/report.lua prints."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import orjson

REPORT_SCRIPT = Path(__file__).with_name("report.lua")
MIX_SCRIPT = Path(__file__).with_name("mix.lua")
_MARKER = "BENCH_JSON "


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    not_2xx: int
    last_bad_status: int
    socket_errors: int
    timeouts: int
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def valid(self) -> bool:
        """Every response was a 2xx and no connection failed: the run counts."""
        return (
            self.requests > 0
            and self.not_2xx == 0
            and self.socket_errors == 0
            and self.timeouts == 0
        )

    def problem(self) -> str:
        return (
            f"{self.requests} requests, {self.not_2xx} not 2xx (last status "
            f"{self.last_bad_status}), {self.socket_errors} socket errors, "
            f"{self.timeouts} timeouts"
        )


def parse_report(output: str) -> WrkResult:
    """The WrkResult in wrk's output (the BENCH_JSON line that report.lua writes)."""
    for line in output.splitlines():
        if line.startswith(_MARKER):
            data = orjson.loads(line.removeprefix(_MARKER))
            latency = data["latency_us"]
            return WrkResult(
                requests=data["requests"],
                seconds=data["duration_us"] / 1e6,
                not_2xx=data["not_2xx"],
                last_bad_status=data["last_bad_status"],
                socket_errors=data["socket_errors"],
                timeouts=data["timeouts"],
                mean_ms=latency["mean"] / 1000,
                p50_ms=latency["p50"] / 1000,
                p90_ms=latency["p90"] / 1000,
                p99_ms=latency["p99"] / 1000,
            )
    raise ValueError(f"no {_MARKER.strip()} line in wrk's output:\n{output}")


def wrk_binary() -> str:
    found = shutil.which("wrk") or ("/usr/bin/wrk" if Path("/usr/bin/wrk").exists() else None)
    if found is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    return found


def run_wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    headers: dict[str, str],
    threads: int = 1,
    script: Path = REPORT_SCRIPT,
    script_arguments: tuple[str, ...] = (),
) -> WrkResult:
    """One wrk run; `--latency` keeps the full latency histogram for the percentiles."""
    command = [
        wrk_binary(),
        f"--threads={min(threads, connections)}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=10s",
        "--latency",
        f"--script={script}",
    ]
    for name, value in headers.items():
        command.append(f"--header={name}: {value}")
    command.append(url)
    if script_arguments:
        command += ["--", *script_arguments]
    completed = subprocess.run(  # noqa: S603 (our own arguments)
        command, capture_output=True, text=True, check=True, timeout=seconds + 60
    )
    return parse_report(completed.stdout)

"""Running wrk and reading its report.

wrk prints a human report, not JSON. Parsing it here, in one place, keeps the harness honest:
the figures in a results file are exactly what wrk printed, and the parser is tested on a
captured sample (tests/bench/) without starting any server.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

LUA_DIR = Path(__file__).parent / "lua"
REQUEST_SCRIPT = LUA_DIR / "request.lua"

# wrk's format_time units, converted to milliseconds.
_TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_TIME = r"([\d.]+)(us|ms|s|m|h)"

_REQUESTS_PER_S = re.compile(r"^Requests/sec:\s+([\d.]+)\s*$", re.M)
_TOTALS = re.compile(r"^\s*(\d+) requests in " + _TIME + r",", re.M)
_PERCENTILE = re.compile(r"^\s+(\d+(?:\.\d+)?)%\s+" + _TIME + r"\s*$", re.M)
_LATENCY_STATS = re.compile(r"^\s+Latency\s+" + _TIME + r"\s+" + _TIME + r"\s+" + _TIME, re.M)
_NON_2XX = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)\s*$", re.M)
_SOCKET_ERRORS = re.compile(
    r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)\s*$", re.M
)


_SOCKET_ERROR_KINDS = ("connect", "read", "write", "timeout")


class WrkMissing(RuntimeError):
    """wrk is not installed; the harness cannot measure anything without it."""


class WrkOutputError(ValueError):
    """wrk's report lacks a figure the harness needs (a crash, a usage error, a new format)."""


def _ms(value: str, unit: str) -> float:
    return float(value) * _TIME_UNITS_MS[unit]


@dataclass(frozen=True)
class WrkParams:
    """Load shape; the bare ceiling and every scenario of a session use the same one."""

    threads: int = 2
    connections: int = 64
    duration_s: int = 10
    timeout_s: int = 5

    def as_dict(self) -> dict[str, int]:
        return {
            "threads": self.threads,
            "connections": self.connections,
            "duration_s": self.duration_s,
            "timeout_s": self.timeout_s,
        }


@dataclass(frozen=True)
class WrkResult:
    """The figures of one wrk run.

    ``non_2xx`` is wrk's own counter, which counts answers with status >= 400 (wrk's label
    says "Non-2xx or 3xx", but 3xx are not counted); the harness probes each request shape
    once before the load so a redirect cannot pass unnoticed either.
    """

    requests: int
    duration_ms: float
    requests_per_s: float
    latency_avg_ms: float
    latency_max_ms: float
    percentiles_ms: dict[str, float]
    non_2xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)

    @property
    def p50_ms(self) -> float:
        return self.percentiles_ms["50"]

    @property
    def p99_ms(self) -> float:
        return self.percentiles_ms["99"]

    @property
    def socket_error_count(self) -> int:
        return sum(self.socket_errors.values())

    def problems(self, *, refusals_expected: bool = False) -> list[str]:
        """Why these figures must not be reported as a speed (empty when they may).

        ``refusals_expected``: the scenario turns most requests away by design (a booking
        rush answers 409 SLOT_FULL); its own check then proves the answers were right.
        """
        found = []
        if self.requests == 0:
            found.append("no request completed")
        if self.non_2xx and not refusals_expected:
            found.append(f"{self.non_2xx} non-2xx answers")
        errors = {kind: n for kind, n in self.socket_errors.items() if n}
        if errors:
            found.append(
                "socket errors " + ", ".join(f"{kind} {n}" for kind, n in sorted(errors.items()))
            )
        return found

    def as_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "duration_ms": self.duration_ms,
            "requests_per_s": self.requests_per_s,
            "latency_avg_ms": self.latency_avg_ms,
            "latency_max_ms": self.latency_max_ms,
            "percentiles_ms": self.percentiles_ms,
            "non_2xx": self.non_2xx,
            "socket_errors": self.socket_errors,
        }


def _percentile_key(raw: str) -> str:
    number = float(raw)
    return str(int(number)) if number.is_integer() else str(number)


def parse_wrk_output(text: str) -> WrkResult:
    """Read wrk's ``--latency`` report; raise WrkOutputError if a needed figure is missing."""
    rate = _REQUESTS_PER_S.search(text)
    totals = _TOTALS.search(text)
    stats = _LATENCY_STATS.search(text)
    percentiles = {_percentile_key(p): _ms(v, u) for p, v, u in _PERCENTILE.findall(text)}
    missing = [
        name
        for name, found in (
            ("Requests/sec", rate),
            ("request totals", totals),
            ("latency statistics", stats),
            ("latency distribution (run wrk with --latency)", "50" in percentiles),
            ("99th percentile", "99" in percentiles),
        )
        if not found
    ]
    if missing:
        raise WrkOutputError("wrk output lacks " + ", ".join(missing) + ":\n" + text)
    assert rate is not None and totals is not None and stats is not None
    non_2xx = _NON_2XX.search(text)
    errors = _SOCKET_ERRORS.search(text)
    return WrkResult(
        requests=int(totals.group(1)),
        duration_ms=_ms(totals.group(2), totals.group(3)),
        requests_per_s=float(rate.group(1)),
        latency_avg_ms=_ms(stats.group(1), stats.group(2)),
        latency_max_ms=_ms(stats.group(5), stats.group(6)),
        percentiles_ms=percentiles,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=dict(
            zip(
                _SOCKET_ERROR_KINDS,
                map(int, errors.groups()) if errors else (0, 0, 0, 0),
                strict=True,
            )
        ),
    )


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkMissing("wrk is not installed: apt-get install -y wrk")
    return found


def wrk_command(
    url: str, params: WrkParams, *, duration_s: int | None = None, script: Path = REQUEST_SCRIPT
) -> list[str]:
    return [
        wrk_binary(),
        f"-t{params.threads}",
        f"-c{params.connections}",
        f"-d{duration_s if duration_s is not None else params.duration_s}s",
        f"--timeout={params.timeout_s}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]


async def run_wrk(
    url: str,
    params: WrkParams,
    *,
    env: Mapping[str, str],
    script: Path = REQUEST_SCRIPT,
    duration_s: int | None = None,
) -> tuple[WrkResult, str]:
    """Run wrk to completion; answer its figures and its raw report (kept in the results)."""
    process = await asyncio.create_subprocess_exec(
        *wrk_command(url, params, duration_s=duration_s, script=script),
        env=dict(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    text = out.decode(errors="replace")
    if process.returncode != 0:
        raise WrkOutputError(f"wrk exited with {process.returncode}:\n{text}")
    return parse_wrk_output(text), text


def wrk_version() -> str:
    """wrk -v prints its version and usage, then exits 1; only the first line matters."""
    done = subprocess.run([wrk_binary(), "-v"], capture_output=True, text=True, check=False)
    lines = (done.stdout or done.stderr).splitlines()
    return lines[0].strip() if lines else ""

"""The session's outcome: a table on stdout and a JSON file with the machine's facts."""

from __future__ import annotations

import json
import os
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bench.wrk import WrkParams, WrkResult

RESULTS_DIR = Path(__file__).parent / "results"
# Beyond this change of the bare ceiling between the start and the end of a session, the
# machine was busy with something else (another test suite, a build) and the ratios are noise.
MAX_DRIFT = 0.10


@dataclass
class Outcome:
    """One measured run (a scenario, or the bare ceiling) and why it may not count."""

    name: str
    result: WrkResult | None = None
    problems: list[str] = field(default_factory=list)
    raw: str = ""
    ratio: float | None = None
    # CPU time (user + system) of the server's processes per request wrk completed: the
    # Sanic workers and, for ours, the sandbox and the embedded worker beside them.
    cpu_us_per_request: float | None = None
    # bare handler's CPU per request ÷ this one's: the load-independent twin of ``ratio``.
    cpu_ratio: float | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None and not self.problems

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "status": "ok" if self.ok else "failed",
            "ratio_to_bare": self.ratio,
            "server_cpu_us_per_request": self.cpu_us_per_request,
            "cpu_ratio_to_bare": self.cpu_ratio,
            "problems": self.problems,
            "figures": self.result.as_dict() if self.result else None,
            "wrk_output": self.raw,
        }


@dataclass
class Session:
    workers: int
    params: WrkParams
    warmup_s: int
    started_at: str
    bare_before: Outcome
    bare_after: Outcome | None = None
    scenarios: list[Outcome] = field(default_factory=list)
    services: dict[str, str] = field(default_factory=dict)
    wrk_version: str = ""
    server_log: str = ""
    # Load average when the session began: a busy machine before the first run shows here.
    load_average_start: tuple[float, float, float] = field(default_factory=os.getloadavg)

    @property
    def ceiling(self) -> float | None:
        """Mean of the bare runs before and after the scenarios (None if either failed)."""
        runs = [o for o in (self.bare_before, self.bare_after) if o is not None]
        if not all(o.ok for o in runs):
            return None
        return sum(o.result.requests_per_s for o in runs if o.result) / len(runs)

    @property
    def drift(self) -> float | None:
        """How much the ceiling moved during the session; large drift means a busy machine."""
        before, after = self.bare_before, self.bare_after
        if after is None or not (before.ok and after.ok) or not (before.result and after.result):
            return None
        return after.result.requests_per_s / before.result.requests_per_s - 1

    @property
    def busy_at_start(self) -> bool:
        """A machine already loaded when the session began: a steady load lowers the ceiling
        without moving it, so the drift guard alone cannot see it."""
        return self.load_average_start[0] >= (os.cpu_count() or 1)

    @property
    def reliable(self) -> bool:
        drift = self.drift
        return drift is not None and abs(drift) <= MAX_DRIFT and not self.busy_at_start

    @property
    def bare_cpu_us(self) -> float | None:
        """The bare handler's server CPU per request (mean of its two runs)."""
        runs = [o.cpu_us_per_request for o in (self.bare_before, self.bare_after) if o]
        known = [r for r in runs if r]
        return sum(known) / len(known) if known else None

    def apply_ratios(self) -> None:
        ceiling, bare_cpu = self.ceiling, self.bare_cpu_us
        for outcome in self.scenarios:
            if ceiling and outcome.ok and outcome.result:
                outcome.ratio = outcome.result.requests_per_s / ceiling
            if bare_cpu and outcome.ok and outcome.cpu_us_per_request:
                outcome.cpu_ratio = bare_cpu / outcome.cpu_us_per_request

    def as_dict(self) -> dict[str, object]:
        import sanic

        return {
            "date": self.started_at,
            "machine": machine_facts(),
            "software": {
                "python": sys.version.split()[0],
                "sanic": sanic.__version__,
                "wrk": self.wrk_version,
                **self.services,
            },
            "workers": self.workers,
            "wrk_params": self.params.as_dict(),
            "warmup_s": self.warmup_s,
            "load_average": {"start": self.load_average_start, "end": os.getloadavg()},
            "reliable": self.reliable,
            "bare": {
                "requests_per_s": self.ceiling,
                "server_cpu_us_per_request": self.bare_cpu_us,
                "drift": self.drift,
                "before": self.bare_before.as_dict(),
                "after": self.bare_after.as_dict() if self.bare_after else None,
            },
            "scenarios": [o.as_dict() for o in self.scenarios],
            "server_log": self.server_log,
        }


def machine_facts() -> dict[str, object]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "platform": platform.platform(),
    }


def _ms(value: float) -> str:
    return f"{value:.2f}ms" if value < 100 else f"{value:.0f}ms"


def _row(label: str, outcome: Outcome, ratio: str) -> list[str]:
    r = outcome.result
    cpu = outcome.cpu_us_per_request
    cpu_ratio = f"{outcome.cpu_ratio:.2f}" if outcome.cpu_ratio is not None else "-"
    if r is None:
        failed = "FAILED: " + "; ".join(outcome.problems)
        return [label, "-", ratio, "-", "-", "-", "-", "-", "-", failed]
    status = "ok" if outcome.ok else "FAILED: " + "; ".join(outcome.problems)
    return [
        label,
        f"{r.requests_per_s:,.0f}",
        ratio,
        f"{cpu:,.0f}" if cpu else "-",
        cpu_ratio,
        _ms(r.p50_ms),
        _ms(r.p99_ms),
        str(r.non_2xx),
        str(r.socket_error_count),
        status,
    ]


def render_table(session: Session) -> str:
    p = session.params
    header = [
        "scenario",
        "req/s",
        "ratio",
        "cpu µs/req",
        "cpu ratio",
        "p50",
        "p99",
        "non-2xx",
        "sock.err",
        "status",
    ]
    rows = [_row("bare (before)", session.bare_before, "")]
    rows += [
        _row(o.name, o, f"{o.ratio:.2f}" if o.ratio is not None else "-") for o in session.scenarios
    ]
    if session.bare_after is not None:
        rows.append(_row("bare (after)", session.bare_after, ""))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row[:-1], widths, strict=True))
        )
        + "  "
        + row[-1]
        for row in [header, *rows]
    ]
    ceiling = session.ceiling
    drift = session.drift
    summary = (
        f"workers={session.workers}  wrk -t{p.threads} -c{p.connections} -d{p.duration_s}s"
        f"  nproc={os.cpu_count()}  bare ceiling="
        + (f"{ceiling:,.0f} req/s" if ceiling else "unavailable")
        + (f" (drift {drift:+.1%})" if drift is not None else "")
    )
    if session.busy_at_start:
        lines.append(
            f"WARNING: load average {session.load_average_start[0]:.1f} on {os.cpu_count()} CPUs"
            " when the session began: something else was running; rerun on a quiet machine."
        )
    elif not session.reliable:
        lines.append(
            f"WARNING: the bare ceiling moved more than {MAX_DRIFT:.0%} during the session (or"
            " was not measured twice): the machine was busy; rerun before quoting these figures."
        )
    return "\n".join([summary, *lines])


def write_results(session: Session, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(session.as_dict(), indent=2, ensure_ascii=False) + "\n")
    return path

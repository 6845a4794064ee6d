"""Ratios and the drift guard: a failed run never gets a ratio, a busy machine is flagged."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bench.report import Outcome, Session, render_table
from bench.wrk import WrkParams, parse_wrk_output

SAMPLES = Path(__file__).parent / "samples"
CLEAN = parse_wrk_output((SAMPLES / "wrk_me_ok.txt").read_text())  # 2,521.43 req/s
ERRORS = parse_wrk_output((SAMPLES / "wrk_404.txt").read_text())


def run(name: str, rate: float) -> Outcome:
    return Outcome(name, result=replace(CLEAN, requests_per_s=rate))


def session(before: float, after: float, *scenarios: Outcome) -> Session:
    made = Session(
        workers=2,
        params=WrkParams(),
        warmup_s=2,
        started_at="2026-11-22T00:00:00+00:00",
        bare_before=run("bare", before),
        bare_after=run("bare", after),
        scenarios=list(scenarios),
        load_average_start=(0.2, 0.2, 0.2),
    )
    made.apply_ratios()
    return made


def test_the_ratio_is_against_the_mean_of_both_bare_runs() -> None:
    measured = session(40_000, 43_000, run("me", 4_150))
    assert measured.ceiling == pytest.approx(41_500)
    assert measured.scenarios[0].ratio == pytest.approx(0.1)
    assert measured.drift == pytest.approx(0.075)
    assert measured.reliable
    assert "WARNING" not in render_table(measured)


def test_a_scenario_with_error_answers_has_no_ratio_and_says_why() -> None:
    failed = Outcome("me", result=ERRORS, problems=ERRORS.problems())
    measured = session(40_000, 40_000, failed)
    assert failed.ratio is None and not failed.ok
    row = next(line for line in render_table(measured).splitlines() if line.startswith("me "))
    assert "FAILED: 27814 non-2xx answers" in row
    assert measured.as_dict()["scenarios"][0]["status"] == "failed"


def test_a_failed_ceiling_gives_no_ratio_at_all() -> None:
    measured = session(40_000, 40_000, run("me", 4_000))
    measured.bare_after = Outcome("bare", problems=["wrk exited with 1"])
    measured.scenarios[0].ratio = None
    measured.apply_ratios()
    assert measured.ceiling is None
    assert measured.scenarios[0].ratio is None


def test_a_ceiling_that_moved_more_than_ten_percent_is_flagged() -> None:
    measured = session(47_209, 29_594, run("me", 1_384))
    assert measured.drift == pytest.approx(-0.373, abs=0.001)
    assert not measured.reliable
    assert measured.as_dict()["reliable"] is False
    assert "WARNING" in render_table(measured)


def test_a_machine_loaded_before_the_session_is_flagged_even_without_drift() -> None:
    measured = session(19_222, 18_363, run("healthz", 2_314))
    assert measured.reliable
    measured.load_average_start = (7.95, 6.6, 3.87)
    assert not measured.reliable
    assert "load average 8.0" in render_table(measured)


def test_cpu_per_request_counts_a_server_and_its_children() -> None:
    import subprocess
    import sys
    import time

    from bench.processes import tree_cpu_seconds

    # The parent only waits; its child burns 0.5 s of CPU, then sleeps 5 s (still alive).
    child = (
        "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass\n"
        "time.sleep(5)\n"
    )
    spawn = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    parent = subprocess.Popen([sys.executable, "-c", spawn])
    try:
        deadline = time.monotonic() + 60
        while tree_cpu_seconds(parent.pid) < 0.5 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert tree_cpu_seconds(parent.pid) >= 0.5
    finally:
        parent.wait(timeout=60)  # the child exits after its sleep, then the parent

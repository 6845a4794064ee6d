"""The harness's own arithmetic: wrk's report → figures, and which runs must count as failed.

No server starts here: the samples are wrk reports captured from real runs (wrk_me_ok,
wrk_404, wrk_refused) and one written in wrk's exact format to cover microsecond and second
units and socket errors (wrk_overloaded). Benchmarks themselves are not timed tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.harness import request_env
from bench.scenarios import Request, registry
from bench.wrk import WrkOutputError, WrkParams, parse_wrk_output, wrk_command

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


def test_a_clean_run_gives_its_figures_and_no_problem() -> None:
    result = parse_wrk_output(sample("wrk_me_ok.txt"))
    assert result.requests == 7571
    assert result.duration_ms == pytest.approx(3000.0)
    assert result.requests_per_s == pytest.approx(2521.43)
    assert result.p50_ms == pytest.approx(24.89)
    assert result.p99_ms == pytest.approx(32.95)
    assert result.percentiles_ms["75"] == pytest.approx(25.48)
    assert result.latency_avg_ms == pytest.approx(25.26)
    assert result.latency_max_ms == pytest.approx(43.75)
    assert result.non_2xx == 0
    assert result.socket_errors == {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    assert result.problems() == []


def test_error_answers_are_a_failure_not_a_speed() -> None:
    result = parse_wrk_output(sample("wrk_404.txt"))
    assert result.requests_per_s == pytest.approx(13894.93)  # fast, because every answer is 404
    assert result.non_2xx == result.requests == 27814
    assert result.problems() == ["27814 non-2xx answers"]


def test_units_are_converted_and_socket_errors_fail_the_run() -> None:
    result = parse_wrk_output(sample("wrk_overloaded.txt"))
    assert result.p50_ms == pytest.approx(0.21)
    assert result.p99_ms == pytest.approx(1020.0)
    assert result.latency_avg_ms == pytest.approx(0.31052)
    assert result.latency_max_ms == pytest.approx(1200.0)
    assert result.socket_errors == {"connect": 0, "read": 3, "write": 0, "timeout": 17}
    assert result.socket_error_count == 20
    assert result.problems() == ["socket errors read 3, timeout 17"]


def test_a_report_without_figures_is_an_error_not_zero() -> None:
    with pytest.raises(WrkOutputError, match="Requests/sec"):
        parse_wrk_output(sample("wrk_refused.txt"))


def test_a_report_without_the_latency_distribution_is_refused() -> None:
    without = "\n".join(
        line
        for line in sample("wrk_me_ok.txt").splitlines()
        if not line.strip().split(" ")[0].endswith("%")
    )
    with pytest.raises(WrkOutputError, match="latency distribution") as raised:
        parse_wrk_output(without)
    assert "Requests/sec" not in str(raised.value).split(":")[0]


def test_the_command_asks_for_percentiles_and_uses_the_lua_script() -> None:
    command = wrk_command("http://127.0.0.1:1/x", WrkParams(threads=3, connections=9, duration_s=7))
    assert command[1:6] == ["-t3", "-c9", "-d7s", "--timeout=5s", "--latency"]
    assert command[6] == "-s" and command[7].endswith("bench/lua/request.lua")
    assert command[-1] == "http://127.0.0.1:1/x"


def test_the_request_shape_reaches_the_lua_script_through_its_environment(
    tmp_path: Path,
) -> None:
    shape = Request(
        "/api/v1/x",
        method="POST",
        headers={"Authorization": "Bearer t", "Content-Type": "application/json"},
        body=b'{"a": 1}',
    )
    env = request_env(shape, tmp_path, "x")
    assert env["BENCH_METHOD"] == "POST"
    assert env["BENCH_HEADERS"] == "Authorization: Bearer t\nContent-Type: application/json"
    assert Path(env["BENCH_BODY_FILE"]).read_bytes() == b'{"a": 1}'
    assert "BENCH_BODY_FILE" not in request_env(Request("/"), tmp_path, "y")


def test_every_scenario_module_registers_one_named_scenario() -> None:
    scenarios = registry()
    assert {"healthz", "me"} <= set(scenarios)
    assert all(name == s.name for name, s in scenarios.items())
    assert Request("/x").expect_status == 200

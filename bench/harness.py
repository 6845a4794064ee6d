"""One benchmark session: the bare ceiling, our server with every chosen scenario, the ceiling
again, all with the same worker count and the same wrk load shape, on this machine, now.

Exit status: 0 every scenario ran clean; 1 a scenario (or the ceiling) failed; 2 the
environment is not ready (wrk missing, PostgreSQL or Redis unreachable, unknown scenario).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from app.crypto_config import national_secrets
from bench import processes
from bench.context import BenchContext
from bench.report import RESULTS_DIR, Outcome, Session, render_table, write_results
from bench.residents import SetupFailed
from bench.scenarios import Request, Scenario, registry
from bench.services import (
    ServiceUnavailable,
    check_reachable,
    claimed_redis_db,
    fresh_database,
    service_versions,
)
from bench.wrk import WrkMissing, WrkOutputError, WrkParams, run_wrk, wrk_binary, wrk_version

# How long before a set release instant the measured run starts (wrk's start-up and connects).
RELEASE_HEAD_START_S = 0.3


def _parser(known: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench/run.py",
        description="Measure scenarios as a ratio to a bare Sanic handler (same workers, now).",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="one more setting for the server (e.g. YIWANG_REQUEST_METRICS=false)",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load first")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--connections", type=int, default=64, help="wrk -c")
    parser.add_argument("--timeout", type=int, default=5, help="wrk --timeout, seconds")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy record (raw, 200 Hz, non-blocking) the server's processes during each "
        "measured run, into bench/results/<stamp>-<scenario>.pyspy (bench/flame.py reads it)",
    )
    parser.add_argument(
        "--scenario",
        nargs="+",
        choices=known,
        metavar="NAME",
        help=f"scenarios to run (default all: {', '.join(known)})",
    )
    return parser


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def request_env(request: Request, workdir: Path, name: str) -> dict[str, str]:
    """The environment bench/lua/request.lua reads (plus a scenario script's own data)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "BENCH_METHOD": request.method,
        "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in request.headers.items()),
        **request.script_env,
    }
    if request.body is not None:
        body_file = workdir / f"{name}.body"
        body_file.write_bytes(request.body)
        env["BENCH_BODY_FILE"] = str(body_file)
    return env


PY_SPY = Path(sys.executable).with_name("py-spy")


async def py_spy(pid: int, seconds: int, out: Path) -> asyncio.subprocess.Process:
    """py-spy on ``pid`` and its children (the Sanic workers) for ``seconds``, raw stacks."""
    return await asyncio.create_subprocess_exec(
        str(PY_SPY),
        "record",
        "--pid",
        str(pid),
        "--subprocesses",
        "--nonblocking",
        "--rate",
        "200",
        "--format",
        "raw",
        "--duration",
        str(seconds),
        "--output",
        str(out),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def measure(
    name: str,
    url: str,
    request: Request,
    params: WrkParams,
    warmup_s: int,
    workdir: Path,
    profile: tuple[int, Path] | None = None,
    server_pid: int | None = None,
) -> Outcome:
    env = request_env(request, workdir, name)
    outcome = Outcome(name)
    if request.starts_at is not None:
        await asyncio.sleep(max(0.0, request.starts_at - RELEASE_HEAD_START_S - time.time()))
    elif warmup_s:
        warm, _ = await run_wrk(url, params, env=env, script=request.script, duration_s=warmup_s)
        refused = request.refusals_expected
        outcome.problems += [f"warm-up: {p}" for p in warm.problems(refusals_expected=refused)]
    spy = None
    if profile is not None:
        pid, out = profile
        target = out.with_name(f"{out.name}-{name}.pyspy")
        spy = await py_spy(pid, max(1, params.duration_s - 1), target)
    cpu_before = processes.tree_cpu_seconds(server_pid) if server_pid else 0.0
    outcome.result, outcome.raw = await run_wrk(url, params, env=env, script=request.script)
    if server_pid and outcome.result is not None and outcome.result.requests:
        cpu = processes.tree_cpu_seconds(server_pid) - cpu_before
        outcome.cpu_us_per_request = cpu * 1e6 / outcome.result.requests
    if spy is not None:
        await spy.wait()
    outcome.problems += outcome.result.problems(refusals_expected=request.refusals_expected)
    return outcome


async def measure_bare(
    port: int, args: argparse.Namespace, params: WrkParams, workdir: Path, log: Path
) -> Outcome:
    with processes.bare_server(port, args.workers, log) as (url, pid):
        try:
            return await measure(
                "bare", url, Request("/"), params, args.warmup, workdir, server_pid=pid
            )
        except WrkOutputError as exc:
            return Outcome("bare", problems=[str(exc)])


async def probe(ctx: BenchContext, request: Request) -> list[str]:
    """One request of the exact shape first: a wrong shape fails here, not as a fast 404."""
    answer = await ctx.client.request(
        request.method, ctx.api + request.path, headers=dict(request.headers), content=request.body
    )
    if answer.status_code != request.expect_status:
        return [
            f"probe answered HTTP {answer.status_code} (expected {request.expect_status}): "
            f"{answer.text[:200]}"
        ]
    return []


async def run_scenario(
    ctx: BenchContext,
    scenario: Scenario,
    params: WrkParams,
    warmup_s: int,
    profile: tuple[int, Path] | None = None,
    server_pid: int | None = None,
) -> Outcome:
    try:
        request = await scenario.setup(ctx)
        problems = await probe(ctx, request)
        if problems:
            return Outcome(scenario.name, problems=problems)
        url = ctx.api + request.path
        outcome = await measure(
            scenario.name, url, request, params, warmup_s, ctx.workdir, profile, server_pid
        )
        if scenario.check is not None and outcome.result is not None:
            outcome.problems += await scenario.check(ctx, request, outcome.result)
        return outcome
    except (SetupFailed, httpx.HTTPError, WrkOutputError) as exc:
        return Outcome(scenario.name, problems=[f"{type(exc).__name__}: {exc}"])


def server_env(database_url: str, redis_url: str, var_dir: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PII_KEY": _key(),
        "PII_HASH_KEY": _key(),
        "RECEIPT_SIGNING_KEY": f"bench1:{_key()}",
        **national_secrets(receipt_key_id="bench2"),
        "RECEIPT_VERIFICATIONS_PER_MINUTE": "100000000",
        "VIOLATION_LOOKUPS_PER_MINUTE_CITIZEN": "100000000",
        "VIOLATION_LOOKUPS_PER_MINUTE_CLIENT": "100000000",
        # The rush's 20 residents stand in for thousands: lift the per-citizen budgets.
        "ABUSE_BOOKING_ATTEMPTS_PER_MINUTE_CITIZEN": "100000000",
        "ABUSE_SLOT_POLLS_PER_MINUTE_CITIZEN": "100000000",
        "LOGIN_RATE_PER_MINUTE": "100000",
        "YIWANG_SANDBOX": "1",
        "YIWANG_EMBEDDED_WORKER": "1",
        "YIWANG_VAR_DIR": str(var_dir),
        "YIWANG_LOG_FORMAT": "json",
        "YIWANG_WORKER_START_SECONDS": str(processes.START_TIMEOUT_S),
    }


async def run_scenarios(
    chosen: list[Scenario],
    args: argparse.Namespace,
    params: WrkParams,
    workdir: Path,
    log: Path,
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    async with fresh_database() as database_url, claimed_redis_db() as redis_url:
        env = server_env(database_url, redis_url, workdir / "var")
        env.update(item.split("=", 1) for item in args.server_env)
        port, sandbox_port = processes.free_port(), processes.free_port()
        with processes.yiwang_server(
            port=port, sandbox_port=sandbox_port, workers=args.workers, env=env, log=log
        ) as running:
            async with httpx.AsyncClient(timeout=30) as client:
                ctx = BenchContext(
                    api=f"http://127.0.0.1:{port}",
                    sandbox=f"http://127.0.0.1:{sandbox_port}",
                    env=env,
                    client=client,
                    workdir=workdir,
                )
                for scenario in chosen:
                    print(f"… {scenario.name}: {scenario.summary}", file=sys.stderr, flush=True)
                    profile = (running.process.pid, log.with_suffix("")) if args.profile else None
                    outcome = await run_scenario(
                        ctx, scenario, params, args.warmup, profile, running.process.pid
                    )
                    if running.process.poll() is not None:
                        outcome.problems.append(
                            f"the server exited ({running.process.returncode}); see {log}"
                        )
                    outcomes.append(outcome)
    return outcomes


async def main(argv: list[str] | None = None) -> int:
    scenarios = registry()
    args = _parser(list(scenarios)).parse_args(argv)
    chosen = [scenarios[name] for name in (args.scenario or list(scenarios))]
    params = WrkParams(args.threads, args.connections, args.duration, args.timeout)
    if args.profile and not PY_SPY.exists():
        print(f"bench: --profile needs py-spy ({PY_SPY}): pip install py-spy", file=sys.stderr)
        return 2
    try:
        wrk_binary()
        await check_reachable()
    except (WrkMissing, ServiceUnavailable) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2

    now = datetime.now(UTC)
    stamp = now.strftime("%Y%m%dT%H%M%SZ") + f"-w{args.workers}"
    server_log = RESULTS_DIR / f"{stamp}-server.log"
    session = Session(
        workers=args.workers,
        params=params,
        warmup_s=args.warmup,
        started_at=now.isoformat(timespec="seconds"),
        bare_before=Outcome("bare"),
        services=await service_versions(),
        wrk_version=wrk_version(),
        server_log=str(server_log.relative_to(RESULTS_DIR.parent.parent)),
    )
    with tempfile.TemporaryDirectory(prefix="yiwang-bench-") as tmp:
        workdir = Path(tmp)
        bare_log = RESULTS_DIR / f"{stamp}-bare.log"
        print("… bare ceiling (before)", file=sys.stderr, flush=True)
        session.bare_before = await measure_bare(
            processes.free_port(), args, params, workdir, bare_log
        )
        session.scenarios = await run_scenarios(chosen, args, params, workdir, server_log)
        print("… bare ceiling (after)", file=sys.stderr, flush=True)
        session.bare_after = await measure_bare(
            processes.free_port(), args, params, workdir, bare_log.with_suffix(".after.log")
        )
    session.apply_ratios()
    print(render_table(session))
    path = write_results(session, RESULTS_DIR / f"{stamp}.json")
    print(f"results: {path}")
    failed = not session.bare_before.ok or any(not o.ok for o in session.scenarios)
    return 1 if failed else 0


def entry(argv: list[str] | None = None) -> int:
    return asyncio.run(main(argv))

"""Does the background work keep up? Paid orders at a steady rate, receipts and events behind.

``.venv/bin/python bench/background.py [--rate 50] [--duration 60] [--worker-processes 2]``

The production shape on this machine: ``yiwang serve --workers 2`` (HTTP only, the sandbox
beside it) and ``yiwang worker --processes N``. Setup prepares rate × duration orders that
are PAYING on Alipay (a fees agency, its notices, one resident). The measured phase then
pays them at the sandbox at the given rate; the sandbox notifies our server as Alipay
would, and each order settles into three outbox events: ``order.paid``, ``receipt.issue``
and the agency's webhook. Every second the oldest due event's age (the outbox lag) is
sampled.

Reported: the time from PAID (the settling transaction) to the receipt number (p50, p95,
p99, max), the outbox lag over the run and whether it grew, and the events per second the
workers delivered (and per worker process). Goal (docs/performance.md): at 50 paid
orders/s for 60 s, p99 PAID → receipt_no under 5 s and no growing lag.

Exit status: 0 goal met, 1 goal missed or orders lost, 2 environment not ready.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import httpx

from app.agency.signing import signature
from bench import processes
from bench.harness import server_env
from bench.report import RESULTS_DIR
from bench.services import ServiceUnavailable, check_reachable, claimed_redis_db, fresh_database

ID_NUMBER = "330106199003071236"
P99_GOAL_SECONDS = 5.0
PEAK_WINDOW_SECONDS = 10.0


def _expect(response: httpx.Response, status: int, step: str) -> dict:  # type: ignore[type-arg]
    if response.status_code != status:
        raise RuntimeError(f"{step}: HTTP {response.status_code} {response.text[:300]}")
    return response.json()  # type: ignore[no-any-return]


async def _resident(client: httpx.AsyncClient, api: str, sandbox: str) -> str:
    person = _expect(
        await client.post(
            f"{sandbox}/sandbox/users",
            json={"name": "张三", "id_number": ID_NUMBER, "phone": "13800138000"},
        ),
        201,
        "sandbox person",
    )
    user = person["alipay"]["user_id"]
    code = _expect(
        await client.post(f"{sandbox}/sandbox/alipay/login-codes", json={"user": user}),
        201,
        "login code",
    )["code"]
    return str(
        _expect(
            await client.post(f"{api}/api/v1/sessions", json={"channel": "alipay", "code": code}),
            201,
            "sign in",
        )["token"]
    )


def _agency(env: dict[str, str], sandbox: str) -> dict[str, str]:
    out = subprocess.run(
        [sys.executable, "-m", "app", "agency", "create", "--name", "压测考试院", "--kind",
         "fees", "--region", "330000", "--webhook-url",
         f"{sandbox}/sandbox/agency-webhooks/background"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


async def _signed(client: httpx.AsyncClient, api: str, creds: dict[str, str], path: str,
                  payload: dict) -> dict:  # type: ignore[type-arg]
    body = json.dumps(payload, ensure_ascii=False).encode()
    ts = str(int(time.time()))
    headers = {
        "X-Agency-Key": creds["key"],
        "X-Timestamp": ts,
        "X-Signature": signature(creds["secret"], "POST", path, ts, body),
        "Content-Type": "application/json",
    }
    return _expect(await client.post(api + path, content=body, headers=headers), 201, path)


async def prepare(client: httpx.AsyncClient, api: str, sandbox: str, env: dict[str, str],
                  count: int) -> list[tuple[str, str]]:
    """``count`` orders PAYING on Alipay: their Alipay trade numbers and order numbers."""
    token = await _resident(client, api, sandbox)
    creds = await asyncio.to_thread(_agency, env, sandbox)
    await _signed(client, api, creds, "/api/v1/agency/fee-items",
                  {"item_code": "103001", "name": "考试费", "kind_code": "103",
                   "standard_fen": 12000})
    auth = {"Authorization": f"Bearer {token}"}
    due = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    gate = asyncio.Semaphore(16)

    async def one(n: int) -> tuple[str, str]:
        async with gate:
            notice = await _signed(client, api, creds, "/api/v1/agency/notices", {
                "payer": {"name": "张三", "id_number": ID_NUMBER},
                "due_date": due,
                "notice_no": f"BG-{n}",
                "items": [{"item_code": "103001", "name": "考试费", "quantity": 1,
                           "standard_fen": 12000, "amount_fen": 12000}],
            })
            order = _expect(await client.post(
                f"{api}/api/v1/orders", headers=auth,
                json={"payable": {"type": "notice", "payment_code": notice["payment_code"]}},
            ), 201, "order")
            started = _expect(await client.post(
                f"{api}/api/v1/orders/{order['id']}/payments", headers=auth,
                json={"channel": "alipay"},
            ), 200, "start payment")
            return str(started["channel_params"]["trade_no"]), str(order["id"])

    return list(await asyncio.gather(*(one(n) for n in range(count))))


async def _lag(conn: asyncpg.Connection) -> tuple[float, int]:
    row = await conn.fetchrow(
        "SELECT extract(epoch FROM now() - min(next_attempt_at)) AS lag, count(*) AS due"
        " FROM outbox_event WHERE status = 'pending' AND next_attempt_at <= now()"
    )
    return float(row["lag"] or 0.0), int(row["due"])


async def pay_and_watch(client: httpx.AsyncClient, sandbox: str, database_url: str,
                        trades: list[tuple[str, str]], rate: float
                        ) -> list[tuple[float, float, int]]:
    """Pay every trade at ``rate`` per second; sample (seconds in, lag, due events) each s."""
    samples: list[tuple[float, float, int]] = []
    start = time.monotonic()
    paying = set()
    conn = await asyncpg.connect(database_url)
    sampler = await asyncpg.connect(database_url)

    async def pay(trade_no: str) -> None:
        _expect(await client.post(f"{sandbox}/sandbox/alipay/payments",
                                  json={"trade_no": trade_no}), 200, "pay")

    async def watch() -> None:
        while True:
            lag, due = await _lag(sampler)
            samples.append((time.monotonic() - start, lag, due))
            await asyncio.sleep(1.0)

    watcher = asyncio.create_task(watch())
    try:
        for n, (trade_no, _) in enumerate(trades):
            task = asyncio.create_task(pay(trade_no))
            paying.add(task)
            task.add_done_callback(paying.discard)
            await asyncio.sleep(max(0.0, start + (n + 1) / rate - time.monotonic()))
        await asyncio.gather(*paying)
        # Drain: until nothing is due and every receipt is out (or two minutes pass).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            receipts = await conn.fetchval("SELECT count(*) FROM receipt")
            _, due = await _lag(conn)
            if receipts >= len(trades) and due == 0:
                break
            await asyncio.sleep(0.5)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        await conn.close()
        await sampler.close()
    return samples


async def figures(database_url: str, orders: int) -> dict[str, object]:
    conn = await asyncpg.connect(database_url)
    try:
        latencies = [
            float(r["s"])
            for r in await conn.fetch(
                "SELECT extract(epoch FROM r.issued_at - e.created_at) AS s"
                " FROM outbox_event e JOIN receipt r"
                " ON r.order_id = (e.payload->>'order_id')::bigint AND r.kind = 'normal'"
                " WHERE e.kind = 'order.paid'"
            )
        ]
        window = await conn.fetchrow(
            "SELECT min(created_at) AS first, max(delivered_at) AS last, count(*) AS n"
            " FROM outbox_event WHERE status = 'delivered'"
        )
        delivered_at = sorted(
            r["delivered_at"].timestamp()
            for r in await conn.fetch(
                "SELECT delivered_at FROM outbox_event WHERE status = 'delivered'"
            )
        )
        paid = await conn.fetchval("SELECT count(*) FROM payment_order WHERE status = 'PAID'")
        pending = await conn.fetchval(
            "SELECT count(*) FROM outbox_event WHERE status <> 'delivered'"
        )
    finally:
        await conn.close()
    latencies.sort()
    span = (window["last"] - window["first"]).total_seconds() if window["n"] else 0.0

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0.0

    # The busiest 10 s of delivery: what the workers sustain when there is work waiting.
    busiest, first = 0, 0
    for last, at in enumerate(delivered_at):
        while at - delivered_at[first] > PEAK_WINDOW_SECONDS:
            first += 1
        busiest = max(busiest, last - first + 1)
    return {
        "orders": orders,
        "peak_events_per_s": round(busiest / PEAK_WINDOW_SECONDS, 1),
        "paid": paid,
        "receipts": len(latencies),
        "events_delivered": int(window["n"]),
        "events_not_delivered": int(pending),
        "delivery_span_s": round(span, 1),
        "events_per_s": round(window["n"] / span, 1) if span else 0.0,
        "paid_to_receipt_s": {
            "p50": round(statistics.median(latencies), 3) if latencies else None,
            "p95": round(pct(0.95), 3),
            "p99": round(pct(0.99), 3),
            "max": round(latencies[-1], 3) if latencies else None,
        },
    }


async def unpaid_notifications(database_url: str, sandbox: str,
                               trades: list[tuple[str, str]]) -> list[object]:
    """What the sandbox's notifier did for a few orders that are not PAID (a lost order)."""
    conn = await asyncpg.connect(database_url)
    try:
        unpaid = await conn.fetch(
            "SELECT order_no FROM payment_order WHERE status <> 'PAID' AND order_no = ANY($1)",
            [order_no for _, order_no in trades],
        )
    finally:
        await conn.close()
    seen = []
    async with httpx.AsyncClient(timeout=10) as client:
        for row in unpaid[:3]:
            answer = await client.get(f"{sandbox}/sandbox/alipay/notifications",
                                      params={"out_trade_no": row["order_no"]})
            seen.append({"order_no": row["order_no"], "sandbox": answer.json()})
    return seen


def lag_summary(samples: list[tuple[float, float, int]], duration: float) -> dict[str, object]:
    during = [s for s in samples if s[0] <= duration]
    third = max(1, len(during) // 3)
    first, last = during[:third], during[-third:]
    mean = lambda xs: round(statistics.fmean(x[1] for x in xs), 2) if xs else 0.0  # noqa: E731
    return {
        "max_lag_s": round(max((s[1] for s in during), default=0.0), 2),
        "mean_lag_first_third_s": mean(first),
        "mean_lag_last_third_s": mean(last),
        "max_due_events": max((s[2] for s in during), default=0),
        "growing": mean(last) > max(1.0, 2 * mean(first)),
    }


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/background.py", description=__doc__)
    parser.add_argument("--rate", type=float, default=50.0, help="paid orders per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of paying")
    parser.add_argument("--http-workers", type=int, default=2)
    parser.add_argument("--worker-processes", type=int, default=2)
    args = parser.parse_args(argv)
    try:
        await check_reachable()
    except ServiceUnavailable as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    count = int(args.rate * args.duration)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    with tempfile.TemporaryDirectory(prefix="yiwang-bg-") as tmp:
        async with fresh_database() as database_url, claimed_redis_db() as redis_url:
            env = {**server_env(database_url, redis_url, Path(tmp) / "var"),
                   "YIWANG_EMBEDDED_WORKER": "0"}
            port, sandbox_port = processes.free_port(), processes.free_port()
            env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
            env["YIWANG_SANDBOX_PORT"] = str(sandbox_port)
            api, sandbox = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sandbox_port}"
            log = RESULTS_DIR / f"{stamp}-background-server.log"
            with processes.yiwang_server(port=port, sandbox_port=sandbox_port,
                                         workers=args.http_workers, env=env, log=log), \
                    processes.started(
                        [sys.executable, "-m", "app", "worker", "--processes",
                         str(args.worker_processes)],
                        env={**os.environ, **env},
                        log=RESULTS_DIR / f"{stamp}-background-worker.log"):
                async with httpx.AsyncClient(timeout=30) as client:
                    print(f"… preparing {count} PAYING orders", file=sys.stderr, flush=True)
                    trades = await prepare(client, api, sandbox, env, count)
                    print(f"… paying {args.rate:.0f}/s for {args.duration:.0f} s",
                          file=sys.stderr, flush=True)
                    samples = await pay_and_watch(client, sandbox, database_url, trades,
                                                  args.rate)
                result = await figures(database_url, count)
                result["unpaid_notifications"] = await unpaid_notifications(
                    database_url, sandbox, trades
                )
    result["lag"] = lag_summary(samples, args.duration)
    result["rate"] = args.rate
    result["duration_s"] = args.duration
    result["worker_processes"] = args.worker_processes
    result["peak_events_per_s_per_worker_process"] = round(
        float(result["peak_events_per_s"]) / args.worker_processes, 1  # type: ignore[arg-type]
    )
    p99 = result["paid_to_receipt_s"]["p99"]  # type: ignore[index]
    lost = result["paid"] != count or result["receipts"] != count
    growing = bool(result["lag"]["growing"])  # type: ignore[index]
    ok = not lost and p99 is not None and p99 < P99_GOAL_SECONDS and not growing
    result["goal_met"] = ok
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"{stamp}-background.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"results: {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

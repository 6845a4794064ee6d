"""The production shape under trouble: nginx, two instances, one sandbox, two workers.

One stack (tests/ops/stack.py) on a database and a Redis db of its own, and four journeys
through it, in order:

1. a booking rush spread over both instances, one instance SIGKILLed in the middle:
   nothing oversold, nobody twice, no drift between Redis and PostgreSQL;
2. notices paid with three parallel copies of each notification, landing on both
   instances: each order PAID once, one receipt, one agency webhook;
3. a worker SIGKILLed while it delivers a webhook: the other finishes, nothing is lost
   and nothing is delivered under two ids;
4. a rolling restart (SIGTERM, drain, start) of both instances during a rush and a
   notification storm: no acknowledged booking or payment is lost.

Then a restore drill: the database is dumped (pg_dump) and restored into a new one, which
passes ``yiwang appointments drift`` and the day's reconciliation. The figures are written
to tests/artifacts/production-shape.json.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis

from app.identity.id_numbers import with_check_digit
from app.runtime.demo import DEMO_AGENCIES
from infra import clock
from infra.clock import SHANGHAI
from tests.conftest import ARTIFACTS, claimed_redis_db, fresh_database
from tests.journeys import agency_post, bearer, eventually
from tests.ops.scrape import sample
from tests.ops.stack import Stack, running_stack
from tests.receivers import Receiver, receiver

pytestmark = pytest.mark.timeout(300)

EXAM_FEE = {"item_code": "103001", "name": "普通高考报名考试费", "kind_code": "103",
            "standard_fen": 12000}


@dataclass
class Shape:
    stack: Stack
    sql: asyncpg.Connection
    database_url: str
    figures: dict[str, Any] = field(default_factory=dict)
    people: int = 0
    agencies: int = 0
    hospital: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
async def shape(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Shape]:
    root = tmp_path_factory.mktemp("stack")
    async with fresh_database() as database_url:
        with claimed_redis_db() as redis_url:
            flush = aioredis.from_url(redis_url)
            await flush.flushdb()
            await flush.aclose()
            extra = {"LOGIN_RATE_PER_MINUTE": "100000"}
            with running_stack(
                root, database_url=database_url, redis_url=redis_url, extra_env=extra,
                keep_logs=ARTIFACTS / "production-shape",
            ) as stack:
                sql = await asyncpg.connect(database_url)
                built = Shape(stack, sql, database_url)
                try:
                    yield built
                finally:
                    await sql.close()
                    ARTIFACTS.mkdir(exist_ok=True)
                    (ARTIFACTS / "production-shape.json").write_text(
                        json.dumps(built.figures, indent=2, ensure_ascii=False)
                    )
                    print("\nproduction shape:", json.dumps(built.figures, ensure_ascii=False))


# ---------------------------------------------------------------------------- helpers


async def resident(shape: Shape, front: httpx.AsyncClient, channel: str) -> tuple[str, str, str]:
    """A new person known to the sandbox, signed in on ``channel``: (token, name, id number)."""
    shape.people += 1
    id_number = with_check_digit(f"33010619900307{shape.people:03d}")
    name = f"张{shape.people:03d}"
    async with httpx.AsyncClient(base_url=shape.stack.sandbox, timeout=20) as sandbox:
        who = (
            await sandbox.post("/sandbox/users", json={"name": name, "id_number": id_number})
        ).json()
        user = {"app": who["app"]["user_id"], "alipay": who["alipay"]["user_id"]}[channel]
        code = (
            await sandbox.post(f"/sandbox/{channel}/login-codes", json={"user": user})
        ).json()["code"]
    signed = await front.post("/api/v1/sessions", json={"channel": channel, "code": code})
    assert signed.status_code == 201, signed.text
    return signed.json()["token"], name, id_number


async def residents(shape: Shape, front: httpx.AsyncClient, n: int, channel: str) -> list:
    found = []
    for _ in range(n):
        found.append(await resident(shape, front, channel))
    return found


def create_agency(shape: Shape, kind: str, name: str, webhook: str | None = None) -> dict:
    args = ["agency", "create", "--name", name, "--kind", kind, "--region", "330100"]
    if webhook:
        args += ["--webhook-url", webhook]
    done = shape.stack.yiwang(*args, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


async def publish_day(
    shape: Shape, front: httpx.AsyncClient, day: date, *, doctors: int, slots: int, capacity: int
) -> list[int]:
    if not shape.hospital:
        shape.hospital = create_agency(shape, "health", "杭州市第二人民医院")
        institution = {
            "ref": "HZ1H",
            "name": "杭州市第二人民医院",
            "kind": "clinic",
            "region_code": "330100",
            "departments": [
                {"code": f"K{d}", "name": f"科室{d}",
                 "resources": [{"code": f"D{d}", "name": f"医生{d}", "title": "主任医师"}]}
                for d in range(4)
            ],
        }
        made = await agency_post(front, shape.hospital, "/api/v1/agency/institutions", institution)
        assert made.status_code == 201, made.text
        shape.hospital["institution"] = str(made.json()["id"])
    first = datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI) + timedelta(hours=8)
    schedules = [
        {
            "department_code": f"K{d}",
            "resource_code": f"D{d}",
            "date": day.isoformat(),
            "session": "morning",
            "slots": [
                {
                    "starts_at": (first + timedelta(minutes=15 * i)).isoformat(),
                    "ends_at": (first + timedelta(minutes=15 * (i + 1))).isoformat(),
                    "capacity": capacity,
                }
                for i in range(slots)
            ],
        }
        for d in range(doctors)
    ]
    path = f"/api/v1/agency/institutions/{shape.hospital['institution']}/schedules"
    published = await agency_post(front, shape.hospital, path, {"schedules": schedules})
    assert published.status_code == 201, published.text
    return list(published.json()["slot_ids"])


@dataclass
class RushResult:
    statuses: Counter = field(default_factory=Counter)
    booked: list[int] = field(default_factory=list)
    attempts: int = 0


async def rush(
    front: str,
    tokens: list[str],
    slot_ids: list[int],
    *,
    attempts: int,
    concurrency: int,
    seed: int,
    keep_going: Callable[[], bool] = lambda: False,
    on_attempt: Callable[[int], Awaitable[None]] | None = None,
    into: RushResult | None = None,
) -> RushResult:
    """``attempts`` bookings (more while ``keep_going()``), each a fresh connection through
    the front door, as residents' phones make them."""
    rng = random.Random(seed)
    result = into if into is not None else RushResult()

    async def one(client: httpx.AsyncClient) -> None:
        while result.attempts < attempts or keep_going():
            result.attempts += 1
            n = result.attempts
            token, slot_id = rng.choice(tokens), rng.choice(slot_ids)
            try:
                answer = await client.post(
                    "/api/v1/appointments", json={"slot_id": slot_id}, headers=bearer(token)
                )
            except httpx.HTTPError as exc:
                result.statuses[type(exc).__name__] += 1
                continue
            if answer.status_code == 201:
                result.booked.append(answer.json()["id"])
                result.statuses["201"] += 1
            elif answer.status_code >= 500:
                result.statuses[str(answer.status_code)] += 1
            else:
                result.statuses[answer.json().get("code", str(answer.status_code))] += 1
            if on_attempt is not None:
                await on_attempt(n)

    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=front, timeout=30, limits=limits) as client:
        await asyncio.gather(*(one(client) for _ in range(concurrency)))
    return result


async def assert_no_oversell_nor_double_booking(shape: Shape, slot_ids: list[int]) -> dict:
    rows = await shape.sql.fetch(
        """SELECT s.id, s.capacity, s.remaining,
                  count(b.id) FILTER (WHERE b.active_slot_id IS NOT NULL) AS active
             FROM appt_slot s LEFT JOIN appt_booking b ON b.slot_id = s.id
            WHERE s.id = ANY($1::int[]) GROUP BY s.id""",
        slot_ids,
    )
    assert len(rows) == len(slot_ids)
    for row in rows:
        assert row["active"] <= row["capacity"], dict(row)
        assert row["remaining"] == row["capacity"] - row["active"], dict(row)
    twice = await shape.sql.fetchval(
        """SELECT count(*) FROM (SELECT citizen_id, department_id, session, date
             FROM appt_booking
            WHERE active_slot_id IS NOT NULL AND slot_id = ANY($1::int[])
            GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) AS doubled""",
        slot_ids,
    )
    assert twice == 0
    return {
        "places": sum(r["capacity"] for r in rows),
        "booked": sum(r["active"] for r in rows),
    }


async def assert_acknowledged_bookings_kept(shape: Shape, booked: list[int]) -> None:
    kept = await shape.sql.fetchval(
        "SELECT count(*) FROM appt_booking WHERE id = ANY($1::int[]) "
        "AND active_slot_id IS NOT NULL",
        booked,
    )
    assert kept == len(booked) == len(set(booked))


def assert_no_drift(shape: Shape) -> dict:
    done = shape.stack.yiwang("appointments", "drift")
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


async def scrape_instance(shape: Shape, name: str) -> str:
    async with httpx.AsyncClient(base_url=shape.stack.instance(name), timeout=10) as client:
        answer = await client.get("/metrics")
    assert answer.status_code == 200, answer.text
    return answer.text


def notifications_on(text: str) -> float:
    return sum(
        sample(text, "yiwang_payment_notifications_total", channel="alipay", kind="payment",
               outcome=outcome)
        for outcome in ("paid", "duplicate")
    )


async def fees_agency(shape: Shape, front: httpx.AsyncClient, hooks: Receiver) -> dict:
    shape.agencies += 1
    creds = create_agency(shape, "fees", f"浙江省教育考试院{shape.agencies}", webhook=hooks.url)
    made = await agency_post(front, creds, "/api/v1/agency/fee-items", EXAM_FEE)
    assert made.status_code == 201, made.text
    return creds


async def notice_order(
    front: httpx.AsyncClient, creds: dict, payer: tuple[str, str, str]
) -> dict[str, str]:
    """A notice for ``payer``, their order, and the Alipay trade the resident will pay."""
    token, name, id_number = payer
    notice = {
        "payer": {"name": name, "id_number": id_number},
        "items": [{"item_code": "103001", "name": "普通高考报名考试费", "quantity": 1,
                   "standard_fen": 12000, "amount_fen": 12000}],
        "due_date": (clock.shanghai_date() + timedelta(days=7)).isoformat(),
    }
    issued = await agency_post(front, creds, "/api/v1/agency/notices", notice)
    assert issued.status_code == 201, issued.text
    code = issued.json()["payment_code"]
    order = await front.post(
        "/api/v1/orders", json={"payable": {"type": "notice", "payment_code": code}},
        headers=bearer(token),
    )
    assert order.status_code == 201, order.text
    started = await front.post(
        f"/api/v1/orders/{order.json()['id']}/payments", json={"channel": "alipay"},
        headers=bearer(token),
    )
    assert started.status_code == 200, started.text
    trade_no = started.json()["channel_params"]["trade_no"]
    return {"order_no": order.json()["id"], "trade_no": trade_no, "payment_code": code}


async def pay(shape: Shape, trade_no: str, copies: int) -> None:
    async with httpx.AsyncClient(base_url=shape.stack.sandbox, timeout=20) as sandbox:
        paid = await sandbox.post(
            "/sandbox/alipay/payments", json={"trade_no": trade_no, "copies": copies}
        )
    assert paid.status_code in (200, 201), paid.text


async def settled_once(shape: Shape, orders: list[dict[str, str]]) -> dict[str, int]:
    """Every order PAID, with one receipt, one order.paid and one agency webhook event."""
    order_nos = [o["order_no"] for o in orders]

    async def webhooks() -> int:
        return int(
            await shape.sql.fetchval(
                """SELECT count(*) FROM outbox_event WHERE kind = 'agency.webhook'
                    AND payload->'data'->>'payment_code' = ANY($1::text[])""",
                [o["payment_code"] for o in orders],
            )
        )

    async def progress() -> dict[str, object]:
        # order.paid's handler emits the agency webhook, so all three kinds must be through
        # (for these orders: an earlier journey's agency may be gone, its webhook retrying).
        undelivered = await shape.sql.fetch(
            """SELECT kind, status, attempts, last_error FROM outbox_event
                WHERE status <> 'delivered'
                  AND ((kind IN ('order.paid', 'receipt.issue') AND (payload->>'order_id')::bigint
                        IN (SELECT id FROM payment_order WHERE order_no = ANY($1::text[])))
                    OR (kind = 'agency.webhook'
                        AND payload->'data'->>'payment_code' = ANY($2::text[])))""",
            order_nos,
            [o["payment_code"] for o in orders],
        )
        receipts = await shape.sql.fetchval(
            "SELECT count(*) FROM receipt r JOIN payment_order o ON o.id = r.order_id "
            "WHERE o.order_no = ANY($1::text[])",
            order_nos,
        )
        paid = await shape.sql.fetchval(
            "SELECT count(*) FROM payment_order WHERE status = 'PAID' "
            "AND order_no = ANY($1::text[])",
            order_nos,
        )
        return {"paid": paid, "receipts": receipts, "webhooks": await webhooks(),
                "undelivered": [dict(r) for r in undelivered]}

    async def all_done() -> bool:
        now = await progress()
        return not now["undelivered"] and now["receipts"] == now["webhooks"] == len(orders)

    try:
        await eventually(all_done, timeout=60, every=0.3)
    except AssertionError as exc:
        raise AssertionError(f"not settled in 60 s: {await progress()}") from exc
    rows = await shape.sql.fetch(
        """SELECT o.order_no, o.status,
                  (SELECT count(*) FROM receipt r WHERE r.order_id = o.id) AS receipts,
                  (SELECT count(*) FROM outbox_event e WHERE e.kind = 'order.paid'
                      AND (e.payload->>'order_id')::int = o.id) AS paid_events
             FROM payment_order o WHERE o.order_no = ANY($1::text[])""",
        order_nos,
    )
    assert len(rows) == len(orders)
    for row in rows:
        assert (row["status"], row["receipts"], row["paid_events"]) == ("PAID", 1, 1), dict(row)
    assert await webhooks() == len(orders)
    return {"orders": len(rows), "receipts": sum(r["receipts"] for r in rows)}


def delivery_ids(hooks: Receiver) -> Counter:
    return Counter(r.headers["x-yiwang-delivery"] for r in hooks.received)


# ---------------------------------------------------------------------------- journeys


async def test_a_rush_over_both_instances_survives_one_killed_midway(shape: Shape) -> None:
    stack = shape.stack
    async with httpx.AsyncClient(base_url=stack.front, timeout=30) as front:
        slot_ids = await publish_day(
            shape, front, clock.shanghai_date() + timedelta(days=2), doctors=4, slots=4, capacity=2
        )
        people = await residents(shape, front, 60, "app")
    tokens = [p[0] for p in people]
    killed_after: list[int] = []

    async def kill_midway(_: int) -> None:
        # While places are still being taken, so requests die between gate and commit.
        if len(result.booked) >= 8 and not killed_after:
            killed_after.append(len(result.booked))
            stack.signal("instance-b", signal.SIGKILL)

    result = RushResult()
    result = await rush(stack.front, tokens, slot_ids, attempts=300, concurrency=16, seed=1,
                        on_attempt=kill_midway, into=result)
    assert killed_after and stack.wait_exit("instance-b", timeout=10) == -signal.SIGKILL
    assert result.statuses["201"] > 0 and result.statuses["SLOT_FULL"] > 0
    totals = await assert_no_oversell_nor_double_booking(shape, slot_ids)
    await assert_acknowledged_bookings_kept(shape, result.booked)
    # Seats the killed instance took at the gate and never committed are given back by a
    # worker once it notices the instance's processes died.
    drift = await eventually(lambda: _drift_settled(shape), timeout=45, every=1.0)
    healed = sum(
        stack.processes[w].log.read_text(errors="replace").count("gate repaired")
        for w in ("worker-1", "worker-2")
    )
    stack.start("instance-b")
    shape.figures["rush_with_sigkill"] = {
        **totals,
        "attempts": result.attempts,
        "answers": dict(result.statuses),
        "instances_killed": 1,
        "killed_after_bookings": killed_after[0],
        "gate_repairs_logged": healed,
        "drift": drift,
    }


async def _drift_settled(shape: Shape) -> dict | None:
    done = await asyncio.to_thread(shape.stack.yiwang, "appointments", "drift")
    return json.loads(done.stdout) if done.returncode == 0 else None


async def test_three_copies_of_each_notification_across_instances_settle_once(
    shape: Shape,
) -> None:
    stack = shape.stack
    before = {name: await scrape_instance(shape, name) for name in stack.instance_ports}
    with receiver() as hooks:
        async with httpx.AsyncClient(base_url=stack.front, timeout=30) as front:
            creds = await fees_agency(shape, front, hooks)
            payers = await residents(shape, front, 6, "alipay")
            orders = [await notice_order(front, creds, payer) for payer in payers]
        await asyncio.gather(*(pay(shape, o["trade_no"], copies=3) for o in orders))
        settled = await settled_once(shape, orders)
        await eventually(lambda: _received(hooks, len(orders)), timeout=30)
        await asyncio.sleep(0.5)
        ids = delivery_ids(hooks)
        assert len(ids) == len(orders) and set(ids.values()) == {1}
    after = {name: await scrape_instance(shape, name) for name in stack.instance_ports}
    landed = {n: notifications_on(after[n]) - notifications_on(before[n]) for n in after}
    assert sum(landed.values()) == 3 * len(orders)
    assert all(count > 0 for count in landed.values()), landed
    stored = await shape.sql.fetchval("SELECT count(*) FROM payment_notification")
    assert stored == 3 * len(orders)
    shape.figures["triplicate_notifications"] = {
        **settled,
        "notifications_sent": 3 * len(orders),
        "landed_per_instance": landed,
        "agency_webhooks": len(ids),
    }


async def _received(hooks: Receiver, n: int) -> bool:
    return len(delivery_ids(hooks)) >= n


async def test_a_worker_killed_mid_delivery_leaves_the_other_to_finish(shape: Shape) -> None:
    stack = shape.stack
    # Only worker-1 takes jobs until it dies; the agency answers slowly, so it dies mid-call.
    stack.signal("worker-2", signal.SIGSTOP)
    try:
        with receiver(delay=2.0) as hooks:
            async with httpx.AsyncClient(base_url=stack.front, timeout=30) as front:
                creds = await fees_agency(shape, front, hooks)
                payers = await residents(shape, front, 3, "alipay")
                orders = [await notice_order(front, creds, payer) for payer in payers]
            await asyncio.gather(*(pay(shape, o["trade_no"], copies=1) for o in orders))
            await eventually(lambda: _arrived(hooks), timeout=30)
            stack.signal("worker-1", signal.SIGKILL)
            killed_while_waiting = hooks.arrived - len(hooks.received)
            stack.signal("worker-2", signal.SIGCONT)
            settled = await settled_once(shape, orders)
            await eventually(lambda: _received(hooks, len(orders)), timeout=30)
            ids = delivery_ids(hooks)
    finally:
        stack.signal("worker-2", signal.SIGCONT)
    assert killed_while_waiting >= 1
    assert stack.wait_exit("worker-1", timeout=10) == -signal.SIGKILL
    # Each notice's webhook has exactly one delivery id; the one cut off mid-call may
    # arrive again under the same id, which is what the agency drops repeats by.
    assert len(ids) == len(orders)
    dead = await shape.sql.fetchval("SELECT count(*) FROM outbox_event WHERE status = 'dead'")
    assert dead == 0
    stack.start("worker-1")
    shape.figures["worker_killed_mid_delivery"] = {
        **settled,
        "workers_killed": 1,
        "webhook_deliveries": sum(ids.values()),
        "distinct_delivery_ids": len(ids),
    }


async def _arrived(hooks: Receiver) -> bool:
    return hooks.arrived > len(hooks.received)


async def test_a_rolling_restart_during_a_rush_and_a_storm_loses_nothing_acknowledged(
    shape: Shape,
) -> None:
    stack = shape.stack
    async with httpx.AsyncClient(base_url=stack.front, timeout=30) as front:
        slot_ids = await publish_day(
            shape, front, clock.shanghai_date() + timedelta(days=3), doctors=4, slots=6, capacity=2
        )
        people = await residents(shape, front, 60, "app")
        with receiver() as hooks:
            creds = await fees_agency(shape, front, hooks)
            payers = await residents(shape, front, 16, "alipay")
            orders = [await notice_order(front, creds, payer) for payer in payers]
            restarted: list[str] = []
            drained: dict[str, dict] = {}

            async def roll() -> None:
                for name in ("instance-a", "instance-b"):
                    drained[name] = await restart(shape, name)
                    restarted.append(name)

            async def storm() -> None:
                for order in orders:
                    await pay(shape, order["trade_no"], copies=2)
                    await asyncio.sleep(0.15)

            rolling = asyncio.create_task(roll())
            result, _ = await asyncio.gather(
                rush(stack.front, [p[0] for p in people], slot_ids, attempts=200, concurrency=8,
                     seed=2, keep_going=lambda: not rolling.done()),
                storm(),
            )
            await rolling
            assert restarted == ["instance-a", "instance-b"]
            settled = await settled_once(shape, orders)
            await eventually(lambda: _received(hooks, len(orders)), timeout=30)
    totals = await assert_no_oversell_nor_double_booking(shape, slot_ids)
    await assert_acknowledged_bookings_kept(shape, result.booked)
    acknowledged = await acknowledged_trades(shape, orders)
    assert acknowledged == len(orders)
    assert_no_drift(shape)
    shape.figures["rolling_restart"] = {
        **totals,
        **settled,
        "attempts": result.attempts,
        "answers": dict(result.statuses),
        "instances_restarted": 2,
        "notifications_sent": 2 * len(orders),
        "drain": drained,
    }


async def restart(shape: Shape, name: str) -> dict:
    """SIGTERM, watch readiness fail while the instance still serves, wait, start again."""
    stack = shape.stack
    started = time.monotonic()
    stack.signal(name, signal.SIGTERM)
    seen: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=stack.instance(name), timeout=5) as direct:
        while "draining" not in seen and time.monotonic() - started < 5:
            ready = await direct.get("/readyz")
            if ready.status_code == 503 and ready.json()["checks"]["draining"]:
                seen["draining"] = round(time.monotonic() - started, 2)
                seen["healthz_while_draining"] = (await direct.get("/healthz")).status_code
            await asyncio.sleep(0.05)
    code = await asyncio.to_thread(stack.wait_exit, name, 60)
    seen["exit_code"] = code
    seen["stopped_after_s"] = round(time.monotonic() - started, 2)
    await asyncio.to_thread(stack.start, name)
    assert "draining" in seen and seen["healthz_while_draining"] == 200, seen
    assert code == 0, seen
    return seen


async def acknowledged_trades(shape: Shape, orders: list[dict[str, str]]) -> int:
    """Orders whose notification the instance acknowledged to the channel: each is PAID."""
    acked = 0
    async with httpx.AsyncClient(base_url=shape.stack.sandbox, timeout=20) as sandbox:
        for order in orders:
            deliveries = (
                await sandbox.get(
                    "/sandbox/alipay/notifications", params={"out_trade_no": order["order_no"]}
                )
            ).json()["deliveries"]
            if any(d["acknowledged"] for d in deliveries):
                status = await shape.sql.fetchval(
                    "SELECT status FROM payment_order WHERE order_no = $1", order["order_no"]
                )
                assert status == "PAID", order
                acked += 1
    return acked


async def test_demo_seed_loads_the_demo_data_set_into_the_stacks_database_once(
    shape: Shape,
) -> None:
    """For staging: the demo's agencies, catalog, notices and schedules, on PostgreSQL."""
    tables = ("agency", "catalog_item", "payment_notice", "appt_slot", "fee_item")

    async def counts() -> dict[str, int]:
        return {t: await shape.sql.fetchval(f"SELECT count(*) FROM {t}") for t in tables}

    before = await counts()
    first = shape.stack.yiwang("demo", "seed")
    assert first.returncode == 0, first.stdout + first.stderr
    seeded = await counts()
    assert all(seeded[t] > before[t] for t in tables), (before, seeded)
    demo_agencies = await shape.sql.fetchval(
        "SELECT count(DISTINCT name) FROM agency WHERE name = ANY($1::text[])",
        [name for name, _, _ in DEMO_AGENCIES],
    )
    assert demo_agencies == len(DEMO_AGENCIES)
    again = shape.stack.yiwang("demo", "seed")
    assert again.returncode == 0, again.stdout + again.stderr
    assert await counts() == seeded
    # Never a guessed database: without DATABASE_URL (and without --demo) it refuses.
    refused = shape.stack.yiwang("demo", "seed", unset=("DATABASE_URL",))
    assert refused.returncode != 0 and "DATABASE_URL" in refused.stderr
    shape.figures["demo_seed"] = {t: seeded[t] - before[t] for t in tables}


async def test_a_restored_dump_passes_drift_and_the_days_reconciliation(
    shape: Shape, tmp_path: Path
) -> None:
    dump = tmp_path / "yiwang.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", shape.database_url],
        check=True, capture_output=True,
    )
    async with fresh_database() as restored:
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored}", str(dump)],
            check=True, capture_output=True,
        )
        days = await shape.sql.fetch(
            "SELECT DISTINCT (paid_at AT TIME ZONE 'Asia/Shanghai')::date AS day "
            "FROM payment_order WHERE channel = 'alipay' AND paid_at IS NOT NULL"
        )
        original = shape.stack.env
        shape.stack.env = {**original, "DATABASE_URL": restored}
        reports = []
        try:
            drift = shape.stack.yiwang("appointments", "drift")
            assert drift.returncode == 0, drift.stdout + drift.stderr
            for row in days:
                reconciled = shape.stack.yiwang(
                    "reconcile", "--channel", "alipay", "--date", row["day"].isoformat()
                )
                assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
                reports.append(json.loads(reconciled.stdout))
        finally:
            shape.stack.env = original
        assert reports and all(report["discrepancies"] == [] for report in reports)
        paid_here = await shape.sql.fetchval(
            "SELECT count(*) FROM payment_order WHERE channel = 'alipay' AND status = 'PAID'"
        )
        assert sum(report["bill_lines"] for report in reports) == paid_here > 0
    shape.figures["restore_drill"] = {
        "dump_bytes": dump.stat().st_size,
        "bill_lines_reconciled": paid_here,
    }

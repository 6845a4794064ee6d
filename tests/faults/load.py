"""A steady stream of residents paying notices, what each request answered, and the
after-the-fault audit: every order the channel took money for is PAID once, with one
receipt and one agency webhook."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg
import httpx

from infra import clock
from tests.journeys import agency_post, bearer
from tests.receivers import Receiver


@dataclass(frozen=True)
class Answer:
    at: float  # time.monotonic() when the request was sent
    step: str
    ok: bool
    detail: str  # HTTP status or exception name


@dataclass(frozen=True)
class Paid:
    payment_code: str
    order_id: str


@dataclass
class Load:
    api: httpx.AsyncClient
    sandbox: httpx.AsyncClient
    creds: dict[str, str]
    token: str
    answers: list[Answer] = field(default_factory=list)
    paid: list[Paid] = field(default_factory=list)

    async def _call(self, step: str, request) -> httpx.Response | None:  # type: ignore[no-untyped-def]
        at = time.monotonic()
        try:
            response = await request
        except httpx.HTTPError as exc:
            self.answers.append(Answer(at, step, False, type(exc).__name__))
            return None
        ok = response.status_code < 300
        self.answers.append(Answer(at, step, ok, str(response.status_code)))
        if response.status_code == 500:  # refusals (503, a slow channel's 502) are fair
            raise AssertionError(f"{step} answered {response.status_code}: {response.text}")
        return response if ok else None

    async def one_payment(self, n: int) -> None:
        """A notice issued, ordered, paid on Alipay; any refused step ends the attempt."""
        due = (clock.shanghai_date() + timedelta(days=7)).isoformat()
        notice = await self._call(
            "notice",
            agency_post(
                self.api,
                self.creds,
                "/api/v1/agency/notices",
                {
                    "payer": {"name": "张三", "id_number": "330106199003071236"},
                    "items": [{"item_code": "103001", "name": "考试费", "quantity": 1,
                               "standard_fen": 12000, "amount_fen": 12000}],
                    "due_date": due,
                    "notice_no": f"FAULT-{n}",  # every request signed differently
                },
            ),
        )
        if notice is None:
            return
        code = notice.json()["payment_code"]
        auth = bearer(self.token)
        order = await self._call(
            "order",
            self.api.post(
                "/api/v1/orders",
                json={"payable": {"type": "notice", "payment_code": code}},
                headers=auth,
            ),
        )
        if order is None:
            return
        order_id = order.json()["id"]
        started = await self._call(
            "payment",
            self.api.post(
                f"/api/v1/orders/{order_id}/payments", json={"channel": "alipay"}, headers=auth
            ),
        )
        if started is None:
            return
        trade_no = started.json()["channel_params"]["trade_no"]
        if await self._call(
            "channel", self.sandbox.post("/sandbox/alipay/payments", json={"trade_no": trade_no})
        ):
            self.paid.append(Paid(code, order_id))

    async def run(self, seconds: float, per_second: float) -> None:
        tasks = []
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < seconds:
            tasks.append(asyncio.create_task(self.one_payment(n)))
            n += 1
            await asyncio.sleep(max(0.0, start + n / per_second - time.monotonic()))
        await asyncio.gather(*tasks)

    def errors_between(self, begin: float, end: float) -> Counter[str]:
        return Counter(
            f"{a.step}:{a.detail}" for a in self.answers if begin <= a.at <= end and not a.ok
        )

    def recovered_at(self, since: float, until: float) -> float:
        """When the API answered again: the last refused request between the two times."""
        failed = [a.at for a in self.answers if since <= a.at <= until and not a.ok]
        return max(failed, default=since)


@dataclass
class Audit:
    paid_orders: int
    receipts_last_issued: datetime | None
    problems: list[str]


async def audit(database_url: str, load: Load, hooks: Receiver) -> Audit:
    """What the fault tests assert, from the database and the agency's side."""
    codes = [p.payment_code for p in load.paid]
    problems: list[str] = []
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT o.id, o.order_no, o.status, o.payable_ref AS payment_code,"
            " (SELECT count(*) FROM receipt r WHERE r.order_id = o.id AND r.kind = 'normal')"
            "   AS receipts,"
            " (SELECT max(r.issued_at) FROM receipt r WHERE r.order_id = o.id) AS issued_at,"
            " (SELECT count(*) FROM outbox_event e WHERE e.kind = 'order.paid'"
            "   AND (e.payload->>'order_id')::bigint = o.id) AS paid_events"
            " FROM payment_order o WHERE o.order_no = ANY($1::text[])",
            [p.order_id for p in load.paid],
        )
        dead = await conn.fetchval("SELECT count(*) FROM outbox_event WHERE status = 'dead'")
        waiting = await conn.fetch(
            "SELECT id, kind, attempts, next_attempt_at - now() AS due_in, leased_by, last_error"
            " FROM outbox_event WHERE status = 'pending' ORDER BY id LIMIT 5"
        )
    finally:
        await conn.close()
    if len(rows) != len(codes):
        problems.append(f"{len(codes) - len(rows)} paid orders are missing")
    for row in rows:
        if row["status"] != "PAID":
            problems.append(f"order {row['id']} is {row['status']}")
        if row["receipts"] != 1:
            problems.append(f"order {row['id']} has {row['receipts']} receipts")
        if row["paid_events"] != 1:
            problems.append(f"order {row['id']} became PAID {row['paid_events']} times")
    if dead:
        problems.append(f"{dead} outbox events are dead")
    deliveries: dict[str, set[str]] = {}
    for hook in hooks.received:
        body = json.loads(hook.body)
        deliveries.setdefault(body["data"].get("payment_code", ""), set()).add(
            hook.headers["x-yiwang-delivery"]
        )
    for code in codes:
        if len(deliveries.get(code, ())) != 1:
            problems.append(f"notice {code}: {len(deliveries.get(code, ()))} webhooks")
    if problems and waiting:
        problems.append(f"outbox events still pending: {[dict(w) for w in waiting]}")
    issued = [row["issued_at"] for row in rows if row["issued_at"] is not None]
    return Audit(len(codes), max(issued, default=None), problems)


async def settled(database_url: str, load: Load, hooks: Receiver) -> bool:
    """Every paid order has its receipt and its webhook (the background work is done)."""
    codes = {p.payment_code for p in load.paid}
    got = {json.loads(h.body)["data"].get("payment_code") for h in hooks.received}
    if not codes <= got:
        return False
    conn = await asyncpg.connect(database_url)
    try:
        issued = await conn.fetchval(
            "SELECT count(*) FROM receipt r JOIN payment_order o ON o.id = r.order_id"
            " WHERE r.kind = 'normal' AND o.order_no = ANY($1::text[])",
            [p.order_id for p in load.paid],
        )
    finally:
        await conn.close()
    return issued == len(codes)

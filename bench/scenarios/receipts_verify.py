"""POST /api/v1/receipts/verify with a scanned QR: rate-limit hit (Redis), the payload matched
against the receipt's verification record (Redis, filled once from PostgreSQL; an exact
match needs no SM2 verification), public view.

Setup pays one order straight in the database, exactly as payments leaves a PAID order
(order, line, ``receipt.issue`` outbox event in one transaction), and waits for the
server's worker to issue and render the receipt. A verification writes nothing: after the
load there are as many receipts as before it, and this one still verifies as genuine.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from bench.context import BenchContext
from bench.residents import SetupFailed
from bench.scenarios import Request, Scenario
from bench.wrk import WrkResult
from infra.pii import PiiVault

RECEIPT_WAIT_S = 180


async def _pay_one_order(ctx: BenchContext) -> int:
    vault = PiiVault.international(
        base64.b64decode(ctx.env["PII_KEY"]), base64.b64decode(ctx.env["PII_HASH_KEY"])
    )
    now = datetime.now(UTC)
    connection = await asyncpg.connect(ctx.database_url)
    try:
        async with connection.transaction():
            citizen = uuid.uuid4()
            await connection.execute(
                "INSERT INTO citizen (id, verified, created_at) VALUES ($1, true, $2)", citizen, now
            )
            ref = secrets.token_hex(6)
            order_id = await connection.fetchval(
                "INSERT INTO payment_order (order_no, citizen_id, payable_type, payable_ref, "
                "paid_key, status, amount_fen, refunded_fen, description, agency_name, "
                "payer_name_enc, region_code, channel, channel_trade_no, created_at, updated_at, "
                "expires_at, paid_at) VALUES ($1,$2,'violation',$3,$4,'PAID',12345,0,"
                "'道路交通安全违法罚款','杭州市公安局交通警察支队',$5,'330106','wechat',$6,$7,$7,"
                "$8,$7) RETURNING id",
                f"YWB{secrets.token_hex(8)}",
                citizen,
                ref,
                f"violation:{ref}",
                vault.encrypt("payer_name", "张三"),
                f"T{secrets.token_hex(6)}",
                now,
                now + timedelta(minutes=30),
            )
            await connection.execute(
                "INSERT INTO payment_order_line (order_id, position, item_code, name, quantity, "
                "standard_fen, amount_fen) VALUES ($1, 1, '330100-FK-001', "
                "'道路交通安全违法罚款', 1, 12345, 12345)",
                order_id,
            )
            await connection.execute(
                "INSERT INTO outbox_event (kind, payload, dedupe_key, status, attempts, "
                "next_attempt_at, created_at) "
                "VALUES ('receipt.issue', $1, $2, 'pending', 0, $3, $3)",
                json.dumps({"order_id": order_id}),
                f"receipt.issue:{order_id}",
                now,
            )
        return int(order_id)
    finally:
        await connection.close()


_RECEIPTS_BEFORE: dict[str, int] = {}


async def setup(ctx: BenchContext) -> Request:
    order_id = await _pay_one_order(ctx)
    payload = None
    # The worker's outbox sweep runs every second, but after a notification storm in the
    # same session it has hundreds of receipts to issue before this one.
    for _ in range(RECEIPT_WAIT_S * 10):
        payload = await ctx.fetchval(
            "SELECT qr_payload FROM receipt WHERE order_id = $1",
            order_id,
        )
        if payload:
            break
        await asyncio.sleep(0.1)
    if not payload:
        raise SetupFailed(f"the worker did not issue the receipt within {RECEIPT_WAIT_S} s")
    # Other scenarios of the session (a notification storm) issue receipts of their own
    # before this one runs: the check compares with the count the load started from.
    _RECEIPTS_BEFORE[ctx.database_url] = await ctx.fetchval("SELECT count(*) FROM receipt")
    body = json.dumps({"qr": f"{ctx.api}/verify?q={payload}"}).encode()
    return Request(
        "/api/v1/receipts/verify",
        method="POST",
        headers={"Content-Type": "application/json"},
        body=body,
    )


async def check(ctx: BenchContext, request: Request, result: WrkResult) -> list[str]:
    problems = []
    receipts = await ctx.fetchval("SELECT count(*) FROM receipt")
    before = _RECEIPTS_BEFORE.get(ctx.database_url)
    if receipts != before:
        problems.append(f"{receipts} receipts after a read-only load (expected {before})")
    answer = await ctx.client.post(
        ctx.api + request.path, content=request.body, headers=dict(request.headers)
    )
    if answer.status_code != 200 or answer.json().get("status") != "genuine":
        problems.append(f"verify after the load: HTTP {answer.status_code} {answer.text[:200]}")
    return problems


SCENARIO = Scenario(
    "receipts_verify",
    "public verification of a scanned receipt QR (SM2 YWR2 + Redis-cached record + rate limit)",
    setup,
    check=check,
)

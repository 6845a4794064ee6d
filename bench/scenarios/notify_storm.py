"""A storm of payment notifications, mostly duplicates, against the WeChat notify URL.

Setup goes through the real API: a fees agency (the CLI) registers a fee item and issues
notices to one verified resident, who opens an order for each and starts paying on WeChat
(the sandbox's unifiedorder). The scenario then signs one genuine notification per order
with the merchant key, as WeChat would, and wrk replays them round-robin: the first pass
settles every order, every later request is a duplicate that must be logged and
acknowledged without a second transition.

After the load: every order is PAID exactly once, with exactly one ``order.paid`` and one
``receipt.issue`` outbox event each, and exactly one "paid" notification outcome each.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from app.agency.signing import signature
from bench.context import BenchContext
from bench.residents import SetupFailed
from bench.scenarios import Request, Scenario
from bench.wrk import WrkResult
from infra import clock

ORDERS = 200
SCRIPT = Path(__file__).resolve().parent.parent / "lua" / "notify_storm.lua"
ID_NUMBER = "330106199003071236"


def _expect(response, status: int, step: str) -> dict:  # type: ignore[no-untyped-def]
    if response.status_code != status:
        raise SetupFailed(f"{step}: HTTP {response.status_code} {response.text[:300]}")
    return response.json()


async def _wechat_resident(ctx: BenchContext) -> str:
    person = _expect(
        await ctx.client.post(
            f"{ctx.sandbox}/sandbox/users",
            json={"name": "张三", "id_number": ID_NUMBER, "phone": "13800138000"},
        ),
        201,
        "sandbox person",
    )
    openid = person["wechat"]["openid"]
    code = _expect(
        await ctx.client.post(f"{ctx.sandbox}/sandbox/wechat/login-codes", json={"user": openid}),
        201,
        "login code",
    )["code"]
    token = _expect(
        await ctx.client.post(
            f"{ctx.api}/api/v1/sessions", json={"channel": "wechat", "code": code}
        ),
        201,
        "sign in",
    )["token"]
    verify = _expect(
        await ctx.client.post(
            f"{ctx.sandbox}/sandbox/wechat/face-verifications", json={"openid": openid}
        ),
        201,
        "face",
    )["verify_result"]
    _expect(
        await ctx.client.post(
            f"{ctx.api}/api/v1/me/verification",
            json={"channel": "wechat", "verify_result": verify},
            headers={"Authorization": f"Bearer {token}"},
        ),
        200,
        "verify",
    )
    return token


def _agency(ctx: BenchContext) -> dict[str, str]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "agency",
            "create",
            "--name",
            "压测考试院",
            "--kind",
            "fees",
            "--region",
            "330000",
            "--webhook-url",
            f"{ctx.sandbox}/sandbox/agency-webhooks/bench",
        ],
        env={**os.environ, **ctx.env},
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SetupFailed(f"agency create: {out.stderr[-300:]}")
    return json.loads(out.stdout)


async def _signed_post(ctx: BenchContext, creds: dict[str, str], path: str, payload: dict) -> dict:
    body = json.dumps(payload, ensure_ascii=False).encode()
    ts = str(int(time.time()))
    headers = {
        "X-Agency-Key": creds["key"],
        "X-Timestamp": ts,
        "X-Signature": signature(creds["secret"], "POST", path, ts, body),
        "Content-Type": "application/json",
    }
    return _expect(await ctx.client.post(ctx.api + path, content=body, headers=headers), 201, path)


def _wechat_sign(fields: dict[str, str], api_key: str) -> str:
    text = "&".join(f"{k}={fields[k]}" for k in sorted(fields) if fields[k])
    return hashlib.md5(f"{text}&key={api_key}".encode()).hexdigest().upper()


def _notification(creds: dict[str, str], order_no: str, amount_fen: int) -> str:
    fields = {
        "appid": creds["wechat_appid"],
        "mch_id": creds["wechat_mch_id"],
        "nonce_str": secrets.token_hex(8),
        "result_code": "SUCCESS",
        "return_code": "SUCCESS",
        "openid": "o-bench",
        "trade_type": "JSAPI",
        "bank_type": "CMB_DEBIT",
        "total_fee": str(amount_fen),
        "cash_fee": str(amount_fen),
        "fee_type": "CNY",
        "transaction_id": "4200" + secrets.token_hex(12),
        "out_trade_no": order_no,
        "time_end": clock.shanghai_now().strftime("%Y%m%d%H%M%S"),
    }
    fields["sign"] = _wechat_sign(fields, creds["wechat_api_key"])
    return "<xml>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()) + "</xml>"


async def _paying_order(ctx: BenchContext, token: str, creds: dict[str, str], i: int) -> str:
    due = (clock.shanghai_date() + timedelta(days=7)).isoformat()
    notice = await _signed_post(
        ctx,
        creds,
        "/api/v1/agency/notices",
        {
            "payer": {"name": "张三", "id_number": ID_NUMBER},
            "due_date": due,
            "notice_no": f"BENCH-STORM-{i}",
            "items": [
                {
                    "item_code": "103001",
                    "name": "考试费",
                    "quantity": 1,
                    "standard_fen": 12000,
                    "amount_fen": 12000,
                }
            ],
        },
    )
    auth = {"Authorization": f"Bearer {token}"}
    order = _expect(
        await ctx.client.post(
            f"{ctx.api}/api/v1/orders",
            headers=auth,
            json={"payable": {"type": "notice", "payment_code": notice["payment_code"]}},
        ),
        201,
        "order",
    )
    _expect(
        await ctx.client.post(
            f"{ctx.api}/api/v1/orders/{order['id']}/payments",
            headers=auth,
            json={"channel": "wechat"},
        ),
        200,
        "start payment",
    )
    return str(order["id"])


async def setup(ctx: BenchContext) -> Request:
    token = await _wechat_resident(ctx)
    creds = _agency(ctx)
    await _signed_post(
        ctx,
        creds,
        "/api/v1/agency/fee-items",
        {"item_code": "103001", "name": "考试费", "kind_code": "103", "standard_fen": 12000},
    )
    gate = asyncio.Semaphore(8)

    async def one(i: int) -> str:
        async with gate:
            return await _paying_order(ctx, token, creds, i)

    order_nos = await asyncio.gather(*[one(i) for i in range(ORDERS)])
    merchant = json.loads(
        (Path(ctx.env["YIWANG_VAR_DIR"]) / "sandbox-credentials.json").read_text()
    )
    data = ctx.workdir / "notify_storm.txt"
    data.write_text("\n".join(_notification(merchant, no, 12000) for no in order_nos) + "\n")
    (ctx.workdir / "notify_storm_orders.json").write_text(json.dumps(order_nos))
    return Request(
        "/notify/wechat/pay",
        method="POST",
        headers={"Content-Type": "text/xml"},
        body=data.read_text().splitlines()[0].encode(),
        script=SCRIPT,
        script_env={"BENCH_NOTIFY_FILE": str(data)},
    )


async def check(ctx: BenchContext, request: Request, result: WrkResult) -> list[str]:
    order_nos = json.loads((ctx.workdir / "notify_storm_orders.json").read_text())
    problems = []
    paid = await ctx.fetchval(
        "SELECT count(*) FROM payment_order WHERE status = 'PAID' AND order_no = ANY($1::text[])",
        order_nos,
    )
    if paid != len(order_nos):
        problems.append(f"{paid} of {len(order_nos)} orders PAID")
    for kind in ("order.paid", "receipt.issue"):
        events = await ctx.fetchval(
            "SELECT count(*) FROM outbox_event e JOIN payment_order o"
            " ON (e.payload->>'order_id')::bigint = o.id"
            " WHERE e.kind = $1 AND o.order_no = ANY($2::text[])",
            kind,
            order_nos,
        )
        if events != len(order_nos):
            problems.append(f"{events} {kind} events for {len(order_nos)} orders")
    outcomes = {
        outcome: await ctx.fetchval(
            "SELECT count(*) FROM payment_notification_outcome"
            " WHERE outcome = $1 AND order_no = ANY($2::text[])",
            outcome,
            order_nos,
        )
        for outcome in ("paid", "duplicate")
    }
    if outcomes["paid"] != len(order_nos):
        problems.append(f"{outcomes['paid']} 'paid' outcomes for {len(order_nos)} orders")
    seen = int(outcomes["paid"] or 0) + int(outcomes["duplicate"] or 0)  # type: ignore[call-overload]
    if seen == 0 or int(outcomes["duplicate"] or 0) / seen < 0.30:  # type: ignore[call-overload]
        problems.append(f"only {outcomes['duplicate']} of {seen} notifications were duplicates")
    return problems


SCENARIO = Scenario(
    "notify_storm",
    "WeChat payment notifications, mostly duplicates: each order PAID exactly once",
    setup,
    check=check,
)

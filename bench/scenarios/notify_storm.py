"""A storm of WeChat Pay API v3 payment notifications, mostly duplicates.

Setup goes through the real API: a fees agency (the CLI) registers a fee item and issues
notices to one verified resident, who opens an order for each and starts paying on WeChat
(the sandbox's v3 JSAPI ordering). The scenario then prepares, per order, COPIES signed
deliveries of the genuine notification as WeChat sends its retries: the same encrypted
body, each signed afresh (timestamp, nonce) with the sandbox's WeChat Pay key. wrk posts
them round-robin to /notify/wechat/v3/pay: the first settles an order, the later copies
are duplicates that must be logged and acknowledged (204) without a second transition.
Once every copy was sent, wrk wraps around and posts them again: those are replays, which
must be refused (400 NOTIFY_REPLAYED), so refusals are expected and checked by reason.

notify_storm_v2 is the same storm in API v2's XML against /notify/wechat/pay.

After the load: every order is PAID exactly once, with exactly one ``order.paid`` and one
``receipt.issue`` outbox event each, and exactly one "paid" notification outcome each; and
every raw notification logged has exactly one outcome.
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
from channels.sandbox.wechat.v3_signing import encrypt_resource, signed_headers
from infra import clock

ORDERS = 200
# Signed deliveries per order for the v3 storm (each costs one RSA signature in setup).
COPIES = 20
SCRIPT = Path(__file__).resolve().parent.parent / "lua" / "notify_storm.lua"
SCRIPT_V3 = Path(__file__).resolve().parent.parent / "lua" / "notify_storm_v3.lua"
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


async def paying_orders(ctx: BenchContext) -> tuple[list[str], dict[str, str]]:
    """ORDERS orders paying on WeChat, and the sandbox's credentials to notify them with."""
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
    (ctx.workdir / "notify_storm_orders.json").write_text(json.dumps(order_nos))
    return list(order_nos), merchant


async def setup_v2(ctx: BenchContext) -> Request:
    order_nos, merchant = await paying_orders(ctx)
    data = ctx.workdir / "notify_storm.txt"
    data.write_text("\n".join(_notification(merchant, no, 12000) for no in order_nos) + "\n")
    return Request(
        "/notify/wechat/pay",
        method="POST",
        headers={"Content-Type": "text/xml"},
        body=data.read_text().splitlines()[0].encode(),
        script=SCRIPT,
        script_env={"BENCH_NOTIFY_FILE": str(data)},
    )


def _v3_body(merchant: dict[str, str], order_no: str, amount_fen: int) -> str:
    now = clock.shanghai_now().replace(microsecond=0).isoformat()
    facts = {
        "appid": merchant["wechat_appid"],
        "mchid": merchant["wechat_mch_id"],
        "out_trade_no": order_no,
        "transaction_id": "4200" + secrets.token_hex(12),
        "trade_type": "JSAPI",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "success_time": now,
        "payer": {"openid": "o-bench"},
        "amount": {"total": amount_fen, "payer_total": amount_fen, "currency": "CNY"},
    }
    resource = encrypt_resource(json.dumps(facts), merchant["wechat_apiv3_key"], "transaction")
    return json.dumps(
        {
            "id": secrets.token_hex(16),
            "create_time": now,
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": {"original_type": "transaction", **resource},
        }
    )


def _v3_delivery(merchant: dict[str, str], body: str) -> str:
    """``timestamp\tnonce\tsignature\tbody``: one delivery, signed now as WeChat signs."""
    h = signed_headers(
        body,
        private_key=merchant["wechat_pay_private_key"],
        key_id=merchant["wechat_pay_public_key_id"],
    )
    return "\t".join(
        (h["Wechatpay-Timestamp"], h["Wechatpay-Nonce"], h["Wechatpay-Signature"], body)
    )


async def setup(ctx: BenchContext) -> Request:
    order_nos, merchant = await paying_orders(ctx)
    bodies = [_v3_body(merchant, no, 12000) for no in order_nos]

    def deliveries() -> list[str]:
        # COPIES per order, interleaved: the first pass over the file settles every order.
        return [_v3_delivery(merchant, body) for _ in range(COPIES) for body in bodies]

    lines = await asyncio.to_thread(deliveries)
    data = ctx.workdir / "notify_storm_v3.txt"
    data.write_text("\n".join(lines) + "\n")
    # The probe request: the first order's notification, signed afresh for the probe alone.
    timestamp, nonce, signature_, body = _v3_delivery(merchant, bodies[0]).split("\t")
    return Request(
        "/notify/wechat/v3/pay",
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature_,
            "Wechatpay-Serial": merchant["wechat_pay_public_key_id"],
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        },
        body=body.encode(),
        script=SCRIPT_V3,
        script_env={
            "BENCH_NOTIFY_FILE": str(data),
            "BENCH_WECHATPAY_SERIAL": merchant["wechat_pay_public_key_id"],
        },
        expect_status=204,
        refusals_expected=True,
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
    # Every refusal (v3: a copy posted twice) must be a replay, never anything else.
    others = await ctx.fetchval(
        "SELECT count(*) FROM payment_notification_outcome"
        " WHERE outcome NOT IN ('paid', 'duplicate') AND detail NOT LIKE 'replayed%'"
    )
    if others:
        problems.append(f"{others} notifications refused for another reason than a replay")
    # The append-only log: every raw notification has exactly one outcome.
    unpaired = await ctx.fetchval(
        "SELECT count(*) FROM payment_notification n WHERE (SELECT count(*) FROM "
        "payment_notification_outcome o WHERE o.notification_id = n.id) <> 1"
    )
    if unpaired:
        problems.append(f"{unpaired} logged notifications without exactly one outcome")
    return problems


SCENARIO = Scenario(
    "notify_storm",
    "WeChat Pay v3 notifications, mostly duplicates: each order PAID exactly once",
    setup,
    check=check,
)

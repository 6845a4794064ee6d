"""The journeys against ``yiwang serve --demo`` itself: SQLite, embedded Redis, sandbox, worker.

The server runs in a fresh directory, exactly as a new user would start it from the README.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import zxingcpp
from PIL import Image

from infra import clock
from tests import independent_sm2
from tests.journeys import agency_post, bearer, eventually, face_verify, sign_in
from tests.sandbox_process import free_port, wait_until_up


@dataclass(frozen=True)
class Demo:
    api: str
    sandbox: str
    var: Path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    home = tmp_path_factory.mktemp("demo")
    api_port, sandbox_port = free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "YIWANG_VAR_DIR", "YIWANG_SANDBOX_PORT")
    }
    log = (home / "demo.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "serve",
            "--demo",
            "--port",
            str(api_port),
            "--sandbox-port",
            str(sandbox_port),
        ],
        cwd=home,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    demo = Demo(f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{sandbox_port}", home / "var")
    try:
        # Sanic's workers import the whole app before they accept; polling a socket that is
        # bound but not yet served only queues abandoned requests, so wait for the workers.
        deadline = time.monotonic() + 120
        while b"Worker ready" not in (home / "demo.log").read_bytes():
            assert process.poll() is None, (home / "demo.log").read_text(errors="replace")[-4000:]
            assert time.monotonic() < deadline, "the demo did not start within 120 s"
            time.sleep(0.2)
        assert httpx.get(demo.api + "/readyz", timeout=10).status_code == 200
        wait_until_up(demo.sandbox + "/sandbox/health", timeout=30)
        yield demo
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the server and its workers
        log.close()
        printed = (home / "demo.log").read_text(errors="replace")
        assert "Traceback" not in printed, printed[-4000:]


@pytest.fixture
async def clients(demo: Demo) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with (
        httpx.AsyncClient(base_url=demo.api, timeout=20) as api,
        httpx.AsyncClient(base_url=demo.sandbox, timeout=20) as sandbox,
    ):
        yield api, sandbox


async def test_the_demo_prints_its_urls_and_is_healthy(demo: Demo) -> None:
    ready = httpx.get(demo.api + "/readyz").json()
    assert ready["status"] == "ready"
    assert (demo.var / "yiwang.sqlite3").exists()
    assert json.loads((demo.var / "demo-agencies.json").read_text())
    # Open311 on SQLite too: a test endpoint, and the road service's demo attributes.
    [endpoint] = httpx.get(demo.api + "/open311/discovery.json").json()["endpoints"]
    assert endpoint["type"] == "test" and endpoint["url"].endswith("/open311/v2")
    road = httpx.get(demo.api + "/open311/v2/services/road.xml")
    assert road.status_code == 200 and b"<code>FACILITY</code>" in road.content


async def test_zhangsan_is_one_citizen_on_wechat_alipay_and_the_app(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    api, sandbox = clients
    wechat = await sign_in(api, sandbox, "wechat", "o-demo-zhangsan")
    verified = await face_verify(api, sandbox, wechat["token"], "o-demo-zhangsan")
    assert verified.status_code == 200 and verified.json()["verified"] is True
    alipay = await sign_in(api, sandbox, "alipay", "2088000000000001")
    app = await sign_in(api, sandbox, "app", "zlb-demo-zhangsan")
    assert verified.json()["id"] == alipay["citizen"]["id"] == app["citizen"]["id"]
    assert app["citizen"]["id_number_masked"] == "330106********1236"


async def test_zhangsan_pays_his_exam_notice_and_the_agency_is_told_once(
    demo: Demo, clients: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    api, sandbox = clients
    code = json.loads((demo.var / "demo-notices.json").read_text())["张三"]["payment_code"]
    session = await sign_in(api, sandbox, "alipay", "2088000000000001")
    token = session["token"]
    notice = (await api.get(f"/api/v1/notices/{code}", headers=bearer(token))).json()
    assert notice["status"] == "UNPAID" and notice["total_fen"] == 12000
    order = (
        await api.post(
            "/api/v1/orders",
            json={"payable": {"type": "notice", "payment_code": code}},
            headers=bearer(token),
        )
    ).json()
    params = (
        await api.post(
            f"/api/v1/orders/{order['id']}/payments",
            json={"channel": "alipay"},
            headers=bearer(token),
        )
    ).json()["channel_params"]
    paid = await sandbox.post("/sandbox/alipay/payments", json={"trade_no": params["trade_no"]})
    assert paid.status_code in (200, 201), paid.text

    async def order_paid() -> bool:
        body = (await api.get(f"/api/v1/orders/{order['id']}", headers=bearer(token))).json()
        return body["status"] == "PAID"

    await eventually(order_paid, timeout=20)
    agencies = json.loads((demo.var / "demo-agencies.json").read_text())
    key = agencies["浙江省教育考试院"]["key"]

    async def webhooks() -> list:
        return (await sandbox.get(f"/sandbox/agency-webhooks/{key}")).json()["webhooks"]

    received = await eventually(webhooks, timeout=30)
    assert len(received) == 1
    assert json.loads(received[0]["body"])["data"]["payment_code"] == code
    await _receipt_verifies_with_an_independent_sm2(api, token, order["id"])


async def _receipt_verifies_with_an_independent_sm2(
    api: httpx.AsyncClient, token: str, order_id: str
) -> None:
    """The demo's receipt QR, as a phone reads it (zxing-cpp), carries a YWR2 payload that
    the pure-Python gmssl verifies with the published SM2 key."""

    async def receipt_no() -> str | None:
        body = (await api.get(f"/api/v1/orders/{order_id}", headers=bearer(token))).json()
        return body.get("receipt_no")

    number = await eventually(receipt_no, timeout=30)

    async def qr_png() -> bytes | None:
        r = await api.get(f"/api/v1/receipts/{number}/qr.png", headers=bearer(token))
        return r.content if r.status_code == 200 else None

    png = await eventually(qr_png, timeout=30)
    scanned = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    payload = scanned[0].text.split("q=", 1)[1]
    head, _, signature = payload.rpartition(".")
    assert head.startswith("YWR2.")
    keys = (await api.get("/api/v1/receipts/public-key")).json()
    entry = next(k for k in keys["keys"] if k["key_id"] == head.split(".")[6])
    assert entry["algorithm"] == "SM2" and entry["status"] == "current"
    point = base64.b64decode(entry["public_key"])
    der = base64.urlsafe_b64decode(signature + "==")
    assert independent_sm2.verifies(point, der, head.encode("ascii"))
    assert not independent_sm2.verifies(point, der, head.replace(".12000.", ".12001.").encode())


async def _paid(api: httpx.AsyncClient, token: str, order_id: str) -> bool:
    body = (await api.get(f"/api/v1/orders/{order_id}", headers=bearer(token))).json()
    return body["status"] == "PAID"


async def test_lisi_pays_his_notice_on_wechat_after_face_verification(
    demo: Demo, clients: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    api, sandbox = clients
    code = json.loads((demo.var / "demo-notices.json").read_text())["李四"]["payment_code"]
    session = await sign_in(api, sandbox, "wechat", "o-demo-lisi")
    verified = await face_verify(api, sandbox, session["token"], "o-demo-lisi")
    assert verified.status_code == 200, verified.text
    token = session["token"]
    order = (
        await api.post(
            "/api/v1/orders",
            headers=bearer(token),
            json={"payable": {"type": "notice", "payment_code": code}},
        )
    ).json()
    assert order["amount_fen"] == 6000
    params = (
        await api.post(
            f"/api/v1/orders/{order['id']}/payments",
            json={"channel": "wechat"},
            headers=bearer(token),
        )
    ).json()["channel_params"]
    # The demo pays on WeChat Pay API v3; the sandbox checks paySign as WeChat's client would.
    assert params["signType"] == "RSA"
    forged = {**params, "paySign": params["paySign"][::-1]}
    assert (await sandbox.post("/sandbox/wechat/payments", json=forged)).status_code == 400
    assert (await sandbox.post("/sandbox/wechat/payments", json=params)).status_code == 201
    await eventually(lambda: _paid(api, token, order["id"]), timeout=20)


async def test_zhangsan_pays_his_overdue_fine_on_alipay_and_the_police_are_told_once(
    demo: Demo, clients: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    api, sandbox = clients
    token = (await sign_in(api, sandbox, "alipay", "2088000000000001"))["token"]
    bound = await api.post(
        "/api/v1/me/vehicles",
        headers=bearer(token),
        json={"plate_type": "02", "plate_no": "浙A12345", "vin_tail": "123456"},
    )
    assert bound.status_code in (200, 201), bound.text
    lookup = await api.get(
        "/api/v1/violations",
        headers=bearer(token),
        params={"plate_type": "02", "plate_no": "浙A12345"},
    )
    assert lookup.status_code == 200, lookup.text
    overdue = next(v for v in lookup.json()["violations"] if v["violation_id"] == "DEMO-OVERDUE")
    assert overdue["late_fee_fen"] == 3000 and overdue["total_fen"] == 23000 and overdue["payable"]

    order = (
        await api.post(
            "/api/v1/orders",
            headers=bearer(token),
            json={"payable": {"type": "violation", "decision_no": "330100DEMO0001"}},
        )
    ).json()
    assert order["amount_fen"] == 23000 and len(order["items"]) == 2
    params = (
        await api.post(
            f"/api/v1/orders/{order['id']}/payments",
            json={"channel": "alipay"},
            headers=bearer(token),
        )
    ).json()["channel_params"]
    paid = await sandbox.post("/sandbox/alipay/payments", json={"trade_no": params["trade_no"]})
    assert paid.status_code in (200, 201), paid.text
    await eventually(lambda: _paid(api, token, order["id"]), timeout=20)

    async def shown_paid() -> bool:
        again = await api.get(
            "/api/v1/violations",
            headers=bearer(token),
            params={"plate_type": "02", "plate_no": "浙A12345"},
        )
        fine = next(v for v in again.json()["violations"] if v["violation_id"] == "DEMO-OVERDUE")
        return fine["payment_status"] == "paid"

    await eventually(shown_paid, timeout=20)
    agencies = json.loads((demo.var / "demo-agencies.json").read_text())
    key = agencies["杭州市公安局交通警察支队"]["key"]

    async def police_webhooks() -> list:
        return (await sandbox.get(f"/sandbox/agency-webhooks/{key}")).json()["webhooks"]

    async def told() -> list:
        return [w for w in await police_webhooks() if "330100DEMO0001" in w["body"]]

    received = await eventually(told, timeout=30)
    await asyncio.sleep(2)
    assert len(await told()) == 1
    assert "330100DEMO0001" in received[0]["body"]


async def test_zhangsan_pays_his_ev_fine_on_wechat_pay_v3_and_the_police_are_told_once(
    demo: Demo, clients: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    """The same citizen on WeChat (face-verified, one account behind both channels) pays the
    fine on his EV through WeChat Pay API v3: the JSAPI object is RSA-signed, a forged
    paySign is refused, and the v3 notification settles it exactly once."""
    api, sandbox = clients
    session = await sign_in(api, sandbox, "wechat", "o-demo-zhangsan")
    verified = await face_verify(api, sandbox, session["token"], "o-demo-zhangsan")
    assert verified.status_code == 200, verified.text
    token = session["token"]
    ev = {"plate_type": "52", "plate_no": "浙AD54321"}
    bound = await api.post(
        "/api/v1/me/vehicles", headers=bearer(token), json={**ev, "vin_tail": "654321"}
    )
    assert bound.status_code in (200, 201), bound.text
    lookup = await api.get("/api/v1/violations", headers=bearer(token), params=ev)
    assert lookup.status_code == 200, lookup.text
    fine = next(v for v in lookup.json()["violations"] if v["violation_id"] == "DEMO-DECIDED")
    assert fine["late_fee_fen"] == 0 and fine["total_fen"] == 10000 and fine["payable"]

    order = (
        await api.post(
            "/api/v1/orders",
            headers=bearer(token),
            json={"payable": {"type": "violation", "decision_no": "330100DEMO0003"}},
        )
    ).json()
    assert order["amount_fen"] == 10000
    params = (
        await api.post(
            f"/api/v1/orders/{order['id']}/payments",
            json={"channel": "wechat"},
            headers=bearer(token),
        )
    ).json()["channel_params"]
    assert params["signType"] == "RSA" and params["package"].startswith("prepay_id=")
    forged = {**params, "paySign": params["paySign"][::-1]}
    assert (await sandbox.post("/sandbox/wechat/payments", json=forged)).status_code == 400
    assert not await _paid(api, token, order["id"])
    assert (await sandbox.post("/sandbox/wechat/payments", json=params)).status_code == 201
    await eventually(lambda: _paid(api, token, order["id"]), timeout=20)

    async def shown_paid() -> bool:
        again = await api.get("/api/v1/violations", headers=bearer(token), params=ev)
        found = next(v for v in again.json()["violations"] if v["violation_id"] == "DEMO-DECIDED")
        return found["payment_status"] == "paid"

    await eventually(shown_paid, timeout=20)
    agencies = json.loads((demo.var / "demo-agencies.json").read_text())
    key = agencies["杭州市公安局交通警察支队"]["key"]

    async def told() -> list:
        hooks = (await sandbox.get(f"/sandbox/agency-webhooks/{key}")).json()["webhooks"]
        return [w for w in hooks if "330100DEMO0003" in w["body"]]

    await eventually(told, timeout=30)
    await asyncio.sleep(2)
    assert len(await told()) == 1


async def test_wangfang_applies_on_wechat_supplements_on_the_app_and_her_bad_review_is_tracked(
    demo: Demo, clients: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    """统一申报 → 补正 → 办结 → 差评 → 整改, as the README's demo serves it."""
    api, sandbox = clients
    desk = json.loads((demo.var / "demo-case-agency.json").read_text())
    wechat = await sign_in(api, sandbox, "wechat", "o-demo-wangfang")
    assert (await face_verify(api, sandbox, wechat["token"], "o-demo-wangfang")).status_code == 200
    wx = bearer(wechat["token"])
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    upload = await api.post(
        "/api/v1/materials", headers=wx, files={"file": ("id.png", png, "image/png")}
    )
    assert upload.status_code == 201, upload.text
    applied = await api.post(
        "/api/v1/cases",
        headers=wx,
        json={
            "item_code": desk["item_code"],
            "form": {
                "applicant_phone": "13700137000",
                "birth_date": "1940-08-15",
                "bank": "杭州银行",
                "address": "杭州市上城区解放路 1 号",
            },
            "materials": [{"name": "身份证", "material_id": upload.json()["id"]}],
        },
    )
    assert applied.status_code == 201, applied.text
    case_no = applied.json()["case_no"]
    assert applied.json()["channel"] == "wechat"

    sent_back = await agency_post(
        api, desk, f"/api/v1/agency/cases/{case_no}/request_material", {"note": "请补充银行卡"}
    )
    assert sent_back.status_code == 200 and sent_back.json()["status"] == "returned"

    app = bearer((await sign_in(api, sandbox, "app", "zlb-demo-wangfang"))["token"])
    card = await api.post(
        "/api/v1/materials",
        headers=app,
        files={"file": ("card.jpg", b"\xff\xd8\xff\xe0" + b"1" * 40, "image/jpeg")},
    )
    resumed = await api.post(
        f"/api/v1/cases/{case_no}/supplement",
        headers=app,
        json={"materials": [{"name": "银行卡", "material_id": card.json()["id"]}]},
    )
    assert resumed.status_code == 200 and resumed.json()["status"] == "submitted", resumed.text

    for step, action in enumerate(("accept", "approve", "complete")):
        moved = await agency_post(
            api,
            desk,
            f"/api/v1/agency/cases/{case_no}/{action}",
            {},
            ts=int(clock.now().timestamp()) + step,
        )
        assert moved.status_code == 200, (action, moved.text)
    done = (await api.get(f"/api/v1/cases/{case_no}", headers=wx)).json()
    assert done["status"] == "completed"
    assert [s["action"] for s in done["timeline"]] == [
        "apply",
        "request_material",
        "supplement",
        "accept",
        "approve",
        "complete",
    ]

    rated = await api.post(
        "/api/v1/evaluations",
        headers=app,
        json={
            "subject_type": "case",
            "subject_ref": case_no,
            "overall": 2,
            "efficiency": 2,
            "guide_accuracy": 3,
            "convenience": 2,
            "ease_of_use": 3,
            "comment": "等太久",
        },
    )
    assert rated.status_code == 201 and rated.json()["bad"] is True, rated.text
    ticket = str(rated.json()["rectification_id"])

    # The department's operator is created with the README's command, beside the demo.
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "operator",
            "create",
            "--demo",
            "--username",
            "mzj-demo",
            "--role",
            "department_operator",
            "--department",
            desk["department_code"],
        ],
        cwd=demo.var.parent,
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
    )
    password = json.loads(made.stdout.strip().splitlines()[-1])["password"]
    signed = await api.post(
        "/api/v1/operator/sessions", json={"username": "mzj-demo", "password": password}
    )
    assert signed.status_code in (200, 201), signed.text
    board = (
        await api.get(
            "/api/v1/operator/supervision/dashboard", headers=bearer(signed.json()["token"])
        )
    ).json()
    cards = [d for d in board["open"] if d["subject_type"] == "rectification"]
    assert {d["subject_ref"] for d in cards} == {ticket}
    assert {d["step"] for d in cards} == {"reply", "fix"}

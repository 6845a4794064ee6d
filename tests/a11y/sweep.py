"""Every page of the H5 shell and the public /verify page, in both modes and both sizes.

Reached the way a resident reaches them: signed in through the demo's SSO, with a paid
notice (so the order and receipt pages have something to show), a booking with its
check-in code open, a fine looked up and a notice entered; and, filed through the same API
the shells call, a case sent back for a supplement, a case completed with its e-licence
(and its rating form), a 12345 ticket, and the release screens of a first-come slot and of
a lottery slot whose entry window is open.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
from playwright.async_api import Browser, Page, expect

from infra import clock
from tests.a11y.axe import ARTIFACTS, Audit, Report, audit, context
from tests.journeys import signed_headers
from tests.shells.test_miniprogram_journey import photo

RESIDENT = "zlb-demo-lisi"
RESIDENT_NAME = "李四"


@dataclass(frozen=True)
class Paid:
    order_no: str
    receipt_no: str
    qr: str
    payment_code: str


async def paid_notice(api: str, sandbox: str, var: Path) -> Paid:
    """李四 pays the demo's notice at the provincial app's cashier (the sandbox)."""
    code = json.loads((var / "demo-notices.json").read_text())[RESIDENT_NAME]["payment_code"]
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        r = await client.post(sandbox + "/sandbox/app/login-codes", json={"user": RESIDENT})
        assert r.status_code == 201, r.text
        r = await client.post("/api/v1/sessions", json={"channel": "app", "code": r.json()["code"]})
        assert r.status_code == 201, r.text
        auth = {"Authorization": "Bearer " + r.json()["token"]}
        r = await client.post(
            "/api/v1/orders",
            json={"payable": {"type": "notice", "payment_code": code}},
            headers=auth,
        )
        assert r.status_code in (200, 201), r.text
        order_no = r.json()["id"]
        r = await client.post(
            f"/api/v1/orders/{order_no}/payments", json={"channel": "app"}, headers=auth
        )
        assert r.status_code == 200, r.text
        r = await client.post(sandbox + "/sandbox/app/payments", json={"out_trade_no": order_no})
        assert r.status_code == 201, r.text
        for _ in range(120):
            order = (await client.get(f"/api/v1/orders/{order_no}", headers=auth)).json()
            if order.get("receipt_no"):
                break
            await asyncio.sleep(0.5)
        else:
            raise AssertionError(f"no receipt for {order_no}: {order}")
        detail = (await client.get(f"/api/v1/receipts/{order['receipt_no']}", headers=auth)).json()
    return Paid(order_no, order["receipt_no"], detail["qr"], code)


@dataclass(frozen=True)
class Filed:
    """What the pages behind a filed case, ticket or published slot need."""

    case_returned: str
    case_done: str
    ticket_id: int
    first_come: str  # "<slot>?institution=<id>&date=<YYYY-MM-DD>"
    lottery: str


async def _signed(
    client: httpx.AsyncClient, creds: dict[str, str], path: str, payload: dict[str, object]
) -> dict[str, object]:
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = signed_headers(creds["key"], creds["secret"], "POST", path, body)
    headers["Content-Type"] = "application/json"
    r = await client.post(path, content=body, headers=headers)
    assert r.status_code < 300, (path, r.status_code, r.text)
    answer: dict[str, object] = r.json()
    return answer


async def _apply(client: httpx.AsyncClient, auth: dict[str, str], picture: Path) -> str:
    """李四 applies for 高龄津贴 with a photo of his ID card: POST /materials, POST /cases."""
    r = await client.post(
        "/api/v1/materials",
        files={"file": ("id-card.png", picture.read_bytes(), "image/png")},
        headers=auth,
    )
    assert r.status_code == 201, r.text
    form = {
        "applicant_phone": "13900139000",
        "birth_date": "1940-05-01",
        "bank": "工商银行",
        "address": "杭州市西湖区文三路 1 号",
    }
    r = await client.post(
        "/api/v1/cases",
        json={
            "item_code": "JF-330100-00111-001",
            "form": form,
            "materials": [{"name": "身份证", "material_id": r.json()["id"]}],
        },
        headers=auth,
    )
    assert r.status_code == 201, r.text
    case_no: str = r.json()["case_no"]
    return case_no


async def filed(api: str, sandbox: str, var: Path) -> Filed:
    """Two cases, a 12345 ticket (李四's, through the app channel) and two published slots."""
    cases = json.loads((var / "demo-case-agency.json").read_text())
    hospital = json.loads((var / "demo-agencies.json").read_text())["杭州市第一人民医院"]
    picture = photo(var / "a11y-id-card.png")
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        r = await client.post(sandbox + "/sandbox/app/login-codes", json={"user": RESIDENT})
        assert r.status_code == 201, r.text
        r = await client.post("/api/v1/sessions", json={"channel": "app", "code": r.json()["code"]})
        assert r.status_code == 201, r.text
        auth = {"Authorization": "Bearer " + r.json()["token"]}

        # Sent back: the case page then carries the supplement form.
        returned = await _apply(client, auth, picture)
        await _signed(client, cases, f"/api/v1/agency/cases/{returned}/accept", {"note": "受理"})
        await _signed(
            client,
            cases,
            f"/api/v1/agency/cases/{returned}/request_material",
            {"note": "身份证照片不清晰，请重新上传"},
        )
        # Completed with an e-licence: the result, and the way to rate it.
        done = await _apply(client, auth, picture)
        for step, note in (("accept", "受理"), ("approve", "材料齐全")):
            await _signed(client, cases, f"/api/v1/agency/cases/{done}/{step}", {"note": note})
        await _signed(
            client,
            cases,
            f"/api/v1/agency/cases/{done}/complete",
            {
                "result": {
                    "licence": {
                        "kind": "高龄津贴资格证明",
                        "title": "高龄津贴资格证明",
                        "number": "GLJT-A11Y-0001",
                    }
                }
            },
        )
        r = await client.get(f"/api/v1/cases/{done}", headers=auth)
        assert r.status_code == 200 and r.json()["status"] == "completed", r.text

        r = await client.post(
            "/api/v1/interactions",
            json={
                "kind": "complaint",
                "category_code": "noise",
                "text": "文三路工地夜里十一点还在施工，噪声很大",
                "photo_ids": [],
                "address": "杭州市西湖区文三路 1 号",
            },
            headers=auth,
        )
        assert r.status_code == 201, r.text
        ticket_id = int(r.json()["id"])

        # The demo hospital's published slots (first come), and a lottery it publishes now.
        r = await client.get("/api/v1/institutions", params={"kind": "clinic"})
        hz1h = next(i for i in r.json()["institutions"] if i["name"] == "杭州市第一人民医院")
        r = await client.get(f"/api/v1/institutions/{hz1h['id']}/slots")
        assert r.status_code == 200, r.text
        day = r.json()["date"]
        first_come = f"{r.json()['slots'][0]['id']}?institution={hz1h['id']}&date={day}"
        later = clock.shanghai_date() + timedelta(days=9)
        starts = clock.now().replace(microsecond=0) + timedelta(days=9)
        # The screen judges the window by the phone's own clock: a day either side of the
        # business clock keeps it open whatever hour YIWANG_TEST_AT sets.
        opened = clock.now().replace(microsecond=0) - timedelta(days=1)
        published = await _signed(
            client,
            hospital,
            f"/api/v1/agency/institutions/{hz1h['id']}/schedules",
            {
                "schedules": [
                    {
                        "department_code": "EK",
                        "resource_code": "D003",
                        "date": later.isoformat(),
                        "session": "evening",
                        "slots": [
                            {
                                "starts_at": starts.isoformat(),
                                "ends_at": (starts + timedelta(minutes=30)).isoformat(),
                                "capacity": 5,
                                "fee_fen": 0,
                            }
                        ],
                        "release_mode": "lottery",
                        "entry_opens_at": opened.isoformat(),
                        "entry_closes_at": (opened + timedelta(days=3)).isoformat(),
                        "draw_at": (opened + timedelta(days=3, minutes=1)).isoformat(),
                    }
                ]
            },
        )
        slot_ids = published["slot_ids"]
        assert isinstance(slot_ids, list) and len(slot_ids) == 1, published
        lottery = f"{slot_ids[0]}?institution={hz1h['id']}&date={later.isoformat()}"
    return Filed(returned, done, ticket_id, first_come, lottery)


Step = Callable[[Page], Awaitable[None]]


async def nothing(page: Page) -> None:
    return None


def pages(base: str, paid: Paid, filed: Filed, elder: bool) -> list[tuple[str, str, Step]]:
    """(name, address, what to do there before the audit)."""
    # /verify is server-rendered and public: its 长辈版 is a query parameter, not the device's
    # stored choice. The QR carries the page's own link.
    mode = "elder=1&" if elder else ""
    scanned = paid.qr.split("?q=", 1)[-1]

    async def open_check_in_code(page: Page) -> None:
        button = page.get_by_role("button", name="签到码").first
        if await button.count():
            await button.click()
            await expect(page.locator(".checkin .code-text").first).to_be_visible()

    async def look_up_fine(page: Page) -> None:
        await page.get_by_label("车牌号").fill("浙A12345")
        await page.get_by_label("车架号后 6 位").fill("123456")
        await page.get_by_role("button", name="查询").click()
        await expect(page.locator("#violations")).to_be_visible()

    async def enter_notice(page: Page) -> None:
        await page.get_by_label("缴款码（20 位数字）").fill(paid.payment_code)
        await page.get_by_role("button", name="查询").click()
        await expect(page.locator("#notice section")).to_be_visible()

    async def a_refusal(page: Page) -> None:
        await page.get_by_label("缴款码（20 位数字）").fill("12345678901234567890")
        await page.get_by_role("button", name="查询").click()
        await expect(page.locator("#status.error")).to_be_visible()

    async def receipt_verified(page: Page) -> None:
        await expect(page.locator("#verify-status")).to_have_text("验真结果：真实有效")

    async def open_item(page: Page) -> None:
        await page.get_by_role("link", name=re.compile("高龄津贴申领")).click()
        await expect(page.locator("#checklist")).to_contain_text("身份证")

    async def open_apply_form(page: Page) -> None:
        await open_item(page)
        await page.get_by_role("link", name="在线办理").click()
        await expect(page.get_by_label("联系电话")).to_be_visible()

    def verdict(words: str) -> Step:
        async def said(page: Page) -> None:
            await expect(page.locator(".verdict")).to_contain_text(words)
            elder_page = await page.evaluate("document.documentElement.className")
            assert (elder_page == "elder") == elder, elder_page

        return said

    async def order_settled(page: Page) -> None:
        await expect(page.locator("h2#order-state")).to_have_text("支付成功", timeout=40_000)

    async def supplement_asked(page: Page) -> None:
        await expect(page.locator("#supplement")).to_contain_text("身份证照片不清晰")

    async def licence_issued(page: Page) -> None:
        await expect(page.locator("#result")).to_contain_text("GLJT-A11Y-0001")
        await expect(page.locator("#rate-case")).to_be_visible()

    async def rating_form(page: Page) -> None:
        await expect(page.locator("fieldset.stars").first).to_be_visible()

    async def ticket_shown(page: Page) -> None:
        await expect(page.locator("#ticket")).to_contain_text("噪声很大")

    def release_shown(mode: str) -> Step:
        async def shown(page: Page) -> None:
            await expect(page.locator("#release .mode")).to_contain_text(mode)

        return shown

    async def lottery_open(page: Page) -> None:
        await expect(page.locator("#release .mode")).to_contain_text("摇号")
        await expect(page.get_by_role("button", name="参加摇号")).to_be_visible()

    h5 = base + "/h5/#"
    return [
        ("home", h5 + "/", nothing),
        ("services", h5 + "/services", nothing),
        ("search", h5 + "/search?q=%E7%A4%BE%E4%BF%9D", nothing),
        ("settings", h5 + "/settings", nothing),
        ("me", h5 + "/me", nothing),
        ("appointments-hall", h5 + "/appointments?kind=hall", nothing),
        ("appointments-clinic", h5 + "/appointments?kind=clinic", nothing),
        ("institution", h5 + "/institution/3", nothing),
        ("my-appointments", h5 + "/my-appointments", open_check_in_code),
        ("violations", h5 + "/violations", look_up_fine),
        ("notices", h5 + "/notices", enter_notice),
        ("notices-refused", h5 + "/notices", a_refusal),
        ("order", h5 + "/order/" + paid.order_no, order_settled),
        ("receipts", h5 + "/receipts", nothing),
        ("receipt", h5 + "/receipt/" + paid.receipt_no, receipt_verified),
        # Issue 27's pages.
        ("item", h5 + "/services", open_item),
        ("apply", h5 + "/services", open_apply_form),
        ("payables", h5 + "/payables", nothing),
        ("orders", h5 + "/orders", nothing),
        ("cases", h5 + "/cases", nothing),
        ("licences", h5 + "/licences", nothing),
        ("hotline", h5 + "/hotline", nothing),
        ("company", h5 + "/company", nothing),
        # The pages behind a filed case or ticket and a published slot.
        ("case-returned", h5 + "/case/" + filed.case_returned, supplement_asked),
        ("case-completed", h5 + "/case/" + filed.case_done, licence_issued),
        ("rate", h5 + "/rate?type=case&ref=" + quote(filed.case_done), rating_form),
        ("ticket", h5 + f"/ticket/{filed.ticket_id}", ticket_shown),
        ("release-first-come", h5 + "/release/" + filed.first_come, release_shown("先到先得")),
        ("release-lottery", h5 + "/release/" + filed.lottery, lottery_open),
        ("webview-blocked", h5 + "/webview?url=http%3A%2F%2Fexample.com&name=x", nothing),
        ("verify", base + "/verify?" + mode, nothing),
        ("verify-genuine", base + "/verify?" + mode + "q=" + quote(scanned), verdict("真实有效")),
        (
            "verify-unknown",
            base + "/verify?" + mode + "receipt_no=330101260000009999&check_code=ABCDEF",
            verdict("未查到该票据"),
        ),
    ]


async def sign_in(page: Page, base: str) -> None:
    await page.goto(base + "/h5/#/login")
    await page.get_by_label("演示居民").select_option(RESIDENT)
    await page.get_by_role("button", name="沙箱登录（演示）").click()
    await expect(page.locator("#verified")).to_be_visible()


async def sweep(
    browser: Browser, base: str, paid: Paid, filed: Filed, report: Report
) -> list[Audit]:
    """Audit every page in every mode and size; screenshots to tests/artifacts/a11y/."""
    shots = ARTIFACTS / "a11y"
    shots.mkdir(parents=True, exist_ok=True)
    done: list[Audit] = []
    for viewport in ("phone", "desktop"):
        for mode in ("normal", "elder"):
            async with context(browser, viewport, elder=mode == "elder") as ctx:
                page = await ctx.new_page()
                # The login page is audited signed out; everything after it signed in.
                await page.goto(base + "/h5/#/login")
                await expect(page.get_by_role("button", name="沙箱登录（演示）")).to_be_visible()
                done.append(await audit(page, "login", mode, viewport))
                await sign_in(page, base)
                for name, url, step in pages(base, paid, filed, mode == "elder"):
                    await page.goto(url)
                    await page.wait_for_load_state("networkidle")
                    await step(page)
                    result = await audit(page, name, mode, viewport)
                    done.append(result)
                    await page.screenshot(
                        path=str(shots / f"{name}-{mode}-{viewport}.png"), full_page=True
                    )
    for a in done:
        report.add(a)
    return done

"""The operator console in Debian's Chromium (driven by Playwright) against ``yiwang serve
--demo``, as the README starts it: the publish journey through forms (submit → review by a
second operator → grey release → release everywhere → rollback), a refund review, an audit
lookup, sessions, and axe-core on every screen. Screenshots go to tests/artifacts/; the
console's built size and first-load time go to tests/artifacts/console-metrics.json.
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests import tools
from tests.journeys import bearer, eventually, sign_in
from tests.test_demo import Demo

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
BUILT = ROOT / "app" / "http" / "console"
AXE = ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The machine is shared: allow a slow render before a step counts as failed.
expect.set_options(timeout=15_000)
SHANGHAI_TIME = re.compile(r"20\d\d年\d{1,2}月\d{1,2}日 \d\d:\d\d")
APP_ID = "hz-fever-clinic"
ITEM = "GG-330100-00101-001"  # 门诊预约挂号, 杭州市卫生健康委员会 (hz-wjw)


def passwords(demo: Demo) -> dict[str, str]:
    found = json.loads((demo.var / "demo-operators.json").read_text(encoding="utf-8"))
    return {name: row["password"] for name, row in found.items()}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not AXE.exists():
        tools.missing("the console's node packages (npm ci in console/)")
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(tools.chromium()), args=ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
async def api(demo: Demo) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=demo.api, timeout=30) as client:
        yield client


async def operator_token(api: httpx.AsyncClient, demo: Demo, username: str) -> str:
    r = await api.post(
        "/api/v1/operator/sessions",
        json={"username": username, "password": passwords(demo)[username]},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


async def signed_in(browser: Browser, demo: Demo, username: str) -> Page:
    # bypass_csp: axe-core is injected as an inline script; the console itself runs under it.
    context = await browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", bypass_csp=True
    )
    page = await context.new_page()
    await page.goto(demo.api + "/console")
    await page.fill("#login-username", username)
    await page.fill("#login-password", passwords(demo)[username])
    await page.click("#login-submit")
    await expect(page.locator("#who")).to_contain_text(username)
    return page


async def open_screen(page: Page, key: str) -> None:
    await page.click(f"[data-screen={key}]")
    await page.wait_for_load_state("networkidle")


async def give_reason(page: Page, reason: str) -> None:
    box = page.locator(".reason-box")
    await expect(box).to_be_visible()
    await box.locator("input").fill(reason)
    await box.locator(".el-button--primary").click()
    await expect(box).to_be_hidden()


async def axe_clean(page: Page, name: str) -> None:
    """0 serious or critical axe-core violations on the screen, and its screenshot."""
    ARTIFACTS.mkdir(exist_ok=True)
    await page.add_script_tag(path=str(AXE))
    # Toasts (.el-message) fade in and out; mid-fade their contrast is not what a reader sees.
    result = await page.evaluate("async () => await axe.run({exclude: [['.el-message']]})")
    bad = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    await page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)
    assert bad == [], f"{name}: {bad}"


async def names_on_homes(api: httpx.AsyncClient, region: str) -> dict[str, str | None]:
    """The mini-app's name on each channel's home in the region (None: not there)."""
    out: dict[str, str | None] = {}
    for channel in ("app", "wechat", "alipay"):
        r = await api.get("/api/v1/catalog", params={"channel": channel, "region": region})
        assert r.status_code == 200, r.text
        found = [m["name"] for m in r.json()["miniapps"] if m["id"] == APP_ID]
        out[channel] = found[0] if found else None
    return out


def everywhere(name: str | None) -> dict[str, str | None]:
    return {"app": name, "wechat": name, "alipay": name}


async def first_version_live(api: httpx.AsyncClient, demo: Demo) -> None:
    """v1 of the mini-app, live everywhere (the journey below is about its v2)."""
    author = await operator_token(api, demo, "hz-health")
    reviewer = await operator_token(api, demo, "hz-health-review")
    manifest = {
        "id": APP_ID,
        "name": "发热门诊预约",
        "icon": "https://static.example.gov.cn/fever.png",
        "department": "hz-wjw",
        "entry": {"type": "native", "page": "pages/clinic/index"},
        "items": [ITEM],
        "regions": ["330100"],
        "channels": ["app", "wechat", "alipay"],
        "verification": "login",
    }
    r = await api.post(
        "/api/v1/operator/miniapps", json={"manifest": manifest}, headers=bearer(author)
    )
    assert r.status_code == 201, r.text
    r = await api.post(
        f"/api/v1/operator/miniapps/{APP_ID}/versions/1/review",
        json={"decision": "approve"},
        headers=bearer(reviewer),
    )
    assert r.status_code == 200, r.text
    r = await api.post(
        f"/api/v1/operator/miniapps/{APP_ID}/versions/1/publish",
        json={"regions": None},
        headers=bearer(author),
    )
    assert r.status_code == 200, r.text


async def test_publish_journey_grey_release_everywhere_and_rollback(
    browser: Browser, api: httpx.AsyncClient, demo: Demo
) -> None:
    await first_version_live(api, demo)
    assert await names_on_homes(api, "330106") == everywhere("发热门诊预约")

    # The author submits v2 through the form; wrong fields are explained next to them.
    author = await signed_in(browser, demo, "hz-health")
    await open_screen(author, "miniapps")
    await author.locator("#miniapps-table tr", has_text=APP_ID).get_by_text("提交新版本").click()
    await expect(author.locator("#f-id")).to_have_value(APP_ID)
    await author.fill("#f-name", "发热门诊预约（新版）")
    await author.locator("label", has_text="H5 网页").click()
    await author.fill("#f-url", "http://fever.example.gov.cn/")
    await author.click("#f-validate")
    url_item = author.locator(".el-form-item", has=author.locator("#f-url"))
    await expect(url_item.locator(".el-form-item__error")).to_have_text(
        "H5 地址必须以 https:// 开头"
    )
    # The server's own check: a channel dropped without a reason, shown beside that field.
    await author.fill("#f-url", "https://fever.example.gov.cn/")
    await author.locator("#f-channels label", has_text="支付宝").click()
    await author.click("#f-validate")
    reason_item = author.locator(".el-form-item", has_text="不上支付宝的原因")
    await expect(reason_item.locator(".el-form-item__error")).to_contain_text("请勾选该渠道")
    await author.locator("#f-channels label", has_text="支付宝").click()
    # The live preview: the new name on all three homes.
    for channel in ("app", "wechat", "alipay"):
        await expect(author.locator(f"[data-preview={channel}] .tile.new")).to_have_text(
            "发热门诊预约（新版）"
        )
    await axe_clean(author, "2-miniapp-form")
    await author.click("#f-submit")
    await expect(author.locator(".el-message--success").last).to_contain_text("第 2 版")
    await expect(author.locator("#miniapps-table")).to_contain_text("待审核")

    # A second operator reviews it; the author could not have.
    reviewer = await signed_in(browser, demo, "hz-health-review")
    await open_screen(reviewer, "reviews")
    card = reviewer.locator(f"#review-{APP_ID}-2")
    await expect(card).to_contain_text("https://fever.example.gov.cn/")
    await expect(card).to_contain_text("浙里办、微信、支付宝")
    await axe_clean(reviewer, "3-reviews")
    await reviewer.click(f"#approve-{APP_ID}")
    await expect(reviewer.locator(".el-message--success").last).to_contain_text("已通过")
    assert await names_on_homes(api, "330106") == everywhere("发热门诊预约")

    # Grey release to one district, picked in the region tree.
    await open_screen(author, "release")
    await author.click(f"[data-app={APP_ID}]")
    await expect(author.locator("#publish-grey")).to_be_visible()
    await (
        author.locator("#region-tree .el-tree-node__content", has_text="330106")
        .locator(".el-checkbox")
        .click()
    )
    await author.click("#publish-grey")
    await give_reason(author, "先在西湖区试点")
    await expect(author.locator("#grey-regions")).to_contain_text("西湖区")
    await axe_clean(author, "4-grey-release")
    assert await names_on_homes(api, "330106") == everywhere("发热门诊预约（新版）")
    assert await names_on_homes(api, "330102") == everywhere("发热门诊预约")

    # Everywhere.
    await author.click("#release-all")
    await give_reason(author, "试点无问题，全市上线")
    await expect(author.locator("#release-panel")).to_contain_text("全量发布")
    assert await names_on_homes(api, "330102") == everywhere("发热门诊预约（新版）")

    # Rollback, with its reason; v1 serves everywhere again.
    await author.click("#rollback")
    await give_reason(author, "新版入口打不开，先回滚")
    await expect(author.locator(".el-message--success").last).to_contain_text("第 1 版")
    assert await names_on_homes(api, "330106") == everywhere("发热门诊预约")
    assert await names_on_homes(api, "330102") == everywhere("发热门诊预约")


async def test_audit_lookup_shows_who_did_what_as_readable_changes(
    browser: Browser, api: httpx.AsyncClient, demo: Demo
) -> None:
    admin_token = await operator_token(api, demo, "admin")
    r = await api.get(
        "/api/v1/operator/audit",
        params={"subject": APP_ID, "action": "rollback"},
        headers=bearer(admin_token),
    )
    assert [e["reason"] for e in r.json()["entries"]] == ["新版入口打不开，先回滚"]

    page = await signed_in(browser, demo, "admin")
    await open_screen(page, "audit")
    await page.fill("#audit-subject", APP_ID)
    await page.locator(".el-select", has=page.locator("#audit-action")).click()
    await page.locator(".el-select-dropdown__item", has_text="回滚").click()
    await page.click("#audit-search")
    rows = page.locator("#audit-table .el-table__body tr")
    await expect(rows).to_have_count(1)
    row = rows.first
    await expect(row).to_contain_text("hz-health")
    await expect(row).to_contain_text("回滚")
    await expect(row).to_contain_text("新版入口打不开，先回滚")
    await expect(row).to_contain_text("线上版本：2 → 1")
    await expect(row).to_contain_text("名称：发热门诊预约（新版） → 发热门诊预约")
    assert SHANGHAI_TIME.search(await row.inner_text())
    assert "rollback" not in await row.inner_text()
    await axe_clean(page, "5-audit")

    # Without the action filter, the whole journey reads in words.
    await open_screen(page, "items")
    await open_screen(page, "audit")
    await page.fill("#audit-subject", APP_ID)
    await page.click("#audit-search")
    await expect(rows).to_have_count(8)
    table = await page.inner_text("#audit-table")
    for word in ("提交版本", "审核通过", "发布", "调整发布范围", "回滚"):
        assert word in table, word
    assert "灰度地区：（无） → 西湖区" in table  # region codes by name


def lisi_notice(demo: Demo) -> dict[str, Any]:
    return dict(json.loads((demo.var / "demo-notices.json").read_text())["李四"])


async def second_payment(api: httpx.AsyncClient, demo: Demo) -> str:
    """李四 pays his exam notice on Alipay while the app's cashier also takes the money."""
    async with httpx.AsyncClient(base_url=demo.sandbox, timeout=30) as sandbox:
        code = lisi_notice(demo)["payment_code"]
        on_app = (await sign_in(api, sandbox, "app", "zlb-demo-lisi"))["token"]
        order = (
            await api.post(
                "/api/v1/orders",
                json={"payable": {"type": "notice", "payment_code": code}},
                headers=bearer(on_app),
            )
        ).json()
        pay = f"/api/v1/orders/{order['id']}/payments"
        r = await api.post(pay, json={"channel": "app"}, headers=bearer(on_app))
        assert r.status_code == 200, r.text
        on_alipay = (await sign_in(api, sandbox, "alipay", "2088000000000002"))["token"]
        r = await api.post(pay, json={"channel": "alipay"}, headers=bearer(on_alipay))
        assert r.status_code == 200, r.text
        paid = await sandbox.post(
            "/sandbox/alipay/payments", json={"trade_no": r.json()["channel_params"]["trade_no"]}
        )
        assert paid.status_code in (200, 201), paid.text

        async def is_paid() -> bool:
            body = (await api.get(f"/api/v1/orders/{order['id']}", headers=bearer(on_app))).json()
            return body["status"] == "PAID"

        await eventually(is_paid, timeout=30)
        r = await sandbox.post(
            "/sandbox/app/payments", json={"out_trade_no": order["id"], "force": True}
        )
        assert r.status_code == 201, r.text
        return str(order["id"])


async def test_a_refund_review_is_resolved_and_a_refund_carries_the_consoles_key(
    browser: Browser, api: httpx.AsyncClient, demo: Demo
) -> None:
    order_no = await second_payment(api, demo)
    admin_token = await operator_token(api, demo, "admin")

    async def open_reviews() -> list[dict[str, Any]]:
        r = await api.get("/api/v1/operator/refund-reviews", headers=bearer(admin_token))
        return [x for x in r.json()["reviews"] if x["order_no"] == order_no]

    [review] = await eventually(open_reviews, timeout=30)
    assert review["reason"] == "SECOND_PAYMENT"

    page = await signed_in(browser, demo, "admin")
    await open_screen(page, "refund-reviews")
    row = page.locator("#refund-reviews-table .el-table__body tr", has_text=order_no)
    await expect(row).to_contain_text("重复支付")
    await expect(row).to_contain_text(f"¥{lisi_notice(demo)['total_fen'] // 100}.00")
    await expect(row).to_contain_text("待处理")
    await axe_clean(page, "6-refund-reviews")
    await page.click(f"[data-refund='{order_no}']")
    await give_reason(page, "重复支付，原路退回")
    await expect(page.locator(".el-message--success").last).to_contain_text(order_no)
    r = await api.get(
        "/api/v1/operator/refund-reviews",
        params={"status": "resolved"},
        headers=bearer(admin_token),
    )
    [resolved] = [x for x in r.json()["reviews"] if x["order_no"] == order_no]
    assert resolved["status"] == "REFUNDED" and resolved["resolution"]["by"] == "admin"
    assert resolved["resolution"]["note"] == "重复支付，原路退回"
    await page.locator(".el-tabs__item", has_text="已处理").click()
    await expect(
        page.locator("#refund-reviews-table .el-table__body tr", has_text=order_no)
    ).to_contain_text("已退款")

    # A refund of the order itself: the console draws the Idempotency-Key; the same key
    # sent again answers the same refund instead of refunding twice.
    await open_screen(page, "refunds")
    key = await page.inner_text("#refund-key")
    assert re.fullmatch(r"console-[0-9a-f]{32}", key)
    await page.fill("#refund-order", order_no)
    await page.fill("#refund-amount", "abc")
    await page.click("#refund-submit")
    amount = page.locator(".el-form-item", has=page.locator("#refund-amount"))
    await expect(amount.locator(".el-form-item__error")).to_contain_text("退款金额")
    await page.fill("#refund-amount", "20.00")
    await page.fill("#refund-reason", "重复缴费退还")
    await page.click("#refund-submit")
    await page.locator(".el-message-box .el-button--primary").click()
    await expect(page.locator(".el-message--success").last).to_contain_text("¥20.00")
    await expect(page.locator("#refund-key")).not_to_have_text(key)
    await axe_clean(page, "7-refunds")
    again = await api.post(
        f"/api/v1/operator/orders/{order_no}/refunds",
        json={"amount_fen": 2000, "reason": "重复缴费退还"},
        headers={**bearer(admin_token), "Idempotency-Key": key},
    )
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["requested_by"] == "admin"


async def test_every_screen_reads_in_chinese_with_no_serious_axe_violations(
    browser: Browser, api: httpx.AsyncClient, demo: Demo
) -> None:
    # Residents search: one finds 门诊预约挂号, one finds nothing (a gap in the library).
    for q in ("挂号", "挂号", "宠物殡葬"):
        r = await api.get("/api/v1/catalog/search", params={"q": q, "region": "330100"})
        assert r.status_code == 200, r.text
    page = await signed_in(browser, demo, "admin")
    await open_screen(page, "analytics")
    await expect(page.locator("figure", has_text="热门搜索词")).to_contain_text("挂号")
    await expect(page.locator("figure", has_text="搜不到结果的词")).to_contain_text("宠物殡葬")
    assert int(await page.inner_text("#searches-total")) >= 3
    for key in (
        "items",
        "miniapps",
        "audit",
        "analytics",
        "evaluations",
        "supervision",
        "refund-reviews",
        "refunds",
        "reconciliation",
        "cases",
        "open311",
        "work-calendar",
    ):
        await open_screen(page, key)
        await page.wait_for_timeout(300)
        await axe_clean(page, f"screen-{key}")
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", await page.inner_text("main"))
    # Open311 clients: created here, revoked with a reason that lands in the audit.
    await open_screen(page, "open311")
    await page.get_by_placeholder("接入方名称").fill("区网格化平台")
    await page.get_by_role("button", name="新建接入方").click()
    await expect(page.locator(".el-alert--success")).to_contain_text("o311_")
    await page.locator("tr", has_text="区网格化平台").get_by_text("吊销").click()
    await give_reason(page, "接入方停止对接")
    await expect(page.locator("tr", has_text="区网格化平台")).to_contain_text("已吊销")
    token = await operator_token(api, demo, "admin")
    r = await api.get(
        "/api/v1/operator/audit", params={"action": "open311_client_revoke"}, headers=bearer(token)
    )
    assert [e["reason"] for e in r.json()["entries"]] == ["接入方停止对接"]


async def test_sign_in_refusals_and_an_ended_session_are_explained(
    browser: Browser, api: httpx.AsyncClient, demo: Demo
) -> None:
    context = await browser.new_context(locale="zh-CN", bypass_csp=True)
    page = await context.new_page()
    await page.goto(demo.api + "/console")
    await axe_clean(page, "1-sign-in")
    await page.fill("#login-username", "hz-traffic")
    await page.fill("#login-password", "not-the-password")
    await page.click("#login-submit")
    await expect(page.locator("#login-problem")).to_contain_text("用户名或密码错误")
    await page.fill("#login-password", passwords(demo)["hz-traffic"])
    await page.click("#login-submit")
    await expect(page.locator("#who")).to_contain_text("部门操作员")
    # The session ends elsewhere (signed out with the same token): the next step says so.
    saved = await page.evaluate("() => sessionStorage.getItem('yiwang-console-session')")
    token = json.loads(saved)["token"]
    r = await api.delete("/api/v1/operator/sessions/current", headers=bearer(token))
    assert r.status_code == 204
    await page.click("[data-screen=audit]")
    await expect(page.locator(".login")).to_contain_text("登录已过期")


async def test_the_console_is_small_and_loads_fast(browser: Browser, demo: Demo) -> None:
    files = [p for p in (BUILT / "assets").iterdir()] + [BUILT / "index.html"]
    raw = sum(p.stat().st_size for p in files)
    gz = sum(len(gzip.compress(p.read_bytes(), 9)) for p in files)
    context = await browser.new_context()
    page = await context.new_page()
    started = time.monotonic()
    await page.goto(demo.api + "/console")
    await expect(page.locator("#login-submit")).to_be_visible()
    usable_ms = (time.monotonic() - started) * 1000
    timing = await page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " return {dom: n.domContentLoadedEventEnd, load: n.loadEventEnd}; }"
    )
    metrics = {
        "built_bytes": raw,
        "built_gzip_bytes": gz,
        "sign_in_usable_ms": round(usable_ms),
        "dom_content_loaded_ms": round(timing["dom"]),
        "load_ms": round(timing["load"]),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "console-metrics.json").write_text(json.dumps(metrics, indent=1))
    print("console metrics:", metrics)
    assert gz < 600_000, metrics
    assert usable_ms < 10_000, metrics


async def test_an_item_guide_is_revised_through_the_form_reviewed_and_published(
    browser: Browser, api: httpx.AsyncClient, demo: Demo
) -> None:
    before = (await api.get(f"/api/v1/items/{ITEM}")).json()
    author = await signed_in(browser, demo, "hz-health")
    await open_screen(author, "items")
    await author.locator("#items-table .el-table__body tr", has_text=ITEM).click()
    drawer = author.locator(".el-drawer")
    await expect(drawer).to_contain_text("受理条件")
    await drawer.get_by_role("button", name="修改（生成新版本）").click()
    editor = author.locator("#item-editor")
    await expect(author.locator("#i-name")).to_have_value(before["name"])
    # A promise beyond the legal limit is refused, named beside the time limits in words.
    await editor.get_by_label("法定时限").fill("10")
    await editor.get_by_label("承诺时限").fill("15")
    await author.click("#i-check")
    limits = editor.locator(".el-form-item", has_text="时限（工作日）")
    await expect(limits.locator(".el-form-item__error")).to_contain_text("承诺时限")
    await editor.get_by_label("承诺时限").fill("3")
    await (
        editor.locator(".el-form-item", has_text="咨询电话").locator("input").fill("0571-88888888")
    )
    await axe_clean(author, "8-item-editor")
    await author.click("#i-save")
    await give_reason(author, "更新咨询电话")
    await expect(drawer).to_contain_text("草稿")
    await drawer.get_by_role("button", name="提交审核").click()
    await expect(drawer).to_contain_text("待审核")
    assert (await api.get(f"/api/v1/items/{ITEM}")).json()["guide"]["contact"] == before["guide"][
        "contact"
    ]

    reviewer = await signed_in(browser, demo, "hz-health-review")
    await open_screen(reviewer, "items")
    await reviewer.locator("#items-table .el-table__body tr", has_text=ITEM).click()
    await reviewer.locator(".el-drawer").get_by_role("button", name="审核通过").click()
    await reviewer.locator(".reason-box .el-button--primary").click()
    await expect(reviewer.locator(".el-drawer")).to_contain_text("已通过")

    # The author reopens the item (now approved) and publishes it.
    await author.locator(".el-drawer__close-btn").click()
    await author.locator("#items-table .el-table__body tr", has_text=ITEM).click()
    await expect(author.locator(".el-drawer")).to_contain_text("已通过")
    await author.locator(".el-drawer").get_by_role("button", name=re.compile("发布第")).click()
    await expect(author.locator(".el-message--success").last).to_contain_text("已发布")
    after = (await api.get(f"/api/v1/items/{ITEM}")).json()
    assert after["guide"]["contact"] == "0571-88888888"
    assert after["guide"]["promised_time_limit_days"] == 3
    assert after["guide"]["conditions"] == before["guide"]["conditions"]


async def test_an_admin_loads_the_shipped_work_calendar_with_a_reason(
    browser: Browser, api: httpx.AsyncClient, demo: Demo
) -> None:
    admin = bearer(await operator_token(api, demo, "admin"))
    # 2026 as a short notice would have it (New Year only), so the screen has something to load.
    r = await api.put(
        "/api/v1/operator/calendar/2026",
        json={
            "arrangement": {
                "year": 2026,
                "source": "试载",
                "days_off": [{"name": "元旦", "from": "2026-01-01", "to": "2026-01-03"}],
            },
            "reason": "浏览器测试准备",
        },
        headers=admin,
    )
    assert r.status_code == 200, r.text
    page = await signed_in(browser, demo, "admin")
    await open_screen(page, "work-calendar")
    await page.click(".wc-year")
    await page.locator(".el-select-dropdown__item", has_text="2026年").click()
    await page.wait_for_load_state("networkidle")
    await expect(page.locator("#wc-days-off")).to_contain_text("元旦")
    await expect(page.locator("#wc-days-off")).not_to_contain_text("春节")
    await page.click("#wc-load-shipped")
    await give_reason(page, "国办通知已发布")
    await expect(page.locator("#wc-days-off")).to_contain_text("春节")
    await expect(page.locator("#wc-days-off")).to_contain_text("国庆节")
    await expect(page.locator("#wc-workdays")).to_contain_text("春节调休")
    await axe_clean(page, "9-work-calendar")
    r = await api.get(
        "/api/v1/operator/audit",
        params={"action": "load_work_calendar", "subject": "2026"},
        headers=admin,
    )
    latest = r.json()["entries"][0]
    assert (latest["operator"], latest["reason"]) == ("admin", "国办通知已发布")
    r = await api.get("/api/v1/operator/calendar", params={"year": 2026}, headers=admin)
    assert len(r.json()["days_off"]) == 33 and len(r.json()["workdays"]) == 6

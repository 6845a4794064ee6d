"""Accessibility and 长辈版 of the H5 shell and the public /verify page, in Chromium.

- axe-core over every page, in the standard and the elder mode, at 390×844 and 1280×800:
  no serious or critical violation anywhere (figures in tests/artifacts/axe-h5.txt,
  screenshots in tests/artifacts/a11y/).
- An elder-mode journey with text at 200 %: sign in, switch in settings, book, pay a fine,
  show the receipt; large type, line spacing, nothing wider than the phone, no pop-up.
- A resident of 60 or more is offered the elder mode inline on first sign-in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from playwright.async_api import Browser, Dialog, Page, async_playwright, expect

from app.identity.id_numbers import with_check_digit
from tests import tools
from tests.a11y.axe import ARGS, ARTIFACTS, Report, audit, context
from tests.a11y.sweep import filed, paid_notice, sweep
from tests.shells.conftest import Demo


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(tools.chromium()), args=ARGS)
        yield chromium
        await chromium.close()


async def test_axe_finds_no_serious_or_critical_violation_on_any_page_in_either_mode(
    demo: Demo, browser: Browser
) -> None:
    paid = await paid_notice(demo.api, demo.sandbox, demo.workdir / "var")
    cases_and_slots = await filed(demo.api, demo.sandbox, demo.workdir / "var")
    report = Report()
    audits = await sweep(browser, demo.api, paid, cases_and_slots, report)
    path = report.write("axe-h5.txt")
    # Every page in both modes at both sizes was audited, and axe really ran on each.
    pages = {a.page for a in audits}
    assert len(audits) == len(pages) * 4 and len(pages) >= 20
    # Including the pages behind a filed case or ticket and a published slot.
    assert {"case-returned", "case-completed", "rate", "ticket"} <= pages
    assert {"release-first-come", "release-lottery"} <= pages
    assert all(a.passes > 10 for a in audits), path.read_text()
    failing = [a for a in audits if a.blocking]
    assert not failing, "\n".join(a.line() + "\n" + a.explain() for a in failing)


def no_pop_ups(page: Page, seen: list[str]) -> None:
    def dialog(d: Dialog) -> None:
        seen.append(d.message)

    page.on("dialog", dialog)


async def text_metrics(page: Page) -> dict[str, float]:
    return await page.evaluate(
        """() => { const s = getComputedStyle(document.querySelector('main p, main li, main a,'
                   + ' main label') || document.body);
                   return {size: parseFloat(s.fontSize), line: parseFloat(s.lineHeight),
                           width: document.documentElement.scrollWidth}; }"""
    )


async def assert_elder_at_200(page: Page, step: str, report: Report) -> None:
    metrics = await text_metrics(page)
    # 长辈版 body text is 20 px at the standard scale; at 200 % it is 40 px.
    assert metrics["size"] >= 36, (step, metrics)
    assert metrics["line"] >= 1.3 * metrics["size"], (step, metrics)
    assert metrics["width"] <= 390, (step, metrics)  # no sideways scrolling at 200 %
    result = await audit(page, "journey-" + step, "elder", "phone@200%")
    report.add(result)
    assert not result.blocking, result.explain()
    await page.screenshot(path=str(ARTIFACTS / f"elder-journey-{step}.png"), full_page=True)


async def test_an_elder_signs_in_books_pays_a_fine_and_shows_the_receipt_at_200_percent(
    demo: Demo, browser: Browser
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    report, dialogs = Report(), []
    async with context(browser, "phone", elder=None) as ctx:
        # No stored choice: the resident makes it in settings below.
        page = await ctx.new_page()
        no_pop_ups(page, dialogs)

        # 1. Sign in.
        await page.goto(demo.api + "/h5/#/login")
        await page.get_by_label("演示居民").select_option("zlb-demo-zhangsan")
        await page.get_by_role("button", name="沙箱登录（演示）").click()
        await expect(page.locator("#verified")).to_have_text("已实名 · 浙里办实名认证")

        # 2. Settings: 长辈版, then the largest text; said in words, kept on the server.
        await page.get_by_role("link", name="切换长辈版与字号").click()
        await page.get_by_role("button", name="长辈版").click()
        await expect(page.locator("#status")).to_have_text("已切换为长辈版，字号：标准。")
        await page.get_by_role("button", name="最大").click()
        await expect(page.locator("#status")).to_have_text("已切换为长辈版，字号：最大。")
        await expect(page.get_by_role("button", name="最大")).to_have_attribute(
            "aria-pressed", "true"
        )
        await expect(page.locator("#mode-now")).to_have_text("现在是：长辈版")
        token = await page.evaluate("localStorage.getItem('yiwang.token')")
        async with httpx.AsyncClient(base_url=demo.api) as api:
            me = (await api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).json()
        assert me["preferences"] == {"elder_mode": True, "text_scale": 200, "chosen": True}
        assert await page.evaluate("document.documentElement.className") == "elder scale-200"
        await assert_elder_at_200(page, "1-settings", report)

        # 3. The elder home: the four large buttons.
        await page.get_by_role("link", name="首页", exact=True).click()
        buttons = page.locator("#elder-home a")
        await expect(buttons).to_have_count(4)
        names = [n.split("\n")[0] for n in await buttons.all_inner_texts()]
        assert names == ["我的预约", "缴纳通知书", "我的罚款", "我的票据"]
        box = await buttons.first.bounding_box()
        assert box is not None and box["height"] >= 88 and box["width"] >= 300
        await assert_elder_at_200(page, "2-home", report)

        # 4. Book a service-hall slot from "my appointments".
        await page.get_by_role("link", name="我的预约").click()
        await page.get_by_role("link", name="新的预约").click()
        await page.get_by_role("link", name="杭州市民中心行政服务大厅").click()
        await page.locator(".dates a").nth(1).click()
        await page.locator("button.book:not([disabled])").first.click()
        await expect(page.locator("#status")).to_have_text("预约成功！请按时到场，凭签到码签到。")
        await assert_elder_at_200(page, "3-booked", report)

        # 5. Pay a fine: look it up, pay at the cashier, come back to the order.
        await page.get_by_role("link", name="首页", exact=True).click()
        await page.get_by_role("link", name="我的罚款").click()
        await page.get_by_label("车牌号").fill("浙A12345")
        await page.get_by_label("车架号后 6 位").fill("123456")
        await page.get_by_role("button", name="查询").click()
        pay = page.get_by_role("button", name="缴款 ¥230.00")
        await expect(pay).to_be_visible()
        await assert_elder_at_200(page, "4-fine", report)
        await pay.click()
        await page.wait_for_url(demo.sandbox + "/cashier/**")
        await page.get_by_role("button", name="确认支付 / Pay").click()
        await page.get_by_role("link", name="返回 / Back").click()
        await page.wait_for_url("**/h5/#/order/**")
        await expect(page.locator("#order-state")).to_have_text("支付成功", timeout=40_000)
        await assert_elder_at_200(page, "5-paid", report)

        # 6. Show the receipt: verified, in words.
        await page.get_by_role("link", name="查看电子票据").click()
        await expect(page.locator("#verify-status")).to_have_text("验真结果：真实有效")
        await expect(page.locator(".receipt")).to_contain_text("贰佰叁拾元整")
        await assert_elder_at_200(page, "6-receipt", report)
    report.write("axe-elder-journey.txt")
    assert dialogs == []


async def test_a_resident_over_60_is_offered_elder_mode_inline_on_first_sign_in(
    demo: Demo, browser: Browser
) -> None:
    number = with_check_digit("330106" + date(1950, 6, 1).strftime("%Y%m%d") + "301")
    async with httpx.AsyncClient(base_url=demo.sandbox) as sandbox:
        r = await sandbox.post("/sandbox/users", json={"name": "陈桂英", "id_number": number})
        assert r.status_code == 201, r.text
        r = await sandbox.post(
            "/sandbox/app/login-codes", json={"user": r.json()["app"]["user_id"]}
        )
        ticket = r.json()["code"]
    dialogs: list[str] = []
    async with context(browser, "phone", elder=None) as ctx:
        page = await ctx.new_page()
        no_pop_ups(page, dialogs)
        await page.goto(demo.api + f"/h5/?ticket={ticket}#/")
        offer = page.locator("#elder-offer")
        await expect(offer).to_contain_text("您已年满 60 周岁，可以使用长辈版")
        assert await page.evaluate("document.documentElement.classList.contains('elder')") is False
        await page.screenshot(path=str(ARTIFACTS / "elder-offer.png"), full_page=True)
        result = await audit(page, "elder-offer", "normal", "phone")
        assert not result.blocking, result.explain()
        await offer.get_by_role("button", name="使用长辈版").click()
        await expect(page.locator("#elder-home")).to_be_visible()
        await expect(page.locator("#status")).to_contain_text("已切换为长辈版")
        await expect(offer).to_have_count(0)
        token = await page.evaluate("localStorage.getItem('yiwang.token')")
        # Offered once: the choice is the citizen's, on every channel, and the offer is gone.
        async with httpx.AsyncClient(base_url=demo.api) as api:
            me = (await api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).json()
        assert me["preferences"]["chosen"] is True and me["preferences"]["elder_mode"] is True
        assert me["elder_mode_offer"] is False
        await page.reload()
        await expect(page.locator("#elder-home")).to_be_visible()
        await expect(page.locator("#elder-offer")).to_have_count(0)
    assert dialogs == []

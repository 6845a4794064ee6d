"""The operator console in headless Chromium (Debian's package, driven by Playwright).

An operator submits a new mini-app from the console, a reviewer approves it there, the
operator publishes it to one district, and GET /api/v1/catalog shows it on all three
channels in that district and nowhere else.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import async_playwright, expect

from tests import tools
from tests.catalog.conftest import PASSWORD, make_operator, manifest

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.usefixtures("clean"),
]


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(tools.chromium()), args=ARGS)
        yield chromium
        await chromium.close()


async def console_page(browser, base: str, username: str):  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    page = await context.new_page()
    await page.goto(base + "/console")
    await page.fill("#login-username", username)
    await page.fill("#login-password", PASSWORD)
    await page.click("#login-submit")
    await page.wait_for_selector("#app-view:not([hidden])")
    return page


async def shows(api: httpx.AsyncClient, region: str) -> dict[str, bool]:
    out = {}
    for channel in ("app", "wechat", "alipay"):
        r = await api.get("/api/v1/catalog", params={"channel": channel, "region": region})
        assert r.status_code == 200, r.text
        out[channel] = any(m["id"] == "hz-fever-clinic" for m in r.json()["miniapps"])
    return out


async def test_an_operator_publishes_a_mini_app_from_the_console_to_one_district(
    browser, api: httpx.AsyncClient, live_server, seeded: int
) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    await make_operator("hz-health", "department_operator", ["hz-wjw"], ["330100"])
    await make_operator("hz-health-rev", "reviewer", ["hz-wjw"], ["330100"])
    new_app = manifest(id="hz-fever-clinic", name="发热门诊预约", items=["GG-330100-00101-001"])

    author = await console_page(browser, live_server.api, "hz-health")
    await author.click("nav button[data-tab=items]")
    await author.fill("#item-q", "挂号")
    await author.click("#item-search button")
    await author.wait_for_selector("#items-body tr")
    assert "门诊预约挂号" in await author.inner_text("#items-body")
    await author.click("nav button[data-tab=miniapps]")
    await author.fill(
        "#manifest", json.dumps({**new_app, "entry": {"type": "h5", "url": "http://x.cn"}})
    )
    await author.click("#validate")
    await expect(author.locator("#message")).to_contain_text("https://")
    await author.fill("#manifest", json.dumps(new_app, ensure_ascii=False))
    await author.click("#submit-manifest")
    await expect(author.locator("#message")).to_contain_text("Submitted hz-fever-clinic v1")
    await author.wait_for_selector("#miniapp-hz-fever-clinic")
    await author.screenshot(path=str(ARTIFACTS / "console-1-submitted.png"), full_page=True)

    reviewer = await console_page(browser, live_server.api, "hz-health-rev")
    await reviewer.click("nav button[data-tab=reviews]")
    await reviewer.wait_for_selector("#review-hz-fever-clinic-1")
    await reviewer.click("#approve-hz-fever-clinic")
    await expect(reviewer.locator("#message")).to_contain_text("Approved hz-fever-clinic v1")
    await reviewer.screenshot(path=str(ARTIFACTS / "console-2-approved.png"), full_page=True)

    assert await shows(api, "330106") == {"app": False, "wechat": False, "alipay": False}
    await author.click("nav button[data-tab=miniapps]")
    await author.wait_for_selector("#publish-hz-fever-clinic")
    await author.fill("#regions-hz-fever-clinic", "330106")
    await author.click("#publish-hz-fever-clinic")
    await expect(author.locator("#message")).to_contain_text(
        "Published hz-fever-clinic v1 to 330106"
    )
    await author.wait_for_selector("#release-hz-fever-clinic")
    await author.screenshot(path=str(ARTIFACTS / "console-3-published.png"), full_page=True)

    assert await shows(api, "330106") == {"app": True, "wechat": True, "alipay": True}
    for elsewhere in ("330100", "330102", "330108", "330000", "330200", "330212"):
        assert await shows(api, elsewhere) == {"app": False, "wechat": False, "alipay": False}

    await author.click("nav button[data-tab=audit]")
    await author.wait_for_selector("#audit-body tr")
    audit = await author.inner_text("#audit-body")
    assert "publish" in audit and "approve" in audit and "hz-health-rev" in audit
    await author.screenshot(path=str(ARTIFACTS / "console-4-audit.png"), full_page=True)

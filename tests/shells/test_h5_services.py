"""Issue 27's resident services in the H5 shell, in headless Chromium at 390×844.

Against a `yiwang serve --demo` of its own, as 李四 (signed in through the sandbox's SSO):
a notice the department issues to him is under 我的待缴 and paid in one tap at the unified
cashier; from the catalog he opens the item page, applies with a photo, is sent back,
supplements in place, sees the completed case's e-licence, rates it 2 and sees the
rectification; files a 12345 report with a photo, the category's attribute and his location
(granted); acts for the demo company, authorises an agent and revokes them; and finds the
paid order under my orders. The department's part goes through its signed API. Screenshots
of each new page: tests/artifacts/h5-s*.png.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, async_playwright, expect

from infra import clock
from tests import tools
from tests.journeys import signed_headers
from tests.shells.conftest import Demo
from tests.shells.test_h5_journey import ARGS, ARTIFACTS, PHONE
from tests.shells.test_miniprogram_journey import photo

LISI = ("李四", "330102198511224569")


@pytest.fixture
async def phone() -> AsyncIterator[Page]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(tools.chromium()), args=ARGS)
        context = await browser.new_context(
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            permissions=["geolocation"],
            geolocation={"latitude": 30.274084, "longitude": 120.15507},
        )
        page = await context.new_page()
        yield page
        await browser.close()


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"h5-{name}.png"), full_page=True)


def agency(demo: Demo, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    creds = json.loads((demo.workdir / "var" / "demo-case-agency.json").read_text())
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = signed_headers(creds["key"], creds["secret"], "POST", path, body)
    headers["Content-Type"] = "application/json"
    r = httpx.post(demo.api + path, content=body, headers=headers, timeout=30)
    assert r.status_code < 300, (path, r.status_code, r.text)
    return r.json()


async def test_a_resident_uses_every_new_service_in_the_h5_shell(
    demo: Demo, phone: Page, tmp_path: Path
) -> None:
    page = phone
    picture = str(photo(tmp_path / "photo.png"))
    # The department issues a notice to 李四's ID number.
    agency(demo, "/api/v1/agency/fee-items", {
        "item_code": "H5-JOURNEY", "name": "证照工本费", "kind_code": "103", "standard_fen": 1000,
    })  # fmt: skip
    due = (clock.shanghai_date() + timedelta(days=7)).isoformat()
    issued = agency(demo, "/api/v1/agency/notices", {
        "payer": {"name": LISI[0], "id_number": LISI[1]},
        "items": [{"item_code": "H5-JOURNEY", "name": "证照工本费", "quantity": 1,
                   "standard_fen": 1000, "amount_fen": 1000}],
        "due_date": due,
    })  # fmt: skip

    # Sign in as 李四 and open 我的待缴.
    await page.goto(demo.api + "/h5/#/payables")
    await page.get_by_label("演示居民").select_option("zlb-demo-lisi")
    await page.get_by_role("button", name="沙箱登录（演示）").click()
    await page.goto(demo.api + "/h5/#/payables")
    owed = page.locator("#payables li").filter(has_text="证照工本费")
    await expect(owed).to_contain_text("李*")
    await shot(page, "s01-payables")
    await owed.get_by_role("button", name="一键缴款 ¥10.00").click()
    await page.wait_for_url(demo.sandbox + "/cashier/**")
    await expect(page.locator("#amount")).to_have_text("10.00")
    await page.get_by_role("button", name="确认支付 / Pay").click()
    await page.get_by_role("link", name="返回 / Back").click()
    await expect(page.locator("#order-state")).to_have_text("支付成功", timeout=40_000)
    await page.goto(demo.api + "/h5/#/payables")
    await expect(page.locator("main")).not_to_contain_text("证照工本费")
    await page.goto(demo.api + "/h5/#/orders")
    await expect(page.locator("#orders")).to_contain_text(issued["payment_code"])
    await expect(page.locator("#orders")).to_contain_text("已支付")
    await shot(page, "s02-orders")

    # From the catalog to the item page, then apply with a photo.
    await page.goto(demo.api + "/h5/#/")
    await page.get_by_role("link", name=re.compile("高龄津贴申领")).click()
    await expect(page.locator("#checklist")).to_contain_text("身份证")
    await shot(page, "s03-item")
    await page.get_by_role("link", name="在线办理").click()
    await page.get_by_label("联系电话").fill("13900139000")
    assert await page.get_by_label("联系电话").get_attribute("type") == "tel"
    assert await page.get_by_label("出生日期").get_attribute("type") == "date"
    await page.get_by_label("出生日期").fill("1940-05-01")
    await page.get_by_label("收款银行").select_option("工商银行")
    await page.get_by_label("居住地址").fill("杭州市西湖区文三路 1 号")
    await page.locator("#m-0").set_input_files(picture)
    await expect(page.locator("fieldset.material").first).to_contain_text("已上传")
    await shot(page, "s04-apply")
    await page.get_by_role("button", name="提交申请").click()
    await expect(page.locator("#case-status")).to_have_text("当前状态：已提交，待受理")
    case_no = page.url.rsplit("/", 1)[-1]

    # Sent back: the resident answers in place.
    agency(demo, f"/api/v1/agency/cases/{case_no}/accept", {"note": "受理"})
    agency(demo, f"/api/v1/agency/cases/{case_no}/request_material", {"note": "身份证照片不清晰"})
    await page.reload()
    await expect(page.locator("#supplement")).to_contain_text("身份证照片不清晰")
    await page.locator("#s-0").set_input_files(picture)
    await expect(page.locator("#supplement fieldset").first).to_contain_text("已上传")
    await shot(page, "s05-supplement")
    await page.get_by_role("button", name="提交补正").click()
    await expect(page.locator("#status")).to_have_text("补正材料已提交，办件继续办理。")
    await expect(page.locator("#case-status")).to_have_text("当前状态：已提交，待受理")

    # Completed with an e-licence; rated 2, the rectification shows.
    # Each signed request differs: the same body in the same second would be a replay.
    agency(demo, f"/api/v1/agency/cases/{case_no}/accept", {"note": "补正后受理"})
    agency(demo, f"/api/v1/agency/cases/{case_no}/approve", {"note": "材料齐全"})
    agency(demo, f"/api/v1/agency/cases/{case_no}/complete", {
        "result": {"licence": {"kind": "高龄津贴资格证明", "title": "高龄津贴资格证明",
                               "number": "GLJT-H5-0001"}},
    })  # fmt: skip
    await page.reload()
    await expect(page.locator("#result")).to_contain_text("GLJT-H5-0001")
    await shot(page, "s06-case-completed")
    await page.get_by_role("link", name="评价这次办事").click()
    for fieldset in await page.locator("fieldset.stars").all():
        await fieldset.locator("label.star").nth(1).click()
    await page.get_by_label("意见和建议（选填）").fill("窗口说法和网上指南不一致")
    await page.get_by_role("button", name="提交评价").click()
    await expect(page.locator("#rectification")).to_contain_text("已转办，等待部门答复")
    await expect(page.locator("#rectification")).to_contain_text("答复期限")
    await shot(page, "s07-rated-rectification")
    await page.goto(demo.api + "/h5/#/licences")
    await expect(page.locator("#licences")).to_contain_text("高龄津贴资格证明")
    await shot(page, "s08-licences")

    # 12345: a report with a photo, the category's attribute and the location.
    await page.goto(demo.api + "/h5/#/hotline")
    await page.get_by_label("举报").check()
    await page.get_by_label("诉求类别").select_option(label="城市管理 · 道路设施")
    await page.get_by_label("哪类设施").select_option(label="井盖")
    await page.get_by_label("诉求内容").fill("文三路人行道上井盖缺失，夜里很危险")
    await page.locator("#photos").set_input_files(picture)
    await expect(page.locator("#photo-state")).to_have_text("已上传 1 张照片")
    await page.get_by_label("附上我的位置（需要您同意定位）").check()
    await expect(page.locator("#locate-state")).to_have_text("已获取位置")
    await shot(page, "s09-hotline")
    await page.get_by_role("button", name="提交").click()
    await expect(page.locator("#ticket")).to_contain_text("照片 1 张 · 已附位置")
    await expect(page.locator("#ticket-status")).to_have_text("已转办，等待答复")
    await shot(page, "s10-ticket")

    # Act for the demo company; authorise an agent, then revoke them.
    await page.goto(demo.api + "/h5/#/company")
    await page.get_by_role("button", name="代表该单位办事").click()
    await expect(page.locator("#acting")).to_have_text("当前身份：杭州夕阳红养老服务有限公司")
    await page.get_by_role("button", name="经办人").click()
    await page.get_by_label("经办人姓名").fill("王芳")
    await page.get_by_label("经办人身份证号").fill("330382199508150025")
    await page.get_by_role("button", name="授权", exact=True).click()
    await expect(page.locator("#agent-list")).to_contain_text("王* 330382********0025")
    await shot(page, "s11-company-agents")
    await page.get_by_role("button", name="撤销授权").click()
    await expect(page.locator("#agent-list")).to_contain_text("已撤销")
    await page.goto(demo.api + "/h5/#/cases")
    await expect(page.locator("#acting-note")).to_contain_text("杭州夕阳红养老服务有限公司")
    await shot(page, "s12-company-cases")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

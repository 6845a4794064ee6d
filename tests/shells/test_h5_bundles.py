"""高效办成一件事 in the H5 shell, in headless Chromium at 390×844.

Against a `yiwang serve --demo` of its own, as 李四 (signed in through the sandbox's SSO): the
home page links to 一件事; 新生儿出生一件事 shows its combined guide (the ordered items, the
materials named once, the e-licences that stand in for materials, the whole time limit) and
its one form with the apply page's controls; he fills it, uploads the materials, leaves the
newborn's photo for later (容缺) and submits once; the bundle case shows four item cases (the
first submitted with its deadline, the rest waiting for their predecessors) and asks for the
photo; one upload answers it. The one-form pages load only when opened: the home page does not
fetch bundles.js. Screenshots: tests/artifacts/h5-b*.png.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, async_playwright, expect

from tests import tools
from tests.shells.conftest import Demo
from tests.shells.test_h5_journey import ARGS, ARTIFACTS, PHONE
from tests.shells.test_miniprogram_journey import photo

LISI = ("李四", "330102198511224569")


@pytest.fixture
async def phone() -> AsyncIterator[Page]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(tools.chromium()), args=ARGS)
        context = await browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
        )
        page = await context.new_page()
        yield page
        await browser.close()


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"h5-{name}.png"), full_page=True)


async def test_a_resident_applies_for_the_birth_bundle_once_and_follows_it(
    demo: Demo, phone: Page, tmp_path: Path
) -> None:
    page = phone
    picture = str(photo(tmp_path / "photo.png"))
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))

    await page.goto(demo.api + "/h5/#/")
    await expect(page.get_by_role("link", name=re.compile("一件事"))).to_be_visible()
    # The home page does not carry the bundle pages: they load when one opens.
    assert not any(u.endswith("/h5/bundles.js") or "/core/bundles.js" in u for u in fetched)
    await page.get_by_role("link", name=re.compile("一件事")).click()
    await expect(page.locator("#bundles")).to_contain_text("新生儿出生一件事")
    # The bundle page asks for sign-in (李四) and comes back to it.
    await page.get_by_role("link", name=re.compile("新生儿出生一件事")).click()
    await page.get_by_label("演示居民").select_option("zlb-demo-lisi")
    await page.get_by_role("button", name="沙箱登录（演示）").click()

    guide = page.locator("#bundle-guide")
    await expect(guide).to_contain_text("全程 10 个工作日内办结")
    steps = page.locator("#bundle-steps li")
    await expect(steps).to_have_count(4)
    await expect(steps.nth(1)).to_contain_text(re.compile("（在出生医学证明.*之后）"))
    materials = page.locator("#bundle-materials")
    await expect(materials).to_contain_text("新生儿照片")
    await expect(materials).to_contain_text("可容缺后补")
    await expect(materials).to_contain_text("直接共享，免提交")
    # Each material once, though three items ask for the parents' ID cards.
    assert await materials.get_by_text("父母身份证", exact=False).count() == 1
    await expect(guide).to_contain_text("网上：浙里办、微信和支付宝城市服务")
    await shot(page, "b01-bundle-guide")

    await page.get_by_label("新生儿姓名").fill("李小宝")
    await page.get_by_label("新生儿性别").select_option("女")
    assert await page.get_by_label("出生日期").get_attribute("type") == "date"
    await page.get_by_label("出生日期").fill("2026-11-20")
    await page.get_by_label("母亲姓名").fill("王芳")
    await page.get_by_label("母亲（监护人）身份证号").fill(LISI[1])
    await page.get_by_label("出生医院").fill("浙江大学医学院附属妇产科医院")
    await page.get_by_label("落户及邮寄地址").fill("杭州市西湖区文三路 1 号")
    await page.get_by_label("监护人电话").fill("13900139000")
    assert await page.get_by_label("监护人电话").get_attribute("type") == "tel"
    await page.get_by_label("医保缴费银行").select_option("杭州银行")
    boxes = page.locator("#bundle-form fieldset.material")
    for name in ("父母身份证", "监护人户口簿"):
        box = boxes.filter(has_text=name)
        await box.locator('input[type="file"]').set_input_files(picture)
        await expect(box).to_contain_text("已上传")
    await boxes.filter(has_text="新生儿照片").get_by_label("稍后补交（容缺受理）").check()
    await shot(page, "b02-bundle-form")
    await page.get_by_role("button", name="一次提交").click()

    await expect(page.locator("#bundle-status")).to_have_text("当前状态：需要补充材料")
    bundle_no = page.url.rsplit("/", 1)[-1]
    cases = page.locator("#bundle-cases > li")
    await expect(cases).to_have_count(4)
    await expect(cases.nth(0)).to_contain_text("出生医学证明")
    await expect(cases.nth(0)).to_contain_text("已提交，待受理")
    await expect(cases.nth(0)).to_contain_text(re.compile(r"受理期限 \d{4}-\d{2}-\d{2}"))
    for i in (1, 2, 3):
        await expect(cases.nth(i)).to_contain_text("等待前序事项办结")
    await expect(page.locator("#bundle-cases")).to_contain_text("待补交：新生儿照片")
    await shot(page, "b03-bundle-case")

    # What the server holds is what the page showed: one bundle case, four cases.
    token = await page.evaluate("localStorage.getItem('yiwang.token')")
    held = httpx.get(
        demo.api + f"/api/v1/bundle-cases/{bundle_no}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    assert [c["status"] for c in held["cases"]] == ["submitted", "waiting", "waiting", "waiting"]
    mine = httpx.get(
        demo.api + "/api/v1/me/bundle-cases",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    assert [b["bundle_no"] for b in mine["bundle_cases"]] == [bundle_no]

    # The photo owed under 容缺, answered once.
    supplement = page.locator("#bundle-supplement")
    photo_box = supplement.locator("fieldset").filter(has_text="新生儿照片")
    await photo_box.locator('input[type="file"]').set_input_files(picture)
    await expect(photo_box).to_contain_text("已上传")
    await page.get_by_role("button", name="提交补充材料").click()
    await expect(page.locator("#status")).to_have_text("补充的材料已送达每个需要它的事项。")
    await expect(page.locator("#bundle-status")).to_have_text("当前状态：办理中")
    await expect(page.locator("#bundle-cases")).not_to_contain_text("待补交")
    await shot(page, "b04-bundle-supplemented")

    # The list shows it under 我的一件事.
    await page.get_by_role("link", name="全部一件事").click()
    await expect(page.locator("main")).to_contain_text("我的一件事")
    await expect(page.locator("#my-bundles")).to_contain_text(bundle_no)
    await expect(page.locator("#my-bundles")).to_contain_text("办理中")

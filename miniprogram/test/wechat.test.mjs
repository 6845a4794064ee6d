// The WeChat build, rendered with miniprogram-simulate (WeChat's own component test tool):
// the catalog home, the booking refusals, and the payment call through wx.requestPayment.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";

import { buildChannel, renderPage, scriptedApi, settle, tap, until, wxStub } from "./harness.mjs";

const CATALOG = {
  channel: "wechat",
  region: { code: "330100", name: "杭州市" },
  catalog_version: 7,
  items: [
    { code: "CF-330100-00012-002", name: "交通违法罚款缴纳", theme: "交通出行", department: "杭州市公安局交通警察支队", online_level: 5, available: true, reason: null, miniapps: [] },
    { code: "GG-330100-00101-001", name: "门诊预约挂号（杭州市属医院）", theme: "就医保健", department: "杭州市卫生健康委员会", online_level: 5, available: true, reason: null, miniapps: ["hz-fever-clinic"] },
    { code: "QR-330000-00022-001", name: "居民身份证电子证照申领（NFC 核验）", theme: "证件办理", department: "浙江省公安厅", online_level: 5, available: false, reason: "微信暂不支持 NFC 读卡", miniapps: [] },
  ],
  miniapps: [
    { id: "hz-fever-clinic", name: "发热门诊预约", icon: "https://x/i.png", entry: { type: "h5", url: "https://fever.example.gov.cn/" }, version: 1, items: ["GG-330100-00101-001"], verification: "verified", available: true, reason: null },
    { id: "hz-clinic-booking", name: "杭州预约挂号", icon: "https://x/j.png", entry: { type: "native", page: "pages/clinic/index" }, version: 2, items: [], verification: "verified", available: true, reason: null },
  ],
};

const SESSION = [201, { token: "t-1", expires_at: "2030-01-01T00:00:00Z", citizen: { id: "c", verified: true, name_masked: "张*", id_number_masked: "330106********1236" } }];

function slots() {
  return [200, {
    institution: { id: 3, name: "杭州市民中心行政服务大厅", kind: "hall" },
    date: "2030-01-02",
    today: "2030-01-01",
    slots: [
      { id: 456, starts_at: "2030-01-02T00:00:00+00:00", ends_at: "2030-01-02T00:30:00+00:00", capacity: 2, remaining: 2, bookable: true, fee_fen: 0, department: { id: 5, name: "户政" }, resource: { id: 6, name: "1号窗口", title: "户籍业务" } },
      { id: 457, starts_at: "2030-01-02T00:30:00+00:00", ends_at: "2030-01-02T01:00:00+00:00", capacity: 2, remaining: 0, bookable: false, fee_fen: 0, department: { id: 5, name: "户政" }, resource: { id: 6, name: "1号窗口", title: "" } },
    ],
  }];
}

let out;
before(() => {
  out = buildChannel("wechat").out;
});

describe("home", () => {
  it("renders the catalog the server sends, themes and published mini-apps included", async () => {
    const api = scriptedApi({ "GET /api/v1/catalog": () => [200, CATALOG] });
    const stub = wxStub(api);
    globalThis.wx = stub.wx;
    const page = renderPage(out, "home");
    await settle(page);
    const text = page.dom.textContent;
    assert.match(text, /当前地区：杭州市/);
    for (const name of ["交通出行", "就医保健", "交通违法罚款缴纳", "发热门诊预约", "杭州预约挂号"]) {
      assert.ok(text.includes(name), name);
    }
    assert.match(text, /微信暂不支持 NFC 读卡/);
    assert.match(text, /★★★★★/);
    assert.equal(api.calls[0].url, "https://api.test/api/v1/catalog?channel=wechat&region=330100");

    await tap(page, ".miniapp", 0);
    assert.equal(stub.calls.navigateTo[0].url, "/pages/webview/index?url=" + encodeURIComponent("https://fever.example.gov.cn/"));
    await tap(page, ".miniapp", 1);
    assert.equal(stub.calls.navigateTo[1].url, "/pages/appointments/index?kind=clinic");
  });
});

describe("booking refusals", () => {
  const cases = [
    [409, { code: "SLOT_FULL", message: "full" }, "这个时段已约满，请选择其他时段，或加入候补。"],
    [409, { code: "ALREADY_BOOKED", message: "dup" }, "您已预约过这个时段，不用再约，请到“我的预约”查看。"],
    [403, { code: "BOOKING_BANNED", message: "ban", details: { banned_until: "2030-03-31" } }, "您近期多次预约后未按时到场，暂时不能预约。暂停至 2030年3月31日。"],
    [403, { code: "NOT_VERIFIED", message: "nv" }, "此事项需要实名认证，请先完成实名认证。"],
    [409, { code: "BOOKING_CLOSED", message: "closed" }, "这个时段已停止预约（前一天 15:00 截止），请选其他日期。"],
    [409, { code: "SOMETHING_NEW", message: "x" }, "办理没有成功，请稍后再试。"],
  ];
  for (const [status, body, expected] of cases) {
    it(`shows ${body.code} in words a resident understands`, async () => {
      const api = scriptedApi({
        "GET /api/v1/institutions/3/slots": slots,
        "POST /api/v1/sessions": () => SESSION,
        "POST /api/v1/appointments": () => [status, { ...body, request_id: "r" }],
      });
      const stub = wxStub(api);
      globalThis.wx = stub.wx;
      const page = renderPage(out, "institution", { id: "3", date: "2030-01-02" });
      await settle(page);
      assert.equal(page.querySelectorAll(".slot").length, 2);
      assert.match(page.dom.textContent, /已满/);
      await tap(page, ".book", 0);
      await until(() => page.querySelector(".error"), "the refusal");
      assert.equal(page.querySelector(".error").dom.textContent.trim(), expected);
      assert.equal(stub.calls.showModal[0].content, expected);
      assert.deepEqual(api.calls.find((c) => c.path === "/api/v1/appointments").body, { slot_id: 456 });
    });
  }

  it("does not call the API for a full slot", async () => {
    const api = scriptedApi({ "GET /api/v1/institutions/3/slots": slots });
    globalThis.wx = wxStub(api).wx;
    const page = renderPage(out, "institution", { id: "3", date: "2030-01-02" });
    await settle(page);
    await tap(page, ".book", 1);
    assert.ok(!api.calls.some((c) => c.method === "POST"));
  });
});

describe("the institution page", () => {
  it("opens on the first day the server finds a bookable slot, not on the phone's tomorrow", async () => {
    // An evening visit: tomorrow (01-02) has closed, so the server answers 01-03.
    const evening = () => [200, { ...slots()[1], date: "2030-01-03", today: "2030-01-01" }];
    const api = scriptedApi({ "GET /api/v1/institutions/3/slots": evening });
    globalThis.wx = wxStub(api).wx;
    const page = renderPage(out, "institution", { id: "3" });
    await settle(page);
    assert.equal(api.calls[0].url, "https://api.test/api/v1/institutions/3/slots");
    const chips = page.querySelectorAll(".chip");
    assert.equal(chips.length, 7);
    assert.equal(chips[0].dom.textContent.trim(), "1/2 周三");
    assert.deepEqual(
      chips.filter((c) => c.dom.className.includes("on")).map((c) => c.dom.textContent.trim()),
      ["1/3 周四"],
    );
    assert.equal(page.querySelectorAll(".slot").length, 2);
  });
});

describe("paying a fine", () => {
  // WeChat Pay API v3's wx.requestPayment object: no appId, signType RSA, paySign base64.
  const PARAMS = { timeStamp: "1700000000", nonceStr: "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", package: "prepay_id=wx201410272009395522657a690389285100", signType: "RSA", paySign: "oR9d8PuhnIc+YZ8cBHFCwfgpaK9gd7vaRvkYD7rthRAZ/X+QBhcCYL21N7cHCTUxbQ+EAt6Uy+lwSN22f5YZvI45MLko8Pfso0jm46v5hqcVwrk6uddkGuT+Cdvu4WBqDzaDjnNa5UK3GfE1Wfl2gHxIIY5lLdUgWFts17D4WuolLLkiFZV+JSHMvH7eaLdT9N5GBovBwu5yYKUR7skR8Fu+LozcSqQixnlEZUfyE55feLOQTUYzLmR9pNtPbPsu6WVhbNHMS3Ss2+AehHvz+n64GDmXxbX++IOBvm2olHu3PsOUGRwhudhVf7UcGcunXt8cqNjKNqZLhLw4jq/xDg==" };

  function routes(orderStates) {
    let polls = 0;
    return {
      "POST /api/v1/sessions": () => SESSION,
      "GET /api/v1/violations": () => [200, { violations: [
        { violation_id: "DEMO-OVERDUE", occurred_at: "2030-01-01T00:00:00+00:00", place: "文三路", behavior: "违反禁令标志", points: 3, fine_fen: 20000, late_fee_fen: 3000, total_fen: 23000, decision_no: "330100DEMO0001", handling_status: "decided", payment_status: "unpaid", payable: true },
      ] }],
      "POST /api/v1/orders": () => [201, { id: "YW1", status: "CREATED", amount_fen: 23000, items: [] }],
      "POST /api/v1/orders/YW1/payments": () => [200, { channel: "wechat", channel_params: PARAMS }],
      "GET /api/v1/orders/YW1": () => [200, orderStates[Math.min(polls++, orderStates.length - 1)]],
    };
  }

  it("calls wx.requestPayment with the server's parameters and opens the receipt", async () => {
    const api = scriptedApi(routes([
      { id: "YW1", status: "PAYING", receipt_no: null },
      { id: "YW1", status: "PAID", receipt_no: "330103260000000001" },
    ]));
    const stub = wxStub(api);
    globalThis.wx = stub.wx;
    const page = renderPage(out, "violations");
    await settle(page);
    page.instance.setData({ plateNo: "浙A12345", vinTail: "123456" });
    await page.instance.onLookup();
    assert.match(page.dom.textContent, /缴款 ¥230\.00/);
    assert.match(page.dom.textContent, /滞纳金 ¥30\.00/);
    const result = await page.instance.onPay({ currentTarget: { dataset: { decision: "330100DEMO0001" } } });
    assert.equal(result.status, "paid");
    assert.equal(stub.calls.requestPayment.length, 1);
    const call = stub.calls.requestPayment[0];
    for (const key of ["timeStamp", "nonceStr", "package", "signType", "paySign"]) {
      assert.equal(call[key], PARAMS[key], key);
    }
    assert.deepEqual(api.calls.find((c) => c.path === "/api/v1/orders").body, { payable: { type: "violation", decision_no: "330100DEMO0001" } });
    assert.deepEqual(api.calls.find((c) => c.path.endsWith("/payments")).body, { channel: "wechat" });
    assert.equal(stub.calls.navigateTo[0].url, "/pages/receipt/index?no=330103260000000001");
    const lookup = api.calls.find((c) => c.path === "/api/v1/violations").url;
    assert.ok(lookup.includes("plate_no=%E6%B5%99A12345"), lookup);
  });

  it("says so when the resident cancels in WeChat's cashier", async () => {
    const api = scriptedApi(routes([{ id: "YW1", status: "PAYING" }]));
    const stub = wxStub(api, { payment: "cancel" });
    globalThis.wx = stub.wx;
    const page = renderPage(out, "violations");
    await settle(page);
    const result = await page.instance.onPay({ currentTarget: { dataset: { decision: "330100DEMO0001" } } });
    assert.equal(result.status, "cancelled");
    assert.equal(page.instance.data.error, "您已取消支付，可以稍后在订单中继续支付。");
    assert.ok(!stub.calls.navigateTo);
  });

  it("explains an already paid fine instead of charging twice", async () => {
    const r = routes([]);
    r["POST /api/v1/orders"] = () => [409, { code: "ALREADY_PAID", message: "paid", request_id: "x" }];
    const api = scriptedApi(r);
    const stub = wxStub(api);
    globalThis.wx = stub.wx;
    const page = renderPage(out, "violations");
    await settle(page);
    await page.instance.onPay({ currentTarget: { dataset: { decision: "330100DEMO0001" } } });
    assert.equal(page.instance.data.error, "这笔款项已经缴过了，无需重复缴纳。");
    assert.ok(!stub.calls.requestPayment);
  });
});

describe("my appointments: the check-in QR", () => {
  const MINE = [200, { appointments: [
    { id: 71, institution_id: 9, department_id: 4, resource_id: 2, date: "2030-01-02", starts_at: "2030-01-02T00:30:00+00:00", status: "booked", fee_fen: 0, institution_name: "浙江大学医学院附属第一医院", address: "杭州市上城区庆春路79号", department_name: "心血管内科", resource_name: "王医生", resource_title: "主任医师" },
    { id: 70, institution_id: 3, department_id: 5, resource_id: 6, date: "2030-01-01", starts_at: "2030-01-01T01:00:00+00:00", status: "cancelled", fee_fen: 0, institution_name: "杭州市民中心行政服务大厅", address: null, department_name: "户政", resource_name: "1号窗口", resource_title: null },
  ] }];
  const CODE = "YWCI1.71.9.n0nce.mac";
  const DESK = "40517293";
  const PNG = "\x89PNG\r\n\x1a\n";

  function routes(qr, code = () => [200, { appointment_id: 71, code: CODE, desk_code: DESK, date: "2030-01-02" }]) {
    return {
      "POST /api/v1/sessions": () => SESSION,
      "GET /api/v1/me/appointments": () => MINE,
      "GET /api/v1/appointments/71/check-in-code": code,
      "GET /api/v1/appointments/71/check-in-qr.png": qr,
    };
  }

  async function open(api, behaviour) {
    const stub = wxStub(api, behaviour);
    globalThis.wx = stub.wx;
    const page = renderPage(out, "my-appointments");
    await settle(page);
    return { page, stub };
  }

  it("names the place from the booking itself, without the institution listings", async () => {
    const api = scriptedApi(routes(() => [200, PNG]));
    const { page } = await open(api);
    const text = page.dom.textContent;
    for (const shown of ["浙江大学医学院附属第一医院 心血管内科", "王医生（主任医师）", "地址：杭州市上城区庆春路79号", "杭州市民中心行政服务大厅 户政", "1号窗口", "已取消"]) {
      assert.ok(text.includes(shown), shown);
    }
    assert.ok(!api.calls.some((c) => c.path.startsWith("/api/v1/institutions")));
    assert.equal(page.querySelectorAll(".code").length, 1);
  });

  it("downloads the QR with the bearer token and shows it above the text code", async () => {
    const api = scriptedApi(routes(() => [200, PNG]));
    const { page, stub } = await open(api);
    await tap(page, ".code", 0);
    await until(() => page.querySelector(".qr"), "the QR image");
    const download = stub.calls.downloadFile[0];
    assert.equal(download.url, "https://api.test/api/v1/appointments/71/check-in-qr.png");
    assert.equal(download.header.Authorization, "Bearer t-1");
    const path = page.instance.data.qrPath;
    assert.match(path, /^wxfile:\/\/tmp_\d+\.png$/);
    assert.equal(stub.files[path], PNG);
    // miniprogram-simulate renders <image> without its attributes: the binding is checked in
    // the built template instead.
    assert.match(readFileSync(join(out, "pages/my-appointments/index.wxml"), "utf8"), /<image class="qr" wx:if="\{\{qrPath\}\}" src="\{\{qrPath\}\}"/);
    assert.equal(page.querySelector(".code-text").dom.textContent.trim(), "签到号：" + DESK);
    assert.ok(!page.querySelector(".error"));
  });

  it("reads a refused download's JSON and says the booking is no longer active", async () => {
    const refused = () => [409, { code: "APPOINTMENT_NOT_ACTIVE", message: "x", request_id: "r", details: { status: "checked_in" } }];
    const api = scriptedApi(routes(refused));
    const { page, stub } = await open(api);
    await tap(page, ".code", 0);
    await until(() => page.querySelector(".error"), "the refusal");
    assert.equal(page.querySelector(".error").dom.textContent.trim(), "这条预约已取消或已结束。");
    assert.equal(stub.calls.readFile.length, 1);
    assert.ok(!page.querySelector(".qr"));
    assert.ok(!page.querySelector(".checkin"), "no void code left on screen");
  });

  it("refused before any download: the code's own 409", async () => {
    const refused = () => [409, { code: "APPOINTMENT_NOT_ACTIVE", message: "x", request_id: "r" }];
    const api = scriptedApi(routes(refused, refused));
    const { page } = await open(api);
    await tap(page, ".code", 0);
    await until(() => page.querySelector(".error"), "the refusal");
    assert.equal(page.querySelector(".error").dom.textContent.trim(), "这条预约已取消或已结束。");
    assert.ok(!page.querySelector(".checkin"));
  });

  it("keeps the text code when the image cannot be fetched", async () => {
    const api = scriptedApi(routes(() => [200, PNG]));
    const { page } = await open(api, { download: "offline" });
    await tap(page, ".code", 0);
    await until(() => page.querySelector(".qr-error"), "the image's failure");
    assert.equal(page.querySelector(".code-text").dom.textContent.trim(), "签到号：" + DESK);
    assert.ok(!page.querySelector(".qr"));
    assert.ok(!page.querySelector(".error"));
  });
});

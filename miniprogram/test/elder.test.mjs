// 长辈版 in the WeChat build, rendered with miniprogram-simulate: every page's root carries
// the elder and scale classes, the home shows four large buttons, messages are said inline
// and never as a pop-up, settings saves the choice on the server, and the shared styles
// keep body text at 18 px or more with line spacing of at least 1.3.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";

import { buildChannel, renderPage, scriptedApi, settle, tap, until, wxStub } from "./harness.mjs";

const ELDER = JSON.stringify({ elder: true, scale: 150 });
const CITIZEN = { id: "c", verified: true, name_masked: "陈*英", id_number_masked: "330106********3012", preferences: { elder_mode: true, text_scale: 150, chosen: true }, elder_mode_offer: false };
const RECEIPT = { receipt_no: "3301260100000001", code: "33012601", number: "0000000001", check_code: "A1B2C3", qr: "YWR2.x", payer_masked: "陈*英", agency_name: "杭州市公安局交通警察支队", issue_date: "2030-01-01", amount_fen: 23000, amount_uppercase: "贰佰叁拾元整", lines: [{ item_code: "1", name: "罚款", quantity: 1, standard_fen: 23000, amount_fen: 23000 }], status: "ISSUED" };
const ROUTES = {
  "GET /api/v1/catalog": () => [200, { region: { name: "杭州市" }, items: [{ code: "A", name: "交通违法罚款缴纳", theme: "交通出行", department: "交警", online_level: 5 }], miniapps: [] }],
  "GET /api/v1/me": () => [200, CITIZEN],
  "POST /api/v1/sessions": () => [201, { token: "t-1", expires_at: "2030-01-01T00:00:00Z", citizen: CITIZEN }],
  "GET /api/v1/institutions": () => [200, { institutions: [{ id: 3, name: "杭州市民中心行政服务大厅", address: "市民中心" }] }],
  "GET /api/v1/institutions/3/slots": () => [200, { institution: { id: 3, name: "杭州市民中心行政服务大厅", kind: "hall" }, date: "2030-01-02", today: "2030-01-01", slots: [{ id: 456, starts_at: "2030-01-02T00:00:00+00:00", ends_at: "2030-01-02T00:30:00+00:00", capacity: 2, remaining: 2, bookable: true, fee_fen: 0, department: { id: 5, name: "户政" }, resource: { id: 6, name: "1号窗口", title: "" } }] }],
  "POST /api/v1/appointments": () => [409, { code: "SLOT_FULL", message: "full", request_id: "r" }],
  "GET /api/v1/me/appointments": () => [200, { appointments: [] }],
  "GET /api/v1/me/receipts": () => [200, { receipts: [], total: 0 }],
  "GET /api/v1/receipts/3301260100000001": () => [200, RECEIPT],
  "POST /api/v1/receipts/verify": () => [200, { status: "genuine" }],
  "GET /api/v1/receipts/3301260100000001/qr.png": () => [200, "PNG"],
  "GET /api/v1/catalog/search": () => [200, { items: [] }],
  "PUT /api/v1/me/preferences": (body) => [200, { ...CITIZEN, preferences: { elder_mode: body.elder_mode, text_scale: body.text_scale, chosen: true } }],
};
const QUERIES = { institution: { id: "3", date: "2030-01-02" }, receipt: { no: "3301260100000001" }, search: { q: "社保" }, appointments: { kind: "hall" } };

let out;
let pages;
before(() => {
  out = buildChannel("wechat").out;
  pages = readdirSync(join(out, "pages")).filter((p) => p !== "webview");
});

function elderStub(api) {
  const stub = wxStub(api);
  stub.storage["yiwang.display"] = ELDER;
  stub.storage["yiwang.token"] = "t-1";
  globalThis.wx = stub.wx;
  return stub;
}

describe("长辈版 render of every page", () => {
  it("covers every page of the package", () => {
    assert.ok(pages.length >= 10, pages.join());
    assert.ok(pages.includes("settings"));
  });

  it("every page's root view carries elder and the text scale, with no pop-up", async () => {
    for (const name of pages) {
      const api = scriptedApi(ROUTES);
      const stub = elderStub(api);
      const page = renderPage(out, name, QUERIES[name] || {});
      await settle(page);
      const root = page.querySelector(".page");
      assert.ok(root, name + ": no .page root");
      assert.ok(page.querySelector(".elder.scale-150"), name + ": root without elder scale-150");
      assert.ok(page.dom.textContent.trim().length > 0, name + ": empty");
      assert.equal((stub.calls.showModal || []).length, 0, name + ": showModal");
      assert.equal((stub.calls.showToast || []).length, 0, name + ": showToast");
    }
  });

  it("the standard mode renders without the elder class", async () => {
    const api = scriptedApi(ROUTES);
    globalThis.wx = wxStub(api).wx;
    const page = renderPage(out, "home");
    await settle(page);
    assert.equal(page.querySelector(".elder"), undefined);
    assert.ok(page.querySelectorAll(".tile").length >= 4);
  });
});

// The pages behind a filed case, a 12345 ticket and a published slot, with what they show
// once there is something to show: the sweep above only meets them without their query.
const CASE_STEPS = [
  { action: "apply", from: null, to: "submitted", note: null, at: "2030-01-01T09:00:00+08:00" },
  { action: "accept", from: "submitted", to: "accepted", note: "受理", at: "2030-01-01T10:00:00+08:00" },
];
const CASE = { case_no: "C1", item_code: "JF-330100-00111-001", item_name: "高龄津贴申领", channel: "wechat", legal_person: null, result: null, deadlines: [{ step: "accept", due_date: "2030-01-04", met_at: null }] };
const RETURNED = { ...CASE, status: "returned", timeline: [...CASE_STEPS, { action: "request_material", from: "accepted", to: "returned", note: "身份证照片不清晰", at: "2030-01-01T11:00:00+08:00" }] };
const COMPLETED = { ...CASE, case_no: "C2", status: "completed", result: { licence: { kind: "高龄津贴资格证明", title: "高龄津贴资格证明", number: "GLJT-0001" } }, timeline: [...CASE_STEPS, { action: "complete", from: "accepted", to: "completed", note: null, at: "2030-01-02T09:00:00+08:00" }] };
const TICKET = { id: 7, kind: "complaint", text: "工地夜里施工，噪声很大", address: "文三路 1 号", lat: null, long: null, photo_ids: [], status: "replied", reply: "已责令停工整改", replied_at: "2030-01-02T09:00:00+08:00", rating: null, reopen_count: 0 };
const OPEN = { entry_opens_at: "2000-01-01T00:00:00+00:00", entry_closes_at: "2100-01-01T00:00:00+00:00", draw_at: "2100-01-01T01:00:00+00:00" };
function releaseSlots(slot) {
  return { institution: { id: 3, name: "杭州市第一人民医院", kind: "clinic" }, date: "2030-01-02", today: "2030-01-01", release_at: "2029-12-25T23:00:00+00:00", closes_at: "2030-01-01T07:00:00+00:00",
    slots: [{ id: 456, starts_at: "2030-01-02T00:00:00+00:00", ends_at: "2030-01-02T00:30:00+00:00", capacity: 4, remaining: 2, kept: 0, kept_until: null, bookable: true, fee_fen: 0, release_mode: "first_come", lottery: null, department: { id: 5, name: "儿科" }, resource: { id: 6, name: "陈晓", title: "副主任医师" }, ...slot }] };
}
const FILED = [
  ["case", { case_no: "C1" }, { "GET /api/v1/cases/C1": () => [200, RETURNED], "GET /api/v1/items/JF-330100-00111-001/form": () => [200, { item_code: "JF-330100-00111-001", fields: [], materials: [{ name: "身份证", required: true }] }] }, [".supplement", ".pick", ".send-supplement"], "身份证照片不清晰"],
  ["case", { case_no: "C2" }, { "GET /api/v1/cases/C2": () => [200, COMPLETED] }, [".licence-card", ".rate"], "GLJT-0001"],
  ["rate", { type: "case", ref: "C2" }, {}, [".indicator", ".star", ".comment", ".submit"], "总体满意度"],
  ["ticket", { id: "7" }, { "GET /api/v1/interactions/7": () => [200, TICKET] }, [".reply", ".score", ".reopen"], "已责令停工整改"],
  ["release", { institution: "3", date: "2030-01-02", slot: "456" }, { "GET /api/v1/institutions/3/slots": () => [200, releaseSlots({})] }, [".release-at", ".mode"], "先到先得"],
  ["release", { institution: "3", date: "2030-01-02", slot: "456" }, {
    "GET /api/v1/institutions/3/slots": () => [200, releaseSlots({ release_mode: "lottery", lottery: { status: "open", ...OPEN }, bookable: false })],
    "GET /api/v1/slots/456/lottery": () => [200, { slot_id: 456, capacity: 4, status: "open", ...OPEN, entries: 5, seed_sha256: "9f".repeat(32), seed: null, result: null }],
    "GET /api/v1/me/lottery-entries": () => [200, { entries: [] }],
  }, [".entry-opens", ".draw-at", ".seed-hash"], "摇号放号"],
];

describe("长辈版 render of the pages behind a filed case, a ticket and a published slot", () => {
  for (const [name, query, routes, shown, words] of FILED) {
    it(name + " " + JSON.stringify(query) + " shows its content in the elder scale, with no pop-up", async () => {
      const api = scriptedApi({ ...ROUTES, ...routes });
      const stub = elderStub(api);
      const page = renderPage(out, name, query);
      await settle(page);
      assert.ok(page.querySelector(".page.elder.scale-150"), name + ": root without elder scale-150");
      assert.equal(page.data.error || "", "", name + ": " + page.data.error);
      for (const selector of shown) assert.ok(page.querySelector(selector), name + ": no " + selector);
      assert.match(page.dom.textContent, new RegExp(words));
      assert.equal((stub.calls.showModal || []).length, 0, name + ": showModal");
      assert.equal((stub.calls.showToast || []).length, 0, name + ": showToast");
    });
  }
});

describe("长辈版 home", () => {
  it("shows the four large buttons and takes each to its page", async () => {
    const api = scriptedApi(ROUTES);
    const stub = elderStub(api);
    const page = renderPage(out, "home");
    await settle(page);
    const buttons = page.querySelectorAll(".big-button");
    assert.equal(buttons.length, 4);
    const names = buttons.map((b) => b.dom.textContent.trim());
    assert.deepEqual(names.map((n) => n.slice(0, 4)), ["我的预约", "缴纳通知", "我的罚款", "我的票据"]);
    assert.equal(page.querySelectorAll(".tile").length, 0, "the standard shortcut grid is hidden");
    for (let i = 0; i < 4; i++) await tap(page, ".big-button", i);
    assert.deepEqual(stub.calls.navigateTo.map((c) => c.url), [
      "/pages/my-appointments/index",
      "/pages/notices/index",
      "/pages/violations/index",
      "/pages/receipts/index",
    ]);
  });
});

describe("长辈版 messages", () => {
  it("a booking refusal is said in words on the page, not in a pop-up", async () => {
    const api = scriptedApi(ROUTES);
    const stub = elderStub(api);
    const page = renderPage(out, "institution", QUERIES.institution);
    await settle(page);
    await tap(page, ".book", 0);
    await until(() => page.querySelector(".said"), "the inline message");
    assert.equal(page.querySelector(".said").dom.textContent.trim(), "这个时段已约满，请选择其他时段，或加入候补。");
    assert.equal((stub.calls.showModal || []).length, 0);
  });
});

describe("settings", () => {
  it("switches to 长辈版 and a larger text, saved on the server, said in words", async () => {
    const api = scriptedApi(ROUTES);
    const stub = wxStub(api);
    stub.storage["yiwang.token"] = "t-1";
    globalThis.wx = stub.wx;
    const page = renderPage(out, "settings");
    await settle(page);
    assert.equal(page.querySelector(".elder"), undefined);
    await tap(page, ".choice", 1); // 长辈版
    await until(() => page.querySelector(".ok"), "the confirmation");
    assert.equal(page.querySelector(".ok").dom.textContent.trim(), "已切换为长辈版，字号：标准。");
    assert.ok(page.querySelector(".elder.scale-100"));
    await tap(page, ".choice", 6); // the fifth scale: 最大
    await until(() => page.querySelector(".scale-200"), "the larger text");
    assert.equal(page.querySelector(".ok").dom.textContent.trim(), "已切换为长辈版，字号：最大。");
    const puts = api.calls.filter((c) => c.method === "PUT");
    assert.deepEqual(puts.map((c) => c.body), [{ elder_mode: true, text_scale: 100 }, { elder_mode: true, text_scale: 200 }]);
    assert.equal(JSON.parse(stub.storage["yiwang.display"]).scale, 200);
  });

  it("a refused save is said and the page stays as it was chosen locally", async () => {
    const api = scriptedApi({ ...ROUTES, "PUT /api/v1/me/preferences": () => [401, { code: "UNAUTHENTICATED", message: "x", request_id: "r" }] });
    const stub = wxStub(api);
    stub.storage["yiwang.token"] = "t-1";
    globalThis.wx = stub.wx;
    const page = renderPage(out, "settings");
    await settle(page);
    await tap(page, ".choice", 1);
    await until(() => page.querySelector(".error"), "the refusal");
    assert.match(page.querySelector(".error").dom.textContent, /登录/);
  });
});

describe("the shared elder styles", () => {
  it("body text of at least 18 px (36 rpx) and line spacing of at least 1.3", () => {
    const css = readFileSync(join(out, "app.wxss"), "utf8");
    const rule = css.match(/\.page\.elder\{([^}]*)\}/);
    assert.ok(rule, "no .page.elder rule");
    const size = Number(rule[1].match(/font-size:(\d+)rpx/)[1]);
    const line = Number(rule[1].match(/line-height:([\d.]+)/)[1]);
    assert.ok(size >= 36, String(size));
    assert.ok(line >= 1.3, String(line));
    for (const n of [125, 150, 175, 200]) {
      const scaled = css.match(new RegExp("\\.page\\.elder\\.scale-" + n + "\\{font-size:(\\d+)rpx"));
      assert.ok(scaled && Number(scaled[1]) >= size * (n / 100) - 1, "scale " + n);
    }
  });
});

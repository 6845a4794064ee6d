// The issue-27 pages of the WeChat build, rendered with miniprogram-simulate against a
// scripted API: refusals in words, nothing sent that the page can refuse itself, consent
// before the location, and the subscribe-message requests on the taps that need them.

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { buildChannel, renderPage, scriptedApi, settle, tap, until, wxStub } from "./harness.mjs";

const SESSION = [201, { token: "t-1", expires_at: "2030-01-01T00:00:00Z", citizen: { id: "c", verified: true, name_masked: "张*", id_number_masked: "330106********1236" } }];
const FORM = {
  item_code: "JF-330100-00111-001", item_name: "高龄津贴申领", audience: "personal", version: 2, time_limit_days: 10,
  fields: [
    { name: "applicant_phone", label: "联系电话", type: "phone", required: true },
    { name: "birth_date", label: "出生日期", type: "date", required: true },
  ],
  materials: [{ name: "身份证", required: true, hint: null }],
};

let out;
before(() => {
  out = buildChannel("wechat").out;
});

function applyApi(extra = {}) {
  return scriptedApi({
    "POST /api/v1/sessions": () => SESSION,
    "GET /api/v1/items/JF-330100-00111-001/form": () => [200, FORM],
    "GET /api/v1/items/JF-330100-00111-001": () => [404, { code: "ITEM_NOT_FOUND", message: "x", request_id: "r" }],
    "GET /api/v1/me/licences": () => [200, { licences: [] }],
    "POST /api/v1/materials": () => [201, { id: 41, filename: "photo.jpg", content_type: "image/jpeg", size: 1 }],
    ...extra,
  });
}

describe("apply", () => {
  it("renders the server's form with native controls and refuses an incomplete one locally", async () => {
    const api = applyApi();
    const stub = wxStub(api);
    globalThis.wx = stub.wx;
    const page = renderPage(out, "apply", { code: "JF-330100-00111-001" });
    await settle(page);
    await until(() => page.instance.data.model.fields.length === 2, "the form");
    assert.ok(page.querySelector(".f-applicant_phone") && page.querySelector(".f-birth_date"));
    assert.deepEqual(page.instance.data.model.fields.map((f) => [f.control, f.keyboard]), [["input", "number"], ["date", ""]]);
    await tap(page, ".submit");
    assert.equal(page.querySelector(".error").dom.textContent.trim(), "还有必填项没有填写，请补全后提交。（联系电话、出生日期）");
    page.instance.onInput({ currentTarget: { dataset: { name: "applicant_phone" } }, detail: { value: "13900139000" } });
    page.instance.onInput({ currentTarget: { dataset: { name: "birth_date" } }, detail: { value: "1940-05-01" } });
    await tap(page, ".submit");
    assert.match(page.querySelector(".error").dom.textContent, /还有必交材料没有上传或选择电子证照。（身份证）/);
    assert.ok(!api.calls.some((c) => c.path === "/api/v1/cases"), "nothing sent");
    assert.equal(stub.calls.requestSubscribeMessage, undefined, "no permission asked for a refused tap");
  });

  it("uploads the photo with progress, asks for case messages on submit, and names FORM_INVALID's field", async () => {
    const api = applyApi({
      "POST /api/v1/cases": () => [422, { code: "FORM_INVALID", message: "x", request_id: "r", details: { fields: { applicant_phone: "must be a mainland mobile number" } } }],
    });
    const stub = wxStub(api);
    globalThis.wx = stub.wx;
    const page = renderPage(out, "apply", { code: "JF-330100-00111-001" });
    await settle(page);
    await until(() => page.instance.data.model.fields.length === 2, "the form");
    page.instance.onInput({ currentTarget: { dataset: { name: "applicant_phone" } }, detail: { value: "12345678901" } });
    page.instance.onInput({ currentTarget: { dataset: { name: "birth_date" } }, detail: { value: "1940-05-01" } });
    await tap(page, ".pick");
    await until(() => page.instance.data.chosen["身份证"], "the upload");
    assert.equal(stub.calls.uploadFile[0].name, "file");
    assert.equal(stub.calls.uploadFile[0].header.Authorization, "Bearer t-1");
    assert.match(page.dom.textContent, /已上传 photo.jpg/);
    await tap(page, ".submit");
    await until(() => page.instance.data.error, "the refusal");
    assert.equal(page.instance.data.error, "申请表填写有误，请按提示修改后重新提交。（联系电话）");
    assert.deepEqual(stub.calls.requestSubscribeMessage[0].tmplIds, ["yiwang-case-progress", "yiwang-rating-invite"]);
    const sent = api.calls.find((c) => c.path === "/api/v1/cases").body;
    assert.deepEqual(sent, { item_code: "JF-330100-00111-001", form: { applicant_phone: "12345678901", birth_date: "1940-05-01" }, materials: [{ name: "身份证", material_id: 41 }] });
    assert.equal(stub.calls.redirectTo, undefined);
  });
});

describe("12345", () => {
  const categories = () => [200, { categories: [{ code: "noise", name: "噪声扰民", group: "环境", description: "", attributes: [] }] }];

  it("asks for the location only when the resident turns it on, and says so when refused", async () => {
    const api = scriptedApi({
      "POST /api/v1/sessions": () => SESSION,
      "GET /api/v1/interactions/categories": categories,
      "GET /api/v1/me/interactions": () => [200, { tickets: [] }],
      "POST /api/v1/interactions": () => [201, { id: 9 }],
    });
    const stub = wxStub(api, { location: "deny" });
    globalThis.wx = stub.wx;
    const page = renderPage(out, "hotline");
    await settle(page);
    await until(() => page.instance.data.categories.length === 1, "the categories");
    assert.equal(stub.calls.getLocation, undefined);
    await page.instance.onLocate({ detail: { value: true } });
    assert.equal(stub.calls.getLocation.length, 1);
    assert.equal(page.instance.data.located, false);
    assert.equal(page.instance.data.error, "没有获得定位权限，可以在地址栏手动填写地点。");
    // No category: refused on the phone; then filed without a location.
    page.instance.onText({ detail: { value: "夜里施工太吵" } });
    await tap(page, ".submit");
    assert.equal(page.instance.data.error, "请选择正确的诉求类别。");
    page.instance.onCategory({ detail: { value: "0" } });
    await tap(page, ".submit");
    await until(() => stub.calls.navigateTo, "the ticket page");
    assert.equal(stub.calls.navigateTo[0].url, "/pages/ticket/index?id=9");
    assert.deepEqual(api.calls.find((c) => c.method === "POST" && c.path === "/api/v1/interactions").body, { kind: "complaint", category_code: "noise", text: "夜里施工太吵", photo_ids: [] });
    assert.deepEqual(stub.calls.requestSubscribeMessage[0].tmplIds, ["yiwang-hotline-reply"]);
  });
});

describe("我的待缴 and my appointments", () => {
  it("asks for the notice message on its own tap; a checked-in visit offers a rating", async () => {
    const api = scriptedApi({
      "POST /api/v1/sessions": () => SESSION,
      "GET /api/v1/me": () => [200, SESSION[1].citizen],
      "GET /api/v1/me/payables": () => [200, { items: [], page: 1, page_size: 20, total: 0, verified: true }],
      "GET /api/v1/me/appointments": () => [200, { appointments: [{ id: 5, institution_name: "市民中心", department_name: "户政", status: "checked_in", starts_at: "2030-01-02T01:00:00+00:00" }] }],
    });
    const stub = wxStub(api, { subscribe: "reject" });
    globalThis.wx = stub.wx;
    const payables = renderPage(out, "payables");
    await settle(payables);
    assert.match(payables.dom.textContent, /暂无待缴款项/);
    await tap(payables, ".remind");
    await until(() => stub.calls.requestSubscribeMessage, "the request");
    assert.deepEqual(stub.calls.requestSubscribeMessage[0].tmplIds, ["yiwang-notice-issued"]);
    assert.equal(payables.instance.data.notice, "");
    const mine = renderPage(out, "my-appointments");
    await settle(mine);
    await until(() => mine.instance.data.rows.length === 1, "the booking");
    assert.equal(mine.instance.data.rows[0].rateable, true, JSON.stringify(mine.instance.data));
    await tap(mine, ".rate");
    assert.equal(stub.calls.navigateTo[0].url, "/pages/rate/index?type=appointment&ref=5");
  });
});

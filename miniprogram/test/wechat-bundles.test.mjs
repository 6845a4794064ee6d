// 一件事 in the WeChat build, rendered with miniprogram-simulate against a scripted API:
// the list → the bundle page (combined guide, the one form with the apply page's controls)
// → one submission whose Idempotency-Key survives a retry → the bundle case with its cases;
// a supplement answered once and a rating sent once.

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { buildChannel, renderPage, scriptedApi, settle, tap, until, wxStub } from "./harness.mjs";

const SESSION = [201, { token: "t-1", expires_at: "2030-01-01T00:00:00Z", citizen: { id: "c", verified: true, name_masked: "张*", id_number_masked: "330106********1236" } }];
const CODE = "YJS-330100-XSECS";
const ITEMS = [
  { code: "GG-1", name: "出生医学证明", department: "hz-wjw" },
  { code: "QR-2", name: "出生登记", department: "hz-gaj" },
  { code: "GG-3", name: "医保参保", department: "hz-ybj" },
  { code: "GG-4", name: "社会保障卡", department: "hz-rsj" },
];
const DETAIL = {
  code: CODE, name: "新生儿出生一件事", audience: "personal", version: 1, items: ITEMS,
  lead_department: { code: "hz-wjw", name: "杭州市卫生健康委员会" },
  guide: {
    conditions: ["新生儿在浙江省内助产机构出生"],
    materials: [
      { name: "父母身份证", required: true, key: true, pending_allowed: false },
      { name: "新生儿照片", required: true, key: false, pending_allowed: true },
    ],
    licence_replaced: [{ item: "QR-2", material: "出生医学证明", by: "GG-1" }],
    time_limit_days: 10, places: ["网上：一件事专区"], fees: "不收费", notes: [],
    order: [{ item: "GG-1", after: [] }, { item: "QR-2", after: ["GG-1"] }, { item: "GG-3", after: ["QR-2"] }, { item: "GG-4", after: ["QR-2"] }],
    departments: [{ code: "hz-wjw", name: "杭州市卫生健康委员会" }], pledge_items: [],
  },
  form: {
    fields: [
      { name: "child_name", label: "新生儿姓名", type: "text", max_length: 20 },
      { name: "child_gender", label: "新生儿性别", type: "choice", choices: ["男", "女"] },
      { name: "phone", label: "监护人电话", type: "phone" },
    ],
    materials: [{ name: "父母身份证" }, { name: "新生儿照片", key: false, pending_days: 10 }],
  },
};

function bundleCase(status, extra = {}) {
  return {
    bundle_no: "YJS202612010001", bundle_code: CODE, bundle_name: "新生儿出生一件事", status, channel: "wechat", legal_person: null,
    created_at: "2026-12-01T09:00:00+08:00", due_date: "2026-12-15", deadline: null, finished_at: null,
    cases: [
      { item_code: "GG-1", item_name: "出生医学证明", status: "submitted", case_no: "C-1", step: "accept", deadline: { step: "accept", due_date: "2026-12-03" }, pending: [], pledge: null, received: [], after: [] },
      { item_code: "QR-2", item_name: "出生登记", status: "waiting", case_no: null, step: "waiting for GG-1", deadline: null, pending: [], pledge: null, received: [], after: ["GG-1"] },
      { item_code: "GG-3", item_name: "医保参保", status: "waiting", case_no: null, step: "waiting for QR-2", deadline: null, pending: [], pledge: null, received: [], after: ["QR-2"] },
      { item_code: "GG-4", item_name: "社会保障卡", status: "waiting", case_no: null, step: "waiting for QR-2", deadline: null, pending: [{ name: "照片", bundle_material: "新生儿照片", days: 10 }], pledge: null, received: [], after: ["QR-2"] },
    ],
    result: null, rating: null, timeline: [{ at: "2026-12-01T09:00:00+08:00", event: "apply", cases: 4 }],
    ...extra,
  };
}

let out;
before(() => {
  out = buildChannel("wechat").out;
});

describe("一件事", () => {
  it("list → bundle page → one submission (same key on retry) → the bundle case shows its four cases", async () => {
    let posts = 0;
    const api = scriptedApi({
      "POST /api/v1/sessions": () => SESSION,
      "GET /api/v1/bundles": () => [200, { bundles: [{ code: CODE, name: "新生儿出生一件事", audience: "personal", items: ITEMS }] }],
      "GET /api/v1/me": () => [200, SESSION[1].citizen],
      "GET /api/v1/me/bundle-cases": () => [200, { bundle_cases: [] }],
      [`GET /api/v1/bundles/${CODE}`]: () => [200, DETAIL],
      "GET /api/v1/me/licences": () => [200, { licences: [] }],
      "POST /api/v1/materials": () => [201, { id: 77, filename: "id.jpg", content_type: "image/jpeg", size: 1 }],
      // The first answer is lost on the way (a gateway error); the retry gets the case.
      "POST /api/v1/bundle-cases": () => (++posts === 1 ? [502, null] : [200, bundleCase("supplement_needed")]),
      "GET /api/v1/bundle-cases/YJS202612010001": () => [200, bundleCase("supplement_needed")],
    });
    const stub = wxStub(api);
    globalThis.wx = stub.wx;
    stub.storage["yiwang.token"] = "t-1";

    const list = renderPage(out, "bundles");
    await settle(list);
    await until(() => list.instance.data.rows.length === 1, "the bundles");
    assert.match(list.dom.textContent, /新生儿出生一件事/);
    assert.match(list.dom.textContent, /4 个事项：出生医学证明、出生登记、医保参保、社会保障卡/);
    await tap(list, ".bundle-row");
    assert.equal(stub.calls.navigateTo[0].url, `/pages/bundle/index?code=${CODE}`);

    const page = renderPage(out, "bundle", { code: CODE });
    await settle(page);
    await until(() => page.instance.data.model, "the bundle: " + page.instance.data.error);
    const text = page.dom.textContent;
    assert.match(text, /全程 10 个工作日内办结/);
    assert.match(text, /2\. 出生登记（在出生医学证明之后）/);
    assert.match(text, /出生登记的出生医学证明：由出生医学证明的结果直接共享，免提交/);
    assert.match(text, /新生儿照片（必交，可容缺后补）/);
    assert.match(text, /网上：一件事专区/);
    assert.ok(page.querySelector(".f-child_name") && page.querySelector(".f-child_gender") && page.querySelector(".f-phone"));
    assert.deepEqual(page.instance.data.model.form.fields.map((f) => [f.control, f.keyboard]), [["input", "text"], ["choice", ""], ["input", "number"]]);
    // Refused on the phone first: nothing sent.
    await tap(page, ".submit");
    assert.match(page.instance.data.error, /还有必填项没有填写.*（新生儿姓名、新生儿性别、监护人电话）/);
    page.instance.onInput({ currentTarget: { dataset: { name: "child_name" } }, detail: { value: "李小宝" } });
    page.instance.onChoice({ currentTarget: { dataset: { name: "child_gender" } }, detail: { value: "1" } });
    page.instance.onInput({ currentTarget: { dataset: { name: "phone" } }, detail: { value: "13900139000" } });
    await tap(page, ".submit");
    assert.match(page.instance.data.error, /（父母身份证、新生儿照片）/);
    assert.equal(posts, 0, "nothing sent");
    await tap(page, ".pick", 0);
    await until(() => page.instance.data.chosen["父母身份证"], "the upload");
    await tap(page, ".later");
    assert.match(page.dom.textContent, /容缺受理：稍后补交/);
    await tap(page, ".submit");
    await until(() => page.instance.data.error, "the lost answer");
    assert.equal(stub.calls.redirectTo, undefined);
    await tap(page, ".submit");
    await until(() => stub.calls.redirectTo, "the bundle case");
    assert.equal(stub.calls.redirectTo[0].url, "/pages/bundle-case/index?bundle_no=YJS202612010001");
    const sent = api.calls.filter((c) => c.method === "POST" && c.path === "/api/v1/bundle-cases");
    assert.equal(sent.length, 2);
    assert.match(sent[0].headers["Idempotency-Key"], /^[A-Za-z0-9_-]{8,64}$/);
    assert.equal(sent[1].headers["Idempotency-Key"], sent[0].headers["Idempotency-Key"], "one key per form");
    assert.deepEqual(sent[1].body, {
      bundle_code: CODE, form: { child_name: "李小宝", child_gender: "女", phone: "13900139000" },
      materials: [{ name: "父母身份证", material_id: 77 }], pending: ["新生儿照片"], pledges: [],
    });
    // Another bundle page is another form: another key.
    const again = renderPage(out, "bundle", { code: CODE });
    assert.notEqual(again.instance.data.requestKey, page.instance.data.requestKey);

    const shown = renderPage(out, "bundle-case", { bundle_no: "YJS202612010001" });
    await settle(shown);
    await until(() => shown.instance.data.model, "the bundle case");
    assert.equal(shown.querySelectorAll(".item-case").length, 4);
    const t = shown.dom.textContent;
    assert.match(t, /当前状态：需要补充材料/);
    assert.match(t, /4 个事项的办件/);
    assert.match(t, /办件编号：C-1/);
    assert.match(t, /受理期限 2026-12-03/);
    assert.match(t, /等待前序事项办结/);
    assert.match(t, /待补交：新生儿照片/);
  });

  it("answers a supplement once for every case, and rates the finished bundle once", async () => {
    let rated = false;
    const api = scriptedApi({
      "POST /api/v1/sessions": () => SESSION,
      [`GET /api/v1/bundles/${CODE}`]: () => [200, DETAIL],
      "POST /api/v1/materials": () => [201, { id: 78, filename: "baby.jpg", content_type: "image/jpeg", size: 1 }],
      "GET /api/v1/bundle-cases/YJS202612010001": () => [200, bundleCase("supplement_needed")],
      "POST /api/v1/bundle-cases/YJS202612010001/supplement": () => [200, bundleCase("in_progress")],
    });
    const stub = wxStub(api);
    globalThis.wx = stub.wx;
    const page = renderPage(out, "bundle-case", { bundle_no: "YJS202612010001" });
    await settle(page);
    await until(() => page.instance.data.materials.length === 2, "the materials to supply");
    await tap(page, ".pick", 1);
    await until(() => page.instance.data.chosen["新生儿照片"], "the upload");
    await tap(page, ".send-supplement");
    await until(() => page.instance.data.notice, "the answer");
    const body = api.calls.find((c) => c.path.endsWith("/supplement")).body;
    assert.deepEqual(body, { form: {}, materials: [{ name: "新生儿照片", material_id: 78 }] });
    assert.equal(page.instance.data.model.status, "办理中");
    assert.equal(page.querySelector(".supplement"), undefined);

    const done = { status: "completed" };
    const rateApi = scriptedApi({
      "POST /api/v1/sessions": () => SESSION,
      "GET /api/v1/bundle-cases/YJS202612010001": () => [200, bundleCase(done.status, rated ? { rating: { overall: 5 } } : {})],
      "POST /api/v1/bundle-cases/YJS202612010001/rating": () => {
        if (rated) return [409, { code: "ALREADY_RATED", message: "x", request_id: "r" }];
        rated = true;
        return [201, { rated: true }];
      },
    });
    globalThis.wx = wxStub(rateApi).wx;
    const rate = renderPage(out, "bundle-case", { bundle_no: "YJS202612010001" });
    await settle(rate);
    await until(() => rate.instance.data.model, "the finished bundle");
    await tap(rate, ".rate");
    assert.equal(rate.instance.data.error, "请为五项指标都打分后再提交。");
    assert.ok(!rateApi.calls.some((c) => c.path.endsWith("/rating")), "nothing sent");
    for (const key of ["overall", "efficiency", "guide_accuracy", "convenience", "ease_of_use"]) {
      rate.instance.onScore({ currentTarget: { dataset: { key, score: 4 } } });
    }
    await tap(rate, ".rate");
    await until(() => rate.instance.data.notice, "the thanks");
    assert.deepEqual(rateApi.calls.find((c) => c.path.endsWith("/rating")).body, { overall: 4, efficiency: 4, guide_accuracy: 4, convenience: 4, ease_of_use: 4 });
    assert.equal(rate.querySelector(".rating"), undefined, "rated once: the form is gone");
    assert.match(rate.dom.textContent, /您已评价这件事/);
    // A second rating (another phone that still shows the form) is refused in words.
    rated = true;
    await rate.instance.onRate();
    assert.equal(rate.instance.data.error, "您已经评价过这次服务了，无需再评。");
  });
});

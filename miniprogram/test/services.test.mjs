// The page logic of the resident services (issue 27), shared by the three shells: the
// server-driven form and its controls, what is sent and what is refused before sending.

import assert from "node:assert/strict";
import { it } from "node:test";

import { createApi } from "../src/core/api.js";
import { messageFor } from "../src/core/errors.js";
import { applyFormModel, attributeFields, caseModel, collectAttributes, collectForm, collectMaterials, formProblems, itemModel, payableRows, ratedModel, ratingBody, ticketBody } from "../src/core/services.js";

const FORM = {
  item_code: "JF-330100-00111-001",
  item_name: "高龄津贴申领",
  audience: "personal",
  version: 3,
  time_limit_days: 10,
  fields: [
    { name: "phone", label: "联系电话", type: "phone", required: true },
    { name: "id_no", label: "身份证号", type: "id_number" },
    { name: "born", label: "出生日期", type: "date", required: true },
    { name: "bank", label: "收款银行", type: "choice", choices: ["农业银行", 2] },
    { name: "beds", label: "床位数", type: "integer", min: 1 },
    { name: "agree", label: "同意", type: "boolean", required: false },
  ],
  materials: [{ name: "身份证", required: true }, { name: "银行卡", required: false }],
};
const LICENCES = { licences: [{ id: 7, kind: "身份证", title: "居民身份证电子证照", number: "3301***1236", issued_at: "2026-01-01T00:00:00+08:00" }] };

it("gives each field type its native control and keyboard", () => {
  const m = applyFormModel(FORM, { licences: [] }, null);
  assert.deepEqual(
    m.fields.map((f) => [f.name, f.control, f.keyboard, f.html]),
    [
      ["phone", "input", "number", "tel"],
      ["id_no", "input", "idcard", "text"],
      ["born", "date", "", "date"],
      ["bank", "choice", "", ""],
      ["beds", "input", "number", "number"],
      ["agree", "switch", "", "checkbox"],
    ]
  );
  assert.deepEqual(m.fields[3].choices, ["农业银行", "2"]);
  assert.equal(m.timeLimit, "承诺时限 10 个工作日");
  assert.equal(m.legal, false);
});

it("offers a held e-licence instead of an upload (免提交) only where it fits", () => {
  const m = applyFormModel(FORM, LICENCES, null);
  assert.equal(m.materials[0].licenceId, 7);
  assert.equal(m.materials[1].licenceId, null);
  const item = itemModel({ name: "高龄津贴申领", guide: { materials: ["身份证", "户口簿"], time_limit_days: 10 } }, FORM, LICENCES);
  assert.deepEqual(item.checklist.map((c) => [c.name, c.held]), [["身份证", true], ["户口簿", false], ["银行卡", false]]);
  assert.equal(item.applicable, true);
  assert.equal(itemModel(null, null, null).applicable, false);
});

it("sends typed values and names the required fields left empty", () => {
  const m = applyFormModel(FORM, { licences: [] }, null);
  const empty = collectForm(m.fields, { id_no: "33010619900307123x" });
  // Required unless the form says otherwise, as the server reads it.
  assert.deepEqual(empty.missing, ["联系电话", "出生日期", "收款银行", "床位数"]);
  const filled = collectForm(m.fields, { phone: " 13900139000 ", born: "1940-05-01", bank: "2", beds: "12", agree: true, id_no: "33010619900307123x" });
  assert.deepEqual(filled.missing, []);
  assert.deepEqual(filled.form, { phone: "13900139000", id_no: "33010619900307123X", born: "1940-05-01", bank: 2, beds: 12, agree: true });
  const attached = collectMaterials(m.materials, { 身份证: { licenceId: 7 } });
  assert.deepEqual(attached, { materials: [{ name: "身份证", licence_id: 7 }], missing: [] });
  assert.deepEqual(collectMaterials(m.materials, {}).missing, ["身份证"]);
  // FORM_INVALID's details name fields by key: said in their labels.
  assert.deepEqual(formProblems({ details: { fields: { phone: "x" }, materials: { 身份证: "is required" } } }, m.fields), ["联系电话", "身份证"]);
});

it("legal items list only the companies still registered, with my role", () => {
  const m = applyFormModel({ ...FORM, audience: "legal" }, null, {
    legal_persons: [
      { uscc: "A", name: "甲公司", role: "representative", status: "active" },
      { uscc: "B", name: "乙公司", role: "agent", status: "deregistered" },
    ],
  });
  assert.equal(m.legal, true);
  assert.deepEqual(m.legalPersons, [{ uscc: "A", name: "甲公司", role: "法定代表人" }]);
});

it("a rating needs all five scores; a bad one shows the rectification and its deadlines", () => {
  assert.equal(ratingBody("case", "1", { overall: 2 }, "").error, messageFor("RATING_INCOMPLETE"));
  const scores = { overall: 2, efficiency: 2, guide_accuracy: 3, convenience: 2, ease_of_use: 1 };
  const { body } = ratingBody("case", "2026", scores, "  太慢  ");
  assert.deepEqual(body, { subject_type: "case", subject_ref: "2026", ...scores, comment: "太慢" });
  const r = ratedModel({ subject_type: "case", bad: true, rectification: { id: 9, status: "open", reply: null, replied_at: null, deadlines: [{ step: "reply", due_date: "2026-12-03", met_at: null }] } });
  assert.equal(r.rectification.status, "已转办，等待部门答复");
  assert.deepEqual(r.rectification.deadlines.map((d) => d.label), ["答复期限 2026-12-03"]);
  assert.equal(ratedModel({ subject_type: "payment", bad: false, rectification: null }).rectification, null);
});

it("12345: at most six photos, text required, attributes answered by key", () => {
  assert.equal(ticketBody({ kind: "report", category: "road", text: " " }).error, messageFor("TEXT_REQUIRED"));
  assert.equal(ticketBody({ kind: "report", category: "road", text: "x", photoIds: [1, 2, 3, 4, 5, 6, 7] }).error, messageFor("TOO_MANY_PHOTOS"));
  const fields = attributeFields([
    { code: "FACILITY", datatype: "singlevaluelist", description: "哪类设施", required: true, values: [{ key: "lamp", name: "路灯" }, { key: "cover", name: "井盖" }] },
    { code: "SAFETY", datatype: "string", variable: false, description: "请远离现场" },
    { code: "COUNT", datatype: "number", description: "数量" },
  ]);
  assert.deepEqual(fields.map((f) => [f.code, f.control, f.required]), [["FACILITY", "choice", true], ["SAFETY", "info", false], ["COUNT", "input", false]]);
  assert.deepEqual(collectAttributes(fields, {}).missing, ["哪类设施"]);
  const answered = collectAttributes(fields, { FACILITY: "1", COUNT: "3" });
  assert.deepEqual(answered.attributes, { FACILITY: "cover", COUNT: 3 });
  const { body } = ticketBody({ kind: "report", category: "road", text: "井盖缺失", photoIds: [4], location: { lat: 30.2740841234, long: 120.155071 }, attributes: answered.attributes });
  assert.deepEqual(body, { kind: "report", category_code: "road", text: "井盖缺失", photo_ids: [4], attributes: { FACILITY: "cover", COUNT: 3 }, lat: 30.274084, long: 120.155071 });
});

it("a sent-back case shows the department's note; its deadlines once per step", () => {
  const c = caseModel({
    case_no: "1", item_code: "X", item_name: "Y", status: "returned", channel: "alipay", legal_person: null, result: null,
    timeline: [
      { action: "apply", from: null, to: "submitted", note: null, at: "2026-12-01T09:00:00+08:00" },
      { action: "request_material", from: "submitted", to: "returned", note: "照片不清晰", at: "2026-12-01T10:00:00+08:00" },
    ],
    deadlines: [
      { step: "accept", due_date: "2026-12-02", met_at: "2026-12-01T10:00:00+08:00" },
      { step: "accept", due_date: "2026-12-04", met_at: null },
    ],
  });
  assert.equal(c.returned, true);
  assert.equal(c.returnNote, "照片不清晰");
  assert.equal(c.channel, "支付宝");
  assert.deepEqual(c.deadlines.map((d) => d.label), ["受理期限 2026-12-04"]);
});

it("我的待缴: an overdue notice cannot be paid, a fine with its late fee can", () => {
  const rows = payableRows({ items: [
    { type: "notice", ref: "1", title: "工本费", agency_name: "A", payer_masked: "李*", amount_fen: 1000, due_date: "2026-12-08", overdue: true, payable: { type: "notice", payment_code: "1" } },
    { type: "violation", ref: "D1", title: "超速", agency_name: "B", plate_no_masked: "浙A***45", amount_fen: 23000, late_fee_fen: 3000, due_date: null, overdue: true, payable: { type: "violation", decision_no: "D1" } },
  ] });
  assert.deepEqual(rows.map((r) => [r.canPay, r.overdue, r.amount, r.due]), [
    [false, true, "¥10.00", "缴款期限 2026-12-08"],
    [true, false, "¥230.00", "含滞纳金 ¥30.00"],
  ]);
});

it("uploads through the host with the bearer token, and reads a refusal by its code", async () => {
  const seen = [];
  const store = { v: { "yiwang.token": "tok" }, get(k) { return this.v[k] || null; }, set(k, v) { this.v[k] = v; }, remove(k) { delete this.v[k]; } };
  const api = createApi({
    base: "https://api.test/",
    store,
    transport: async () => ({ status: 200, data: {} }),
    upload: async (req) => {
      seen.push(req);
      req.onProgress(50);
      return req.file.name === "big.jpg"
        ? { status: 413, data: { code: "UPLOAD_TOO_LARGE", message: "x" } }
        : { status: 201, data: { id: 5, filename: req.file.name } };
    },
  });
  const progress = [];
  assert.deepEqual(await api.uploadMaterial({ path: "p", name: "a.jpg" }, (p) => progress.push(p)), { id: 5, filename: "a.jpg" });
  assert.equal(seen[0].url, "https://api.test/api/v1/materials");
  assert.equal(seen[0].headers.Authorization, "Bearer tok");
  assert.deepEqual(progress, [50]);
  await assert.rejects(api.uploadMaterial({ path: "p", name: "big.jpg" }), (e) => e.code === "UPLOAD_TOO_LARGE" && e.message === messageFor("UPLOAD_TOO_LARGE"));
  const offline = createApi({ base: "https://api.test", store, transport: async () => ({}), upload: async () => { throw new Error("offline"); } });
  await assert.rejects(offline.uploadMaterial({ path: "p", name: "a.jpg" }), (e) => e.code === "UPLOAD_FAILED");
});

it("the item page reads the guide: materials by e-licence type, fees, places", () => {
  const guide = {
    name: "高龄津贴申领",
    department: { code: "hz-mzj", name: "杭州市民政局" },
    guide: {
      conditions: ["年满 80 周岁"],
      materials: [
        { name: "居民身份证", required: true, copies: 1, form: "original", licence_type: "id_card" },
        { name: "户口簿", required: false, copies: 2, form: "copy", note: "首页和本人页" },
      ],
      fees: [],
      promised_time_limit_days: 5,
      legal_time_limit_days: 20,
      legal_basis: ["《浙江省高龄津贴制度》"],
      places: [{ name: "市民中心", address: "解放东路18号", hours: "工作日 9:00-17:00", phone: "0571-12345" }],
      visits: 0,
      contact: "0571-12345",
      faq: [{ q: "可以代办吗？", a: "可以。" }],
    },
  };
  const m = itemModel(guide, null, { licences: [{ id: 1, kind: "id_card", title: "电子身份证", number: "x" }] });
  assert.equal(m.department, "杭州市民政局");
  assert.deepEqual(m.checklist, [
    { name: "居民身份证", held: true, note: "免提交：已有电子证照" },
    { name: "户口簿", held: false, note: "复印件 · 2 份 · 选交 · 首页和本人页" },
  ]);
  assert.deepEqual(m.facts.map((f) => f.label + "=" + f.value).slice(0, 4), ["承诺时限=5 个工作日", "法定时限=20 个工作日", "收费=不收费", "到现场次数=零跑腿，全程网办"]);
  assert.deepEqual(m.places, [{ name: "市民中心", detail: "解放东路18号 · 工作日 9:00-17:00 · 0571-12345" }]);
  assert.equal(m.applicable, false);
  // The apply page marks the same material 免提交 through the guide's licence type.
  const form = { ...FORM, materials: [{ name: "居民身份证", required: true }] };
  const applied = applyFormModel(form, { licences: [{ id: 1, kind: "id_card", title: "电子身份证", number: "x" }] }, null, guide);
  assert.equal(applied.materials[0].licenceId, 1);
  assert.equal(applyFormModel(form, { licences: [{ id: 1, kind: "id_card", title: "电子身份证", number: "x" }] }, null, null).materials[0].licenceId, null);
});

// A resident's whole journey through the new pages of one mini-program, against a live
// `yiwang serve --demo` and its sandbox:
//   node live-journey.mjs CHANNEL API_BASE SANDBOX_BASE AGENCY_JSON PHOTO
// CHANNEL wechat: every page is rendered with miniprogram-simulate and tapped; alipay: the
// same page logic runs against a `my.` played by fetch. The agency's part (issue a notice,
// send the case back, complete it) goes through its signed API, as the department's system
// would. Prints what the pages showed, as JSON, for tests/shells/test_miniprogram_journey.py.

import { createHmac, createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

import { buildChannel, loadPageLogic, renderPage, settle, tap, until } from "./harness.mjs";

const [channel, base, sandbox, agencyFile, photo] = process.argv.slice(2);
// The server may run on a business clock of its own (YIWANG_TEST_AT): signed requests and
// due dates follow it, by the offset the test hands over in seconds.
const OFFSET_MS = Number(process.env.YIWANG_CLOCK_OFFSET || 0) * 1000;
const now = () => Date.now() + OFFSET_MS;
const require = createRequire(import.meta.url);
const agency = JSON.parse(readFileSync(agencyFile, "utf8"));
const PERSON = { name: "李四", id_number: "330102198511224569", openid: "o-demo-lisi", alipay: "2088000000000002" };
const DEMO_USCC = "91330102MA27UY3K6Q";
const seen = { channel };
const calls = { subscribe: [], navigate: [], redirect: [], location: 0, progress: [] };

async function live(method, url, body, headers) {
  const answer = await fetch(url, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
  const text = await answer.text();
  return [answer.status, text ? JSON.parse(text) : null];
}

async function sandboxPost(path, body) {
  const [status, data] = await live("POST", sandbox + path, body, { "Content-Type": "application/json" });
  if (status >= 300) throw new Error(`sandbox ${path}: ${status} ${JSON.stringify(data)}`);
  return data;
}

// The department's system: HMAC-signed like tests/journeys.py signed_headers.
async function agencyPost(path, payload) {
  const body = JSON.stringify(payload);
  const ts = String(Math.floor(now() / 1000));
  const digest = createHash("sha256").update(body).digest("hex");
  const sig = createHmac("sha256", agency.secret).update(`POST\n${path}\n${ts}\n${digest}`).digest("hex");
  const [status, data] = await live("POST", base + path, body, {
    "Content-Type": "application/json", "X-Agency-Key": agency.key, "X-Timestamp": ts, "X-Signature": sig,
  });
  if (status >= 300) throw new Error(`agency ${path}: ${status} ${JSON.stringify(data)}`);
  return data;
}

// Multipart upload of the picked photo, as wx.uploadFile / my.uploadFile send it.
async function uploadFile(url, headers, path, field) {
  const form = new FormData();
  form.append(field, new Blob([readFileSync(path)], { type: "image/jpeg" }), "photo.jpg");
  const answer = await fetch(url, { method: "POST", headers, body: form });
  return { status: answer.status, text: await answer.text() };
}

const storage = {};
async function loginCode() {
  const user = channel === "wechat" ? PERSON.openid : PERSON.alipay;
  return (await sandboxPost(`/sandbox/${channel}/login-codes`, { user })).code;
}
function uploadTask(o, field) {
  const listeners = [];
  uploadFile(o.url, o.header, o.filePath, field).then((r) => {
    listeners.forEach((f) => f({ progress: 100, totalBytesSent: 1, totalBytesExpectedToSend: 1 }));
    o.success({ statusCode: r.status, data: r.text });
  }, o.fail);
  return { onProgressUpdate: (f) => { listeners.push(f); f({ progress: 40 }); } };
}
globalThis.wx = {
  request: (o) => live(o.method, o.url, o.data, o.header).then(([s, d]) => o.success({ statusCode: s, data: d, header: {} }), o.fail),
  getStorageSync: (k) => storage[k] || "",
  setStorageSync: (k, v) => { storage[k] = v; },
  removeStorageSync: (k) => { delete storage[k]; },
  login: (o) => loginCode().then((code) => o.success({ code }), o.fail),
  chooseMedia: (o) => o.success({ tempFiles: [{ tempFilePath: photo, size: readFileSync(photo).length }] }),
  uploadFile: (o) => uploadTask(o, o.name),
  getLocation: (o) => { calls.location += 1; o.success({ latitude: 30.274084, longitude: 120.15507 }); },
  requestSubscribeMessage: (o) => { calls.subscribe.push(o.tmplIds); const r = {}; o.tmplIds.forEach((t) => { r[t] = "accept"; }); o.success(r); },
  // The sandbox checks paySign as WeChat would, then notifies our server.
  requestPayment: (o) => {
    const { success, fail, complete, ...params } = o;
    sandboxPost("/sandbox/wechat/payments", params).then(() => success({}), (e) => fail({ errMsg: String(e) }));
  },
  navigateTo: (o) => calls.navigate.push(o.url),
  redirectTo: (o) => calls.redirect.push(o.url),
  showToast: () => {},
  showModal: () => {},
};
globalThis.my = {
  request: (o) => live(o.method, o.url, o.data && JSON.parse(o.data), o.headers).then(([s, d]) => (s >= 400 ? o.fail({ error: 19, status: s, data: d }) : o.success({ status: s, data: d, headers: {} })), o.fail),
  getStorageSync: ({ key }) => ({ data: storage[key] }),
  setStorageSync: ({ key, data }) => { storage[key] = data; },
  removeStorageSync: ({ key }) => { delete storage[key]; },
  getAuthCode: (o) => loginCode().then((authCode) => o.success({ authCode }), o.fail),
  chooseImage: (o) => o.success({ apFilePaths: [photo] }),
  uploadFile: (o) => uploadTask(o, o.fileName),
  getLocation: (o) => { calls.location += 1; o.success({ latitude: "30.274084", longitude: "120.15507" }); },
  requestSubscribeMessage: (o) => { calls.subscribe.push(o.entityIds); o.success({ result: { subscribeEntityIds: o.entityIds } }); },
  tradePay: (o) => {
    const tradeNo = o.tradeNO || o.tradeNo;
    sandboxPost("/sandbox/alipay/payments", { trade_no: tradeNo }).then(() => o.success({ resultCode: "9000" }), () => o.success({ resultCode: "4000" }));
  },
  navigateTo: (o) => calls.navigate.push(o.url),
  redirectTo: (o) => calls.redirect.push(o.url),
  showToast: () => {},
  alert: () => {},
};

const out = buildChannel(channel, { apiBase: base }).out;

// One page, driven the same way on both channels: WeChat through its rendered template
// (taps on the elements), Alipay through its page logic with the same events.
async function open(page, query = {}) {
  if (channel === "wechat") {
    const comp = renderPage(out, page, query);
    await settle(comp);
    return {
      get data() { return comp.instance.data; },
      text: () => comp.dom.textContent,
      count: (selector) => comp.querySelectorAll(selector).length,
      call: (method, event) => comp.instance[method](event),
      tap: async (selector, index, _method, _dataset, done) => {
        await tap(comp, selector, index || 0);
        if (done) await until(() => done(comp.instance.data), selector, 20000);
      },
    };
  }
  const logic = loadPageLogic(out, page);
  if (logic.onLoad) await logic.onLoad(query);
  if (logic.onShow) await logic.onShow();
  return {
    get data() { return logic.data; },
    text: () => "",
    count: () => -1,
    call: (method, event) => logic[method](event),
    tap: async (_selector, _index, method, dataset, done) => {
      await logic[method]({ currentTarget: { dataset: dataset || {} }, detail: {} });
      if (done) await until(() => done(logic.data), method, 20000);
    },
  };
}
const ev = (dataset, value) => ({ currentTarget: { dataset }, detail: { value } });
const { api } = require(join(out, "session.js"));

// 0. Signed in silently; on WeChat the real name comes from city-service face verification.
await api.me().catch(() => null);
const { ensureSignedIn } = require(join(out, "session.js"));
let citizen = await ensureSignedIn();
if (channel === "wechat" && !citizen.verified) {
  const face = await sandboxPost("/sandbox/wechat/face-verifications", { openid: PERSON.openid });
  citizen = await api.verifyWithFace(face.verify_result);
}
seen.verified = citizen.verified === true || (citizen.citizen && citizen.citizen.verified === true);

// 1. The department issues a notice to this resident's ID number: it is under 我的待缴.
await agencyPost("/api/v1/agency/fee-items", { item_code: "JOURNEY-01", name: "证照工本费", kind_code: "103", standard_fen: 1000 });
const issued = await agencyPost("/api/v1/agency/notices", {
  payer: { name: PERSON.name, id_number: PERSON.id_number },
  items: [{ item_code: "JOURNEY-01", name: "证照工本费", quantity: 1, standard_fen: 1000, amount_fen: 1000 }],
  due_date: new Date(now() + 7 * 86400000).toISOString().slice(0, 10),
});
let payables = await open("payables");
const row = payables.data.rows.find((r) => r.payable.payment_code === issued.payment_code);
seen.payables = { listed: Boolean(row), amount: row && row.amount, who: row && row.who, text: payables.text().includes(issued.payment_code) || payables.text().includes("证照工本费") };
const index = payables.data.rows.indexOf(row);
await payables.tap(".pay", index, "onPay", { key: row.key }, () => calls.navigate.some((u) => u.startsWith("/pages/receipt/")));
seen.payables.receipt = calls.navigate.find((u) => u.startsWith("/pages/receipt/")) || "";
seen.payables.after = payables.data.rows.some((r) => r.payable.payment_code === issued.payment_code);
seen.payables.notice = payables.data.notice;

// 2. Apply with a photo, from the form the server defines today.
const apply = await open("apply", { code: agency.item_code });
seen.apply = { fields: apply.data.model.fields.map((f) => [f.name, f.control, f.keyboard]), materials: apply.data.model.materials.map((m) => m.name), labels: apply.text() };
apply.call("onInput", ev({ name: "applicant_phone" }, "13900139000"));
apply.call("onInput", ev({ name: "birth_date" }, "1940-05-01"));
apply.call("onChoice", ev({ name: "bank" }, "1"));
apply.call("onInput", ev({ name: "address" }, "杭州市西湖区文三路 1 号"));
await apply.tap(".pick", 0, "onPick", { name: "身份证" }, (d) => d.chosen["身份证"] && d.chosen["身份证"].materialId);
seen.apply.uploaded = apply.data.chosen["身份证"];
await apply.tap(".submit", 0, "onSubmit", {}, (d) => calls.redirect.length > 0 || d.error);
seen.apply.error = apply.data.error;
seen.apply.redirect = calls.redirect[0] || "";
seen.apply.subscribed = calls.subscribe.slice();
const caseNo = decodeURIComponent((seen.apply.redirect.split("case_no=")[1] || ""));
seen.caseNo = caseNo;

// 3. The department sends it back for a clearer photo; the resident answers in place.
await agencyPost(`/api/v1/agency/cases/${caseNo}/accept`, { note: "受理" });
await agencyPost(`/api/v1/agency/cases/${caseNo}/request_material`, { note: "身份证照片不清晰，请重新上传" });
let detail = await open("case", { case_no: caseNo });
seen.returned = { status: detail.data.model.status, note: detail.data.model.returnNote, materials: detail.data.form.materials.map((m) => m.name), text: detail.text() };
await detail.tap(".pick", 0, "onPick", { name: "身份证" }, (d) => d.chosen["身份证"]);
await detail.tap(".send-supplement", 0, "onSupplement", {}, (d) => d.notice || d.error);
seen.supplemented = { status: detail.data.model.status, notice: detail.data.notice, error: detail.data.error };

// 4. The department completes it with an e-licence; the resident sees it and rates 2.
// (Each signed request differs: the same body in the same second would be a replay.)
await agencyPost(`/api/v1/agency/cases/${caseNo}/accept`, { note: "补正后受理" });
await agencyPost(`/api/v1/agency/cases/${caseNo}/approve`, { note: "材料齐全" });
await agencyPost(`/api/v1/agency/cases/${caseNo}/complete`, { result: { licence: { kind: "高龄津贴资格证明", title: "高龄津贴资格证明", number: "GLJT-" + caseNo.slice(-6) } } });
detail = await open("case", { case_no: caseNo });
seen.completed = { status: detail.data.model.status, licence: detail.data.model.licence, rateable: detail.data.model.rateable, steps: detail.data.model.timeline.length, text: detail.text() };
await detail.tap(".rate", 0, "onRate", {});
seen.completed.rateLink = calls.navigate[calls.navigate.length - 1];
const rate = await open("rate", { type: "case", ref: caseNo });
for (let i = 0; i < 5; i += 1) {
  const key = rate.data.indicators[i].key;
  await rate.tap(".star", i * 5 + 1, "onScore", { key, score: 2 });
}
rate.call("onComment", ev({}, "等了很久，窗口说法和网上指南不一致"));
await rate.tap(".submit", 0, "onSubmit", {}, (d) => d.rated || d.error);
seen.rated = { error: rate.data.error, model: rate.data.rated, text: rate.text() };
const wallet = await open("licences");
seen.wallet = wallet.data.rows.map((l) => l.title);

// 5. 12345: a report with a photo and, after consent, the location.
const hotline = await open("hotline");
seen.hotline = { categories: hotline.data.categories.length };
await hotline.tap(".kind", 2, "onKind", { kind: "report" });
const road = hotline.data.categories.findIndex((c) => c.code === "road");
hotline.call("onCategory", ev({}, String(road)));
seen.hotline.attributes = hotline.data.attrFields.map((f) => [f.code, f.control, f.required]);
hotline.call("onAttr", ev({ code: "FACILITY" }, "1"));
hotline.call("onText", ev({}, "文三路人行道上井盖缺失，夜里很危险"));
await hotline.tap(".photo", 0, "onPhotos", {}, (d) => d.photos.length === 1 || d.error);
await hotline.call("onLocate", ev({}, true));
const before = calls.navigate.length;
await hotline.tap(".submit", 0, "onSubmit", {}, () => calls.navigate.length > before || hotline.data.error);
seen.hotline.error = hotline.data.error;
const ticketUrl = calls.navigate[calls.navigate.length - 1];
const ticket = await open("ticket", { id: ticketUrl.split("id=")[1] });
seen.ticket = { model: ticket.data.model, text: ticket.text() };

// 6. Act for the demo company (李四 is its legal representative); authorise an agent and
// revoke them again.
const company = await open("company");
seen.company = { rows: company.data.rows };
const at = company.data.rows.findIndex((r) => r.uscc === DEMO_USCC);
await company.tap(".act", at, "onAct", { uscc: DEMO_USCC });
await company.tap(".manage", 0, "onManage", { uscc: DEMO_USCC }, (d) => d.managing || d.error);
company.call("onAgentName", ev({}, "王芳"));
company.call("onAgentId", ev({}, "330382199508150025"));
await company.tap(".authorise", 0, "onAuthorise", {}, (d) => d.notice === "已授权。" || d.error);
seen.company.acting = company.data.actingName;
seen.company.agents = company.data.agents.slice();
seen.company.authoriseError = company.data.error;
const added = company.data.agents.find((a) => a.active);
if (added) {
  await company.tap(".revoke", 0, "onRevoke", { id: added.id }, (d) => d.notice === "已撤销授权。" || d.error);
}
seen.company.afterRevoke = company.data.agents.slice();
const cases = await open("cases");
seen.companyCases = { acting: cases.data.acting, error: cases.data.error };

// 7. My orders: the notice paid in step 1.
const orders = await open("orders");
seen.orders = orders.data.rows.map((o) => [o.description, o.status]);
seen.calls = calls;
console.log(JSON.stringify(seen));
process.exit(0);

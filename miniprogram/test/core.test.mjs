// The shared core as the H5 shell loads it (ES modules from src/core).

import assert from "node:assert/strict";
import { it } from "node:test";

import { MESSAGES, messageFor } from "../src/core/errors.js";
import { shanghaiDateTime, upcomingDates, yuan, yuanLabel } from "../src/core/format.js";
import { createApi } from "../src/core/api.js";
import { appointmentRows, homeModel, miniappTarget } from "../src/core/logic.js";

it("formats fen as yuan without floating point", () => {
  assert.equal(yuan(0), "0.00");
  assert.equal(yuan(5), "0.05");
  assert.equal(yuan(23000), "230.00");
  assert.equal(yuan(-1999), "-19.99");
  assert.equal(yuanLabel(100000001), "¥1000000.01");
  assert.throws(() => yuan(1.5));
  assert.throws(() => yuan("100"));
});

it("shows times in Shanghai and counts days from there", () => {
  assert.equal(shanghaiDateTime("2030-01-01T16:30:00+00:00"), "1月2日 00:30");
  const days = upcomingDates(Date.parse("2030-01-01T17:00:00Z"), 2);
  assert.deepEqual(days.map((d) => d.date), ["2030-01-03", "2030-01-04"]);
});

it("has a Chinese message for every code and a safe fallback", () => {
  for (const [code, text] of Object.entries(MESSAGES)) {
    assert.match(text, /[\u4e00-\u9fff]/, code);
  }
  assert.equal(messageFor("NO_SUCH_CODE"), "办理没有成功，请稍后再试。");
  assert.equal(messageFor("hasOwnProperty"), "办理没有成功，请稍后再试。");
});

it("routes mini-apps by their entry, and marks unknown native pages", () => {
  assert.deepEqual(miniappTarget({ entry: { type: "h5", url: "https://a.gov.cn/" } }), { kind: "h5", url: "https://a.gov.cn/" });
  assert.deepEqual(miniappTarget({ entry: { type: "native", page: "pages/clinic/index" } }), { kind: "native", page: "appointments", query: "kind=clinic" });
  const model = homeModel({ items: [], miniapps: [{ id: "x", name: "X", entry: { type: "native", page: "pages/unknown/index" } }] });
  assert.equal(model.miniapps[0].available, false);
  assert.equal(model.miniapps[0].reason, "请升级到最新版本后使用");
});

it("names a booking's place from the booking, and from the listings for older servers", () => {
  const booking = { id: 1, institution_id: 9, department_id: 4, status: "booked", date: "2030-01-02", starts_at: "2030-01-02T00:30:00+00:00" };
  const [now] = appointmentRows({ appointments: [{ ...booking, institution_name: "浙一医院", address: "庆春路79号", department_name: "心内科", resource_name: "王医生", resource_title: "主任医师" }] });
  assert.deepEqual(
    [now.institution, now.department, now.resource, now.address, now.when, now.active],
    ["浙一医院", "心内科", "王医生（主任医师）", "庆春路79号", "1月2日 08:30", true]
  );
  const [old] = appointmentRows({ appointments: [booking] }, [{ id: 9, name: "浙一医院", departments: [{ id: 4, name: "心内科" }] }]);
  assert.deepEqual([old.institution, old.department, old.resource, old.address], ["浙一医院", "心内科", "", ""]);
});

it("downloads files through the host with the token, and names a refusal by its JSON code", async () => {
  const stored = { "yiwang.token": "t-9" };
  const store = { get: (k) => stored[k] || null, set: (k, v) => { stored[k] = v; }, remove: (k) => { delete stored[k]; } };
  const asked = [];
  let answer = { status: 200, path: "blob:qr", data: null };
  const api = createApi({ base: "https://api.test/", transport: async () => ({ status: 200, data: {} }), store, download: async (req) => (asked.push(req), answer) });
  assert.equal(await api.checkInQr(7), "blob:qr");
  assert.deepEqual(asked[0], { url: "https://api.test/api/v1/appointments/7/check-in-qr.png", headers: { Authorization: "Bearer t-9" } });
  answer = { status: 409, path: "", data: { code: "APPOINTMENT_NOT_ACTIVE", request_id: "r" } };
  await assert.rejects(api.checkInQr(7), { code: "APPOINTMENT_NOT_ACTIVE", status: 409, requestId: "r" });
  answer = { status: 401, path: "", data: { code: "TOKEN_INVALID" } };
  await assert.rejects(api.receiptQr("330103260000000001"), { code: "TOKEN_INVALID" });
  assert.equal(stored["yiwang.token"], undefined);
  const offline = createApi({ base: "https://api.test", transport: null, store, download: async () => { throw new Error("timeout"); } });
  await assert.rejects(offline.checkInQr(7), { code: "NETWORK_ERROR", status: 0 });
});

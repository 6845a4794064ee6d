// The shared core as the H5 shell loads it (ES modules from src/core).

import assert from "node:assert/strict";
import { it } from "node:test";

import { MESSAGES, messageFor } from "../src/core/errors.js";
import { shanghaiDateTime, upcomingDates, yuan, yuanLabel } from "../src/core/format.js";
import { homeModel, miniappTarget } from "../src/core/logic.js";

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

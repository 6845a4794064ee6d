// The release entry screen (pages/release): the release time in Beijing time whatever the
// phone's zone, first come or lottery, the lottery's state, seed hash, seed and my result;
// the core model on its own, then the WeChat page rendered and the Alipay page's logic.

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { releaseModel } from "../src/core/release.js";
import { buildChannel, loadPageLogic, myStub, renderPage, scriptedApi, settle, tap, until, wxStub } from "./harness.mjs";

const SESSION = [201, { token: "t-1", expires_at: "2030-01-01T00:00:00Z", citizen: { id: "c", verified: true, name_masked: "张*", id_number_masked: "330106********1236" } }];
const SEED_HASH = "9f".repeat(32);
const SEED = "1a".repeat(32);

// Release at 07:00 Beijing on 2029-12-26 (23:00 UTC the day before), for 2030-01-02 08:00.
function slotsAnswer(overrides = {}) {
  return {
    institution: { id: 3, name: "杭州市第一人民医院", kind: "clinic" },
    date: "2030-01-02",
    today: "2029-12-26",
    release_at: "2029-12-25T23:00:00+00:00",
    closes_at: "2030-01-01T07:00:00+00:00",
    slots: [
      {
        id: 456,
        starts_at: "2030-01-02T00:00:00+00:00",
        ends_at: "2030-01-02T00:30:00+00:00",
        capacity: 4,
        remaining: 2,
        kept: 2,
        kept_until: "2030-01-01T04:00:00+00:00",
        bookable: true,
        fee_fen: 0,
        release_mode: "first_come",
        lottery: null,
        department: { id: 5, name: "内科" },
        resource: { id: 6, name: "王建国", title: "主任医师" },
        ...overrides,
      },
    ],
  };
}

const WINDOW = {
  entry_opens_at: "2029-12-25T23:00:00+00:00",
  entry_closes_at: "2029-12-26T01:00:00+00:00",
  draw_at: "2029-12-26T02:00:00+00:00",
};

function lotteryAnswer(overrides = {}) {
  return {
    slot_id: 456, capacity: 2, status: "open", ...WINDOW, entries: 5,
    seed_sha256: SEED_HASH, seed: null, result: null, ...overrides,
  };
}

const LOTTERY_SLOT = { release_mode: "lottery", lottery: { status: "open", ...WINDOW }, kept: 0, kept_until: null, remaining: 2, bookable: false };
const DRAWN = {
  status: "drawn", seed: SEED,
  result: [
    { entry_no: 3, outcome: "won" }, { entry_no: 1, outcome: "waitlisted" }, { entry_no: 5, outcome: "refused" },
    { entry_no: 2, outcome: "won" }, { entry_no: 4, outcome: "waitlisted" },
  ],
};
const at = (iso) => Date.parse(iso);

describe("release model", () => {
  it("shows a first-come release in Beijing time, its state, and the kept seats", () => {
    const before = releaseModel(slotsAnswer(), 456, null, null, at("2029-12-25T22:59:00Z"));
    assert.equal(before.releaseAt, "12月26日 07:00（北京时间）");
    assert.equal(before.modeLabel, "先到先得");
    assert.equal(before.state, "未放号");
    assert.equal(before.action, null);
    assert.match(before.kept, /另有 2 个号留给窗口和电话预约，1月1日 12:00（北京时间）起向所有人开放/);
    const open = releaseModel(slotsAnswer(), 456, null, null, at("2029-12-25T23:00:00Z"));
    assert.equal(open.state, "可预约");
    assert.equal(open.action, "book");
    const full = releaseModel(slotsAnswer({ remaining: 0, bookable: false }), 456, null, null, at("2029-12-26T00:00:00Z"));
    assert.match(full.state, /已约满/);
    assert.equal(full.action, null);
    assert.equal(releaseModel(slotsAnswer(), 999, null, null, 0), null);
  });

  it("walks a lottery from before entry to the draw and places me in the result", () => {
    const answer = slotsAnswer(LOTTERY_SLOT);
    const early = releaseModel(answer, 456, lotteryAnswer({ seed_sha256: null }), [], at("2029-12-25T22:00:00Z"));
    assert.equal(early.modeLabel, "摇号放号");
    assert.equal(early.state, "报名未开始");
    assert.equal(early.entryOpens, "12月26日 07:00（北京时间）");
    assert.equal(early.drawAt, "12月26日 10:00（北京时间）");
    assert.equal(early.action, null);
    const entering = releaseModel(answer, 456, lotteryAnswer(), [], at("2029-12-25T23:30:00Z"));
    assert.equal(entering.state, "报名中");
    assert.equal(entering.action, "enter");
    assert.equal(entering.seedSha256, SEED_HASH);
    const entered = [{ id: 9, slot_id: 456, entry_no: 4, status: "entered" }];
    const waiting = releaseModel(answer, 456, lotteryAnswer(), entered, at("2029-12-25T23:30:00Z"));
    assert.equal(waiting.action, null); // entered once
    assert.deepEqual(waiting.mine, { entryNo: 4, outcome: "已报名，等待摇号" });
    assert.equal(releaseModel(answer, 456, lotteryAnswer(), entered, at("2029-12-26T01:30:00Z")).state, "报名已结束，等待摇号");
    const drawn = releaseModel(answer, 456, lotteryAnswer(DRAWN), [{ ...entered[0], status: "waitlisted" }], at("2029-12-26T03:00:00Z"));
    assert.equal(drawn.state, "已开奖");
    assert.equal(drawn.seed, SEED);
    assert.deepEqual(drawn.mine, { entryNo: 4, outcome: "未中签，候补第 2 位" });
    const won = releaseModel(answer, 456, lotteryAnswer(DRAWN), [{ ...entered[0], entry_no: 2, status: "won" }], at("2029-12-26T03:00:00Z"));
    assert.equal(won.mine.outcome, "中签，已为您预约");
  });
});

let wechat;
let alipay;
before(() => {
  wechat = buildChannel("wechat").out;
  alipay = buildChannel("alipay").out;
});

describe("release page (WeChat)", () => {
  it("renders a drawn lottery with the seed and my waitlist place", async () => {
    const api = scriptedApi({
      "GET /api/v1/institutions/3/slots": () => [200, slotsAnswer({ ...LOTTERY_SLOT, lottery: { status: "drawn", ...WINDOW } })],
      "GET /api/v1/slots/456/lottery": () => [200, lotteryAnswer(DRAWN)],
      "GET /api/v1/me/lottery-entries": () => [200, { entries: [{ id: 9, slot_id: 456, entry_no: 4, status: "waitlisted" }] }],
    });
    const stub = wxStub(api);
    stub.storage["yiwang.token"] = "t-1";
    globalThis.wx = stub.wx;
    const page = renderPage(wechat, "release", { institution: "3", date: "2030-01-02", slot: "456" });
    await settle(page);
    const text = page.dom.textContent;
    assert.match(text, /摇号放号/);
    assert.match(text, /已开奖/);
    assert.match(page.querySelector(".draw-at").dom.textContent, /12月26日 10:00（北京时间）/);
    assert.ok(page.querySelector(".seed").dom.textContent.includes(SEED));
    assert.match(page.querySelector(".result").dom.textContent, /候补第 2 位/);
    assert.ok(!page.querySelector(".act"));
    const mine = api.calls.find((c) => c.path === "/api/v1/me/lottery-entries");
    assert.equal(mine.headers.Authorization, "Bearer t-1");
  });

  it("enters an open lottery and shows the entry number", async () => {
    const nowOpen = { entry_opens_at: "2000-01-01T00:00:00+00:00", entry_closes_at: "2100-01-01T00:00:00+00:00", draw_at: "2100-01-01T01:00:00+00:00" };
    let entered = false;
    const api = scriptedApi({
      "GET /api/v1/institutions/3/slots": () => [200, slotsAnswer({ ...LOTTERY_SLOT, lottery: { status: "open", ...nowOpen } })],
      "GET /api/v1/slots/456/lottery": () => [200, lotteryAnswer(nowOpen)],
      "GET /api/v1/me/lottery-entries": () => [200, { entries: entered ? [{ id: 9, slot_id: 456, entry_no: 6, status: "entered" }] : [] }],
      "POST /api/v1/sessions": () => SESSION,
      "GET /api/v1/me": () => [200, SESSION[1].citizen],
      "POST /api/v1/appointments": () => {
        entered = true;
        return [202, { id: 9, slot_id: 456, entry_no: 6, status: "entered" }];
      },
    });
    const stub = wxStub(api);
    globalThis.wx = stub.wx;
    const page = renderPage(wechat, "release", { institution: "3", date: "2030-01-02", slot: "456" });
    await settle(page);
    assert.match(page.querySelector(".state").dom.textContent, /报名中/);
    assert.match(page.querySelector(".seed-hash").dom.textContent, new RegExp(SEED_HASH));
    await tap(page, ".act");
    await until(() => page.querySelector(".ok"), "the entry notice");
    assert.match(page.querySelector(".ok").dom.textContent, /报名号是 6/);
    await until(() => page.querySelector(".mine"), "my entry");
    assert.ok(!page.querySelector(".act"));
    assert.deepEqual(api.calls.find((c) => c.method === "POST" && c.path === "/api/v1/appointments").body, { slot_id: 456 });
  });

  it("shows a throttled refresh in words and keeps nothing stale", async () => {
    const api = scriptedApi({
      "GET /api/v1/institutions/3/slots": () => [429, { code: "POLLING_THROTTLED", message: "slow down", request_id: "r", details: { retry_after: 30 } }],
    });
    globalThis.wx = wxStub(api).wx;
    const page = renderPage(wechat, "release", { institution: "3", date: "2030-01-02", slot: "456" });
    await settle(page);
    assert.equal(page.querySelector(".error").dom.textContent.trim(), "查询太频繁了，请稍后再试。");
    assert.ok(!page.querySelector(".act"));
  });
});

describe("release page (Alipay)", () => {
  it("loads a first-come slot through my.request with its Beijing release time", async () => {
    const api = scriptedApi({ "GET /api/v1/institutions/3/slots": () => [200, slotsAnswer()] });
    const stub = myStub(api);
    globalThis.my = stub.my;
    const page = loadPageLogic(alipay, "release");
    await page.onLoad({ institution: "3", date: "2030-01-02", slot: "456" });
    assert.equal(page.data.model.releaseAt, "12月26日 07:00（北京时间）");
    assert.equal(page.data.model.modeLabel, "先到先得");
    assert.match(page.data.model.kept, /另有 2 个号/);
    assert.equal(api.calls.length, 1); // no lottery calls for a first-come slot
  });
});

describe("institution page links to the release screen", () => {
  it("opens pages/release for the tapped slot", async () => {
    const api = scriptedApi({ "GET /api/v1/institutions/3/slots": () => [200, slotsAnswer()] });
    const stub = wxStub(api);
    globalThis.wx = stub.wx;
    const page = renderPage(wechat, "institution", { id: "3", date: "2030-01-02" });
    await settle(page);
    await tap(page, ".release-link", 0);
    assert.equal(stub.calls.navigateTo[0].url, "/pages/release/index?institution=3&date=2030-01-02&slot=456");
  });
});

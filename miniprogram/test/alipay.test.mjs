// The Alipay build: its structure (every page of app.json with axml, acss, js and json; no
// WeChat API or syntax left) and its page logic run under node against a stub of `my.`.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";

import { listFiles } from "../build.mjs";
import { buildChannel, loadPageLogic, myStub, scriptedApi } from "./harness.mjs";

let out;
before(() => {
  out = buildChannel("alipay", { appId: "2021000000000000" }).out;
});

describe("the Alipay package", () => {
  it("has every page of app.json with its axml, acss, js and json", () => {
    const app = JSON.parse(readFileSync(join(out, "app.json"), "utf8"));
    assert.ok(app.pages.length >= 11);
    assert.equal(app.pages[0], "pages/home/index");
    for (const page of app.pages) {
      for (const ext of ["axml", "acss", "js", "json"]) {
        assert.ok(existsSync(join(out, `${page}.${ext}`)), `${page}.${ext}`);
      }
      assert.ok(JSON.parse(readFileSync(join(out, `${page}.json`), "utf8")).defaultTitle, page);
    }
    assert.equal(app.window.defaultTitle, "一网通办");
    assert.ok(existsSync(join(out, "mini.project.json")));
    assert.ok(existsSync(join(out, "app.acss")));
  });

  it("leaves nothing of WeChat in it", () => {
    const files = listFiles(out);
    assert.ok(!files.some((f) => /\.(wxml|wxss)$/.test(f) || f === "project.config.json"), files.join());
    for (const file of files) {
      const text = readFileSync(join(out, file), "utf8");
      assert.doesNotMatch(text, /\bwx\./, `${file} calls wx.`);
      assert.doesNotMatch(text, /\bwx:(if|for|key|elif|else)/, `${file} has wx: directives`);
      assert.doesNotMatch(text, /\bbind(tap|input|confirm|change|submit)=/, `${file} has WeChat event bindings`);
      assert.doesNotMatch(text, /^\s*(import|export)\s/m, `${file} is not CommonJS`);
    }
    const home = readFileSync(join(out, "pages/home/index.axml"), "utf8");
    assert.match(home, /a:for="\{\{model.miniapps\}\}"/);
    assert.match(home, /onTap="onTapMiniapp"/);
  });

  it("carries the API base and app id it was built with", () => {
    const manifest = JSON.parse(readFileSync(join(out, "yiwang-build.json"), "utf8"));
    assert.equal(manifest.apiBase, "https://api.test");
    assert.equal(manifest.appId, "2021000000000000");
    assert.match(readFileSync(join(out, "config.js"), "utf8"), /"apiBase": "https:\/\/api.test"/);
  });
});

describe("Alipay page logic against my.", () => {
  const SESSION = [201, { token: "t-a", expires_at: "2030-01-01T00:00:00Z", citizen: { id: "c", verified: true, name_masked: "张*", id_number_masked: "330106********1236" } }];

  it("home shows the catalog for the alipay channel", async () => {
    const api = scriptedApi({
      "GET /api/v1/catalog": () => [200, {
        region: { code: "330100", name: "杭州市" },
        items: [{ code: "A", name: "交通违法罚款缴纳", theme: "交通出行", department: "交警", online_level: 4, available: true }],
        miniapps: [{ id: "hz-fever-clinic", name: "发热门诊预约", entry: { type: "h5", url: "https://fever.example.gov.cn/" }, available: true }],
      }],
    });
    const stub = myStub(api);
    globalThis.my = stub.my;
    const page = loadPageLogic(out, "home");
    await page.onShow();
    assert.equal(api.calls[0].url, "https://api.test/api/v1/catalog?channel=alipay&region=330100");
    assert.deepEqual(page.data.model.miniapps.map((m) => m.name), ["发热门诊预约"]);
    assert.equal(page.data.model.themes[0].items[0].stars, "★★★★☆");
    page.onTapMiniapp({ currentTarget: { dataset: { id: "hz-fever-clinic" } } });
    assert.equal(stub.calls.navigateTo[0].url, "/pages/webview/index?url=" + encodeURIComponent("https://fever.example.gov.cn/"));
  });

  it("signs in with my.getAuthCode and pays with my.tradePay", async () => {
    let polls = 0;
    const api = scriptedApi({
      "POST /api/v1/sessions": () => SESSION,
      "POST /api/v1/orders": () => [201, { id: "YW2", status: "CREATED", amount_fen: 23000, items: [] }],
      "POST /api/v1/orders/YW2/payments": () => [200, { channel: "alipay", channel_params: { trade_no: "2030010122001" } }],
      "GET /api/v1/orders/YW2": () => [200, polls++ ? { id: "YW2", status: "PAID", receipt_no: "330103260000000002" } : { id: "YW2", status: "PAYING" }],
      "GET /api/v1/violations": () => [200, { violations: [] }],
    });
    const stub = myStub(api);
    globalThis.my = stub.my;
    const page = loadPageLogic(out, "violations");
    page.setData({ plateNo: "浙AD54321", plateType: "52", vinTail: "654321" });
    await page.onLookup();
    assert.equal(stub.calls.getAuthCode.length, 1);
    assert.deepEqual(api.calls[0].body, { channel: "alipay", code: "ali-code-1" });
    const result = await page.onPay({ currentTarget: { dataset: { decision: "330100DEMO0003" } } });
    assert.equal(result.status, "paid");
    assert.equal(stub.calls.tradePay[0].tradeNO, "2030010122001");
    assert.deepEqual(api.calls.find((c) => c.path.endsWith("/payments")).body, { channel: "alipay", mode: "jsapi" });
    assert.equal(stub.calls.navigateTo[0].url, "/pages/receipt/index?no=330103260000000002");
  });

  it("maps refusals that my.request reports through fail", async () => {
    const api = scriptedApi({
      "POST /api/v1/sessions": () => SESSION,
      "GET /api/v1/violations": () => [404, { code: "VEHICLE_NOT_FOUND", message: "x", request_id: "r" }],
    });
    globalThis.my = myStub(api).my;
    const page = loadPageLogic(out, "violations");
    await page.onLookup();
    assert.equal(page.data.error, "没有查到这辆车，请核对车牌号和车架号后 6 位。");
  });

  it("treats resultCode 6001 as a cancellation", async () => {
    const api = scriptedApi({
      "POST /api/v1/orders": () => [201, { id: "YW3", status: "CREATED", amount_fen: 100, items: [] }],
      "POST /api/v1/orders/YW3/payments": () => [200, { channel: "alipay", channel_params: { trade_no: "T3" } }],
    });
    const stub = myStub(api, { resultCode: "6001" });
    globalThis.my = stub.my;
    const page = loadPageLogic(out, "notices");
    page.setData({ notice: { paymentCode: "33010026001000000123" } });
    await page.onPay();
    assert.equal(page.data.error, "您已取消支付，可以稍后在订单中继续支付。");
    assert.ok(!api.calls.some((c) => c.method === "GET"));
  });

  it("the institution page opens on the first day the server finds a bookable slot", async () => {
    const api = scriptedApi({
      "GET /api/v1/institutions/3/slots": () => [200, { institution: { name: "大厅" }, date: "2030-01-03", today: "2030-01-01", slots: [] }],
    });
    globalThis.my = myStub(api).my;
    const page = loadPageLogic(out, "institution");
    await page.onLoad({ id: "3" });
    assert.equal(api.calls[0].url, "https://api.test/api/v1/institutions/3/slots");
    assert.equal(page.data.date, "2030-01-03");
    assert.deepEqual(page.data.dates.map((d) => d.date).slice(0, 3), ["2030-01-02", "2030-01-03", "2030-01-04"]);
  });

  it("booking refusals read the same as on WeChat", async () => {
    const api = scriptedApi({
      "POST /api/v1/sessions": () => SESSION,
      "POST /api/v1/appointments": () => [409, { code: "SLOT_FULL", message: "x", request_id: "r" }],
      "GET /api/v1/institutions/3/slots": () => [200, { institution: { name: "大厅" }, slots: [] }],
    });
    const stub = myStub(api);
    globalThis.my = stub.my;
    const page = loadPageLogic(out, "institution");
    await page.onLoad({ id: "3" });
    await page.onBook({ currentTarget: { dataset: { id: "9", bookable: true } } });
    assert.equal(page.data.error, "这个时段已约满，请选择其他时段，或加入候补。");
    assert.equal(stub.calls.alert[0].content, page.data.error);
  });
  describe("my appointments: the check-in QR through my.downloadFile", () => {
    const MINE = [200, { appointments: [
      { id: 81, institution_id: 3, department_id: 5, date: "2030-01-02", starts_at: "2030-01-02T00:00:00+00:00", status: "booked", institution_name: "杭州市民中心行政服务大厅", address: "杭州市江干区解放东路18号", department_name: "户政", resource_name: "1号窗口", resource_title: "户籍业务" },
    ] }];
    const REFUSED = () => [409, { code: "APPOINTMENT_NOT_ACTIVE", message: "x", request_id: "r" }];

    function routes(qr) {
      return {
        "POST /api/v1/sessions": () => SESSION,
        "GET /api/v1/me/appointments": () => MINE,
        "GET /api/v1/appointments/81/check-in-code": () => [200, { appointment_id: 81, code: "YWCI1.81.3.n.m", date: "2030-01-02" }],
        "GET /api/v1/appointments/81/check-in-qr.png": qr,
      };
    }

    it("downloads with the bearer token in `header` and shows apFilePath", async () => {
      const api = scriptedApi(routes(() => [200, "\x89PNG"]));
      const stub = myStub(api);
      globalThis.my = stub.my;
      const page = loadPageLogic(out, "my-appointments");
      await page.onShow();
      assert.equal(page.data.rows[0].institution, "杭州市民中心行政服务大厅");
      assert.equal(page.data.rows[0].resource, "1号窗口（户籍业务）");
      await page.onCode({ currentTarget: { dataset: { id: "81" } } });
      const download = stub.calls.downloadFile[0];
      assert.equal(download.url, "https://api.test/api/v1/appointments/81/check-in-qr.png");
      assert.equal(download.header.Authorization, "Bearer t-a");
      assert.match(page.data.qrPath, /^https:\/\/resource\/apml\d+\.png$/);
      assert.equal(page.data.code, "YWCI1.81.3.n.m");
      assert.equal(page.data.codeFor, 81);
      assert.equal(page.data.error, "");
    });

    it("keeps the card when the resident comes back, until the booking is no longer active", async () => {
      let status = "booked";
      const r = routes(() => [200, "\x89PNG"]);
      r["GET /api/v1/me/appointments"] = () => [200, { appointments: [{ ...MINE[1].appointments[0], status }] }];
      r["GET /api/v1/me"] = () => [200, SESSION[1].citizen];
      globalThis.my = myStub(scriptedApi(r)).my;
      const page = loadPageLogic(out, "my-appointments");
      await page.onShow();
      await page.onCode({ currentTarget: { dataset: { id: 81 } } });
      await page.onShow();
      assert.equal(page.data.error, "");
      assert.equal(page.data.codeFor, 81);
      assert.ok(page.data.qrPath);
      status = "checked_in";
      await page.onShow();
      assert.deepEqual([page.data.codeFor, page.data.code, page.data.qrPath], [null, "", ""]);
      assert.equal(page.data.rows[0].status, "已签到");
    });

    for (const errors of ["fail", "success"]) {
      it(`names a 409 that my.downloadFile reports through ${errors}`, async () => {
        const api = scriptedApi(routes(REFUSED));
        const stub = myStub(api, { downloadErrors: errors });
        globalThis.my = stub.my;
        const page = loadPageLogic(out, "my-appointments");
        await page.onShow();
        await page.onCode({ currentTarget: { dataset: { id: 81 } } });
        assert.equal(page.data.error, "这条预约已取消或已结束。");
        assert.equal(page.data.qrPath, "");
        assert.equal(page.data.code, "");
        assert.equal((stub.calls.readFile || []).length, errors === "success" ? 1 : 0);
      });
    }

    it("the receipt's QR goes through the same download", async () => {
      const api = scriptedApi({
        "GET /api/v1/receipts/330103260000000002": () => [200, { receipt_no: "330103260000000002", qr: "q", amount_fen: 23000, lines: [] }],
        "POST /api/v1/receipts/verify": () => [200, { status: "genuine" }],
        "GET /api/v1/receipts/330103260000000002/qr.png": () => [200, "\x89PNG"],
      });
      const stub = myStub(api);
      globalThis.my = stub.my;
      stub.storage["yiwang.token"] = "t-r";
      const page = loadPageLogic(out, "receipt");
      await page.onLoad({ no: "330103260000000002" });
      assert.equal(page.data.error, "");
      assert.equal(stub.calls.downloadFile[0].header.Authorization, "Bearer t-r");
      assert.match(page.data.qrPath, /^https:\/\/resource\/apml\d+\.png$/);
    });
  });
});

describe("Alipay date fields", () => {
  it("use my.datePicker, since Alipay's <picker> has no date mode", async () => {
    const apply = readFileSync(join(out, "pages/apply/index.axml"), "utf8");
    assert.match(apply, /onTap="onPickDate"/);
    const api = scriptedApi({
      "POST /api/v1/sessions": () => [201, { token: "t-a", expires_at: "2030-01-01T00:00:00Z", citizen: { id: "c", verified: true } }],
      "GET /api/v1/items/X/form": () => [200, { item_code: "X", item_name: "Y", audience: "personal", version: 1, fields: [{ name: "born", label: "出生日期", type: "date" }], materials: [] }],
      "GET /api/v1/items/X": () => [404, { code: "ITEM_NOT_FOUND", message: "x" }],
      "GET /api/v1/me/licences": () => [200, { licences: [] }],
    });
    const stub = myStub(api);
    const picked = [];
    stub.my.datePicker = (o) => {
      picked.push(o);
      o.success({ date: "1940-05-01" });
    };
    globalThis.my = stub.my;
    const page = loadPageLogic(out, "apply");
    page.onLoad({ code: "X" });
    await page.onShow();
    assert.equal(page.data.hostDates, true);
    await page.onPickDate({ currentTarget: { dataset: { name: "born" } } });
    assert.equal(picked[0].format, "yyyy-MM-dd");
    assert.equal(page.data.values.born, "1940-05-01");
  });
});

// The check-in QR of both mini-programs against a live server:
//   node live-appointments.mjs API_BASE TOKEN BOOKING_ID
// The shells are built for API_BASE and run with the resident's token already stored; wx.
// and my. are played by fetch and a temp directory (downloads land there as the platforms
// write them, an error's JSON body included). Prints what each shell showed, as JSON.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";

import { buildChannel, loadPageLogic } from "./harness.mjs";

const [base, token, bookingId] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const files = mkdtempSync(join(tmpdir(), "yiwang-downloads-"));
let downloads = 0;

async function live(method, url, body, headers) {
  const answer = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await answer.text();
  return [answer.status, text ? JSON.parse(text) : null];
}

async function fetchFile(url, headers) {
  const answer = await fetch(url, { headers });
  const path = join(files, `download-${++downloads}`);
  writeFileSync(path, Buffer.from(await answer.arrayBuffer()));
  return { status: answer.status, path, type: answer.headers.get("content-type"), cache: answer.headers.get("cache-control") };
}

const storage = { "yiwang.token": token };
const seen = [];
const readFile = (o) => {
  try {
    o.success({ data: readFileSync(o.filePath, o.encoding === "utf8" ? "utf8" : undefined) });
  } catch (e) {
    o.fail({ errMsg: String(e) });
  }
};
globalThis.wx = {
  request: (o) => live(o.method, o.url, o.data, o.header).then(([s, d]) => o.success({ statusCode: s, data: d, header: {} }), o.fail),
  downloadFile: (o) => fetchFile(o.url, o.header).then((f) => {
    seen.push({ channel: "wechat", authorization: o.header.Authorization, ...f });
    o.success({ statusCode: f.status, tempFilePath: f.path });
  }, o.fail),
  getFileSystemManager: () => ({ readFile }),
  getStorageSync: (k) => storage[k] || "",
  setStorageSync: (k, v) => { storage[k] = v; },
  removeStorageSync: (k) => { delete storage[k]; },
  showToast: () => {},
};
globalThis.my = {
  request: (o) => live(o.method, o.url, o.data && JSON.parse(o.data), o.headers).then(([s, d]) => (s >= 400 ? o.fail({ error: 19, status: s, data: d }) : o.success({ status: s, data: d, headers: {} })), o.fail),
  downloadFile: (o) => fetchFile(o.url, o.header).then((f) => {
    seen.push({ channel: "alipay", authorization: o.header.Authorization, ...f });
    o.success({ statusCode: f.status, apFilePath: f.path });
  }, o.fail),
  getFileSystemManager: () => ({ readFile }),
  getStorageSync: ({ key }) => ({ data: storage[key] }),
  setStorageSync: ({ key, data }) => { storage[key] = data; },
  removeStorageSync: ({ key }) => { delete storage[key]; },
  showToast: () => {},
};

const isPng = (path) => path !== "" && readFileSync(path).subarray(0, 8).equals(Buffer.from("\x89PNG\r\n\x1a\n", "latin1"));
const tap = { currentTarget: { dataset: { id: bookingId } } };
const result = {};
const outs = {};
// Alipay shows the QR; then WeChat shows it, cancels the booking, and asks again.
for (const channel of ["alipay", "wechat"]) {
  outs[channel] = buildChannel(channel, { apiBase: base }).out;
  const page = loadPageLogic(outs[channel], "my-appointments");
  await page.onShow();
  const row = page.data.rows.find((r) => String(r.id) === String(bookingId));
  await page.onCode(tap);
  result[channel] = { error: page.data.error, row, code: page.data.code, png: isPng(page.data.qrPath) };
  if (channel === "wechat") {
    await page.onCancel(tap);
    await page.onCode(tap);
    result.afterCancel = { error: page.data.error, code: page.data.code, qrPath: page.data.qrPath };
  }
}
// The download on its own, now that the booking is cancelled: its 409 names the code.
for (const channel of ["alipay", "wechat"]) {
  const { api } = require(join(outs[channel], "session.js"));
  try {
    await api.checkInQr(bookingId);
    result[channel].refused = null;
  } catch (error) {
    result[channel].refused = { code: error.code, status: error.status };
  }
}
result.downloads = seen.map(({ path, ...rest }) => rest);
console.log(JSON.stringify(result));

// Renders both mini-program homes against a live server (node live-home.mjs API_BASE) and
// prints the mini-apps each shows: the proof that a published mini-app needs no rebuild.
// The packages are built once, before anything is published; only the catalog changes.

import { buildChannel, loadPageLogic } from "./harness.mjs";

const base = process.argv[2];
const outs = { wechat: process.argv[3], alipay: process.argv[4] };

async function live(method, url, body, headers) {
  const answer = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await answer.text();
  return [answer.status, text ? JSON.parse(text) : null];
}

const storage = {};
globalThis.wx = {
  request: (o) => live(o.method, o.url, o.data, o.header).then(([s, d]) => o.success({ statusCode: s, data: d, header: {} }), o.fail),
  getStorageSync: (k) => storage[k] || "",
  setStorageSync: (k, v) => { storage[k] = v; },
  removeStorageSync: (k) => { delete storage[k]; },
};
globalThis.my = {
  request: (o) => live(o.method, o.url, o.data && JSON.parse(o.data), o.headers).then(([s, d]) => (s >= 400 ? o.fail({ status: s, data: d }) : o.success({ status: s, data: d, headers: {} })), o.fail),
  getStorageSync: ({ key }) => ({ data: storage[key] }),
  setStorageSync: ({ key, data }) => { storage[key] = data; },
  removeStorageSync: ({ key }) => { delete storage[key]; },
};

const shown = {};
for (const channel of ["wechat", "alipay"]) {
  const out = outs[channel] || buildChannel(channel, { apiBase: base }).out;
  const page = loadPageLogic(out, "home");
  await page.onShow();
  if (page.data.error) throw new Error(channel + ": " + page.data.error);
  shown[channel] = page.data.model.miniapps.filter((m) => m.available).map((m) => m.id);
}
console.log(JSON.stringify(shown));

// The apply page of an already built WeChat package against a live demo:
//   node live-apply-form.mjs PACKAGE_DIR API_BASE SANDBOX_BASE ITEM_CODE
// Signs 张三 in through the sandbox, renders pages/apply with miniprogram-simulate and prints
// the fields it shows (name, label, control) as JSON. Run before and after an operator
// changes the form: the same package shows the new field, with no rebuild.

import { renderPage, settle } from "./harness.mjs";

const [out, , sandbox, itemCode] = process.argv.slice(2);
const storage = {};
async function live(method, url, body, headers) {
  const answer = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await answer.text();
  return [answer.status, text ? JSON.parse(text) : null];
}
globalThis.wx = {
  request: (o) => live(o.method, o.url, o.data, o.header).then(([s, d]) => o.success({ statusCode: s, data: d, header: {} }), o.fail),
  getStorageSync: (k) => storage[k] || "",
  setStorageSync: (k, v) => { storage[k] = v; },
  removeStorageSync: (k) => { delete storage[k]; },
  login: (o) => live("POST", sandbox + "/sandbox/wechat/login-codes", { user: "o-demo-zhangsan" }, { "Content-Type": "application/json" }).then(([, d]) => o.success({ code: d.code }), o.fail),
  showToast: () => {},
};
const page = renderPage(out, "apply", { code: itemCode });
await settle(page);
for (let i = 0; i < 200 && !page.instance.data.model.fields.length && !page.instance.data.error; i += 1) {
  await new Promise((r) => setTimeout(r, 50));
}
console.log(JSON.stringify({
  error: page.instance.data.error,
  version: page.instance.data.model.version,
  fields: page.instance.data.model.fields.map((f) => [f.name, f.label, f.control, f.keyboard]),
  text: page.dom.textContent,
}));
process.exit(0);

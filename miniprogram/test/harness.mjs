// Test harness: build a channel into a temp dir, stub the platform (wx. or my.) with a
// scripted API, and run pages either rendered (miniprogram-simulate) or as plain logic.

import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JSDOM } from "jsdom";

import { build } from "../build.mjs";

const require = createRequire(import.meta.url);

export function buildChannel(channel, options = {}) {
  const out = mkdtempSync(join(tmpdir(), `yiwang-${channel}-`));
  return build({ channel, out, apiBase: "https://api.test", appId: "wx-test", ...options });
}

// A scripted backend: routes are "METHOD /path" → (body, url) => [status, json or text].
export function scriptedApi(routes) {
  const calls = [];
  async function answer(method, url, body, headers) {
    const path = url.replace(/^https?:\/\/[^/]+/, "").split("?")[0];
    calls.push({ method, path, url, body, headers });
    const route = routes[`${method} ${path}`];
    if (!route) return [404, { code: "NOT_FOUND", message: "no route", request_id: "t" }];
    return route(body, url);
  }
  return { calls, answer };
}

// Downloads land in a fake file system: the answer's body, whatever its status (an error's
// JSON included), as the platforms write it to a temp file.
function fileStore(prefix) {
  const files = {};
  let n = 0;
  return {
    files,
    write(status, data) {
      const path = `${prefix}${++n}${status < 300 ? ".png" : ".json"}`;
      files[path] = typeof data === "string" ? data : JSON.stringify(data);
      return path;
    },
    readFile(o) {
      if (o.filePath in files) o.success({ data: files[o.filePath] });
      else o.fail({ errMsg: "readFile:fail no such file" });
    },
  };
}

function recorder() {
  const calls = {};
  const record = (name, fn) =>
    function (options) {
      (calls[name] = calls[name] || []).push(options);
      return fn ? fn(options) : undefined;
    };
  return { calls, record };
}

export function wxStub(api, behaviour = {}) {
  const storage = {};
  const { calls, record } = recorder();
  const fs = fileStore("wxfile://tmp_");
  const wx = {
    request: record("request", (o) => {
      api.answer(o.method, o.url, o.data, o.header).then(([status, data]) =>
        o.success({ statusCode: status, data, header: {} })
      );
    }),
    getStorageSync: (k) => storage[k] || "",
    setStorageSync: (k, v) => {
      storage[k] = v;
    },
    removeStorageSync: (k) => {
      delete storage[k];
    },
    login: record("login", (o) => o.success({ code: "wx-code-1" })),
    requestPayment: record("requestPayment", (o) =>
      behaviour.payment === "cancel" ? o.fail({ errMsg: "requestPayment:fail cancel" }) : o.success({})
    ),
    startFacialRecognitionVerify: record("face", (o) => o.success({ verifyResult: "vr-1" })),
    // Like WeChat: success whatever the HTTP status, the body in tempFilePath.
    downloadFile: record("downloadFile", (o) => {
      if (behaviour.download === "offline") return void o.fail({ errMsg: "downloadFile:fail timeout" });
      api.answer("GET", o.url, undefined, o.header).then(([status, data]) =>
        o.success({ statusCode: status, tempFilePath: fs.write(status, data) })
      );
    }),
    getFileSystemManager: () => ({ readFile: record("readFile", fs.readFile) }),
    scanCode: record("scanCode", (o) => o.success({ result: "33010026001000000123" })),
    chooseMedia: record("chooseMedia", (o) =>
      behaviour.choose === "cancel" ? o.fail({ errMsg: "chooseMedia:fail cancel" }) : o.success({ tempFiles: [{ tempFilePath: "wxfile://tmp_photo.jpg", size: 1024 }] })
    ),
    uploadFile: record("uploadFile", (o) => {
      const listeners = [];
      api.answer("POST", o.url, { file: o.filePath }, o.header).then(([status, data]) => {
        listeners.forEach((f) => f({ progress: 100 }));
        o.success({ statusCode: status, data: JSON.stringify(data) });
      });
      return { onProgressUpdate: (f) => listeners.push(f) };
    }),
    getLocation: record("getLocation", (o) =>
      behaviour.location === "deny" ? o.fail({ errMsg: "getLocation:fail auth deny" }) : o.success({ latitude: 30.27, longitude: 120.15 })
    ),
    requestSubscribeMessage: record("requestSubscribeMessage", (o) => {
      const answer = {};
      o.tmplIds.forEach((t) => {
        answer[t] = behaviour.subscribe || "accept";
      });
      o.success(answer);
    }),
    redirectTo: record("redirectTo"),
    navigateTo: record("navigateTo"),
    showToast: record("showToast"),
    showModal: record("showModal"),
  };
  return { wx, calls, storage, files: fs.files };
}

export function myStub(api, behaviour = {}) {
  const storage = {};
  const { calls, record } = recorder();
  const fs = fileStore("https://resource/apml");
  const my = {
    request: record("request", (o) => {
      const body = o.data === undefined ? undefined : JSON.parse(o.data);
      api.answer(o.method, o.url, body, o.headers).then(([status, data]) => {
        if (status >= 400) o.fail({ error: 19, status, data, headers: {} });
        else o.success({ status, data, headers: {} });
      });
    }),
    getStorageSync: ({ key }) => ({ data: storage[key] }),
    setStorageSync: ({ key, data }) => {
      storage[key] = data;
    },
    removeStorageSync: ({ key }) => {
      delete storage[key];
    },
    getAuthCode: record("getAuthCode", (o) => o.success({ authCode: "ali-code-1" })),
    tradePay: record("tradePay", (o) => o.success({ resultCode: behaviour.resultCode || "9000" })),
    // An HTTP error comes through fail like my.request's (status and body attached) or, with
    // behaviour.downloadErrors = "success", as a success with statusCode and the body as file.
    downloadFile: record("downloadFile", (o) => {
      if (behaviour.download === "offline") return void o.fail({ error: 12, errorMessage: "下载失败" });
      api.answer("GET", o.url, undefined, o.header).then(([status, data]) => {
        if (status >= 400 && behaviour.downloadErrors !== "success") {
          o.fail({ error: 19, errorMessage: "http status error", statusCode: status, data: JSON.stringify(data) });
        } else {
          o.success({ statusCode: status, apFilePath: fs.write(status, data) });
        }
      });
    }),
    getFileSystemManager: () => ({ readFile: record("readFile", fs.readFile) }),
    scan: record("scan", (o) => o.success({ code: "33010026001000000123" })),
    navigateTo: record("navigateTo"),
    showToast: record("showToast"),
    alert: record("alert"),
  };
  return { my, calls, storage, files: fs.files };
}

// Page logic without rendering: Page() hands back its definition, bound to a fake `this`.
export function loadPageLogic(out, page) {
  let definition = null;
  globalThis.Page = (def) => {
    definition = def;
  };
  const file = join(out, "pages", page, "index.js");
  delete require.cache[require.resolve(file)];
  require(file);
  const self = {
    data: JSON.parse(JSON.stringify(definition.data || {})),
    setData(patch) {
      Object.assign(this.data, patch);
    },
  };
  for (const [key, value] of Object.entries(definition)) {
    if (typeof value === "function") self[key] = value.bind(self);
  }
  return self;
}

// Rendered pages with miniprogram-simulate: a Page is registered as a component whose
// attached() runs onLoad(query) and onShow(), remembered as `ready` to await in tests.
let simulate = null;
export function simulator() {
  if (!simulate) {
    const dom = new JSDOM("<!doctype html><html><head></head><body></body></html>", {
      pretendToBeVisual: true,
    });
    for (const key of ["window", "document", "navigator", "Node", "Element", "HTMLElement", "Event", "CustomEvent", "getComputedStyle"]) {
      globalThis[key] = key === "window" ? dom.window : dom.window[key];
    }
    simulate = require("miniprogram-simulate");
  }
  return simulate;
}

export function renderPage(out, page, query = {}) {
  const sim = simulator();
  globalThis.Page = (def) => {
    const methods = {};
    for (const [key, value] of Object.entries(def)) {
      if (typeof value === "function") methods[key] = value;
    }
    globalThis.Component({
      data: def.data,
      methods,
      lifetimes: {
        attached() {
          this.ready = (async () => {
            if (def.onLoad) await def.onLoad.call(this, query);
            if (def.onShow) await def.onShow.call(this);
          })();
        },
      },
    });
  };
  const path = join(out, "pages", page, "index");
  const id = sim.load(path, { compiler: "simulate", rootPath: out });
  const comp = sim.render(id);
  const parent = document.createElement("parent-wrapper");
  comp.attach(parent);
  return comp;
}

export async function settle(comp) {
  await comp.instance.ready;
  await new Promise((resolve) => setTimeout(resolve, 0));
}

export async function tap(comp, selector, index = 0) {
  const targets = comp.querySelectorAll(selector);
  if (!targets[index]) throw new Error(`nothing matches ${selector}[${index}]`);
  targets[index].dispatchEvent("tap");
  await new Promise((resolve) => setTimeout(resolve, 0));
}

export async function until(check, what, ms = 2000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("timed out waiting for " + what);
}

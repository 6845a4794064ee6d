// The one client of the public contract (/api/v1). Each shell hands it a transport
// (the WeChat or Alipay request API, or fetch), a token store and, for images that need the
// bearer token (an <image> cannot send a header), a download; nothing here knows the
// platform.
//
//   transport({method, url, headers, body}) → {status, data, headers}
//   download({url, headers})               → {status, path, data}: path is what an <image>
//       shows (a temp file, or a blob: URL) when 2xx; otherwise data is the JSON error body
//       when the platform could read it (null if not). Either rejects only when no answer
//       came back at all.

import { ApiError, errorFromResponse } from "./errors.js";

const TOKEN_KEY = "yiwang.token";

function query(params) {
  const parts = [];
  Object.keys(params).forEach(function (key) {
    const value = params[key];
    if (value !== undefined && value !== null && value !== "") {
      parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(String(value)));
    }
  });
  return parts.length ? "?" + parts.join("&") : "";
}

export function createApi(options) {
  const base = options.base.replace(/\/+$/, "");
  const transport = options.transport;
  const store = options.store;
  const download = options.download;
  const upload = options.upload;
  const catalogCache = {};

  async function call(method, path, body, extraHeaders) {
    const headers = Object.assign({ Accept: "application/json" }, extraHeaders || {});
    const token = store.get(TOKEN_KEY);
    if (token) headers.Authorization = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let answer;
    try {
      answer = await transport({ method: method, url: base + path, headers: headers, body: body });
    } catch (cause) {
      throw new ApiError("NETWORK_ERROR", 0, null, null);
    }
    if (answer.status === 401) store.remove(TOKEN_KEY);
    if (answer.status >= 400) throw errorFromResponse(answer.status, answer.data);
    return answer;
  }

  async function json(method, path, body) {
    return (await call(method, path, body)).data;
  }

  // A file behind the bearer token, answered as a local path; a refusal is the same
  // ApiError (code from the JSON body) as for any other call.
  async function file(path) {
    if (!download) throw new Error("this shell's host has no download");
    const headers = {};
    const token = store.get(TOKEN_KEY);
    if (token) headers.Authorization = "Bearer " + token;
    let answer;
    try {
      answer = await download({ url: base + path, headers: headers });
    } catch (cause) {
      throw new ApiError("NETWORK_ERROR", 0, null, null);
    }
    if (answer.status === 401) store.remove(TOKEN_KEY);
    if (answer.status >= 400 || !answer.path) throw errorFromResponse(answer.status, answer.data);
    return answer.path;
  }

  // A file the resident picked, sent as multipart field `file`; onProgress(0–100).
  async function send(path, file, onProgress) {
    if (!upload) throw new Error("this shell's host has no upload");
    const headers = { Accept: "application/json" };
    const token = store.get(TOKEN_KEY);
    if (token) headers.Authorization = "Bearer " + token;
    let answer;
    try {
      answer = await upload({ url: base + path, headers: headers, file: file, onProgress: onProgress || function () {} });
    } catch (cause) {
      throw new ApiError("UPLOAD_FAILED", 0, null, null);
    }
    if (answer.status === 401) store.remove(TOKEN_KEY);
    if (answer.status >= 400) throw errorFromResponse(answer.status, answer.data);
    return answer.data;
  }

  return {
    signedIn: function () {
      return Boolean(store.get(TOKEN_KEY));
    },
    signIn: async function (channel, code) {
      const session = await json("POST", "/api/v1/sessions", { channel: channel, code: code });
      store.set(TOKEN_KEY, session.token);
      return session;
    },
    signOut: async function () {
      try {
        await call("DELETE", "/api/v1/sessions/current");
      } finally {
        store.remove(TOKEN_KEY);
      }
    },
    me: function () {
      return json("GET", "/api/v1/me");
    },
    // 长辈版 and text scale, remembered on the server so they follow the citizen everywhere.
    setPreferences: function (prefs) {
      return json("PUT", "/api/v1/me/preferences", prefs);
    },
    verifyWithFace: function (verifyResult) {
      return json("POST", "/api/v1/me/verification", { channel: "wechat", verify_result: verifyResult });
    },
    // The catalog answers a strong ETag; a 304 reuses what this client already holds.
    catalog: async function (channel, region) {
      const path = "/api/v1/catalog" + query({ channel: channel, region: region });
      const cached = catalogCache[path];
      const answer = await call("GET", path, undefined, cached ? { "If-None-Match": cached.etag } : {});
      if (answer.status === 304 && cached) return cached.data;
      const etag = answer.headers && (answer.headers.etag || answer.headers.ETag);
      if (etag) catalogCache[path] = { etag: etag, data: answer.data };
      return answer.data;
    },
    search: function (q, channel, region) {
      return json("GET", "/api/v1/catalog/search" + query({ q: q, channel: channel, region: region }));
    },
    institutions: function (kind, region) {
      return json("GET", "/api/v1/institutions" + query({ kind: kind, region: region }));
    },
    slots: function (institutionId, date) {
      return json("GET", "/api/v1/institutions/" + encodeURIComponent(institutionId) + "/slots" + query({ date: date }));
    },
    book: function (slotId) {
      return json("POST", "/api/v1/appointments", { slot_id: slotId });
    },
    // A lottery slot's draw: window, seed hash, and once drawn the seed and the result.
    lottery: function (slotId) {
      return json("GET", "/api/v1/slots/" + encodeURIComponent(slotId) + "/lottery");
    },
    myLotteryEntries: function () {
      return json("GET", "/api/v1/me/lottery-entries");
    },
    myAppointments: function () {
      return json("GET", "/api/v1/me/appointments");
    },
    cancelAppointment: function (id) {
      return json("DELETE", "/api/v1/appointments/" + encodeURIComponent(id));
    },
    checkInCode: function (id) {
      return json("GET", "/api/v1/appointments/" + encodeURIComponent(id) + "/check-in-code");
    },
    // The same code as a QR image (PNG), as a path an <image> can show.
    checkInQr: function (id) {
      return file("/api/v1/appointments/" + encodeURIComponent(id) + "/check-in-qr.png");
    },
    violations: function (lookup) {
      return json("GET", "/api/v1/violations" + query(lookup));
    },
    bindVehicle: function (vehicle) {
      return json("POST", "/api/v1/me/vehicles", vehicle);
    },
    myVehicles: function () {
      return json("GET", "/api/v1/me/vehicles");
    },
    notice: function (paymentCode) {
      return json("GET", "/api/v1/notices/" + encodeURIComponent(paymentCode));
    },
    openOrder: function (payable) {
      return json("POST", "/api/v1/orders", { payable: payable });
    },
    startPayment: function (orderNo, channel, mode) {
      const body = mode ? { channel: channel, mode: mode } : { channel: channel };
      return json("POST", "/api/v1/orders/" + encodeURIComponent(orderNo) + "/payments", body);
    },
    order: function (orderNo) {
      return json("GET", "/api/v1/orders/" + encodeURIComponent(orderNo));
    },
    myReceipts: function () {
      return json("GET", "/api/v1/me/receipts");
    },
    receipt: function (receiptNo) {
      return json("GET", "/api/v1/receipts/" + encodeURIComponent(receiptNo));
    },
    verifyReceipt: function (proof) {
      return json("POST", "/api/v1/receipts/verify", proof);
    },
    receiptQr: function (receiptNo) {
      return file("/api/v1/receipts/" + encodeURIComponent(receiptNo) + "/qr.png");
    },
    // 办事: the item's form (read on every visit: an operator's change shows at once).
    applyForm: function (itemCode) {
      return json("GET", "/api/v1/items/" + encodeURIComponent(itemCode) + "/form");
    },
    item: function (itemCode) {
      return json("GET", "/api/v1/items/" + encodeURIComponent(itemCode));
    },
    uploadMaterial: function (file, onProgress) {
      return send("/api/v1/materials", file, onProgress);
    },
    myLicences: function () {
      return json("GET", "/api/v1/me/licences");
    },
    apply: function (application) {
      return json("POST", "/api/v1/cases", application);
    },
    myCases: function () {
      return json("GET", "/api/v1/me/cases");
    },
    legalPersonCases: function (uscc) {
      return json("GET", "/api/v1/legal-persons/" + encodeURIComponent(uscc) + "/cases");
    },
    caseDetail: function (caseNo) {
      return json("GET", "/api/v1/cases/" + encodeURIComponent(caseNo));
    },
    supplement: function (caseNo, answer) {
      return json("POST", "/api/v1/cases/" + encodeURIComponent(caseNo) + "/supplement", answer);
    },
    // 高效办成一件事: one guide, one form, one submission; the key makes a retry safe.
    bundles: function () {
      return json("GET", "/api/v1/bundles");
    },
    bundle: function (code) {
      return json("GET", "/api/v1/bundles/" + encodeURIComponent(code));
    },
    applyBundle: async function (application, requestKey) {
      return (await call("POST", "/api/v1/bundle-cases", application, requestKey ? { "Idempotency-Key": requestKey } : {})).data;
    },
    myBundleCases: function () {
      return json("GET", "/api/v1/me/bundle-cases");
    },
    bundleCase: function (bundleNo) {
      return json("GET", "/api/v1/bundle-cases/" + encodeURIComponent(bundleNo));
    },
    supplementBundle: function (bundleNo, answer) {
      return json("POST", "/api/v1/bundle-cases/" + encodeURIComponent(bundleNo) + "/supplement", answer);
    },
    rateBundle: function (bundleNo, rating) {
      return json("POST", "/api/v1/bundle-cases/" + encodeURIComponent(bundleNo) + "/rating", rating);
    },
    // 好差评
    rate: function (rating) {
      return json("POST", "/api/v1/evaluations", rating);
    },
    // 12345
    hotlineCategories: function () {
      return json("GET", "/api/v1/interactions/categories");
    },
    fileTicket: function (matter) {
      return json("POST", "/api/v1/interactions", matter);
    },
    myTickets: function () {
      return json("GET", "/api/v1/me/interactions");
    },
    ticket: function (id) {
      return json("GET", "/api/v1/interactions/" + encodeURIComponent(id));
    },
    reopenTicket: function (id) {
      return json("POST", "/api/v1/interactions/" + encodeURIComponent(id) + "/reopen", {});
    },
    rateTicket: function (id, rating) {
      return json("POST", "/api/v1/interactions/" + encodeURIComponent(id) + "/rating", { rating: rating });
    },
    // 法人
    myLegalPersons: function () {
      return json("GET", "/api/v1/me/legal-persons");
    },
    agents: function (uscc) {
      return json("GET", "/api/v1/legal-persons/" + encodeURIComponent(uscc) + "/agents");
    },
    authoriseAgent: function (uscc, agent) {
      return json("POST", "/api/v1/legal-persons/" + encodeURIComponent(uscc) + "/agents", agent);
    },
    revokeAgent: function (uscc, agentId) {
      return json("DELETE", "/api/v1/legal-persons/" + encodeURIComponent(uscc) + "/agents/" + encodeURIComponent(agentId));
    },
    // 我的待缴, my orders
    myPayables: function (page) {
      return json("GET", "/api/v1/me/payables" + query({ page: page }));
    },
    myOrders: function (page) {
      return json("GET", "/api/v1/me/orders" + query({ page: page }));
    },
    url: function (path) {
      return base + path;
    },
    token: function () {
      return store.get(TOKEN_KEY);
    },
  };
}

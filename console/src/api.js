// The operator API as the console calls it: the token in sessionStorage (gone with the tab),
// every refusal as an ApiError whose words come from the shells' message table.
import { reactive } from "vue";
import { messageFor } from "@shells/errors.js";

const BASE = "/api/v1/operator";
const KEY = "yiwang-console-session";

export const session = reactive({
  token: null,
  expiresAt: null,
  operator: null,
  ended: "", // why the last session ended, shown on the sign-in page
});

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const code = (body && body.code) || (status >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST");
    super(messageFor(code));
    this.status = status;
    this.code = code;
    this.details = (body && body.details) || {};
    this.retryAfter = retryAfter;
  }
}

function restore() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (saved && saved.token && (!saved.expiresAt || Date.parse(saved.expiresAt) > Date.now())) {
      Object.assign(session, saved);
    }
  } catch {
    sessionStorage.removeItem(KEY);
  }
}
restore();

function save() {
  sessionStorage.setItem(
    KEY,
    JSON.stringify({ token: session.token, expiresAt: session.expiresAt, operator: session.operator }),
  );
}

export function endSession(why) {
  session.token = null;
  session.expiresAt = null;
  session.operator = null;
  session.ended = why || "";
  sessionStorage.removeItem(KEY);
}

export async function call(method, path, body, headers) {
  const h = { Accept: "application/json", ...(headers || {}) };
  if (session.token) h.Authorization = "Bearer " + session.token;
  if (body !== undefined) h["Content-Type"] = "application/json";
  let r;
  try {
    r = await fetch(BASE + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { code: "NETWORK_ERROR" });
  }
  const data = r.status === 204 ? {} : await r.json().catch(() => ({}));
  if (!r.ok) {
    const err = new ApiError(r.status, data, Number(r.headers.get("Retry-After")) || null);
    if (r.status === 401 && path !== "/sessions") endSession("登录已过期或已在别处退出，请重新登录。");
    throw err;
  }
  return data;
}

export async function signIn(username, password) {
  const data = await call("POST", "/sessions", { username, password });
  session.token = data.token;
  session.expiresAt = data.expires_at;
  session.operator = data.operator;
  session.ended = "";
  save();
  return data.operator;
}

export async function signOut() {
  try {
    await call("DELETE", "/sessions/current");
  } finally {
    endSession("您已安全退出。");
  }
}

// A sign-in refusal explained: wrong password, throttled (and for how long), locked.
export function signInProblem(err) {
  if (err.code === "SIGN_IN_THROTTLED" || err.code === "RATE_LIMITED") {
    const wait = err.retryAfter ? `请 ${err.retryAfter} 秒后再试。` : "请稍后再试。";
    return "登录失败次数过多，为保护账号已暂停登录，" + wait;
  }
  if (err.code === "OPERATOR_LOCKED") return messageFor("OPERATOR_LOCKED");
  if (err.code === "OPERATOR_LOGIN_FAILED") return "用户名或密码错误。连续输错后需等待一段时间才能再次登录。";
  return err.message;
}

// A fresh Idempotency-Key for one refund the operator means to make once.
export function idempotencyKey() {
  return "console-" + crypto.randomUUID().replace(/-/g, "");
}

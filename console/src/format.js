import { shanghaiFullDateTime, yuan } from "@shells/format.js";
import {
  ACTIONS, CARDS, CHANNELS, DISCREPANCIES, FIELDS, REVIEW_REASONS, ROLES, STATUSES, SUBJECTS, VERIFICATION,
} from "@shells/words.js";

function word(table, key) {
  return key != null && Object.prototype.hasOwnProperty.call(table, key) ? table[key] : key ?? "";
}

export const when = (iso) => (iso ? shanghaiFullDateTime(iso) : "—");
export const money = (fen) => (typeof fen === "number" ? "¥" + yuan(fen) : "—");
export const action = (k) => word(ACTIONS, k);
export const status = (k) => word(STATUSES, k);
export const channel = (k) => word(CHANNELS, k);
export const role = (k) => word(ROLES, k);
export const subject = (k) => word(SUBJECTS, k);
export const field = (k) => word(FIELDS, k);
export const verification = (k) => word(VERIFICATION, k);
export const reviewReason = (k) => word(REVIEW_REASONS, k);
export const discrepancy = (k) => word(DISCREPANCIES, k);
export const card = (k) => word(CARDS, k);
export { ACTIONS, CHANNELS, STATUSES };

// Shanghai's calendar day of an instant, YYYY-MM-DD (for date filters).
export function shanghaiDay(ms) {
  return new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

// A before/after pair as lines a person reads: "名称: 旧 → 新" for each changed key.
// `place` names a region code (the audit passes the directory's names).
export function diffLines(before, after, place = (c) => c) {
  const one = (x) => (typeof x === "string" && /^\d{6}$/.test(x) ? place(x) : word(CHANNELS, x));
  const show = (v) => {
    if (v === null || v === undefined || v === "") return "（空）";
    if (Array.isArray(v)) return v.length ? v.map((x) => (typeof x === "object" ? JSON.stringify(x) : one(x))).join("、") : "（无）";
    if (typeof v === "object") return JSON.stringify(v);
    if (typeof v === "boolean") return v ? "是" : "否";
    return String(word(STATUSES, v));
  };
  const b = before && typeof before === "object" ? before : {};
  const a = after && typeof after === "object" ? after : {};
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  const out = [];
  for (const k of keys) {
    if (JSON.stringify(b[k]) === JSON.stringify(a[k])) continue;
    out.push({ key: k, label: field(k), old: k in b ? show(b[k]) : null, now: k in a ? show(a[k]) : null });
  }
  return out;
}

// Money is integer fen everywhere; yuan strings exist only on screen.
// Times come from the API in UTC and are shown in Asia/Shanghai (UTC+8, no DST).

const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;

export function yuan(fen) {
  if (typeof fen !== "number" || !Number.isInteger(fen)) {
    throw new TypeError("amounts are integer fen, got " + String(fen));
  }
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  const cents = String(abs % 100);
  return sign + String(Math.floor(abs / 100)) + "." + (cents.length < 2 ? "0" + cents : cents);
}

export function yuanLabel(fen) {
  return "¥" + yuan(fen);
}

function pad(n) {
  return n < 10 ? "0" + n : String(n);
}

function shanghaiParts(iso) {
  const d = new Date(Date.parse(iso) + SHANGHAI_OFFSET_MS);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    weekday: d.getUTCDay(),
  };
}

export function shanghaiTime(iso) {
  const p = shanghaiParts(iso);
  return pad(p.hour) + ":" + pad(p.minute);
}

export function shanghaiDateTime(iso) {
  const p = shanghaiParts(iso);
  return p.month + "月" + p.day + "日 " + pad(p.hour) + ":" + pad(p.minute);
}

// As an operator writes it: 2026年12月1日 23:02 (Asia/Shanghai).
export function shanghaiFullDateTime(iso) {
  const p = shanghaiParts(iso);
  return p.year + "年" + p.month + "月" + p.day + "日 " + pad(p.hour) + ":" + pad(p.minute);
}

const WEEKDAYS = ["日", "一", "二", "三", "四", "五", "六"];

// The next `count` Shanghai dates after today, as the API's YYYY-MM-DD plus a label.
export function upcomingDates(nowMs, count) {
  const out = [];
  for (let i = 1; i <= count; i += 1) {
    const p = shanghaiParts(new Date(nowMs + i * 86400000).toISOString());
    out.push({
      date: p.year + "-" + pad(p.month) + "-" + pad(p.day),
      label: p.month + "/" + p.day + " 周" + WEEKDAYS[p.weekday],
    });
  }
  return out;
}

// The date tabs after the server's business day (a slots answer's `today`), so a phone whose
// clock is off, or a server set to another hour for tests, still shows the right days.
export function datesAfter(today, count) {
  const noon = Date.parse(today + "T12:00:00+08:00");
  return upcomingDates(Number.isNaN(noon) ? Date.now() : noon, count);
}

export function stars(level) {
  const n = Math.max(0, Math.min(5, Number(level) || 0));
  return "★★★★★".slice(0, n) + "☆☆☆☆☆".slice(0, 5 - n);
}

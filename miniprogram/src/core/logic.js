// Page logic shared by the mini-programs and the H5 shell: what a page shows, computed
// from what the API answered. No platform calls here; a `host` object brings them.

import { messageFor, residentMessage } from "./errors.js";
import { shanghaiDateTime, shanghaiTime, stars, yuan, yuanLabel } from "./format.js";

// Home: the catalog the server sent, grouped by theme. Nothing is hard-coded, so a
// mini-app an operator publishes shows up on the next load without a new shell.
export function homeModel(catalog) {
  const themes = [];
  const byTheme = {};
  (catalog.items || []).forEach(function (item) {
    const theme = item.theme || "其他";
    if (!byTheme[theme]) {
      byTheme[theme] = { theme: theme, items: [] };
      themes.push(byTheme[theme]);
    }
    byTheme[theme].items.push({
      code: item.code,
      name: item.name,
      department: item.department,
      stars: stars(item.online_level),
      available: item.available !== false,
      reason: item.reason || "",
    });
  });
  const miniapps = (catalog.miniapps || []).map(function (app) {
    return {
      id: app.id,
      name: app.name,
      icon: app.icon,
      available: app.available !== false && miniappTarget(app).kind !== "unsupported",
      reason: app.reason || (miniappTarget(app).kind === "unsupported" ? "请升级到最新版本后使用" : ""),
      entryType: app.entry && app.entry.type,
      target: miniappTarget(app),
    };
  });
  return {
    region: (catalog.region && catalog.region.name) || "",
    miniapps: miniapps,
    themes: themes,
    empty: themes.length === 0 && miniapps.length === 0,
  };
}

// Native entries name a page of the shell ("pages/<name>/index"); a few names of the
// catalog's manifests are served by a shell page with a query.
const NATIVE_PAGES = {
  home: "home",
  search: "search",
  appointments: "appointments",
  clinic: "appointments?kind=clinic",
  hall: "appointments?kind=hall",
  violations: "violations",
  notices: "notices",
  receipts: "receipts",
};

// Where tapping a mini-app goes: a page of the shell, or the web-view host for H5 ones.
export function miniappTarget(app) {
  const entry = app.entry || {};
  if (entry.type === "h5" && entry.url) {
    return { kind: "h5", url: entry.url };
  }
  const match = /^pages\/([a-z0-9-]+)\//.exec(entry.page || "");
  const route = match && NATIVE_PAGES[match[1]];
  if (!route) return { kind: "unsupported" };
  const q = route.indexOf("?");
  return { kind: "native", page: q < 0 ? route : route.slice(0, q), query: q < 0 ? "" : route.slice(q + 1) };
}

export function searchResults(answer) {
  return (answer.results || []).map(function (hit) {
    return { code: hit.code, name: hit.name, department: hit.department, stars: stars(hit.online_level) };
  });
}

// Who serves a booking or a slot: "1号窗口（户籍业务）", "王医生（主任医师）".
function who(name, title) {
  return name ? name + (title ? "（" + title + "）" : "") : "";
}

export function slotRows(answer) {
  return (answer.slots || []).map(function (slot) {
    return {
      id: slot.id,
      time: shanghaiTime(slot.starts_at) + (slot.ends_at ? "–" + shanghaiTime(slot.ends_at) : ""),
      department: slot.department ? slot.department.name : "",
      resource: slot.resource ? who(slot.resource.name, slot.resource.title) : "",
      remaining: slot.remaining,
      bookable: Boolean(slot.bookable) && slot.remaining > 0,
      full: slot.remaining <= 0,
      fee: slot.fee_fen ? yuanLabel(slot.fee_fen) : "免费",
    };
  });
}

// A refused booking, in words. BOOKING_BANNED says until when (a Shanghai date).
export function bookingRefusal(error) {
  const message = residentMessage(error);
  const until = error && error.details && error.details.banned_until;
  if (error && error.code === "BOOKING_BANNED" && typeof until === "string") {
    const parts = until.split("-");
    return message + "暂停至 " + Number(parts[0]) + "年" + Number(parts[1]) + "月" + Number(parts[2]) + "日。";
  }
  return message;
}

const APPOINTMENT_STATUS = {
  pending_payment: "待支付",
  booked: "已预约",
  checked_in: "已签到",
  cancelled: "已取消",
  released: "超时未付，已释放",
  no_show: "未到场",
};

// My appointments. Each booking names its place (institution_name, address,
// department_name, resource_name / resource_title); `institutions`, the listings older
// servers made a shell load to look the ids up, is only a fallback and may be left out.
export function appointmentRows(answer, institutions) {
  const names = {};
  (institutions || []).forEach(function (i) {
    names[i.id] = i.name;
    (i.departments || []).forEach(function (d) {
      names["d" + d.id] = d.name;
    });
  });
  return (answer.appointments || []).map(function (a) {
    return {
      id: a.id,
      institution: a.institution_name || names[a.institution_id] || "",
      department: a.department_name || names["d" + a.department_id] || "",
      resource: who(a.resource_name, a.resource_title),
      address: a.address || "",
      when: a.starts_at ? shanghaiDateTime(a.starts_at) : a.date,
      status: APPOINTMENT_STATUS[a.status] || a.status,
      active: a.status === "booked",
      unpaid: a.status === "pending_payment",
      // A visit that took place can be rated (好差评).
      rateable: a.status === "checked_in",
      fee: a.fee_fen ? yuanLabel(a.fee_fen) : "",
    };
  });
}

export function violationRows(answer) {
  return (answer.violations || []).map(function (v) {
    let state = "";
    if (v.payment_status === "paid") state = "已缴款";
    else if (v.payable) state = "待缴款";
    else if (v.handling_status === "undecided") state = "待处理";
    return {
      id: v.violation_id,
      decisionNo: v.decision_no || "",
      when: v.occurred_at ? shanghaiDateTime(v.occurred_at) : "",
      place: v.place,
      behavior: v.behavior,
      points: v.points,
      fine: yuanLabel(v.fine_fen),
      lateFee: v.late_fee_fen ? yuanLabel(v.late_fee_fen) : "",
      total: yuanLabel(v.total_fen),
      payable: Boolean(v.payable),
      state: state,
      hint: v.handling_status === "undecided" ? messageFor("VIOLATION_NOT_DECIDED") : "",
    };
  });
}

export function orderLines(order) {
  return (order.items || []).map(function (line) {
    return { name: line.name, quantity: line.quantity, amount: yuanLabel(line.amount_fen) };
  });
}

function sleep(ms) {
  return new Promise(function (resolve) {
    setTimeout(resolve, ms);
  });
}

// After the channel says "paid", our server learns it from the channel's notification;
// the receipt follows through the outbox. Poll until both are there, or give up politely.
export async function waitForReceipt(api, orderNo, options) {
  const tries = (options && options.tries) || 30;
  const interval = (options && options.interval) || 1000;
  const wait = (options && options.sleep) || sleep;
  let order = null;
  for (let i = 0; i < tries; i += 1) {
    order = await api.order(orderNo);
    if (order.status === "PAID" && order.receipt_no) return order;
    if (order.status === "CLOSED") return order;
    await wait(interval);
  }
  return order;
}

// The whole payment of one payable on one channel: open (or reuse) the order, ask the
// server for the channel's parameters, let the host pay, then wait for the receipt.
export async function pay(api, host, payable, options) {
  const order = await api.openOrder(payable);
  const started = await api.startPayment(order.id, host.channel, host.payMode);
  const outcome = await host.pay(started.channel_params, order);
  if (outcome === "cancelled") return { order: order, status: "cancelled", message: messageFor("PAY_CANCELLED") };
  if (outcome === "redirected") return { order: order, status: "redirected", message: "" };
  if (outcome !== "paid") return { order: order, status: "failed", message: messageFor("PAY_FAILED") };
  const settled = await waitForReceipt(api, order.id, options);
  if (settled && settled.status === "PAID") {
    return { order: settled, status: "paid", receiptNo: settled.receipt_no || null, message: "" };
  }
  return { order: settled || order, status: "pending", message: messageFor("PAY_PENDING") };
}

export function receiptRows(answer) {
  return (answer.items || []).map(function (r) {
    return {
      receiptNo: r.receipt_no,
      description: r.description,
      agency: r.agency_name,
      amount: yuanLabel(r.amount_fen),
      date: r.issue_date,
      voided: r.kind !== "normal" || r.status !== "ISSUED",
    };
  });
}

export function receiptModel(detail) {
  return {
    receiptNo: detail.receipt_no,
    code: detail.code,
    number: detail.number,
    checkCode: detail.check_code,
    amount: yuan(detail.amount_fen),
    amountUpper: detail.amount_uppercase,
    payer: detail.payer_masked,
    agency: detail.agency_name,
    date: detail.issue_date,
    qr: detail.qr,
    lines: (detail.lines || []).map(function (l) {
      return { code: l.item_code, name: l.name, quantity: l.quantity, amount: yuanLabel(l.amount_fen) };
    }),
  };
}

const VERIFICATION = {
  genuine: { label: "真实有效", tone: "ok" },
  tampered: { label: "票据信息被篡改，请勿相信", tone: "bad" },
  voided: { label: "已作废（已红冲）", tone: "bad" },
  unknown: { label: "未查到该票据", tone: "bad" },
};

export function verificationLabel(answer) {
  return VERIFICATION[answer && answer.status] || VERIFICATION.unknown;
}

// Payment codes are 20 digits; spaces people type while copying are dropped here.
export function cleanPaymentCode(raw) {
  return String(raw || "").replace(/\s+/g, "");
}

export function noticeModel(notice) {
  const unpaid = notice.status === "UNPAID";
  return {
    paymentCode: notice.payment_code,
    agency: (notice.agency && notice.agency.name) || "",
    payer: (notice.payer && notice.payer.name_masked) || "",
    due: notice.due_date || "",
    amount: yuanLabel(notice.total_fen),
    status: unpaid ? (notice.overdue ? "已逾期" : "待缴款") : "已缴款",
    payable: unpaid && !notice.overdue,
    lines: (notice.items || []).map(function (l) {
      return { name: l.name, quantity: l.quantity, amount: yuanLabel(l.amount_fen) };
    }),
  };
}

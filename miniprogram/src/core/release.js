// The release entry screen (放号/摇号): when a slot is released, in Beijing time whatever the
// phone's zone, how it is released (first come or lottery), where the release stands, and
// for a lottery the published seed hash, the revealed seed and the resident's own result.
// Pure functions: the WeChat and Alipay page and the H5 view render what these return.

import { shanghaiDateTime } from "./format.js";

const LOTTERY_STATE = {
  open: "报名中",
  drawing: "摇号中",
  drawn: "已开奖",
};

const OUTCOME = {
  won: "中签，已为您预约",
  waitlisted: "未中签，已进入候补",
  refused: "未通过资格校验（限约或暂停预约）",
  entered: "已报名，等待摇号",
};

function beijing(iso) {
  return iso ? shanghaiDateTime(iso) + "（北京时间）" : "";
}

// Where a lottery stands at `nowMs` (the server's status wins once the draw started).
function lotteryPhase(lottery, nowMs) {
  if (lottery.status === "drawn") return "drawn";
  if (lottery.status === "drawing") return "drawing";
  if (nowMs < Date.parse(lottery.entry_opens_at)) return "not_open";
  if (nowMs < Date.parse(lottery.entry_closes_at)) return "entering";
  return "waiting_draw";
}

const PHASE_LABEL = {
  not_open: "报名未开始",
  entering: "报名中",
  waiting_draw: "报名已结束，等待摇号",
  drawing: "摇号中",
  drawn: "已开奖",
};

// My place in the published draw order: "won", or the waitlist position among the waitlisted.
function myResult(lottery, entry) {
  if (!entry) return null;
  const row = { entryNo: entry.entry_no, outcome: OUTCOME[entry.status] || OUTCOME.entered };
  if (entry.status === "waitlisted" && Array.isArray(lottery.result)) {
    let position = 0;
    for (const r of lottery.result) {
      if (r.outcome === "waitlisted") position += 1;
      if (r.entry_no === entry.entry_no) {
        row.outcome = "未中签，候补第 " + position + " 位";
        break;
      }
    }
  }
  return row;
}

// answer: GET /institutions/{id}/slots; slotId: the slot shown; lottery: GET
// /slots/{id}/lottery or null; entries: GET /me/lottery-entries's list or null (signed out).
export function releaseModel(answer, slotId, lottery, entries, nowMs) {
  const slot = (answer.slots || []).find(function (s) {
    return String(s.id) === String(slotId);
  });
  if (!slot) return null;
  const model = {
    slotId: slot.id,
    institution: answer.institution ? answer.institution.name : "",
    when: shanghaiDateTime(slot.starts_at),
    who:
      (slot.department ? slot.department.name : "") +
      (slot.resource ? " · " + slot.resource.name + (slot.resource.title ? "（" + slot.resource.title + "）" : "") : ""),
    lottery: slot.release_mode === "lottery",
    modeLabel: slot.release_mode === "lottery" ? "摇号放号" : "先到先得",
    capacity: slot.capacity,
    remaining: slot.remaining,
    kept: slot.kept
      ? "另有 " + slot.kept + " 个号留给窗口和电话预约，" + beijing(slot.kept_until) + "起向所有人开放"
      : "",
    releaseAt: beijing(answer.release_at),
    closesAt: beijing(answer.closes_at),
    state: "",
    action: null,
    entryOpens: "",
    entryCloses: "",
    drawAt: "",
    entries: null,
    seedSha256: "",
    seed: "",
    mine: null,
  };
  if (!model.lottery) {
    const now = nowMs;
    if (now < Date.parse(answer.release_at)) model.state = "未放号";
    else if (now >= Date.parse(answer.closes_at)) model.state = "已停止预约";
    else if (slot.remaining > 0 && slot.bookable) {
      model.state = "可预约";
      model.action = "book";
    } else model.state = "已约满（取消的号会在随机时刻重新放出，也可候补）";
    return model;
  }
  const draw = lottery || slot.lottery || {};
  model.entryOpens = beijing(draw.entry_opens_at);
  model.entryCloses = beijing(draw.entry_closes_at);
  model.drawAt = beijing(draw.draw_at);
  model.entries = typeof draw.entries === "number" ? draw.entries : null;
  model.seedSha256 = draw.seed_sha256 || "";
  model.seed = draw.seed || "";
  const phase = lotteryPhase(draw, nowMs);
  model.state = PHASE_LABEL[phase] || LOTTERY_STATE[draw.status] || "";
  const entry = (entries || []).find(function (e) {
    return String(e.slot_id) === String(slot.id);
  });
  model.mine = myResult(draw, entry);
  if (phase === "entering" && !entry) model.action = "enter";
  if (phase === "drawn" && slot.remaining > 0 && slot.bookable) model.action = "book";
  return model;
}

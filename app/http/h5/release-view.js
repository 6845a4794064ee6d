// The H5 shell's release entry screen: the same model as the mini-programs' pages/release
// (/h5/core/release.js), as DOM. Route: #/release/<slot>?institution=<id>&date=<YYYY-MM-DD>.

import { residentMessage } from "./core/errors.js";
import { bookingRefusal, pay } from "./core/logic.js";
import { releaseModel } from "./core/release.js";

function esc(value) {
  return String(value === undefined || value === null ? "" : value).replace(/[&<>"']/g, function (c) {
    return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
  });
}

function row(label, value, cls) {
  return value === "" || value === null || value === undefined
    ? ""
    : '<li><span class="name">' + esc(label) + '</span><small class="' + (cls || "") + '">' + esc(value) + "</small></li>";
}

async function myEntries(api) {
  try {
    return (await api.myLotteryEntries()).entries;
  } catch (error) {
    if (error.code === "UNAUTHENTICATED" || error.code === "TOKEN_INVALID") return null;
    throw error;
  }
}

export async function release(main, ctx) {
  const slotId = ctx.route.arg;
  const answer = await ctx.api.slots(ctx.route.params.get("institution"), ctx.route.params.get("date") || undefined);
  const shown = (answer.slots || []).find(function (s) {
    return String(s.id) === String(slotId);
  });
  let lottery = null;
  let entries = null;
  if (shown && shown.release_mode === "lottery") {
    lottery = await ctx.api.lottery(shown.id);
    if (ctx.api.signedIn()) entries = await myEntries(ctx.api);
  }
  const m = releaseModel(answer, slotId, lottery, entries, Date.now());
  if (!m) {
    main.innerHTML = '<p class="empty">没有找到这个号源。</p>';
    return;
  }
  ctx.setTitle("放号与摇号");
  main.innerHTML =
    "<h2>" + esc(m.institution) + "</h2><p>" + esc(m.who) + "</p>" +
    '<ul class="items" id="release">' +
    row("就诊时间", m.when) + row("放号方式", m.modeLabel, "mode") + row("当前状态", m.state, "state") +
    (m.lottery
      ? row("报名开始", m.entryOpens) + row("报名截止", m.entryCloses) + row("摇号时间", m.drawAt, "draw-at") +
        row("报名人数 / 名额", m.entries === null ? "" : m.entries + " / " + m.capacity) +
        row("种子哈希（报名开始时公布）", m.seedSha256, "seed-hash") + row("摇号种子（开奖时公开）", m.seed, "seed")
      : row("放号时间", m.releaseAt, "release-at") + row("停止预约", m.closesAt) + row("余号", m.remaining + " / " + m.capacity)) +
    (m.mine ? row("我的报名号 " + m.mine.entryNo, m.mine.outcome, "result") : "") +
    "</ul>" +
    (m.kept ? '<p class="kept">' + esc(m.kept) + "</p>" : "") +
    (m.action ? '<button type="button" class="primary act">' + (m.action === "enter" ? "参加摇号" : "立即预约") + "</button>" : "");
  const act = main.querySelector("button.act");
  if (!act) return;
  act.addEventListener("click", async function () {
    act.disabled = true;
    try {
      const answer = await ctx.api.book(Number(m.slotId));
      if (answer.entry_no) {
        ctx.say("报名成功，您的报名号是 " + answer.entry_no + "。开奖后在这里查看结果。", "ok");
      } else if (answer.payable) {
        const result = await pay(ctx.api, ctx.host, answer.payable);
        if (result.message) ctx.say(result.message, "error");
      } else {
        ctx.say("预约成功！请按时到场，凭签到码签到。", "ok");
      }
      act.remove();
    } catch (error) {
      ctx.say(error && error.code ? bookingRefusal(error) : residentMessage(error), "error");
      act.disabled = false;
    }
  });
}

import { residentMessage } from "../../core/errors.js";
import { bookingRefusal, pay } from "../../core/logic.js";
import { releaseModel } from "../../core/release.js";
import { host } from "../../host.js";
import { api, ensureSignedIn } from "../../session.js";

// A stale session shows the draw without my result rather than an error.
async function myEntries() {
  try {
    return (await api.myLotteryEntries()).entries;
  } catch (error) {
    if (error.code === "UNAUTHENTICATED" || error.code === "TOKEN_INVALID") return null;
    throw error;
  }
}

// One slot's release: the time in Beijing time, first come or lottery, where it stands, and
// for a lottery the seed hash, the revealed seed and my result. Opened as
// pages/release/index?institution=<id>&date=<YYYY-MM-DD>&slot=<id>.
Page({
  data: { institution: "", date: "", slot: "", model: null, error: "", notice: "" },
  onLoad: function (query) {
    this.setData({ institution: query.institution, date: query.date, slot: query.slot });
    return this.load();
  },
  load: async function () {
    try {
      const answer = await api.slots(this.data.institution, this.data.date);
      const shown = (answer.slots || []).find((s) => String(s.id) === String(this.data.slot));
      let lottery = null;
      let entries = null;
      if (shown && shown.release_mode === "lottery") {
        lottery = await api.lottery(shown.id);
        if (api.signedIn()) entries = await myEntries();
      }
      const model = releaseModel(answer, this.data.slot, lottery, entries, Date.now());
      this.setData({ model: model, error: model ? "" : "没有找到这个号源。" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onRefresh: function () {
    return this.load();
  },
  onAct: async function () {
    const model = this.data.model;
    if (!model || !model.action) return;
    this.setData({ error: "", notice: "" });
    try {
      await ensureSignedIn();
      const answer = await api.book(Number(model.slotId));
      if (answer.entry_no) {
        this.setData({ notice: "报名成功，您的报名号是 " + answer.entry_no + "。开奖后在这里查看结果。" });
      } else {
        if (answer.payable) {
          const result = await pay(api, host, answer.payable);
          if (result.status !== "paid") {
            this.setData({ error: result.message });
            return;
          }
        }
        this.setData({ notice: "预约成功！请按时到场，凭签到码签到。" });
      }
      await this.load();
    } catch (error) {
      const message = bookingRefusal(error);
      this.setData({ error: message });
      host.alert(message);
    }
  },
});

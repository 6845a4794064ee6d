import { residentMessage } from "../../core/errors.js";
import { pay } from "../../core/logic.js";
import { pageInfo, payableRows, SUBSCRIBE } from "../../core/services.js";
import { host } from "../../host.js";
import { api, ensureSignedIn } from "../../session.js";

// 我的待缴: notices issued to my ID number and my bound vehicles' decided fines, each paid
// in one tap. Paying by code (for someone else) stays on the notices page.
Page({
  data: { rows: [], page: 1, more: false, verified: true, loaded: false, error: "", notice: "" },
  onShow: function () {
    return this.load(1);
  },
  load: async function (page) {
    try {
      await ensureSignedIn();
      const answer = await api.myPayables(page);
      const rows = payableRows(answer);
      this.setData({ rows: page > 1 ? this.data.rows.concat(rows) : rows, page: page, more: pageInfo(answer).more, verified: answer.verified !== false, loaded: true, error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error), loaded: true });
    }
  },
  onMore: function () {
    return this.load(this.data.page + 1);
  },
  onPay: async function (e) {
    const row = this.data.rows.find(function (r) {
      return r.key === e.currentTarget.dataset.key;
    });
    if (!row) return;
    try {
      const result = await pay(api, host, row.payable);
      if (result.status === "paid" && result.receiptNo) {
        this.setData({ notice: "缴款成功，电子票据已开具。", error: "" });
        await this.load(1);
        host.navigate("/pages/receipt/index?no=" + result.receiptNo);
      } else if (result.message) {
        this.setData({ error: result.message });
      }
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  // One message per permission: asked on this tap, used when the next notice is issued.
  onRemind: async function () {
    const accepted = await host.subscribe(SUBSCRIBE.payables.templates);
    this.setData({ notice: accepted.length ? "好的，有新的缴款通知时会提醒您。" : "", error: "" });
  },
  onByCode: function () {
    host.navigate("/pages/notices/index");
  },
  onOrders: function () {
    host.navigate("/pages/orders/index");
  },
});

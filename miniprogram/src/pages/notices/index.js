import { residentMessage } from "../../core/errors.js";
import { cleanPaymentCode, noticeModel, pay } from "../../core/logic.js";
import { host } from "../../host.js";
import { api, ensureSignedIn, withDisplay } from "../../session.js";

Page(withDisplay({
  data: { code: "", notice: null, error: "" },
  onCode: function (e) {
    this.setData({ code: cleanPaymentCode(e.detail.value) });
  },
  onScan: async function () {
    try {
      this.setData({ code: cleanPaymentCode(await host.scan()) });
      await this.onLookup();
    } catch (error) {
      this.setData({ error: "" });
    }
  },
  onLookup: async function () {
    try {
      await ensureSignedIn();
      this.setData({ notice: noticeModel(await api.notice(this.data.code)), error: "" });
    } catch (error) {
      this.setData({ notice: null, error: residentMessage(error) });
    }
  },
  onPay: async function () {
    try {
      const result = await pay(api, host, { type: "notice", payment_code: this.data.notice.paymentCode });
      if (result.status === "paid" && result.receiptNo) host.navigate("/pages/receipt/index?no=" + result.receiptNo);
      else if (result.message) this.setData({ error: result.message });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
}));

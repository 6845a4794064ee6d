import { residentMessage } from "../../core/errors.js";
import { receiptModel, verificationLabel } from "../../core/logic.js";
import { api, withDisplay } from "../../session.js";

Page(withDisplay({
  data: { receipt: null, verdict: { label: "正在验真…", tone: "" }, qrPath: "", error: "" },
  onLoad: async function (query) {
    try {
      const receipt = receiptModel(await api.receipt(query.no));
      this.setData({ receipt: receipt });
      const verdict = verificationLabel(await api.verifyReceipt({ qr: receipt.qr }));
      this.setData({ verdict: verdict });
      this.setData({ qrPath: await api.receiptQr(receipt.receiptNo) });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
}));

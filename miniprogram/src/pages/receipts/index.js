import { residentMessage } from "../../core/errors.js";
import { receiptRows } from "../../core/logic.js";
import { host } from "../../host.js";
import { api, ensureSignedIn, withDisplay } from "../../session.js";

Page(withDisplay({
  data: { rows: [], error: "" },
  onShow: async function () {
    try {
      await ensureSignedIn();
      this.setData({ rows: receiptRows(await api.myReceipts()), error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onOpen: function (e) {
    host.navigate("/pages/receipt/index?no=" + e.currentTarget.dataset.no);
  },
}));

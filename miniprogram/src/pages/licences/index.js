import { residentMessage } from "../../core/errors.js";
import { licenceRows } from "../../core/services.js";
import { host } from "../../host.js";
import { api, ensureSignedIn } from "../../session.js";

// The e-licence wallet, beside the receipts: what finished cases issued to me.
Page({
  data: { rows: [], loaded: false, error: "" },
  onShow: function () {
    return this.load();
  },
  load: async function () {
    try {
      await ensureSignedIn();
      this.setData({ rows: licenceRows(await api.myLicences()), loaded: true, error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error), loaded: true });
    }
  },
  onReceipts: function () {
    host.navigate("/pages/receipts/index");
  },
});

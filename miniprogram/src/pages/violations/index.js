import { residentMessage } from "../../core/errors.js";
import { pay, violationRows } from "../../core/logic.js";
import { host } from "../../host.js";
import { api, ensureSignedIn, withDisplay } from "../../session.js";

Page(withDisplay({
  data: {
    plateTypes: [
      { code: "02", name: "小型汽车" },
      { code: "52", name: "小型新能源" },
      { code: "01", name: "大型汽车" },
      { code: "51", name: "大型新能源" },
    ],
    plateType: "02",
    plateNo: "",
    vinTail: "",
    rows: [],
    error: "",
  },
  onPlateType: function (e) {
    this.setData({ plateType: e.currentTarget.dataset.code });
  },
  onPlateNo: function (e) {
    this.setData({ plateNo: String(e.detail.value).trim().toUpperCase() });
  },
  onVinTail: function (e) {
    this.setData({ vinTail: String(e.detail.value).trim().toUpperCase() });
  },
  onLookup: async function () {
    try {
      await ensureSignedIn();
      const answer = await api.violations({
        plate_type: this.data.plateType,
        plate_no: this.data.plateNo,
        vin_tail: this.data.vinTail,
      });
      this.setData({ rows: violationRows(answer), error: "" });
    } catch (error) {
      this.setData({ rows: [], error: residentMessage(error) });
    }
  },
  onPay: async function (e) {
    try {
      const result = await pay(api, host, { type: "violation", decision_no: e.currentTarget.dataset.decision });
      if (result.status === "paid" && result.receiptNo) {
        host.navigate("/pages/receipt/index?no=" + result.receiptNo);
      } else if (result.message) {
        this.setData({ error: result.message });
      }
      return result;
    } catch (error) {
      this.setData({ error: residentMessage(error) });
      return null;
    }
  },
}));

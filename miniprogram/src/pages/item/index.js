import { residentMessage } from "../../core/errors.js";
import { itemModel } from "../../core/services.js";
import { host } from "../../host.js";
import { api } from "../../session.js";

// An item's page: its guide and what to bring, a material marked not needed when I hold
// the e-licence for it (免提交); from here, apply online or book a visit.
Page({
  data: { code: "", model: null, error: "" },
  onLoad: function (query) {
    this.setData({ code: query.code || "" });
  },
  onShow: function () {
    return this.load();
  },
  load: async function () {
    try {
      const code = this.data.code;
      const guide = await api.item(code).catch(function (error) {
        if (error.status === 404) return null;
        throw error;
      });
      const form = await api.applyForm(code).catch(function (error) {
        if (error.code === "ITEM_NOT_APPLICABLE") return null;
        throw error;
      });
      const licences = api.signedIn() ? await api.myLicences().catch(function () {
        return null;
      }) : null;
      this.setData({ model: itemModel(guide, form, licences), error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onApply: function () {
    host.navigate("/pages/apply/index?code=" + encodeURIComponent(this.data.code));
  },
  onBook: function () {
    host.navigate("/pages/appointments/index?kind=hall");
  },
});

import { residentMessage } from "../../core/errors.js";
import { appointmentRows } from "../../core/logic.js";
import { host } from "../../host.js";
import { api, ensureSignedIn } from "../../session.js";

Page({
  data: { rows: [], code: "", error: "" },
  onShow: function () {
    return this.load();
  },
  load: async function () {
    try {
      await ensureSignedIn();
      const lists = await Promise.all([api.myAppointments(), api.institutions("hall"), api.institutions("clinic")]);
      const institutions = (lists[1].institutions || []).concat(lists[2].institutions || []);
      this.setData({ rows: appointmentRows(lists[0], institutions), error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onCode: async function (e) {
    try {
      this.setData({ code: (await api.checkInCode(e.currentTarget.dataset.id)).code });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onCancel: async function (e) {
    try {
      await api.cancelAppointment(e.currentTarget.dataset.id);
      host.toast("已取消");
      await this.load();
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
});

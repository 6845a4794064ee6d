import { residentMessage } from "../../core/errors.js";
import { appointmentRows } from "../../core/logic.js";
import { host } from "../../host.js";
import { api, ensureSignedIn } from "../../session.js";

// The check-in card under one booking: the QR for the institution's scanner and, under it,
// the same code as text for when the scanner cannot read the screen.
const NO_CARD = { codeFor: null, code: "", qrPath: "", qrError: "" };

Page({
  data: Object.assign({ rows: [], error: "" }, NO_CARD),
  onShow: function () {
    return this.load();
  },
  load: async function () {
    try {
      await ensureSignedIn();
      // Each booking names its place (institution, department, who serves it).
      const rows = appointmentRows(await api.myAppointments());
      const codeFor = this.data.codeFor;
      // Back from another app with the card open: it stays while the booking is active.
      const keep = rows.some(function (r) {
        return r.id === codeFor && r.active;
      });
      this.setData(Object.assign({ rows: rows, error: "" }, keep ? {} : NO_CARD));
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onCode: async function (e) {
    const id = Number(e.currentTarget.dataset.id);
    const page = this;
    const current = function () {
      return page.data.codeFor === id;
    };
    this.setData(Object.assign({}, NO_CARD, { codeFor: id, error: "" }));
    // Both at once; the image's outcome is read after the code's.
    const qr = api.checkInQr(id).then(
      function (path) {
        return { path: path };
      },
      function (error) {
        return { error: error };
      }
    );
    try {
      const answer = await api.checkInCode(id);
      if (!current()) return;
      // Staff type the 8-digit desk code (签到号) when the scanner fails; an older server
      // has none, and its long code stands in.
      this.setData({ code: answer.desk_code || answer.code });
    } catch (error) {
      if (current()) this.setData(Object.assign({}, NO_CARD, { error: residentMessage(error) }));
      return;
    }
    const image = await qr;
    if (!current()) return;
    if (image.path) {
      this.setData({ qrPath: image.path });
    } else if (image.error && image.error.status) {
      // The server refused (the booking is no longer active): the text code is void too.
      this.setData(Object.assign({}, NO_CARD, { error: residentMessage(image.error) }));
    } else {
      this.setData({ qrError: "二维码没有加载出来，请向工作人员出示下面的签到码。" });
    }
  },
  onRate: function (e) {
    host.navigate("/pages/rate/index?type=appointment&ref=" + e.currentTarget.dataset.id);
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

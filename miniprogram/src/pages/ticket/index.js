import { residentMessage } from "../../core/errors.js";
import { ticketModel } from "../../core/services.js";
import { api, ensureSignedIn } from "../../session.js";

// One 12345 ticket: the reply, and (within 10 days of it) reopen it, or rate it to close it.
Page({
  data: { id: "", model: null, error: "" },
  onLoad: function (query) {
    this.setData({ id: query.id || "" });
  },
  onShow: function () {
    return this.load();
  },
  load: async function () {
    try {
      await ensureSignedIn();
      this.setData({ model: ticketModel(await api.ticket(this.data.id)), error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onReopen: async function () {
    try {
      this.setData({ model: ticketModel(await api.reopenTicket(this.data.id)), error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onRate: async function (e) {
    try {
      this.setData({ model: ticketModel(await api.rateTicket(this.data.id, Number(e.currentTarget.dataset.score))), error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
});

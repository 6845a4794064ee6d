import { residentMessage } from "../../core/errors.js";
import { datesAfter } from "../../core/format.js";
import { bookingRefusal, pay, slotRows } from "../../core/logic.js";
import { host } from "../../host.js";
import { api, ensureSignedIn } from "../../session.js";

Page({
  data: { id: "", name: "", dates: [], date: "", slots: [], error: "", notice: "" },
  onLoad: function (query) {
    this.setData({ id: query.id });
    // Without a date the server answers the first day with a bookable slot: in the evening,
    // tomorrow's booking has closed and the page must not open on it.
    return this.load(query.date);
  },
  load: async function (date) {
    try {
      const answer = await api.slots(this.data.id, date);
      this.setData({
        date: answer.date,
        dates: datesAfter(answer.today, 7),
        name: answer.institution.name,
        slots: slotRows(answer),
        error: "",
      });
    } catch (error) {
      this.setData({ date: date, error: residentMessage(error) });
    }
  },
  onDate: function (e) {
    return this.load(e.currentTarget.dataset.date);
  },
  onRelease: function (e) {
    host.navigate(
      "/pages/release/index?institution=" + this.data.id + "&date=" + this.data.date + "&slot=" + e.currentTarget.dataset.id
    );
  },
  onBook: async function (e) {
    if (!e.currentTarget.dataset.bookable) return;
    this.setData({ error: "", notice: "" });
    try {
      await ensureSignedIn();
      const booking = await api.book(Number(e.currentTarget.dataset.id));
      if (booking.payable) {
        const result = await pay(api, host, booking.payable);
        if (result.status !== "paid") {
          this.setData({ error: result.message });
          return;
        }
      }
      this.setData({ notice: "预约成功！请按时到场，凭签到码签到。" });
      await this.load(this.data.date);
    } catch (error) {
      const message = bookingRefusal(error);
      this.setData({ error: message });
      host.alert(message);
    }
  },
});

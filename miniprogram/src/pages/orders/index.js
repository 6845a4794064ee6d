import { residentMessage } from "../../core/errors.js";
import { orderRows, pageInfo } from "../../core/services.js";
import { host } from "../../host.js";
import { api, ensureSignedIn } from "../../session.js";

// My orders from every channel, with their status; a paid one can be rated.
Page({
  data: { rows: [], page: 1, more: false, loaded: false, error: "" },
  onShow: function () {
    return this.load(1);
  },
  load: async function (page) {
    try {
      await ensureSignedIn();
      const answer = await api.myOrders(page);
      const rows = orderRows(answer);
      this.setData({ rows: page > 1 ? this.data.rows.concat(rows) : rows, page: page, more: pageInfo(answer).more, loaded: true, error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error), loaded: true });
    }
  },
  onMore: function () {
    return this.load(this.data.page + 1);
  },
  onRate: function (e) {
    host.navigate("/pages/rate/index?type=payment&ref=" + encodeURIComponent(e.currentTarget.dataset.id));
  },
});

import { residentMessage } from "../../core/errors.js";
import { searchResults } from "../../core/logic.js";
import { config } from "../../config.js";
import { host } from "../../host.js";
import { api, withDisplay } from "../../session.js";

Page(withDisplay({
  data: { q: "", results: [], error: "" },
  onLoad: async function (query) {
    const q = decodeURIComponent((query && query.q) || "");
    this.setData({ q: q });
    try {
      this.setData({ results: searchResults(await api.search(q, host.channel, config.region)) });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onItem: function (e) {
    host.navigate("/pages/item/index?code=" + encodeURIComponent(e.currentTarget.dataset.code));
  },
}));

import { residentMessage } from "../../core/errors.js";
import { host } from "../../host.js";
import { api, withDisplay } from "../../session.js";

Page(withDisplay({
  data: { kind: "hall", institutions: [], error: "" },
  onLoad: function (query) {
    return this.load((query && query.kind) || "hall");
  },
  load: async function (kind) {
    try {
      const answer = await api.institutions(kind);
      this.setData({ kind: kind, institutions: answer.institutions || [], error: "" });
    } catch (error) {
      this.setData({ kind: kind, error: residentMessage(error) });
    }
  },
  onKind: function (e) {
    return this.load(e.currentTarget.dataset.kind);
  },
  onOpen: function (e) {
    host.navigate("/pages/institution/index?id=" + e.currentTarget.dataset.id);
  },
  onMine: function () {
    host.navigate("/pages/my-appointments/index");
  },
}));

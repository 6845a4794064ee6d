import { residentMessage } from "../../core/errors.js";
import { actingFor, caseRows } from "../../core/services.js";
import { host } from "../../host.js";
import { api, ensureSignedIn } from "../../session.js";

// 我的办件: every case, whichever channel it was applied on; a company's when acting for one.
Page({
  data: { rows: [], acting: "", loaded: false, error: "" },
  onShow: function () {
    return this.load();
  },
  load: async function () {
    try {
      await ensureSignedIn();
      const acting = actingFor(host.store);
      const answer = acting ? await api.legalPersonCases(acting.uscc) : await api.myCases();
      this.setData({ rows: caseRows(answer), acting: acting ? acting.name : "", loaded: true, error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error), loaded: true });
    }
  },
  onOpen: function (e) {
    host.navigate("/pages/case/index?case_no=" + encodeURIComponent(e.currentTarget.dataset.no));
  },
  onLicences: function () {
    host.navigate("/pages/licences/index");
  },
});

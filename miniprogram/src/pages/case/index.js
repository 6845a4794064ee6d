import { residentMessage } from "../../core/errors.js";
import { caseModel, SUBSCRIBE } from "../../core/services.js";
import { host } from "../../host.js";
import { api, ensureSignedIn } from "../../session.js";

// One case: status, deadlines, timeline; a request for materials answered in place (补正);
// the result and its e-licence; and, once finished, the way to rate it. Case messages open it.
Page({
  data: { caseNo: "", model: null, form: { materials: [] }, chosen: {}, progress: {}, error: "", notice: "" },
  onLoad: function (query) {
    this.setData({ caseNo: query.case_no || "" });
  },
  onShow: function () {
    return this.load();
  },
  load: async function () {
    try {
      await ensureSignedIn();
      const model = caseModel(await api.caseDetail(this.data.caseNo));
      const form = model.returned ? await api.applyForm(model.itemCode) : { materials: [] };
      this.setData({ model: model, form: form, error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onPick: async function (e) {
    const name = e.currentTarget.dataset.name;
    const page = this;
    try {
      const files = await host.chooseImages(1);
      if (!files.length) return;
      const stored = await api.uploadMaterial(files[0], function (percent) {
        const now = Object.assign({}, page.data.progress);
        now[name] = percent;
        page.setData({ progress: now });
      });
      const chosen = Object.assign({}, this.data.chosen);
      chosen[name] = { materialId: stored.id, filename: stored.filename };
      this.setData({ chosen: chosen, error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onSupplement: async function () {
    const chosen = this.data.chosen;
    const materials = Object.keys(chosen).map(function (name) {
      return { name: name, material_id: chosen[name].materialId };
    });
    const subscribed = host.subscribe(SUBSCRIBE.case.templates);
    try {
      await subscribed;
      const model = caseModel(await api.supplement(this.data.caseNo, { form: {}, materials: materials }));
      this.setData({ model: model, chosen: {}, notice: "补正材料已提交，办件继续办理。", error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onRate: function () {
    host.navigate("/pages/rate/index?type=case&ref=" + encodeURIComponent(this.data.caseNo));
  },
  onGuide: function () {
    host.navigate("/pages/item/index?code=" + encodeURIComponent(this.data.model.itemCode));
  },
  onWallet: function () {
    host.navigate("/pages/licences/index");
  },
});

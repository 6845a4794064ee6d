import { residentMessage } from "../../core/errors.js";
import { BUNDLE_RATING, bundleCaseModel, bundleRatingBody } from "../../core/bundles.js";
import { SUBSCRIBE } from "../../core/services.js";
import { host } from "../../host.js";
import { api, ensureSignedIn, withDisplay } from "../../session.js";

// One bundle case: its status (derived from its cases), each item's case, step and deadline;
// one answer to a request for more (it reaches every case that needs it); one rating.
Page(withDisplay({
  data: { bundleNo: "", model: null, materials: [], chosen: {}, progress: {}, indicators: BUNDLE_RATING, scores: {}, comment: "", error: "", notice: "" },
  onLoad: function (query) {
    this.setData({ bundleNo: query.bundle_no || "" });
  },
  onShow: function () {
    return this.load();
  },
  load: async function () {
    try {
      await ensureSignedIn();
      const model = bundleCaseModel(await api.bundleCase(this.data.bundleNo));
      const materials = model.needsSupplement ? ((await api.bundle(model.code)).form || {}).materials || [] : [];
      this.setData({ model: model, materials: materials, error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onCase: function (e) {
    const no = e.currentTarget.dataset.no;
    if (no) host.navigate("/pages/case/index?case_no=" + encodeURIComponent(no));
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
      const model = bundleCaseModel(await api.supplementBundle(this.data.bundleNo, { form: {}, materials: materials }));
      this.setData({ model: model, materials: model.needsSupplement ? this.data.materials : [], chosen: {}, notice: "补充的材料已送达每个需要它的事项。", error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onScore: function (e) {
    const scores = Object.assign({}, this.data.scores);
    scores[e.currentTarget.dataset.key] = Number(e.currentTarget.dataset.score);
    this.setData({ scores: scores });
  },
  onComment: function (e) {
    this.setData({ comment: e.detail.value });
  },
  onRate: async function () {
    const made = bundleRatingBody(this.data.scores, this.data.comment);
    if (made.error) return this.setData({ error: made.error });
    try {
      await api.rateBundle(this.data.bundleNo, made.body);
      const model = bundleCaseModel(await api.bundleCase(this.data.bundleNo));
      this.setData({ model: model, notice: "感谢您的评价。", error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
}));

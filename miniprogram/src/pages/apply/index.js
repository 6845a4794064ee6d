import { messageFor, residentMessage } from "../../core/errors.js";
import { actingFor, applyFormModel, collectForm, collectMaterials, formProblems, SUBSCRIBE } from "../../core/services.js";
import { host } from "../../host.js";
import { api, ensureSignedIn } from "../../session.js";

// 办事: the form is the one the server defines today (read on every load), so a field an
// operator adds shows on the next visit without a new package.
Page({
  data: { hostDates: Boolean(host.pickDate), code: "", model: { fields: [], materials: [], legalPersons: [] }, values: {}, chosen: {}, progress: {}, actingIndex: -1, actingName: "", error: "", busy: false },
  onLoad: function (query) {
    this.setData({ code: query.code || "" });
  },
  onShow: function () {
    return this.load();
  },
  load: async function () {
    try {
      await ensureSignedIn();
      const form = await api.applyForm(this.data.code);
      const licences = await api.myLicences();
      const legal = form.audience === "legal" ? await api.myLegalPersons() : null;
      // The guide names each material's e-licence type (免提交); an older server has none.
      const guide = await api.item(this.data.code).catch(function () {
        return null;
      });
      const model = applyFormModel(form, licences, legal, guide);
      const acting = actingFor(host.store);
      const index = acting ? model.legalPersons.findIndex(function (lp) {
        return lp.uscc === acting.uscc;
      }) : -1;
      this.setData({ model: model, actingIndex: index, actingName: index >= 0 ? model.legalPersons[index].name : "", error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onInput: function (e) {
    const values = Object.assign({}, this.data.values);
    values[e.currentTarget.dataset.name] = e.detail.value;
    this.setData({ values: values });
  },
  onPickDate: async function (e) {
    const name = e.currentTarget.dataset.name;
    const picked = await host.pickDate(this.data.values[name]);
    if (picked) this.onInput({ currentTarget: { dataset: { name: name } }, detail: { value: picked } });
  },
  onChoice: function (e) {
    const name = e.currentTarget.dataset.name;
    const field = this.data.model.fields.find(function (f) {
      return f.name === name;
    });
    const values = Object.assign({}, this.data.values);
    values[name] = field.choices[Number(e.detail.value)];
    this.setData({ values: values });
  },
  onActing: function (e) {
    const index = Number(e.detail.value);
    this.setData({ actingIndex: index, actingName: this.data.model.legalPersons[index].name });
  },
  onUseLicence: function (e) {
    const name = e.currentTarget.dataset.name;
    const material = this.data.model.materials.find(function (m) {
      return m.name === name;
    });
    const chosen = Object.assign({}, this.data.chosen);
    chosen[name] = { licenceId: material.licenceId };
    this.setData({ chosen: chosen });
  },
  onPick: async function (e) {
    const name = e.currentTarget.dataset.name;
    const page = this;
    try {
      const files = await host.chooseImages(1);
      if (!files.length) return;
      const progress = function (percent) {
        const now = Object.assign({}, page.data.progress);
        now[name] = percent;
        page.setData({ progress: now });
      };
      progress(1);
      const stored = await api.uploadMaterial(files[0], progress);
      progress(100);
      const chosen = Object.assign({}, this.data.chosen);
      chosen[name] = { materialId: stored.id, filename: stored.filename };
      this.setData({ chosen: chosen, error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onSubmit: async function () {
    if (this.data.busy) return;
    const model = this.data.model;
    const filled = collectForm(model.fields, this.data.values);
    if (filled.missing.length) return this.setData({ error: messageFor("FIELD_REQUIRED") + "（" + filled.missing.join("、") + "）" });
    const attached = collectMaterials(model.materials, this.data.chosen);
    if (attached.missing.length) return this.setData({ error: messageFor("MATERIAL_MISSING") + "（" + attached.missing.join("、") + "）" });
    if (model.legal && this.data.actingIndex < 0) return this.setData({ error: messageFor("LEGAL_PERSON_REQUIRED") });
    // Asked on the tap itself (the platforms allow it only there): each step of the case,
    // and the invitation to rate it once it is done.
    const subscribed = host.subscribe(SUBSCRIBE.case.templates);
    const body = { item_code: model.itemCode, form: filled.form, materials: attached.materials };
    if (model.legal) body.on_behalf_of = model.legalPersons[this.data.actingIndex].uscc;
    this.setData({ busy: true });
    try {
      await subscribed;
      const created = await api.apply(body);
      this.setData({ busy: false, error: "" });
      host.redirect("/pages/case/index?case_no=" + encodeURIComponent(created.case_no));
    } catch (error) {
      const named = formProblems(error, model.fields);
      this.setData({ busy: false, error: residentMessage(error) + (named.length ? "（" + named.join("、") + "）" : "") });
    }
  },
});

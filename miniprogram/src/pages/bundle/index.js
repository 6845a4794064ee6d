import { messageFor, residentMessage } from "../../core/errors.js";
import { bundleBody, bundleModel, newRequestKey } from "../../core/bundles.js";
import { actingFor, collectForm, collectMaterials, formProblems, SUBSCRIBE } from "../../core/services.js";
import { host } from "../../host.js";
import { api, ensureSignedIn, withDisplay } from "../../session.js";

// 一件事: the combined guide (一次告知) and the one merged form (一表申请), with the apply
// page's controls. The Idempotency-Key is made once per form: a retry returns the same case.
Page(withDisplay({
  data: { hostDates: Boolean(host.pickDate), code: "", model: null, values: {}, chosen: {}, pending: {}, pledged: {}, progress: {}, actingIndex: -1, actingName: "", requestKey: "", error: "", busy: false },
  onLoad: function (query) {
    this.setData({ code: query.code || "", requestKey: newRequestKey() });
  },
  onShow: function () {
    return this.load();
  },
  load: async function () {
    try {
      await ensureSignedIn();
      const detail = await api.bundle(this.data.code);
      const licences = await api.myLicences();
      const legal = detail.audience === "legal" ? await api.myLegalPersons() : null;
      const model = bundleModel(detail, licences, legal);
      const acting = actingFor(host.store);
      const index = acting ? model.form.legalPersons.findIndex(function (lp) {
        return lp.uscc === acting.uscc;
      }) : -1;
      this.setData({ model: model, actingIndex: index, actingName: index >= 0 ? model.form.legalPersons[index].name : "", error: "" });
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
    const field = this.data.model.form.fields.find(function (f) {
      return f.name === name;
    });
    const values = Object.assign({}, this.data.values);
    values[name] = field.choices[Number(e.detail.value)];
    this.setData({ values: values });
  },
  onActing: function (e) {
    const index = Number(e.detail.value);
    this.setData({ actingIndex: index, actingName: this.data.model.form.legalPersons[index].name });
  },
  onUseLicence: function (e) {
    const name = e.currentTarget.dataset.name;
    const material = this.data.model.form.materials.find(function (m) {
      return m.name === name;
    });
    const chosen = Object.assign({}, this.data.chosen);
    chosen[name] = { licenceId: material.licenceId };
    this.setData({ chosen: chosen });
  },
  onPending: function (e) {
    const pending = Object.assign({}, this.data.pending);
    const name = e.currentTarget.dataset.name;
    pending[name] = !pending[name];
    this.setData({ pending: pending });
  },
  onPledge: function (e) {
    const pledged = Object.assign({}, this.data.pledged);
    const item = e.currentTarget.dataset.item;
    pledged[item] = !pledged[item];
    this.setData({ pledged: pledged });
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
    if (this.data.busy || !this.data.model) return;
    const model = this.data.model;
    const pending = this.data.pending;
    const filled = collectForm(model.form.fields, this.data.values);
    if (filled.missing.length) return this.setData({ error: messageFor("FIELD_REQUIRED") + "（" + filled.missing.join("、") + "）" });
    const owed = model.form.materials.filter(function (m) {
      return m.pendingAllowed && pending[m.name];
    }).map(function (m) {
      return m.name;
    });
    const asked = model.form.materials.filter(function (m) {
      return owed.indexOf(m.name) < 0;
    });
    const attached = collectMaterials(asked, this.data.chosen);
    if (attached.missing.length) return this.setData({ error: messageFor("MATERIAL_MISSING") + "（" + attached.missing.join("、") + "）" });
    if (model.legal && this.data.actingIndex < 0) return this.setData({ error: messageFor("LEGAL_PERSON_REQUIRED") });
    const pledged = this.data.pledged;
    const pledges = model.pledges.filter(function (p) {
      return pledged[p.item];
    }).map(function (p) {
      return p.item;
    });
    const subscribed = host.subscribe(SUBSCRIBE.case.templates);
    const body = bundleBody(model, filled.form, attached.materials, owed, pledges, model.legal ? model.form.legalPersons[this.data.actingIndex].uscc : null);
    this.setData({ busy: true });
    try {
      await subscribed;
      const created = await api.applyBundle(body, this.data.requestKey);
      this.setData({ busy: false, error: "" });
      host.redirect("/pages/bundle-case/index?bundle_no=" + encodeURIComponent(created.bundle_no));
    } catch (error) {
      const named = formProblems(error, model.form.fields);
      this.setData({ busy: false, error: residentMessage(error) + (named.length ? "（" + named.join("、") + "）" : "") });
    }
  },
}));

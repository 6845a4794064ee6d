import { messageFor, residentMessage } from "../../core/errors.js";
import { categoryChoices, collectAttributes, MAX_PHOTOS, SUBSCRIBE, TICKET_KINDS, ticketBody, ticketRows } from "../../core/services.js";
import { host } from "../../host.js";
import { api, ensureSignedIn } from "../../session.js";

// 12345: a consultation, complaint or report with its category, text, up to six photos and,
// only when the resident turns it on, where they are.
Page({
  data: { hostDates: Boolean(host.pickDate), kinds: TICKET_KINDS, kind: "complaint", categories: [], category: "", categoryLabel: "", attrFields: [], attrValues: {}, attrLabels: {}, text: "", photos: [], uploading: 0, maxPhotos: MAX_PHOTOS, located: false, location: null, address: "", tickets: [], error: "" },
  onShow: function () {
    return this.load();
  },
  load: async function () {
    try {
      const categories = categoryChoices(await api.hotlineCategories());
      await ensureSignedIn();
      this.setData({ categories: categories, tickets: ticketRows(await api.myTickets()), error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onKind: function (e) {
    this.setData({ kind: e.currentTarget.dataset.kind });
  },
  onCategory: function (e) {
    const chosen = this.data.categories[Number(e.detail.value)];
    this.setData({ category: chosen.code, categoryLabel: chosen.label, attrFields: chosen.attributes, attrValues: {}, attrLabels: {} });
  },
  onPickDate: async function (e) {
    const code = e.currentTarget.dataset.code;
    const picked = await host.pickDate(this.data.attrValues[code]);
    if (picked) this.onAttr({ currentTarget: { dataset: { code: code } }, detail: { value: picked } });
  },
  onAttr: function (e) {
    const code = e.currentTarget.dataset.code;
    const field = this.data.attrFields.find(function (f) {
      return f.code === code;
    });
    const values = Object.assign({}, this.data.attrValues);
    const labels = Object.assign({}, this.data.attrLabels);
    values[code] = e.detail.value;
    if (field && field.control === "choice") labels[code] = field.choices[Number(e.detail.value)] || "";
    this.setData({ attrValues: values, attrLabels: labels });
  },
  onText: function (e) {
    this.setData({ text: e.detail.value });
  },
  onAddress: function (e) {
    this.setData({ address: e.detail.value });
  },
  onPhotos: async function () {
    const room = MAX_PHOTOS - this.data.photos.length;
    if (room <= 0) return this.setData({ error: messageFor("TOO_MANY_PHOTOS") });
    const page = this;
    try {
      const files = (await host.chooseImages(room)).slice(0, room);
      for (const file of files) {
        const stored = await api.uploadMaterial(file, function (percent) {
          page.setData({ uploading: percent < 100 ? percent : 0 });
        });
        this.setData({ photos: this.data.photos.concat([{ id: stored.id, path: file.path }]), uploading: 0 });
      }
      this.setData({ error: "" });
    } catch (error) {
      this.setData({ uploading: 0, error: residentMessage(error) });
    }
  },
  onLocate: async function (e) {
    if (!e.detail.value) return this.setData({ located: false, location: null });
    try {
      this.setData({ located: true, location: await host.getLocation(), error: "" });
    } catch (error) {
      this.setData({ located: false, location: null, error: messageFor("LOCATION_DENIED") });
    }
  },
  onSubmit: async function () {
    const answered = collectAttributes(this.data.attrFields, this.data.attrValues);
    if (answered.missing.length) return this.setData({ error: messageFor("FIELD_REQUIRED") + "（" + answered.missing.join("、") + "）" });
    const built = ticketBody({
      attributes: answered.attributes,
      kind: this.data.kind,
      category: this.data.category,
      text: this.data.text,
      photoIds: this.data.photos.map(function (p) {
        return p.id;
      }),
      address: this.data.address,
      location: this.data.location,
    });
    if (!this.data.category) return this.setData({ error: messageFor("CATEGORY_UNKNOWN") });
    if (built.error) return this.setData({ error: built.error });
    const subscribed = host.subscribe(SUBSCRIBE.hotline.templates);
    try {
      await subscribed;
      const ticket = await api.fileTicket(built.body);
      this.setData({ text: "", photos: [], located: false, location: null, address: "", error: "" });
      host.navigate("/pages/ticket/index?id=" + ticket.id);
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onOpen: function (e) {
    host.navigate("/pages/ticket/index?id=" + e.currentTarget.dataset.id);
  },
});

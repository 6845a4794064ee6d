import { residentMessage } from "../../core/errors.js";
import { ELDER_HOME, homeModel } from "../../core/logic.js";
import { config } from "../../config.js";
import { host } from "../../host.js";
import { api, withDisplay } from "../../session.js";

Page(withDisplay({
  data: {
    model: { region: "", miniapps: [], themes: [] },
    error: "",
    shortcuts: [
      { name: "预约办事", url: "/pages/appointments/index" },
      { name: "交通违法", url: "/pages/violations/index" },
      { name: "缴款通知书", url: "/pages/notices/index" },
      { name: "我的票据", url: "/pages/receipts/index" },
      { name: "我的待缴", url: "/pages/payables/index" },
      { name: "我的办件", url: "/pages/cases/index" },
      { name: "一件事", url: "/pages/bundles/index" },
      { name: "12345 诉求", url: "/pages/hotline/index" },
      { name: "单位办事", url: "/pages/company/index" },
      { name: "我的订单", url: "/pages/orders/index" },
      { name: "登录与实名", url: "/pages/login/index" },
      { name: "长辈版 · 字号", url: "/pages/settings/index" },
    ],
    elderHome: ELDER_HOME.map(function (b) {
      return { key: b.key, name: b.name, note: b.note, url: "/pages/" + b.page + "/index" };
    }),
  },
  // Reloaded on every show: the catalog answers 304 when nothing changed, and a mini-app an
  // operator has just published appears without a new release of this package.
  onShow: function () {
    return this.load();
  },
  load: async function () {
    try {
      const model = homeModel(await api.catalog(host.channel, config.region));
      this.setData({ model: model, error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onSearch: function (e) {
    const q = String(e.detail.value || "").trim();
    if (q) host.navigate("/pages/search/index?q=" + encodeURIComponent(q));
  },
  onItem: function (e) {
    host.navigate("/pages/item/index?code=" + encodeURIComponent(e.currentTarget.dataset.code));
  },
  onTapShortcut: function (e) {
    host.navigate(e.currentTarget.dataset.url);
  },
  onTapMiniapp: function (e) {
    const app = this.data.model.miniapps.find(function (m) {
      return m.id === e.currentTarget.dataset.id;
    });
    if (!app) return;
    if (!app.available) {
      this.notify(app.reason || "该应用暂不可用");
    } else if (app.target.kind === "h5") {
      host.navigate("/pages/webview/index?url=" + encodeURIComponent(app.target.url));
    } else {
      host.navigate("/pages/" + app.target.page + "/index" + (app.target.query ? "?" + app.target.query : ""));
    }
  },
}));

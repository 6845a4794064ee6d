import { residentMessage } from "../../core/errors.js";
import { bundleCaseRows, bundleRows } from "../../core/bundles.js";
import { host } from "../../host.js";
import { api, withDisplay } from "../../session.js";

// 一件事: the published bundles, and my bundle cases once signed in.
Page(withDisplay({
  data: { rows: [], mine: [], error: "" },
  onShow: function () {
    return this.load();
  },
  load: async function () {
    try {
      const rows = bundleRows(await api.bundles());
      const mine = api.signedIn() ? bundleCaseRows(await api.myBundleCases()) : [];
      this.setData({ rows: rows, mine: mine, error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onBundle: function (e) {
    host.navigate("/pages/bundle/index?code=" + encodeURIComponent(e.currentTarget.dataset.code));
  },
  onBundleCase: function (e) {
    host.navigate("/pages/bundle-case/index?bundle_no=" + encodeURIComponent(e.currentTarget.dataset.no));
  },
}));

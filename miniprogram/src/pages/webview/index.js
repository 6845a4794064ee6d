// The host of H5 mini-apps from the catalog. Their https domains must be registered as
// business domains (业务域名) on each platform; docs/shells.md says how.
Page({
  data: { url: "" },
  onLoad: function (query) {
    const url = decodeURIComponent((query && query.url) || "");
    if (/^https:\/\//.test(url)) this.setData({ url: url });
  },
});

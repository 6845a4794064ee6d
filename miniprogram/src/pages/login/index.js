import { residentMessage } from "../../core/errors.js";
import { host } from "../../host.js";
import { api, signIn } from "../../session.js";

Page({
  data: { citizen: null, error: "", name: "", idNumber: "", loginLabel: host.loginLabel, canFaceVerify: host.canFaceVerify },
  onLoad: async function () {
    if (!api.signedIn()) return;
    try {
      this.setData({ citizen: await api.me() });
    } catch (error) {
      this.setData({ citizen: null });
    }
  },
  onLogin: async function () {
    try {
      const session = await signIn();
      this.setData({ citizen: session.citizen, error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onName: function (e) {
    this.setData({ name: e.detail.value });
  },
  onIdNumber: function (e) {
    this.setData({ idNumber: e.detail.value });
  },
  onFaceVerify: async function () {
    try {
      const result = await host.faceVerify(this.data.name, this.data.idNumber);
      this.setData({ citizen: await api.verifyWithFace(result), error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error.code ? error : { code: "VERIFICATION_FAILED" }) });
    }
  },
});

import { residentMessage } from "../../core/errors.js";
import { host } from "../../host.js";
import { elderOffer } from "../../core/logic.js";
import { api, chooseDisplay, rememberDisplay, signIn, withDisplay } from "../../session.js";

Page(withDisplay({
  data: { citizen: null, offer: null, error: "", name: "", idNumber: "", loginLabel: host.loginLabel, canFaceVerify: host.canFaceVerify },
  onLoad: async function () {
    if (!api.signedIn()) return;
    try {
      this.show(await api.me());
    } catch (error) {
      this.setData({ citizen: null });
    }
  },
  onLogin: async function () {
    try {
      const session = await signIn();
      this.show(session.citizen);
      this.setData({ error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  // 长辈版 is offered inline to a resident of 60 or more who has not chosen yet.
  show: function (citizen) {
    this.setData({ citizen: citizen, offer: elderOffer(citizen), display: rememberDisplay(citizen) });
  },
  onOffer: async function (e) {
    try {
      const display = await chooseDisplay({ elder: String(e.currentTarget.dataset.elder) === "1", scale: this.data.display.scale });
      this.setData({ offer: null, display: display });
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
}));

import { residentMessage } from "../../core/errors.js";
import { TEXT_SCALES, prefsChangedMessage } from "../../core/logic.js";
import { chooseDisplay, withDisplay } from "../../session.js";

// 长辈版 on or off and the text size; said in words, kept on the server when signed in.
Page(withDisplay({
  data: { scales: TEXT_SCALES, message: "", error: "" },
  onMode: function (e) {
    return this.choose({ elder: String(e.currentTarget.dataset.elder) === "1", scale: this.data.display.scale });
  },
  onScale: function (e) {
    return this.choose({ elder: this.data.display.elder, scale: Number(e.currentTarget.dataset.scale) });
  },
  choose: async function (prefs) {
    try {
      const display = await chooseDisplay(prefs);
      this.setData({ display: display, message: prefsChangedMessage(display), error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error), message: "" });
    }
  },
}));

import { residentMessage } from "../../core/errors.js";
import { RATING_INDICATORS, ratedModel, ratingBody, ratingWord } from "../../core/services.js";
import { api, ensureSignedIn } from "../../session.js";

// 好差评: five scores and a comment, for a finished case, a checked-in appointment or a
// paid order (the rating invitation opens this page). A bad rating shows the rectification.
Page({
  data: { type: "case", ref: "", indicators: RATING_INDICATORS, scores: {}, words: {}, comment: "", rated: null, error: "" },
  onLoad: function (query) {
    this.setData({ type: query.type || "case", ref: query.ref || "" });
  },
  onScore: function (e) {
    const key = e.currentTarget.dataset.key;
    const score = Number(e.currentTarget.dataset.score);
    const scores = Object.assign({}, this.data.scores);
    const words = Object.assign({}, this.data.words);
    scores[key] = score;
    words[key] = ratingWord(score);
    this.setData({ scores: scores, words: words });
  },
  onComment: function (e) {
    this.setData({ comment: e.detail.value });
  },
  onSubmit: async function () {
    const built = ratingBody(this.data.type, this.data.ref, this.data.scores, this.data.comment);
    if (built.error) return this.setData({ error: built.error });
    try {
      await ensureSignedIn();
      this.setData({ rated: ratedModel(await api.rate(built.body)), error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
});

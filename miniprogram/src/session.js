// The API client of this mini-program, built from the build's config and the platform host.

import { createApi } from "./core/api.js";
import { PREFS_KEY, displayPrefs } from "./core/logic.js";
import { config } from "./config.js";
import { host } from "./host.js";

export const api = createApi({
  base: config.apiBase,
  transport: host.transport,
  download: host.download,
  upload: host.upload,
  store: host.store,
});

export async function signIn() {
  const code = await host.login();
  const session = await api.signIn(host.channel, code);
  rememberDisplay(session.citizen);
  return session;
}

// Pages that need a resident call this first; it signs in silently (the platforms' login
// calls need no tap) and answers the citizen.
export async function ensureSignedIn() {
  if (api.signedIn()) {
    try {
      const citizen = await api.me();
      rememberDisplay(citizen);
      return citizen;
    } catch (error) {
      if (error.code !== "UNAUTHENTICATED" && error.code !== "TOKEN_INVALID") throw error;
    }
  }
  return (await signIn()).citizen;
}

// 长辈版 and the text scale. The server's copy (the citizen's preferences) is remembered on
// the device whenever the citizen is read, so every page, signed in or not, shows the
// mode without waiting for the network.
export function display() {
  const p = displayPrefs(null, host.store.get(PREFS_KEY));
  return { elder: p.elder, scale: p.scale, cls: (p.elder ? "elder " : "") + "scale-" + p.scale };
}

export function rememberDisplay(citizen) {
  if (citizen && citizen.preferences && citizen.preferences.chosen) {
    host.store.set(PREFS_KEY, JSON.stringify(displayPrefs(citizen, null)));
  }
  return display();
}

export async function chooseDisplay(prefs) {
  host.store.set(PREFS_KEY, JSON.stringify({ elder: Boolean(prefs.elder), scale: prefs.scale || 100 }));
  if (api.signedIn()) {
    rememberDisplay(await api.setPreferences({ elder_mode: Boolean(prefs.elder), text_scale: prefs.scale || 100 }));
  }
  return display();
}

// Every page is built with this: `display` in its data (the root view's class) refreshed
// on each show, and `notify` that says a message inline in 长辈版 (no pop-ups) and as the
// platform's toast otherwise.
export function withDisplay(def) {
  const onShow = def.onShow;
  return Object.assign({}, def, {
    data: Object.assign({ display: display(), said: "" }, def.data),
    onShow: function () {
      this.setData({ display: display() });
      return onShow ? onShow.apply(this, arguments) : undefined;
    },
    notify: function (message, modal) {
      if (this.data.display && this.data.display.elder) this.setData({ said: message });
      else if (modal) host.alert(message);
      else host.toast(message);
    },
  });
}

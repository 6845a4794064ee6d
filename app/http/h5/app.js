// Boot and routing of the H5 shell. Views live in views.js; page logic in /h5/core/.

import { createApi } from "./core/api.js";
import { PREFS_KEY, displayPrefs, elderOffer, prefsChangedMessage } from "./core/logic.js";
import { host } from "./host.js";
import { views } from "./views.js";

const main = document.getElementById("main");
const title = document.getElementById("title");
const back = document.getElementById("back");
const status = document.getElementById("status");

const api = createApi({ base: location.origin, transport: host.transport, store: host.store, download: host.download, upload: host.upload });
let config = { channel: "app", region: "330100", demo: false };

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || "home", arg: parts[1], params: params };
}

// Pages that need a signed-in resident send them to the sign-in page and back.
const PUBLIC = { home: true, services: true, search: true, login: true, webview: true, item: true, settings: true, bundles: true };

// 长辈版 and the text scale: classes on <html> that the shared tokens in h5.css follow.
let prefs = displayPrefs(null, host.store.get(PREFS_KEY));

function applyPrefs(next) {
  prefs = { elder: Boolean(next.elder), scale: next.scale || 100 };
  const root = document.documentElement;
  root.classList.toggle("elder", prefs.elder);
  [125, 150, 175, 200].forEach(function (n) {
    root.classList.toggle("scale-" + n, prefs.scale === n);
  });
  host.store.set(PREFS_KEY, JSON.stringify(prefs));
  const link = document.getElementById("settings-link");
  link.textContent = prefs.elder ? "设置" : "长辈版";
  link.setAttribute("aria-label", prefs.elder ? "设置：长辈版与字号" : "切换长辈版与字号");
}

// The server's copy follows the citizen across channels; a choice made on this device
// before signing in is kept and sent up when the server has none yet.
async function adoptCitizen(citizen) {
  const chosen = citizen && citizen.preferences && citizen.preferences.chosen;
  if (chosen) {
    const before = JSON.stringify(prefs);
    applyPrefs(displayPrefs(citizen, null));
    return JSON.stringify(prefs) !== before;
  } else if (host.store.get(PREFS_KEY + ".chosen")) {
    await savePrefs(prefs);
  } else if (elderOffer(citizen)) {
    sessionStorage.setItem("yiwang.elder-offer", "1");
  }
}

async function savePrefs(next) {
  applyPrefs(next);
  host.store.set(PREFS_KEY + ".chosen", "1");
  sessionStorage.removeItem("yiwang.elder-offer");
  if (api.signedIn()) {
    await api.setPreferences({ elder_mode: prefs.elder, text_scale: prefs.scale });
  }
  return prefsChangedMessage(prefs);
}

// Inline at the top of the page after sign-in, never a pop-up; either answer is final.
function showOffer() {
  if (!sessionStorage.getItem("yiwang.elder-offer") || !api.signedIn()) return;
  const offer = elderOffer({ elder_mode_offer: true });
  const box = document.createElement("section");
  box.className = "offer";
  box.id = "elder-offer";
  box.setAttribute("aria-labelledby", "elder-offer-title");
  box.innerHTML =
    '<h2 id="elder-offer-title">长辈版</h2><p>' + offer.text + '</p><div class="row">' +
    '<button type="button" class="primary" id="offer-accept">' + offer.accept + "</button>" +
    '<button type="button" id="offer-decline">' + offer.decline + "</button></div>";
  main.prepend(box);
  function answer(elder) {
    return async function () {
      try {
        const message = await savePrefs({ elder: elder, scale: prefs.scale });
        box.remove();
        await render();
        say(message + "可在右上角“" + (elder ? "设置" : "长辈版") + "”中随时更改。", "ok");
      } catch (error) {
        say(error && error.message ? error.message : "系统开小差了，请稍后再试。", "error");
      }
    };
  }
  box.querySelector("#offer-accept").addEventListener("click", answer(true));
  box.querySelector("#offer-decline").addEventListener("click", answer(false));
}

export function say(message, tone) {
  status.textContent = message || "";
  status.className = message ? "status " + (tone || "info") : "status";
}

export function go(path) {
  location.hash = "#" + path;
}

// The resident-service pages and the release screen come in modules of their own, fetched
// the first time one opens, so the home page stays light on a slow network.
const SERVICE_ROUTES = ["item", "apply", "cases", "case", "licences", "rate", "hotline", "ticket", "company", "payables", "orders"];
let services = null;
let releaseView = null;
// 一件事: its own module, loaded the first time one of its routes opens.
const BUNDLE_ROUTES = ["bundles", "bundle", "bundle-case"];
let bundleViews = null;

async function viewFor(name) {
  if (views[name]) return views[name];
  if (name === "release") {
    if (!releaseView) releaseView = (await import("./release-view.js")).release;
    return releaseView;
  }
  if (BUNDLE_ROUTES.indexOf(name) >= 0) {
    if (!bundleViews) bundleViews = (await import("./bundles.js")).views;
    return bundleViews[name];
  }
  if (SERVICE_ROUTES.indexOf(name) < 0) return views.home;
  if (!services) services = (await import("./services.js")).views;
  return services[name];
}

async function render() {
  const route = parseHash();
  const view = await viewFor(route.name);
  say("");
  if (!PUBLIC[route.name] && !api.signedIn()) {
    sessionStorage.setItem("yiwang.after-login", location.hash || "#/");
    go("/login");
    return;
  }
  back.hidden = route.name === "home";
  main.setAttribute("aria-busy", "true");
  const ctx = {
    api: api, host: host, config: config, route: route, say: say, go: go, setTitle: setTitle,
    prefs: function () { return prefs; }, savePrefs: savePrefs, adoptCitizen: adoptCitizen,
  };
  try {
    await view(main, ctx);
    showOffer();
  } catch (error) {
    if (error && (error.code === "UNAUTHENTICATED" || error.code === "TOKEN_INVALID")) {
      go("/login");
    }
    say(error && error.message ? error.message : "系统开小差了，请稍后再试。", "error");
  } finally {
    main.removeAttribute("aria-busy");
    main.focus({ preventScroll: true });
  }
  document.querySelectorAll("nav.tabs a").forEach(function (a) {
    if (a.dataset.tab === route.name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
}

function setTitle(text) {
  title.textContent = text;
  document.title = text + " · 一网通办";
}

back.addEventListener("click", function () {
  if (history.length > 1) history.back();
  else go("/");
});

applyPrefs(prefs);

async function boot() {
  try {
    config = await (await fetch("/h5/config.json")).json();
  } catch (e) {
    /* defaults */
  }
  // The provincial app opens its H5 pages with an SSO ticket in the query string.
  const ticket = new URLSearchParams(location.search).get("ticket");
  if (ticket) {
    try {
      await adoptCitizen((await api.signIn("app", ticket)).citizen);
    } catch (error) {
      say(error.message, "error");
    }
    history.replaceState(null, "", location.pathname + location.hash);
  } else if (api.signedIn()) {
    // Chosen on another channel since this device last looked: the server's copy wins.
    api.me().then(adoptCitizen).then(function (changed) {
      if (changed) render();
    }, function () {});
  }
  window.addEventListener("hashchange", render);
  render();
}

boot();

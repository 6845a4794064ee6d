// Boot and routing of the H5 shell. Views live in views.js; page logic in /h5/core/.

import { createApi } from "./core/api.js";
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
const PUBLIC = { home: true, search: true, login: true, webview: true, item: true };

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

async function viewFor(name) {
  if (views[name]) return views[name];
  if (name === "release") {
    if (!releaseView) releaseView = (await import("./release-view.js")).release;
    return releaseView;
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
  const ctx = { api: api, host: host, config: config, route: route, say: say, go: go, setTitle: setTitle };
  try {
    await view(main, ctx);
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
      await api.signIn("app", ticket);
    } catch (error) {
      say(error.message, "error");
    }
    history.replaceState(null, "", location.pathname + location.hash);
  }
  window.addEventListener("hashchange", render);
  render();
}

boot();

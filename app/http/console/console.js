// The operator console: plain DOM, the operator API, a token in sessionStorage.
"use strict";

const API = "/api/v1/operator";
const $ = (sel) => document.querySelector(sel);
let token = sessionStorage.getItem("yiwang-operator-token");

function say(text, ok) {
  const m = $("#message");
  m.textContent = text;
  m.className = ok ? "ok" : "error";
}

async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = r.status === 204 ? {} : await r.json();
  if (!r.ok) {
    if (r.status === 401 && path !== "/sessions") showLogin();
    const problems = data.details && data.details.problems
      ? " — " + data.details.problems.map((p) => p.field + ": " + p.problem).join("; ")
      : "";
    throw new Error((data.code || r.status) + ": " + (data.message || "") + problems);
  }
  return data;
}

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  row.appendChild(td);
  return td;
}

function button(label, id, action) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.id = id;
  b.addEventListener("click", async () => {
    try { await action(); } catch (err) { say(err.message, false); }
  });
  return b;
}

function showLogin() {
  token = null;
  sessionStorage.removeItem("yiwang-operator-token");
  $("#login-view").hidden = false;
  $("#app-view").hidden = true;
  $("#who").hidden = true;
}

async function showApp() {
  const me = await call("GET", "/me");
  $("#who-name").textContent = me.username + " (" + me.role + ")";
  $("#who").hidden = false;
  $("#login-view").hidden = true;
  $("#app-view").hidden = false;
  await openTab("items");
}

const loaders = {
  async items() {
    const q = $("#item-q").value.trim();
    const data = await call("GET", "/items" + (q ? "?q=" + encodeURIComponent(q) : ""));
    const body = $("#items-body");
    body.replaceChildren();
    for (const it of data.items) {
      const tr = document.createElement("tr");
      [it.code, it.name, it.department, it.region, it.online_level, it.status].forEach((v) => cell(tr, v));
      body.appendChild(tr);
    }
  },
  async miniapps() {
    const data = await call("GET", "/miniapps");
    const body = $("#miniapps-body");
    body.replaceChildren();
    for (const app of data.miniapps) {
      const tr = document.createElement("tr");
      tr.id = "miniapp-" + app.id;
      [app.id, app.name, app.release, app.live_version, app.grey_regions.join(", ")].forEach((v) => cell(tr, v));
      const latest = app.latest;
      cell(tr, latest ? "v" + latest.number + " " + latest.status : "");
      const actions = document.createElement("div");
      actions.className = "actions";
      if (latest && latest.status === "approved") {
        const regions = document.createElement("input");
        regions.id = "regions-" + app.id;
        regions.placeholder = "grey regions, e.g. 330100 (empty = everywhere)";
        regions.size = 30;
        actions.appendChild(regions);
        actions.appendChild(button("Publish v" + latest.number, "publish-" + app.id, async () => {
          const list = regions.value.split(/[ ,，]+/).filter(Boolean);
          await call("POST", "/miniapps/" + app.id + "/versions/" + latest.number + "/publish",
            { regions: list.length ? list : null });
          say("Published " + app.id + " v" + latest.number + (list.length ? " to " + list.join(", ") : " everywhere"), true);
          await loaders.miniapps();
        }));
      }
      if (app.release === "grey") {
        actions.appendChild(button("Release everywhere", "release-" + app.id, async () => {
          await call("POST", "/miniapps/" + app.id + "/release", { regions: null });
          say("Released " + app.id + " everywhere", true);
          await loaders.miniapps();
        }));
      }
      if (app.stable_version && app.release !== "disabled") {
        actions.appendChild(button("Roll back to v" + app.stable_version, "rollback-" + app.id, async () => {
          await call("POST", "/miniapps/" + app.id + "/rollback");
          say("Rolled back " + app.id, true);
          await loaders.miniapps();
        }));
      }
      if (app.release === "grey" || app.release === "full") {
        actions.appendChild(button("Disable", "disable-" + app.id, async () => {
          await call("POST", "/miniapps/" + app.id + "/disable", { reason: "disabled from the console" });
          say("Disabled " + app.id, true);
          await loaders.miniapps();
        }));
      }
      tr.appendChild(document.createElement("td")).appendChild(actions);
      body.appendChild(tr);
    }
  },
  async reviews() {
    const data = await call("GET", "/reviews");
    const body = $("#reviews-body");
    body.replaceChildren();
    for (const v of data.pending) {
      const tr = document.createElement("tr");
      tr.id = "review-" + v.miniapp_id + "-" + v.number;
      [v.miniapp_id, v.number, v.manifest.name, v.manifest.regions.join(", "), v.manifest.channels.join(", ")]
        .forEach((x) => cell(tr, x));
      const td = document.createElement("td");
      const reason = document.createElement("input");
      reason.placeholder = "reason (required to reject)";
      reason.id = "reason-" + v.miniapp_id;
      td.appendChild(reason);
      for (const decision of ["approve", "reject"]) {
        td.appendChild(button(decision === "approve" ? "Approve" : "Reject", decision + "-" + v.miniapp_id, async () => {
          await call("POST", "/miniapps/" + v.miniapp_id + "/versions/" + v.number + "/review",
            { decision, reason: reason.value });
          say((decision === "approve" ? "Approved " : "Rejected ") + v.miniapp_id + " v" + v.number, true);
          await loaders.reviews();
        }));
      }
      tr.appendChild(td);
      body.appendChild(tr);
    }
  },
  async audit() {
    const data = await call("GET", "/audit?limit=200");
    const body = $("#audit-body");
    body.replaceChildren();
    for (const e of data.entries) {
      const tr = document.createElement("tr");
      [e.at, e.operator, e.action, e.subject_type + " " + e.subject_id, e.reason].forEach((v) => cell(tr, v));
      const pre = document.createElement("pre");
      pre.textContent = JSON.stringify({ before: e.before, after: e.after }, null, 1).slice(0, 600);
      tr.appendChild(document.createElement("td")).appendChild(pre);
      body.appendChild(tr);
    }
  },
  async analytics() {
    const data = await call("GET", "/search-analytics");
    const box = $("#analytics-body");
    box.replaceChildren();
    const summary = document.createElement("p");
    summary.textContent = "Searches: " + data.total + " · without results: " + data.without_results;
    box.appendChild(summary);
    for (const [title, rows] of [["Top keywords", data.top], ["Found nothing", data.zero_hit]]) {
      const h = document.createElement("h3");
      h.textContent = title;
      box.appendChild(h);
      const table = document.createElement("table");
      for (const r of rows) {
        const tr = document.createElement("tr");
        cell(tr, r.keyword);
        cell(tr, r.searches);
        table.appendChild(tr);
      }
      box.appendChild(table);
    }
  },
  async parity() {
    const data = await call("GET", "/parity");
    const box = $("#parity-body");
    box.replaceChildren();
    const p = document.createElement("p");
    p.textContent = (data.ok ? "OK" : "UNEXPLAINED DIFFERENCES") + " · differences: " + data.differences + " · unexplained: " + data.unexplained;
    box.appendChild(p);
    const table = document.createElement("table");
    for (const region of data.regions) {
      for (const d of region.differences.concat(region.unexplained)) {
        const tr = document.createElement("tr");
        [region.region, d.kind, d.id, d.name || "", d.channel || "", d.reason || d.problem].forEach((v) => cell(tr, v));
        table.appendChild(tr);
      }
    }
    box.appendChild(table);
  },
};

async function openTab(name) {
  document.querySelectorAll(".tab").forEach((t) => { t.hidden = t.id !== "tab-" + name; });
  document.querySelectorAll("nav button").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
  try { await loaders[name](); } catch (err) { say(err.message, false); }
}

function manifestFromTextarea() {
  try { return JSON.parse($("#manifest").value); } catch (err) { throw new Error("The manifest is not valid JSON: " + err.message); }
}

$("#login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    const data = await call("POST", "/sessions", { username: $("#login-username").value, password: $("#login-password").value });
    token = data.token;
    sessionStorage.setItem("yiwang-operator-token", token);
    say("Signed in as " + data.operator.username, true);
    await showApp();
  } catch (err) { say(err.message, false); }
});
$("#logout").addEventListener("click", async () => {
  try { await call("DELETE", "/sessions/current"); } catch (err) { /* already signed out */ }
  showLogin();
  say("Signed out", true);
});
$("#item-search").addEventListener("submit", (ev) => { ev.preventDefault(); openTab("items"); });
document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => openTab(b.dataset.tab)));
$("#validate").addEventListener("click", async () => {
  try { await call("POST", "/miniapps/validate", { manifest: manifestFromTextarea() }); say("The manifest is valid", true); }
  catch (err) { say(err.message, false); }
});
$("#submit-manifest").addEventListener("click", async () => {
  try {
    const v = await call("POST", "/miniapps", { manifest: manifestFromTextarea() });
    say("Submitted " + v.miniapp_id + " v" + v.number + " for review", true);
    await loaders.miniapps();
  } catch (err) { say(err.message, false); }
});

if (token) { showApp().catch(() => showLogin()); } else { showLogin(); }

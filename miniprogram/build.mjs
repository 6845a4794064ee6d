#!/usr/bin/env node
// Builds the WeChat or Alipay mini-program from the one source in src/.
//
//   node build.mjs --channel wechat|alipay [--env demo|prod] [--api-base URL]
//                  [--app-id ID] [--region 330100] [--out DIR]
//
// Source is written once: page templates in WXML syntax (index.xml), styles (index.css),
// page logic as ES modules over src/core/ (shared with the app's H5 shell) and a host per
// platform (src/platform/). The build turns them into each platform's dialect:
// wxml/wxss vs axml/acss, wx:if vs a:if, bindtap vs onTap, and CommonJS modules, which
// both platforms load without an npm build step.

import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const SRC = join(HERE, "src");

export const CHANNELS = {
  wechat: {
    template: "wxml",
    style: "wxss",
    projectFile: "project.config.json",
  },
  alipay: {
    template: "axml",
    style: "acss",
    projectFile: "mini.project.json",
  },
};

// WXML → AXML: directives and event bindings. Alipay's events are camel-cased on*.
const ALIPAY_ATTRIBUTES = [
  [/\bwx:(if|elif|else|for|for-item|for-index|key)\b/g, "a:$1"],
  [/\bbindtap=/g, "onTap="],
  [/\bcatchtap=/g, "catchTap="],
  [/\bbindinput=/g, "onInput="],
  [/\bbindconfirm=/g, "onConfirm="],
  [/\bbindchange=/g, "onChange="],
  [/\bbindsubmit=/g, "onSubmit="],
  [/\bbindblur=/g, "onBlur="],
];

export function toTemplate(source, channel) {
  if (channel === "wechat") return source;
  return ALIPAY_ATTRIBUTES.reduce((text, [pattern, to]) => text.replace(pattern, to), source);
}

// The house style of src/ keeps this transform simple: named imports of relative files,
// and `export` in front of top-level function / const / class declarations.
export function toCommonJs(source, file) {
  const exported = [];
  let out = source.replace(
    /^import\s*\{([^}]*)\}\s*from\s*"([^"]+)";?$/gm,
    (_, names, from) => `const {${names}} = require("${from}");`
  );
  out = out.replace(
    /^export\s+(async\s+function|function|const|let|class)\s+([A-Za-z_$][\w$]*)/gm,
    (_, kind, name) => {
      exported.push(name);
      return `${kind} ${name}`;
    }
  );
  if (/^\s*(import|export)\b/m.test(out)) {
    throw new Error(`${file}: only named imports and exported declarations are supported`);
  }
  if (exported.length) out += `\nmodule.exports = { ${exported.join(", ")} };\n`;
  return out;
}

function pageTitle(json) {
  return JSON.parse(json).title || "一网通办";
}

function appJson(channel, pages) {
  const paths = pages.map((name) => `pages/${name}/index`);
  if (channel === "wechat") {
    return {
      pages: paths,
      window: {
        navigationBarTitleText: "一网通办",
        navigationBarBackgroundColor: "#1659c7",
        navigationBarTextStyle: "white",
        backgroundColor: "#f4f6f9",
      },
      style: "v2",
      sitemapLocation: "sitemap.json",
    };
  }
  return {
    pages: paths,
    window: { defaultTitle: "一网通办", titleBarColor: "#1659c7" },
  };
}

function pageJson(channel, title) {
  return channel === "wechat" ? { navigationBarTitleText: title } : { defaultTitle: title };
}

function projectFile(channel, settings) {
  if (channel === "wechat") {
    return {
      appid: settings.appId,
      projectname: "yiwang-" + settings.env,
      compileType: "miniprogram",
      miniprogramRoot: "",
      setting: { es6: true, enhance: true, minified: true, urlCheck: settings.env === "prod" },
    };
  }
  return {
    format: 2,
    compileType: "mini",
    compileOptions: { component2: true, typescript: false },
    uploadExclude: ["yiwang-build.json"],
  };
}

function write(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

function jsFiles(dir) {
  return readdirSync(dir).filter((name) => name.endsWith(".js"));
}

export function build(options) {
  const channel = options.channel;
  const kind = CHANNELS[channel];
  if (!kind) throw new Error("--channel is wechat or alipay");
  const settings = {
    channel,
    env: options.env || "demo",
    apiBase: (options.apiBase || "http://127.0.0.1:8000").replace(/\/+$/, ""),
    appId: options.appId || "",
    region: options.region || "330100",
  };
  if (!["demo", "prod"].includes(settings.env)) throw new Error("--env is demo or prod");
  if (settings.env === "prod" && !settings.apiBase.startsWith("https://")) {
    throw new Error("a prod package needs an https:// API base (both platforms refuse plain http)");
  }
  if (settings.env === "prod" && !settings.appId) throw new Error("a prod package needs --app-id");
  const out = options.out || join(HERE, "dist", channel);
  rmSync(out, { recursive: true, force: true });

  const convert = (path) => toCommonJs(readFileSync(path, "utf8"), relative(HERE, path));
  for (const name of jsFiles(join(SRC, "core"))) {
    write(join(out, "core", name), convert(join(SRC, "core", name)));
  }
  write(join(out, "host.js"), convert(join(SRC, "platform", channel + ".js")));
  write(join(out, "session.js"), convert(join(SRC, "session.js")));
  write(
    join(out, "config.js"),
    "// Written by the build; change the settings and rebuild, never this file.\n" +
      "const config = " +
      JSON.stringify(settings, null, 2) +
      ";\nmodule.exports = { config };\n"
  );
  write(join(out, "app.js"), readFileSync(join(SRC, "app.js"), "utf8"));
  write(join(out, "app." + kind.style), readFileSync(join(SRC, "app.css"), "utf8"));

  const pages = readdirSync(join(SRC, "pages"))
    .filter((name) => statSync(join(SRC, "pages", name)).isDirectory())
    .sort((a, b) => (a === "home" ? -1 : b === "home" ? 1 : a.localeCompare(b)));
  for (const page of pages) {
    const from = join(SRC, "pages", page, "index");
    const to = join(out, "pages", page, "index");
    write(`${to}.${kind.template}`, toTemplate(readFileSync(`${from}.xml`, "utf8"), channel));
    write(`${to}.${kind.style}`, readFileSync(`${from}.css`, "utf8"));
    write(`${to}.js`, convert(`${from}.js`));
    const title = pageTitle(readFileSync(`${from}.json`, "utf8"));
    write(`${to}.json`, JSON.stringify(pageJson(channel, title), null, 2) + "\n");
  }
  write(join(out, "app.json"), JSON.stringify(appJson(channel, pages), null, 2) + "\n");
  write(join(out, kind.projectFile), JSON.stringify(projectFile(channel, settings), null, 2) + "\n");
  if (channel === "wechat") {
    write(join(out, "sitemap.json"), JSON.stringify({ rules: [{ action: "allow", page: "*" }] }) + "\n");
  }
  const files = listFiles(out);
  const manifest = {
    ...settings,
    pages: pages.map((p) => `pages/${p}/index`),
    files: Object.fromEntries(
      files.map((f) => [f, createHash("sha256").update(readFileSync(join(out, f))).digest("hex").slice(0, 16)])
    ),
  };
  write(join(out, "yiwang-build.json"), JSON.stringify(manifest, null, 2) + "\n");
  return { out, settings, pages };
}

export function listFiles(dir, base = dir) {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFiles(path, base) : [relative(base, path)];
    })
    .sort();
}

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "").replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    options[key] = argv[i + 1];
  }
  return options;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const result = build(parseArgs(process.argv.slice(2)));
    console.log(JSON.stringify({ out: result.out, ...result.settings, pages: result.pages.length }));
  } catch (error) {
    console.error("build: " + error.message);
    process.exit(2);
  }
}

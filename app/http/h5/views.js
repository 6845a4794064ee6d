// The H5 shell's pages: DOM built from the shared page logic (/h5/core/logic.js).

import {
  ELDER_HOME,
  TEXT_SCALES,
  appointmentRows,
  bookingRefusal,
  cleanPaymentCode,
  homeModel,
  noticeModel,
  orderLines,
  pay,
  receiptModel,
  receiptRows,
  searchResults,
  slotRows,
  verificationLabel,
  violationRows,
  waitForReceipt,
} from "./core/logic.js";
import { datesAfter, yuanLabel } from "./core/format.js";
import { residentMessage } from "./core/errors.js";

export function esc(value) {
  return String(value === undefined || value === null ? "" : value).replace(/[&<>"']/g, function (c) {
    return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
  });
}

export function on(root, selector, event, handler) {
  root.querySelectorAll(selector).forEach(function (el) {
    el.addEventListener(event, handler);
  });
}

const SHORTCUTS = [
  ["/appointments", "预约办事", "挂号、大厅预约"],
  ["/violations", "交通违法", "查询与缴款"],
  ["/notices", "缴款通知书", "非税缴款"],
  ["/receipts", "我的票据", "电子票据"],
  ["/payables", "我的待缴", "一键缴款"],
  ["/cases", "我的办件", "进度与补正"],
  ["/bundles", "一件事", "一次提交办成"],
  ["/hotline", "12345", "咨询投诉举报"],
  ["/company", "单位办事", "法人与经办人"],
];

const SEARCH_FORM =
  '<form class="search" role="search" id="search-form"><label for="q" class="sr">搜索服务</label><input id="q" name="q" type="search" placeholder="搜索服务，如：社保、挂号" maxlength="64"><button type="submit">搜索</button></form>';

function onSearch(main, ctx) {
  on(main, "#search-form", "submit", function (e) {
    e.preventDefault();
    const q = main.querySelector("#q").value.trim();
    if (q) ctx.go("/search?q=" + encodeURIComponent(q));
  });
}

// 长辈版 home: the four things used most, as large buttons; everything else one tap away.
async function home(main, ctx) {
  if (!ctx.prefs().elder) return services(main, ctx);
  ctx.setTitle("一网通办 · 长辈版");
  main.innerHTML =
    SEARCH_FORM +
    '<ul class="big-buttons" id="elder-home">' + ELDER_HOME.map(function (b) {
      return '<li><a href="#' + b.h5 + '" data-key="' + b.key + '">' + b.name + "<small>" + b.note + "</small></a></li>";
    }).join("") + "</ul>" +
    '<div class="row"><a class="button" href="#/services">全部服务</a><a class="button" href="#/settings">设置：字号与长辈版</a></div>';
  onSearch(main, ctx);
}

async function services(main, ctx) {
  ctx.setTitle("一网通办");
  const model = homeModel(await ctx.api.catalog(ctx.config.channel, ctx.config.region));
  const apps = model.miniapps
    .map(function (m) {
      const href = m.target.kind === "h5"
        ? "#/webview?url=" + encodeURIComponent(m.target.url) + "&name=" + encodeURIComponent(m.name)
        : "#/" + m.target.page + (m.target.query ? "?" + m.target.query : "");
      if (!m.available) {
        return '<li class="app off" data-miniapp="' + esc(m.id) + '"><span>' + esc(m.name) + '</span><small>' + esc(m.reason) + "</small></li>";
      }
      return '<li class="app" data-miniapp="' + esc(m.id) + '"><a href="' + esc(href) + '">' + esc(m.name) + "</a></li>";
    })
    .join("");
  const themes = model.themes
    .map(function (t) {
      return (
        "<section><h2>" + esc(t.theme) + '</h2><ul class="items">' +
        t.items
          .map(function (i) {
            return '<li class="' + (i.available ? "" : "off") + '"><a href="#/item/' + esc(i.code) + '"><span class="name">' + esc(i.name) + '</span><small>' + esc(i.department) + ' <span aria-label="网办星级">' + esc(i.stars) + "</span>" + (i.reason ? " · " + esc(i.reason) : "") + "</small></a></li>";
          })
          .join("") +
        "</ul></section>"
      );
    })
    .join("");
  main.innerHTML =
    SEARCH_FORM +
    '<p class="region">当前地区：' + esc(model.region) + "</p>" +
    '<ul class="shortcuts">' + SHORTCUTS.map(function (s) {
      return '<li><a href="#' + s[0] + '"><b>' + s[1] + "</b><small>" + s[2] + "</small></a></li>";
    }).join("") + "</ul>" +
    (apps ? '<section><h2>应用</h2><ul class="apps" id="miniapps">' + apps + "</ul></section>" : '<ul class="apps" id="miniapps"></ul>') +
    themes;
  onSearch(main, ctx);
}

// Settings: 长辈版 on or off and the text size, saved on the server when signed in.
async function settings(main, ctx) {
  ctx.setTitle("设置");
  function draw() {
    const p = ctx.prefs();
    main.innerHTML =
      '<section class="card" aria-labelledby="mode-title"><h2 id="mode-title">显示模式</h2>' +
      '<p>长辈版：字更大，对比更强，首页只留最常用的四个大按钮，没有弹窗。</p>' +
      '<div class="choices" role="group" aria-labelledby="mode-title">' +
      '<button type="button" class="mode" data-elder="0" aria-pressed="' + !p.elder + '">标准版</button>' +
      '<button type="button" class="mode" data-elder="1" aria-pressed="' + p.elder + '">长辈版</button></div>' +
      '<p id="mode-now">现在是：<b>' + (p.elder ? "长辈版" : "标准版") + "</b></p></section>" +
      '<section class="card" aria-labelledby="scale-title"><h2 id="scale-title">字号</h2>' +
      '<div class="choices" role="group" aria-labelledby="scale-title">' +
      TEXT_SCALES.map(function (t) {
        return '<button type="button" class="scale" data-scale="' + t.value + '" aria-pressed="' + (p.scale === t.value) + '">' + t.label + "</button>";
      }).join("") +
      '</div><p id="scale-now">现在的字号：<b>' + esc((TEXT_SCALES.find(function (t) { return t.value === p.scale; }) || TEXT_SCALES[0]).label) + "</b></p>" +
      "<p>" + (ctx.api.signedIn() ? "已记在您的账户里，换手机、在微信或支付宝里打开也一样。" : "已记在本机；登录后会记到您的账户里。") + "</p></section>";
    on(main, "button.mode", "click", function (e) {
      save({ elder: e.currentTarget.dataset.elder === "1", scale: ctx.prefs().scale });
    });
    on(main, "button.scale", "click", function (e) {
      save({ elder: ctx.prefs().elder, scale: Number(e.currentTarget.dataset.scale) });
    });
  }
  async function save(next) {
    try {
      const message = await ctx.savePrefs(next);
      draw();
      ctx.say(message, "ok");
    } catch (error) {
      draw();
      ctx.say(residentMessage(error), "error");
    }
  }
  draw();
}

async function search(main, ctx) {
  const q = ctx.route.params.get("q") || "";
  ctx.setTitle("搜索：" + q);
  const hits = searchResults(await ctx.api.search(q, ctx.config.channel, ctx.config.region));
  main.innerHTML = hits.length
    ? '<ul class="items">' + hits.map(function (h) {
        return '<li><a href="#/item/' + esc(h.code) + '"><span class="name">' + esc(h.name) + "</span><small>" + esc(h.department) + " " + esc(h.stars) + "</small></a></li>";
      }).join("") + "</ul>"
    : '<p class="empty">没有找到“' + esc(q) + "”相关的服务。</p>";
}

async function login(main, ctx) {
  ctx.setTitle("登录");
  const people = ctx.config.demo_people || [];
  main.innerHTML =
    '<p class="lead">请从浙里办 App 进入，将自动登录。</p>' +
    (people.length
      ? '<section class="demo" aria-label="演示环境"><h2>演示环境：沙箱登录</h2><p>此按钮仅在演示环境出现，模拟浙里办单点登录。</p>' +
        '<label for="person">演示居民</label><select id="person">' +
        people.map(function (p) {
          return '<option value="' + esc(p.user) + '">' + esc(p.name) + "（" + esc(p.user) + "）</option>";
        }).join("") +
        '</select><button type="button" id="sandbox-login" class="primary">沙箱登录（演示）</button></section>'
      : "");
  on(main, "#sandbox-login", "click", async function () {
    try {
      const answer = await fetch("/h5/demo/sso-ticket", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ user: main.querySelector("#person").value }),
      });
      const body = await answer.json();
      if (!answer.ok) throw { code: body.code };
      const session = await ctx.api.signIn("app", body.ticket);
      await ctx.adoptCitizen(session.citizen);
      const after = sessionStorage.getItem("yiwang.after-login") || "#/me";
      sessionStorage.removeItem("yiwang.after-login");
      location.hash = after;
    } catch (error) {
      ctx.say(residentMessage(error), "error");
    }
  });
}

async function me(main, ctx) {
  ctx.setTitle("我的");
  const citizen = await ctx.api.me();
  main.innerHTML =
    '<section class="card" id="identity"><h2>实名认证</h2>' +
    "<p>姓名：" + esc(citizen.name_masked) + "</p><p>证件号：" + esc(citizen.id_number_masked) + "</p>" +
    (citizen.verified
      ? '<p class="badge ok" id="verified">已实名 · 浙里办实名认证</p>'
      : '<p class="badge bad" id="verified">未实名</p><p>请在浙里办 App“我的—实名认证”中完成认证后再办理需实名的事项。</p>') +
    "</section>" +
    '<ul class="shortcuts"><li><a href="#/my-appointments"><b>我的预约</b></a></li><li><a href="#/receipts"><b>我的票据</b></a></li>' +
    '<li><a href="#/payables"><b>我的待缴</b></a></li><li><a href="#/orders"><b>我的订单</b></a></li><li><a href="#/cases"><b>我的办件</b></a></li><li><a href="#/bundles"><b>一件事</b></a></li>' +
    '<li><a href="#/licences"><b>电子证照</b></a></li><li><a href="#/hotline"><b>12345 诉求</b></a></li><li><a href="#/company"><b>单位办事</b></a></li>' +
    '<li><a href="#/settings"><b>设置</b><small>长辈版、字号</small></a></li></ul>' +
    '<button type="button" id="logout">退出登录</button>';
  on(main, "#logout", "click", async function () {
    await ctx.api.signOut();
    ctx.go("/");
  });
}

async function appointments(main, ctx) {
  ctx.setTitle("预约办事");
  const kind = ctx.route.params.get("kind") || "hall";
  const list = (await ctx.api.institutions(kind)).institutions || [];
  main.innerHTML =
    '<div class="seg" role="tablist"><a role="tab" href="#/appointments?kind=hall" aria-selected="' + (kind === "hall") + '">办事大厅</a><a role="tab" href="#/appointments?kind=clinic" aria-selected="' + (kind === "clinic") + '">医院挂号</a></div>' +
    '<ul class="items" id="institutions">' + list.map(function (i) {
      return '<li><a href="#/institution/' + i.id + '"><span class="name">' + esc(i.name) + "</span><small>" + esc(i.address || "") + "</small></a></li>";
    }).join("") + "</ul>" +
    '<a class="button" href="#/my-appointments">我的预约</a>';
}

async function institution(main, ctx) {
  // Without a chosen date the server answers the first day with a bookable slot: in the
  // evening, tomorrow's booking has closed and the page must not open on it.
  const answer = await ctx.api.slots(ctx.route.arg, ctx.route.params.get("date") || undefined);
  const date = answer.date;
  const dates = datesAfter(answer.today, 7);
  ctx.setTitle(answer.institution.name);
  const rows = slotRows(answer);
  main.innerHTML =
    '<div class="dates" role="tablist" aria-label="选择日期">' + dates.map(function (d) {
      return '<a role="tab" href="#/institution/' + esc(ctx.route.arg) + "?date=" + d.date + '" aria-selected="' + (d.date === date) + '">' + esc(d.label) + "</a>";
    }).join("") + "</div>" +
    (rows.length
      ? '<ul class="slots" id="slots">' + rows.map(function (s) {
          return '<li><div><b>' + esc(s.time) + "</b><small>" + esc(s.department) + " · " + esc(s.resource) + " · 余 " + s.remaining + " · " + esc(s.fee) + '</small><a class="release-link" href="#/release/' + s.id + "?institution=" + encodeURIComponent(ctx.route.arg) + "&date=" + date + '">放号与摇号</a></div><button type="button" class="primary book" data-slot="' + s.id + '"' + (s.bookable ? "" : " disabled") + ' aria-label="预约 ' + esc(s.time) + " " + esc(s.department) + '">' + (s.full ? "已满" : "预约") + "</button></li>";
        }).join("") + "</ul>"
      : '<p class="empty">这天没有可预约的号源。</p>');
  on(main, "button.book", "click", async function (e) {
    const button = e.currentTarget;
    button.disabled = true;
    try {
      const booking = await ctx.api.book(Number(button.dataset.slot));
      if (booking.payable) {
        const result = await pay(ctx.api, ctx.host, booking.payable);
        if (result.message) ctx.say(result.message, "error");
        return;
      }
      ctx.say("预约成功！请按时到场，凭签到码签到。", "ok");
      button.textContent = "已预约";
    } catch (error) {
      ctx.say(bookingRefusal(error), "error");
      button.disabled = false;
    }
  });
}

async function myAppointments(main, ctx) {
  ctx.setTitle("我的预约");
  // Each booking carries its place names: no institution lists to cross-reference.
  const rows = appointmentRows(await ctx.api.myAppointments(), []);
  main.innerHTML = rows.length
    ? '<ul class="items" id="my-appointments">' + rows.map(function (a) {
        return '<li><span class="name">' + esc(a.institution) + " " + esc(a.department) + "</span><small>" + esc(a.when) + " · " + esc(a.status) +
          (a.resource ? " · " + esc(a.resource) : "") + (a.address ? "<br>" + esc(a.address) : "") + "</small>" +
          (a.rateable ? '<a class="button" href="#/rate?type=appointment&ref=' + a.id + '">评价这次服务</a>' : "") +
          (a.active ? '<div class="row"><button type="button" class="code" data-id="' + a.id + '">签到码</button><button type="button" class="cancel" data-id="' + a.id + '">取消预约</button></div><div class="checkin" id="code-' + a.id + '"></div>' : "") + "</li>";
      }).join("") + "</ul>"
    : '<p class="empty">还没有预约。</p>';
  main.insertAdjacentHTML("beforeend", '<p><a class="button primary" href="#/appointments" id="new-booking">新的预约</a></p>');
  on(main, "button.code", "click", async function (e) {
    const id = e.currentTarget.dataset.id;
    const box = main.querySelector("#code-" + id);
    try {
      const [answer, image] = await Promise.all([
        ctx.api.checkInCode(id),
        ctx.api.checkInQr(id).catch(function () {
          return "";
        }),
      ]);
      const old = box.querySelector("img");
      if (old) URL.revokeObjectURL(old.src);
      box.innerHTML =
        (image ? '<img class="qr" alt="签到二维码" width="240" height="240" src="' + esc(image) + '">' : '<p class="meta">二维码加载失败，请向窗口出示下方签到码。</p>') +
        '<p class="code-text">签到号：' + esc(answer.desk_code || answer.code) + "（扫不出时，工作人员可输入）</p>";
    } catch (error) {
      box.innerHTML = "";
      ctx.say(residentMessage(error), "error");
    }
  });
  on(main, "button.cancel", "click", async function (e) {
    try {
      await ctx.api.cancelAppointment(e.currentTarget.dataset.id);
      ctx.say("已取消。", "ok");
      await myAppointments(main, ctx);
    } catch (error) {
      ctx.say(residentMessage(error), "error");
    }
  });
}

const PLATE_TYPES = [["02", "小型汽车"], ["52", "小型新能源汽车"], ["01", "大型汽车"], ["51", "大型新能源汽车"]];

async function violations(main, ctx) {
  ctx.setTitle("交通违法");
  main.innerHTML =
    '<form id="lookup" class="card"><label for="plate_type">号牌种类</label><select id="plate_type" name="plate_type">' +
    PLATE_TYPES.map(function (p) {
      return '<option value="' + p[0] + '">' + p[1] + "</option>";
    }).join("") +
    '</select><label for="plate_no">车牌号</label><input id="plate_no" name="plate_no" placeholder="如 浙A12345" autocomplete="off" required maxlength="8">' +
    '<label for="vin_tail">车架号后 6 位</label><input id="vin_tail" name="vin_tail" inputmode="text" maxlength="6" autocomplete="off">' +
    '<button type="submit" class="primary">查询</button></form><div id="results" aria-live="polite"></div>';
  const form = main.querySelector("#lookup");
  const results = main.querySelector("#results");
  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    try {
      const answer = await ctx.api.violations({
        plate_type: form.plate_type.value,
        plate_no: form.plate_no.value.trim().toUpperCase(),
        vin_tail: form.vin_tail.value.trim().toUpperCase(),
      });
      const rows = violationRows(answer);
      results.innerHTML = rows.length
        ? '<ul class="items" id="violations">' + rows.map(function (v) {
            return '<li data-violation="' + esc(v.id) + '"><span class="name">' + esc(v.behavior) + "</span><small>" + esc(v.when) + " · " + esc(v.place) + "</small>" +
              "<small>罚款 " + esc(v.fine) + (v.lateFee ? " + 滞纳金 " + esc(v.lateFee) : "") + " · 记 " + v.points + " 分 · " + esc(v.state) + "</small>" +
              (v.hint ? '<small class="hint">' + esc(v.hint) + "</small>" : "") +
              (v.payable ? '<button type="button" class="primary pay" data-decision="' + esc(v.decisionNo) + '">缴款 ' + esc(v.total) + "</button>" : "") + "</li>";
          }).join("") + "</ul>"
        : '<p class="empty">这辆车没有违法记录。</p>';
      on(results, "button.pay", "click", async function (ev) {
        ev.currentTarget.disabled = true;
        try {
          const result = await pay(ctx.api, ctx.host, { type: "violation", decision_no: ev.currentTarget.dataset.decision });
          if (result.message) ctx.say(result.message, "error");
        } catch (error) {
          ctx.say(residentMessage(error), "error");
          ev.currentTarget.disabled = false;
        }
      });
    } catch (error) {
      results.innerHTML = "";
      ctx.say(residentMessage(error), "error");
    }
  });
}

async function notices(main, ctx) {
  ctx.setTitle("缴款通知书");
  main.innerHTML =
    '<form id="notice-form" class="card"><label for="payment_code">缴款码（20 位数字）</label><input id="payment_code" inputmode="numeric" maxlength="24" autocomplete="off" required><button type="submit" class="primary">查询</button></form><div id="notice" aria-live="polite"></div>';
  const out = main.querySelector("#notice");
  main.querySelector("#notice-form").addEventListener("submit", async function (e) {
    e.preventDefault();
    try {
      const n = noticeModel(await ctx.api.notice(cleanPaymentCode(main.querySelector("#payment_code").value)));
      out.innerHTML =
        '<section class="card"><h2>' + esc(n.agency) + "</h2><p>缴款人：" + esc(n.payer) + "</p><p>缴款期限：" + esc(n.due) + "</p>" +
        '<ul class="lines">' + n.lines.map(function (l) {
          return "<li>" + esc(l.name) + " × " + l.quantity + "<b>" + esc(l.amount) + "</b></li>";
        }).join("") + "</ul><p>合计 <b>" + esc(n.amount) + "</b> · " + esc(n.status) + "</p>" +
        (n.payable ? '<button type="button" class="primary" id="pay-notice">缴款 ' + esc(n.amount) + "</button>" : "") + "</section>";
      on(out, "#pay-notice", "click", async function () {
        try {
          const result = await pay(ctx.api, ctx.host, { type: "notice", payment_code: n.paymentCode });
          if (result.message) ctx.say(result.message, "error");
        } catch (error) {
          ctx.say(residentMessage(error), "error");
        }
      });
    } catch (error) {
      out.innerHTML = "";
      ctx.say(residentMessage(error), "error");
    }
  });
}

async function order(main, ctx) {
  ctx.setTitle("支付结果");
  main.innerHTML = '<p class="lead" id="order-state">正在确认支付结果…</p>';
  const settled = await waitForReceipt(ctx.api, ctx.route.arg, { tries: 40, interval: 750 });
  const paid = settled.status === "PAID";
  main.innerHTML =
    '<section class="card"><h2 id="order-state">' + (paid ? "支付成功" : settled.status === "CLOSED" ? "订单已关闭" : "等待支付") + "</h2>" +
    "<p>" + esc(settled.description) + "</p>" +
    '<ul class="lines">' + orderLines(settled).map(function (l) {
      return "<li>" + esc(l.name) + "<b>" + esc(l.amount) + "</b></li>";
    }).join("") + "</ul><p>合计 <b>" + esc(yuanLabel(settled.amount_fen)) + "</b></p>" +
    (settled.receipt_no ? '<a class="button primary" id="open-receipt" href="#/receipt/' + esc(settled.receipt_no) + '">查看电子票据</a>' : paid ? "<p>电子票据开具中，稍后可在“我的票据”查看。</p>" : "") +
    "</section>";
}

async function receipts(main, ctx) {
  ctx.setTitle("我的票据");
  const rows = receiptRows(await ctx.api.myReceipts());
  main.innerHTML = rows.length
    ? '<ul class="items" id="receipts">' + rows.map(function (r) {
        return '<li><a href="#/receipt/' + esc(r.receiptNo) + '"><span class="name">' + esc(r.description) + "</span><small>" + esc(r.agency) + " · " + esc(r.date) + " · " + esc(r.amount) + (r.voided ? " · 已红冲" : "") + "</small></a></li>";
      }).join("") + "</ul>"
    : '<p class="empty">还没有电子票据。</p>';
}

async function receipt(main, ctx) {
  ctx.setTitle("电子票据");
  const r = receiptModel(await ctx.api.receipt(ctx.route.arg));
  main.innerHTML =
    '<section class="card receipt"><h2>浙江省非税收入电子票据</h2>' +
    '<p class="verify" id="verify-status" role="status">正在验真…</p>' +
    '<img id="qr" alt="票据二维码，可扫码验真" width="200" height="200">' +
    "<dl><dt>票据代码</dt><dd>" + esc(r.code) + "</dd><dt>票据号码</dt><dd>" + esc(r.number) + "</dd><dt>校验码</dt><dd>" + esc(r.checkCode) + "</dd>" +
    "<dt>交款人</dt><dd>" + esc(r.payer) + "</dd><dt>收款单位</dt><dd>" + esc(r.agency) + "</dd><dt>开票日期</dt><dd>" + esc(r.date) + "</dd></dl>" +
    '<ul class="lines">' + r.lines.map(function (l) {
      return "<li>" + esc(l.name) + "<b>" + esc(l.amount) + "</b></li>";
    }).join("") + "</ul><p>合计（大写）" + esc(r.amountUpper) + "　¥" + esc(r.amount) + "</p></section>";
  const qr = await fetch(ctx.api.url("/api/v1/receipts/" + encodeURIComponent(r.receiptNo) + "/qr.svg"), {
    headers: { Authorization: "Bearer " + ctx.api.token() },
  });
  if (qr.ok) main.querySelector("#qr").src = URL.createObjectURL(await qr.blob());
  const label = verificationLabel(await ctx.api.verifyReceipt({ qr: r.qr }));
  const el = main.querySelector("#verify-status");
  el.textContent = "验真结果：" + label.label;
  el.className = "verify " + label.tone;
}

async function webview(main, ctx) {
  const url = ctx.route.params.get("url") || "";
  ctx.setTitle(ctx.route.params.get("name") || "应用");
  if (!/^https:\/\//.test(url)) {
    ctx.say("这个应用的地址不安全，已阻止打开。", "error");
    return;
  }
  main.innerHTML = '<iframe class="webview" title="' + esc(ctx.route.params.get("name") || "应用") + '" src="' + esc(url) + '" sandbox="allow-scripts allow-forms allow-same-origin"></iframe>';
}


export const views = {
  home: home,
  services: services,
  settings: settings,
  search: search,
  login: login,
  me: me,
  appointments: appointments,
  institution: institution,
  "my-appointments": myAppointments,
  violations: violations,
  notices: notices,
  order: order,
  receipts: receipts,
  receipt: receipt,
  webview: webview,
};

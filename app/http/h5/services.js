// The H5 shell's resident-service pages (issue 27): item, apply, my cases, a case, e-licences,
// rating, 12345, company, 我的待缴 and my orders. Loaded by app.js only when one of these
// routes opens, so the home page does not carry them. Page logic: /h5/core/services.js.

import {
  ACTING_KEY,
  MAX_PHOTOS,
  RATING_INDICATORS,
  TICKET_KINDS,
  actingFor,
  agentRows,
  applyFormModel,
  caseModel,
  caseRows,
  categoryChoices,
  collectAttributes,
  collectForm,
  collectMaterials,
  formProblems,
  itemModel,
  legalPersonRows,
  licenceRows,
  orderRows,
  pageInfo,
  payableRows,
  ratedModel,
  ratingBody,
  ratingWord,
  ticketBody,
  ticketModel,
  ticketRows,
} from "./core/services.js";
import { pay } from "./core/logic.js";
import { messageFor, residentMessage } from "./core/errors.js";
import { esc, on } from "./views.js";

// ------------------------------------------------------------------ resident services
// 办事, 我的办件, 好差评, 12345, 法人, 我的待缴 and orders: the same page logic as the
// mini-programs (/h5/core/logic.js), drawn with the shared styles.

function fieldControl(f, id, value) {
  const common = ' id="' + id + '" name="' + esc(f.name || f.code) + '"' + (f.required ? " required" : "") + ' aria-describedby="' + id + '-hint"';
  if (f.control === "choice") {
    return "<select" + common + '><option value="">请选择</option>' + f.choices.map(function (c, i) {
      return '<option value="' + (f.values ? i : esc(c)) + '">' + esc(c) + "</option>";
    }).join("") + "</select>";
  }
  if (f.control === "switch") return '<input type="checkbox" class="check"' + common + ">";
  if (f.control === "textarea") return "<textarea" + common + ' maxlength="4000" rows="4"></textarea>';
  if (f.control === "date") return '<input type="date"' + common + ' value="' + esc(value || "") + '">';
  return '<input type="' + esc(f.html || "text") + '"' + (f.inputmode ? ' inputmode="' + esc(f.inputmode) + '"' : "") +
    (f.type === "id_number" ? ' autocomplete="off" pattern="[0-9]{17}[0-9Xx]"' : f.type === "phone" ? ' autocomplete="tel"' : "") +
    (f.maxlength ? ' maxlength="' + f.maxlength + '"' : "") + common + ">";
}

export function fieldsHtml(fields, prefix) {
  return fields.map(function (f) {
    const id = prefix + "-" + (f.name || f.code);
    if (f.info) return '<p class="meta" id="' + id + '-hint">' + esc(f.label) + "</p>";
    return '<div class="field"><label for="' + id + '">' + esc(f.label) + (f.required ? ' <span class="req" aria-label="必填">*</span>' : "") + "</label>" +
      fieldControl(f, id) + '<small class="meta" id="' + id + '-hint">' + esc(f.hint || "") + "</small></div>";
  }).join("");
}

export function readFields(root, fields, prefix) {
  const values = {};
  fields.forEach(function (f) {
    if (f.info) return;
    const el = root.querySelector("#" + prefix + "-" + (f.name || f.code));
    if (!el) return;
    values[f.name || f.code] = el.type === "checkbox" ? el.checked : el.value;
  });
  return values;
}

// A file input with its progress bar; answers the stored material.
export function uploadWith(ctx, input, bar) {
  const file = input.files && input.files[0];
  if (!file) return Promise.resolve(null);
  bar.hidden = false;
  bar.value = 0;
  return ctx.api.uploadMaterial({ blob: file, name: file.name }, function (percent) {
    bar.value = percent;
  }).finally(function () {
    bar.hidden = true;
  });
}

async function item(main, ctx) {
  const code = ctx.route.arg;
  const guide = await ctx.api.item(code).catch(function (error) {
    if (error.status === 404) return null;
    throw error;
  });
  const form = await ctx.api.applyForm(code).catch(function (error) {
    if (error.code === "ITEM_NOT_APPLICABLE") return null;
    throw error;
  });
  const licences = ctx.api.signedIn() ? await ctx.api.myLicences().catch(function () {
    return null;
  }) : null;
  const m = itemModel(guide, form, licences);
  ctx.setTitle(m.name || "办事指南");
  main.innerHTML =
    '<section class="card" id="guide"><h2>' + esc(m.name) + "</h2>" + (m.department ? '<p class="meta">' + esc(m.department) + "</p>" : "") +
    "<dl>" + m.facts.map(function (f) {
      return "<dt>" + esc(f.label) + "</dt><dd>" + esc(f.value) + "</dd>";
    }).join("") + "</dl></section>" +
    (m.checklist.length ? '<section class="card"><h2>要带的材料</h2><ul class="checklist" id="checklist">' + m.checklist.map(function (c) {
      return '<li class="' + (c.held ? "held" : "") + '"><span>' + (c.held ? "✓ " : "□ ") + esc(c.name) + "</span>" + (c.note ? '<small class="' + (c.held ? "ok" : "meta") + '">' + esc(c.note) + "</small>" : "") + "</li>";
    }).join("") + "</ul></section>" : "") +
    (m.places.length ? '<section class="card"><h2>办理地点</h2><ul class="lines">' + m.places.map(function (p) {
      return "<li><span><b>" + esc(p.name) + "</b><br><small>" + esc(p.detail) + "</small></span></li>";
    }).join("") + "</ul></section>" : "") +
    (m.faq.length ? '<section class="card"><h2>常见问题</h2><dl>' + m.faq.map(function (f) {
      return "<dt>问</dt><dd>" + esc(f.q) + "</dd><dt>答</dt><dd>" + esc(f.a) + "</dd>";
    }).join("") + "</dl></section>" : "") +
    (m.applicable ? '<a class="button primary" id="apply-link" href="#/apply/' + esc(code) + '">在线办理</a> ' : "") +
    '<a class="button" href="#/cases">我的办件</a> ' +
    '<a class="button" href="#/appointments?kind=hall">预约到窗口办理</a>';
}

async function apply(main, ctx) {
  const code = ctx.route.arg;
  const form = await ctx.api.applyForm(code);
  const guide = await ctx.api.item(code).catch(function () {
    return null;
  });
  const m = applyFormModel(form, await ctx.api.myLicences(), form.audience === "legal" ? await ctx.api.myLegalPersons() : null, guide);
  const acting = actingFor(ctx.host.store);
  ctx.setTitle(m.itemName);
  const chosen = {};
  main.innerHTML =
    '<form id="apply-form" class="card" novalidate><h2>' + esc(m.itemName) + "</h2>" + (m.timeLimit ? '<p class="meta">' + esc(m.timeLimit) + "</p>" : "") +
    (m.legal ? '<div class="field"><label for="acting">以哪家单位的名义申请 <span class="req">*</span></label><select id="acting" required><option value="">请选择单位</option>' + m.legalPersons.map(function (lp) {
      return '<option value="' + esc(lp.uscc) + '"' + (acting && acting.uscc === lp.uscc ? " selected" : "") + ">" + esc(lp.name) + "（" + esc(lp.role) + "）</option>";
    }).join("") + "</select></div>" : "") +
    fieldsHtml(m.fields, "f") +
    (m.materials.length ? "<h2>申请材料</h2>" : "") +
    m.materials.map(function (mat, i) {
      return '<fieldset class="material" data-name="' + esc(mat.name) + '"><legend>' + esc(mat.name) + (mat.required ? ' <span class="req">*</span>' : "") + "</legend>" +
        (mat.hint ? '<p class="meta">' + esc(mat.hint) + "</p>" : "") +
        '<label for="m-' + i + '">拍照或选择文件（JPG、PNG、PDF）</label><input type="file" id="m-' + i + '" accept="image/*,application/pdf" capture="environment" data-name="' + esc(mat.name) + '">' +
        '<progress max="100" value="0" hidden aria-label="上传进度"></progress><p class="meta state" role="status"></p>' +
        (mat.licenceId ? '<button type="button" class="use-licence" data-name="' + esc(mat.name) + '" data-id="' + mat.licenceId + '">用电子证照（免提交）：' + esc(mat.licenceTitle) + "</button>" : "") +
        "</fieldset>";
    }).join("") +
    '<button type="submit" class="primary" id="submit-apply">提交申请</button></form>';
  main.querySelectorAll('input[type="file"]').forEach(function (input) {
    input.addEventListener("change", async function () {
      const box = input.closest("fieldset");
      try {
        const stored = await uploadWith(ctx, input, box.querySelector("progress"));
        if (!stored) return;
        chosen[input.dataset.name] = { materialId: stored.id };
        box.querySelector(".state").textContent = "已上传 " + stored.filename;
      } catch (error) {
        ctx.say(residentMessage(error), "error");
      }
    });
  });
  on(main, "button.use-licence", "click", function (e) {
    const b = e.currentTarget;
    chosen[b.dataset.name] = { licenceId: Number(b.dataset.id) };
    b.closest("fieldset").querySelector(".state").textContent = "免提交：已使用电子证照";
  });
  main.querySelector("#apply-form").addEventListener("submit", async function (e) {
    e.preventDefault();
    const filled = collectForm(m.fields, readFields(main, m.fields, "f"));
    if (filled.missing.length) return ctx.say(messageFor("FIELD_REQUIRED") + "（" + filled.missing.join("、") + "）", "error");
    const attached = collectMaterials(m.materials, chosen);
    if (attached.missing.length) return ctx.say(messageFor("MATERIAL_MISSING") + "（" + attached.missing.join("、") + "）", "error");
    const body = { item_code: m.itemCode, form: filled.form, materials: attached.materials };
    if (m.legal) {
      const uscc = main.querySelector("#acting").value;
      if (!uscc) return ctx.say(messageFor("LEGAL_PERSON_REQUIRED"), "error");
      body.on_behalf_of = uscc;
    }
    const button = main.querySelector("#submit-apply");
    button.disabled = true;
    try {
      const created = await ctx.api.apply(body);
      ctx.go("/case/" + encodeURIComponent(created.case_no));
    } catch (error) {
      const named = formProblems(error, m.fields);
      ctx.say(residentMessage(error) + (named.length ? "（" + named.join("、") + "）" : ""), "error");
      button.disabled = false;
    }
  });
}

async function cases(main, ctx) {
  ctx.setTitle("我的办件");
  const acting = actingFor(ctx.host.store);
  const rows = caseRows(acting ? await ctx.api.legalPersonCases(acting.uscc) : await ctx.api.myCases());
  main.innerHTML =
    (acting ? '<p class="meta" id="acting-note">正在以 ' + esc(acting.name) + ' 的名义查看（<a href="#/company">切换</a>）</p>' : "") +
    (rows.length ? '<ul class="items" id="cases">' + rows.map(function (c) {
      return '<li><a href="#/case/' + esc(c.caseNo) + '"><span class="name">' + esc(c.itemName) + "</span><small>" + esc(c.caseNo) + " · " + esc(c.updated) + (c.channel ? " · " + esc(c.channel) + "提交" : "") + '</small><small class="' + (c.returned ? "hint" : "") + '">' + esc(c.status) + "</small></a></li>";
    }).join("") + "</ul>" : '<p class="empty">还没有办件。</p>') +
    '<a class="button" href="#/licences">我的电子证照</a>';
}

async function caseView(main, ctx) {
  const c = caseModel(await ctx.api.caseDetail(ctx.route.arg));
  const form = c.returned ? await ctx.api.applyForm(c.itemCode) : { materials: [] };
  ctx.setTitle("办件详情");
  const chosen = {};
  main.innerHTML =
    '<section class="card"><h2>' + esc(c.itemName) + '</h2><p class="meta">办件编号：' + esc(c.caseNo) + "</p>" +
    (c.legalPerson ? '<p class="meta">申请单位：' + esc(c.legalPerson) + "</p>" : "") +
    '<p id="case-status"><b>当前状态：' + esc(c.status) + "</b></p>" +
    c.deadlines.map(function (d) {
      return '<p class="meta">' + esc(d.label) + "</p>";
    }).join("") + '<a href="#/item/' + esc(c.itemCode) + '">办事指南</a></section>' +
    (c.returned ? '<section class="card" id="supplement"><h2>需要补正材料</h2>' + (c.returnNote ? '<p class="hint">' + esc(c.returnNote) + "</p>" : "") +
      form.materials.map(function (mat, i) {
        return '<fieldset class="material"><legend>' + esc(mat.name) + '</legend><label for="s-' + i + '">重新上传</label><input type="file" id="s-' + i + '" accept="image/*,application/pdf" data-name="' + esc(mat.name) + '"><progress max="100" value="0" hidden aria-label="上传进度"></progress><p class="meta state" role="status"></p></fieldset>';
      }).join("") + '<button type="button" class="primary" id="send-supplement">提交补正</button></section>' : "") +
    (c.licence ? '<section class="card licence" id="result"><h2>办理结果：电子证照</h2><p class="name">' + esc(c.licence.title) + '</p><p class="meta">证照编号：' + esc(c.licence.number) + "</p>" + (c.expressNo ? '<p class="meta">快递单号：' + esc(c.expressNo) + "</p>" : "") + '<a href="#/licences">查看证照夹</a></section>' : "") +
    (c.rateable ? '<a class="button primary" id="rate-case" href="#/rate?type=case&ref=' + encodeURIComponent(c.caseNo) + '">评价这次办事</a>' : "") +
    '<h2>办理进度</h2><ol class="timeline" id="timeline">' + c.timeline.map(function (s) {
      return "<li><b>" + esc(s.action) + "</b><small>" + esc(s.at) + " · " + esc(s.status) + "</small>" + (s.note ? "<small>" + esc(s.note) + "</small>" : "") + "</li>";
    }).join("") + "</ol>";
  main.querySelectorAll('#supplement input[type="file"]').forEach(function (input) {
    input.addEventListener("change", async function () {
      const box = input.closest("fieldset");
      try {
        const stored = await uploadWith(ctx, input, box.querySelector("progress"));
        if (!stored) return;
        chosen[input.dataset.name] = stored.id;
        box.querySelector(".state").textContent = "已上传 " + stored.filename;
      } catch (error) {
        ctx.say(residentMessage(error), "error");
      }
    });
  });
  on(main, "#send-supplement", "click", async function () {
    try {
      await ctx.api.supplement(c.caseNo, { form: {}, materials: Object.keys(chosen).map(function (name) {
        return { name: name, material_id: chosen[name] };
      }) });
      await caseView(main, ctx);
      ctx.say("补正材料已提交，办件继续办理。", "ok");
    } catch (error) {
      ctx.say(residentMessage(error), "error");
    }
  });
}

async function licences(main, ctx) {
  ctx.setTitle("我的电子证照");
  const rows = licenceRows(await ctx.api.myLicences());
  main.innerHTML = (rows.length ? '<ul class="items" id="licences">' + rows.map(function (l) {
    return '<li><span class="name">' + esc(l.title) + "</span><small>证照编号：" + esc(l.number) + " · " + esc(l.issued) + "</small></li>";
  }).join("") + "</ul>" : '<p class="empty">还没有电子证照。办结的事项发证后会出现在这里，申请时可免提交。</p>') +
    '<a class="button" href="#/receipts">我的票据</a>';
}

async function rate(main, ctx) {
  ctx.setTitle("服务评价");
  const type = ctx.route.params.get("type") || "case";
  const ref = ctx.route.params.get("ref") || "";
  main.innerHTML =
    '<form id="rate-form">' + RATING_INDICATORS.map(function (ind) {
      return '<fieldset class="card stars"><legend>' + esc(ind.label) + "</legend>" + [1, 2, 3, 4, 5].map(function (n) {
        return '<label class="star"><input type="radio" name="' + ind.key + '" value="' + n + '" required><span aria-hidden="true">★</span><span class="sr">' + n + " 分 " + esc(ratingWord(n)) + "</span></label>";
      }).join("") + "</fieldset>";
    }).join("") +
    '<label for="comment">意见和建议（选填）</label><textarea id="comment" maxlength="500" rows="3"></textarea>' +
    '<button type="submit" class="primary" id="submit-rating">提交评价</button></form><div id="rated" aria-live="polite"></div>';
  main.querySelector("#rate-form").addEventListener("submit", async function (e) {
    e.preventDefault();
    const scores = {};
    RATING_INDICATORS.forEach(function (ind) {
      const picked = main.querySelector('input[name="' + ind.key + '"]:checked');
      if (picked) scores[ind.key] = Number(picked.value);
    });
    const built = ratingBody(type, ref, scores, main.querySelector("#comment").value);
    if (built.error) return ctx.say(built.error, "error");
    try {
      const r = ratedModel(await ctx.api.rate(built.body));
      main.querySelector("#rate-form").hidden = true;
      main.querySelector("#rated").innerHTML =
        '<p class="status ok">' + esc(r.thanks) + "</p>" +
        (r.rectification ? '<section class="card" id="rectification"><h2>接下来：差评整改</h2><p>整改单号 ' + r.rectification.id + " · " + esc(r.rectification.status) + "</p>" +
          r.rectification.deadlines.map(function (d) {
            return '<p class="meta">' + esc(d.label) + "</p>";
          }).join("") + '<ol class="timeline">' + r.rectification.steps.map(function (s) {
            return "<li><b>" + esc(s.label) + "</b><small>" + esc(s.done ? s.text : "待完成") + "</small></li>";
          }).join("") + "</ol></section>" : "");
    } catch (error) {
      ctx.say(residentMessage(error), "error");
    }
  });
}

async function hotline(main, ctx) {
  ctx.setTitle("12345 诉求");
  const categories = categoryChoices(await ctx.api.hotlineCategories());
  const tickets = ticketRows(await ctx.api.myTickets());
  const photos = [];
  let location = null;
  main.innerHTML =
    '<form id="ticket-form" class="card"><fieldset class="seg-radio"><legend>诉求类型</legend>' + TICKET_KINDS.map(function (k, i) {
      return '<label><input type="radio" name="kind" value="' + k.kind + '"' + (i === 1 ? " checked" : "") + "> " + k.label + "</label>";
    }).join("") + "</fieldset>" +
    '<label for="category">诉求类别</label><select id="category" required><option value="">请选择类别</option>' + categories.map(function (c, i) {
      return '<option value="' + i + '">' + esc(c.label) + "</option>";
    }).join("") + '</select><div id="attributes"></div>' +
    '<label for="text">诉求内容</label><textarea id="text" maxlength="4000" rows="5" required placeholder="请写清时间、地点和事情经过"></textarea>' +
    '<label for="photos">照片（最多 ' + MAX_PHOTOS + ' 张）</label><input type="file" id="photos" accept="image/*" capture="environment" multiple><progress max="100" value="0" hidden aria-label="上传进度"></progress><p class="meta" id="photo-state" role="status"></p>' +
    '<label class="inline"><input type="checkbox" id="locate"> 附上我的位置（需要您同意定位）</label><p class="meta" id="locate-state" role="status"></p>' +
    '<label for="address">地点（选填）</label><input id="address" maxlength="200" autocomplete="street-address">' +
    '<button type="submit" class="primary" id="submit-ticket">提交</button></form>' +
    (tickets.length ? '<h2>我的诉求</h2><ul class="items" id="tickets">' + tickets.map(function (t) {
      return '<li><a href="#/ticket/' + t.id + '"><span class="name">' + esc(t.kind) + " · " + esc(t.text) + "</span><small>" + esc(t.created) + " · " + esc(t.status) + "</small></a></li>";
    }).join("") + "</ul>" : "");
  let attrFields = [];
  main.querySelector("#category").addEventListener("change", function (e) {
    const c = categories[Number(e.target.value)];
    attrFields = c ? c.attributes : [];
    main.querySelector("#attributes").innerHTML = fieldsHtml(attrFields, "a");
  });
  main.querySelector("#photos").addEventListener("change", async function (e) {
    const input = e.target;
    const files = Array.prototype.slice.call(input.files || []);
    if (photos.length + files.length > MAX_PHOTOS) {
      input.value = "";
      return ctx.say(messageFor("TOO_MANY_PHOTOS"), "error");
    }
    const bar = main.querySelector("progress");
    try {
      for (const file of files) {
        bar.hidden = false;
        const stored = await ctx.api.uploadMaterial({ blob: file, name: file.name }, function (p) {
          bar.value = p;
        });
        photos.push(stored.id);
      }
      main.querySelector("#photo-state").textContent = "已上传 " + photos.length + " 张照片";
    } catch (error) {
      ctx.say(residentMessage(error), "error");
    } finally {
      bar.hidden = true;
    }
  });
  main.querySelector("#locate").addEventListener("change", async function (e) {
    const state = main.querySelector("#locate-state");
    if (!e.target.checked) {
      location = null;
      state.textContent = "";
      return;
    }
    try {
      location = await ctx.host.getLocation();
      state.textContent = "已获取位置";
    } catch (error) {
      e.target.checked = false;
      location = null;
      state.textContent = messageFor("LOCATION_DENIED");
    }
  });
  main.querySelector("#ticket-form").addEventListener("submit", async function (e) {
    e.preventDefault();
    const c = categories[Number(main.querySelector("#category").value)];
    if (!c || main.querySelector("#category").value === "") return ctx.say(messageFor("CATEGORY_UNKNOWN"), "error");
    const answered = collectAttributes(attrFields, readFields(main, attrFields, "a"));
    if (answered.missing.length) return ctx.say(messageFor("FIELD_REQUIRED") + "（" + answered.missing.join("、") + "）", "error");
    const built = ticketBody({
      kind: main.querySelector('input[name="kind"]:checked').value,
      category: c.code,
      text: main.querySelector("#text").value,
      photoIds: photos,
      address: main.querySelector("#address").value,
      location: location,
      attributes: answered.attributes,
    });
    if (built.error) return ctx.say(built.error, "error");
    try {
      const ticket = await ctx.api.fileTicket(built.body);
      ctx.go("/ticket/" + ticket.id);
    } catch (error) {
      ctx.say(residentMessage(error), "error");
    }
  });
}

async function ticketView(main, ctx) {
  const t = ticketModel(await ctx.api.ticket(ctx.route.arg));
  ctx.setTitle("诉求详情");
  main.innerHTML =
    '<section class="card" id="ticket"><h2>' + esc(t.kind) + " · 编号 " + t.id + '</h2><p id="ticket-status"><b>' + esc(t.status) + "</b></p><p>" + esc(t.text) + "</p>" +
    (t.address ? '<p class="meta">地点：' + esc(t.address) + "</p>" : "") + '<p class="meta">照片 ' + t.photos + " 张" + (t.located ? " · 已附位置" : "") + "</p></section>" +
    (t.reply ? '<section class="card"><h2>部门答复（' + esc(t.repliedAt) + ")</h2><p>" + esc(t.reply) + "</p></section>" : "") +
    (t.canRate ? '<section class="card"><h2>对答复满意吗？</h2><div class="row">' + [1, 2, 3, 4, 5].map(function (n) {
      return '<button type="button" class="score" data-score="' + n + '">' + n + " 分</button>";
    }).join("") + '</div><button type="button" id="reopen">不满意，申请重新办理</button></section>' : "") +
    (t.rating ? '<p class="status ok">您的评分：' + t.rating + " 分</p>" : "");
  on(main, "button.score", "click", async function (e) {
    try {
      await ctx.api.rateTicket(t.id, Number(e.currentTarget.dataset.score));
      await ticketView(main, ctx);
    } catch (error) {
      ctx.say(residentMessage(error), "error");
    }
  });
  on(main, "#reopen", "click", async function () {
    try {
      await ctx.api.reopenTicket(t.id);
      await ticketView(main, ctx);
    } catch (error) {
      ctx.say(residentMessage(error), "error");
    }
  });
}

async function company(main, ctx) {
  ctx.setTitle("单位办事");
  const rows = legalPersonRows(await ctx.api.myLegalPersons());
  let acting = actingFor(ctx.host.store);
  if (acting && !rows.some(function (r) {
    return r.uscc === acting.uscc && r.active;
  })) {
    ctx.host.store.remove(ACTING_KEY);
    acting = null;
  }
  main.innerHTML =
    '<p id="acting"><b>当前身份：' + esc(acting ? acting.name : "个人") + "</b></p>" +
    '<button type="button" id="act-self"' + (acting ? "" : ' aria-pressed="true"') + ">以个人身份办事</button>" +
    (rows.length ? '<ul class="items" id="companies">' + rows.map(function (r) {
      return '<li><span class="name">' + esc(r.name) + "</span><small>" + esc(r.uscc) + " · " + esc(r.role) + " " + esc(r.expires) + '</small><div class="row">' +
        '<button type="button" class="act' + (acting && acting.uscc === r.uscc ? " primary" : "") + '" data-uscc="' + esc(r.uscc) + '" data-name="' + esc(r.name) + '">' + (acting && acting.uscc === r.uscc ? "正在代表" : "代表该单位办事") + "</button>" +
        (r.representative ? '<button type="button" class="manage" data-uscc="' + esc(r.uscc) + '">经办人</button>' : "") + "</div></li>";
    }).join("") + "</ul>" : '<p class="empty">您还不是任何单位的法定代表人或经办人。</p>') +
    '<div id="agents"></div>';
  on(main, "#act-self", "click", function () {
    ctx.host.store.remove(ACTING_KEY);
    company(main, ctx).then(function () {
      ctx.say("已切换为个人身份。", "ok");
    });
  });
  on(main, "button.act", "click", function (e) {
    const b = e.currentTarget;
    ctx.host.store.set(ACTING_KEY, JSON.stringify({ uscc: b.dataset.uscc, name: b.dataset.name }));
    company(main, ctx).then(function () {
      ctx.say("已切换为代表 " + b.dataset.name + " 办事。", "ok");
    });
  });
  async function showAgents(uscc) {
    const answer = await ctx.api.agents(uscc);
    const agents = agentRows(answer);
    const box = main.querySelector("#agents");
    box.innerHTML =
      '<section class="card"><h2>' + esc(answer.legal_person.name) + ' 的经办人</h2><ul class="items" id="agent-list">' + agents.map(function (a) {
        return '<li><span class="name">' + esc(a.name) + " " + esc(a.idNumber) + "</span><small>" + esc(a.status) + " · " + esc(a.expires) + "</small>" +
          (a.active ? '<button type="button" class="revoke" data-id="' + a.id + '">撤销授权</button>' : "") + "</li>";
      }).join("") + "</ul>" +
      '<form id="grant"><label for="agent-name">经办人姓名</label><input id="agent-name" maxlength="64" required autocomplete="off">' +
      '<label for="agent-id">经办人身份证号</label><input id="agent-id" maxlength="18" required autocomplete="off" pattern="[0-9]{17}[0-9Xx]">' +
      '<label for="agent-expires">授权截止日期（不填为长期）</label><input id="agent-expires" type="date">' +
      '<button type="submit" class="primary">授权</button></form></section>';
    on(box, "button.revoke", "click", async function (e) {
      try {
        await ctx.api.revokeAgent(uscc, e.currentTarget.dataset.id);
        await showAgents(uscc);
        ctx.say("已撤销授权。", "ok");
      } catch (error) {
        ctx.say(residentMessage(error), "error");
      }
    });
    box.querySelector("#grant").addEventListener("submit", async function (e) {
      e.preventDefault();
      const body = { name: box.querySelector("#agent-name").value.trim(), id_number: box.querySelector("#agent-id").value.trim().toUpperCase() };
      if (!body.name || !body.id_number) return ctx.say(messageFor("FIELD_REQUIRED"), "error");
      if (box.querySelector("#agent-expires").value) body.expires_on = box.querySelector("#agent-expires").value;
      try {
        await ctx.api.authoriseAgent(uscc, body);
        await showAgents(uscc);
        ctx.say("已授权。", "ok");
      } catch (error) {
        ctx.say(residentMessage(error), "error");
      }
    });
  }
  on(main, "button.manage", "click", async function (e) {
    try {
      await showAgents(e.currentTarget.dataset.uscc);
    } catch (error) {
      ctx.say(residentMessage(error), "error");
    }
  });
}

async function payables(main, ctx) {
  ctx.setTitle("我的待缴");
  const page = Number(ctx.route.params.get("page") || 1);
  const answer = await ctx.api.myPayables(page);
  const rows = payableRows(answer);
  const info = pageInfo(answer);
  main.innerHTML =
    (answer.verified === false ? '<p class="meta">完成实名认证后，开给您本人的缴款通知书会自动列在这里。</p>' : "") +
    (rows.length ? '<ul class="items" id="payables">' + rows.map(function (p, i) {
      return '<li data-key="' + esc(p.key) + '"><span class="name">' + esc(p.title) + "</span><small>" + esc(p.kind) + " · " + esc(p.agency) + " · " + esc(p.who) + "</small><small>" + esc(p.due) + "</small>" +
        (p.overdue ? '<small class="hint">已过缴款期限，请联系开票单位。</small>' : "") +
        (p.canPay ? '<button type="button" class="primary pay" data-index="' + i + '">一键缴款 ' + esc(p.amount) + "</button>" : "") + "</li>";
    }).join("") + "</ul>" : '<p class="empty">暂无待缴款项。</p>') +
    (info.pages > 1 ? '<p class="pager">第 ' + info.page + " / " + info.pages + " 页 " + (info.page > 1 ? '<a href="#/payables?page=' + (info.page - 1) + '">上一页</a> ' : "") + (info.more ? '<a href="#/payables?page=' + (info.page + 1) + '">下一页</a>' : "") + "</p>" : "") +
    '<div class="row"><a class="button" href="#/notices">输入缴款码（代他人缴）</a><a class="button" href="#/orders">我的订单</a></div>';
  on(main, "button.pay", "click", async function (e) {
    const p = rows[Number(e.currentTarget.dataset.index)];
    e.currentTarget.disabled = true;
    try {
      const result = await pay(ctx.api, ctx.host, p.payable);
      if (result.message) ctx.say(result.message, "error");
    } catch (error) {
      ctx.say(residentMessage(error), "error");
      e.currentTarget.disabled = false;
    }
  });
}

async function orders(main, ctx) {
  ctx.setTitle("我的订单");
  const page = Number(ctx.route.params.get("page") || 1);
  const answer = await ctx.api.myOrders(page);
  const rows = orderRows(answer);
  const info = pageInfo(answer);
  main.innerHTML =
    (rows.length ? '<ul class="items" id="orders">' + rows.map(function (o) {
      return '<li><a href="#/order/' + esc(o.id) + '"><span class="name">' + esc(o.description) + "</span><small>" + esc(o.agency) + " · " + esc(o.when) + "</small><small><b>" + esc(o.amount) + "</b> · " + esc(o.status) + "</small></a>" +
        (o.paid ? '<a class="button" href="#/rate?type=payment&ref=' + encodeURIComponent(o.id) + '">评价</a>' : "") + "</li>";
    }).join("") + "</ul>" : '<p class="empty">还没有订单。</p>') +
    (info.more ? '<a class="button" href="#/orders?page=' + (info.page + 1) + '">下一页</a>' : "");
}


export const views = {
  item: item,
  apply: apply,
  cases: cases,
  case: caseView,
  licences: licences,
  rate: rate,
  hotline: hotline,
  ticket: ticketView,
  company: company,
  payables: payables,
  orders: orders,
};

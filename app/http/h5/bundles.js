// The H5 shell's 一件事 pages: the bundle list, the bundle page (combined guide and the one
// merged form, drawn with the apply page's controls) and the bundle case. Loaded by app.js
// only when one of these routes opens. Page logic: /h5/core/bundles.js, as in the
// mini-programs.

import { BUNDLE_RATING, bundleBody, bundleCaseModel, bundleCaseRows, bundleModel, bundleRatingBody, bundleRows, newRequestKey } from "./core/bundles.js";
import { actingFor, collectForm, collectMaterials, formProblems, ratingWord } from "./core/services.js";
import { messageFor, residentMessage } from "./core/errors.js";
import { esc, on } from "./views.js";
import { fieldsHtml, readFields, uploadWith } from "./services.js";

function list(items) {
  return items.map(function (x) {
    return "<li>" + esc(x) + "</li>";
  }).join("");
}

async function bundles(main, ctx) {
  ctx.setTitle("高效办成一件事");
  const rows = bundleRows(await ctx.api.bundles());
  const mine = ctx.api.signedIn() ? bundleCaseRows(await ctx.api.myBundleCases()) : [];
  main.innerHTML =
    '<p class="meta">一次告知、一表申请、一套材料、一次办成。</p>' +
    (rows.length ? '<ul class="items" id="bundles">' + rows.map(function (b) {
      return '<li><a href="#/bundle/' + esc(b.code) + '"><span class="name">' + esc(b.name) + "</span><small>" + b.count + " 个事项：" + esc(b.items) + "</small></a></li>";
    }).join("") + "</ul>" : '<p class="empty">暂无可办理的“一件事”。</p>') +
    (mine.length ? '<h2>我的一件事</h2><ul class="items" id="my-bundles">' + mine.map(function (b) {
      return '<li><a href="#/bundle-case/' + esc(b.bundleNo) + '"><span class="name">' + esc(b.name) + "</span><small>" + esc(b.bundleNo) + " · " + esc(b.created) + "</small><small>" + esc(b.status) + "</small></a></li>";
    }).join("") + "</ul>" : "");
}

async function bundle(main, ctx) {
  const detail = await ctx.api.bundle(ctx.route.arg);
  const m = bundleModel(detail, await ctx.api.myLicences(), detail.audience === "legal" ? await ctx.api.myLegalPersons() : null);
  const acting = actingFor(ctx.host.store);
  // One key for this form: every retry of its submission sends it again.
  const requestKey = newRequestKey();
  const chosen = {};
  ctx.setTitle(m.name);
  main.innerHTML =
    '<section class="card" id="bundle-guide"><h2>' + esc(m.name) + "</h2>" + (m.timeLimit ? '<p class="meta">' + esc(m.timeLimit) + "</p>" : "") +
    '<h3>办理流程</h3><ol id="bundle-steps">' + m.steps.map(function (s) {
      return "<li>" + esc(s.name) + (s.after ? '<small class="meta">（在' + esc(s.after) + "之后）</small>" : "") + "</li>";
    }).join("") + "</ol>" +
    (m.conditions.length ? "<h3>申请条件</h3><ul>" + list(m.conditions) + "</ul>" : "") +
    '<h3>一套材料</h3><ul class="checklist" id="bundle-materials">' + m.materials.map(function (x) {
      return "<li><span>□ " + esc(x.name) + '</span><small class="meta">' + esc(x.note) + "</small></li>";
    }).join("") + m.shared.map(function (x) {
      return '<li class="held"><span>✓ ' + esc(x) + "</span></li>";
    }).join("") + "</ul>" +
    (m.places.length ? "<h3>办理地点</h3><ul>" + list(m.places) + "</ul>" : "") +
    (m.fees ? '<p class="meta">收费：' + esc(m.fees) + "</p>" : "") +
    (m.notes.length ? '<ul class="meta">' + list(m.notes) + "</ul>" : "") +
    (m.departments ? '<p class="meta">涉及部门：' + esc(m.departments) + "</p>" : "") + "</section>" +
    '<form id="bundle-form" class="card" novalidate><h2>一张申请表</h2>' +
    (m.legal ? '<div class="field"><label for="acting">以哪家单位的名义申请 <span class="req">*</span></label><select id="acting" required><option value="">请选择单位</option>' + m.form.legalPersons.map(function (lp) {
      return '<option value="' + esc(lp.uscc) + '"' + (acting && acting.uscc === lp.uscc ? " selected" : "") + ">" + esc(lp.name) + "（" + esc(lp.role) + "）</option>";
    }).join("") + "</select></div>" : "") +
    fieldsHtml(m.form.fields, "b") +
    (m.form.materials.length ? "<h2>申请材料（只交一次）</h2>" : "") +
    m.form.materials.map(function (mat, i) {
      return '<fieldset class="material" data-name="' + esc(mat.name) + '"><legend>' + esc(mat.name) + (mat.required ? ' <span class="req">*</span>' : "") + "</legend>" +
        '<label for="bm-' + i + '">拍照或选择文件（JPG、PNG、PDF）</label><input type="file" id="bm-' + i + '" accept="image/*,application/pdf" capture="environment" data-name="' + esc(mat.name) + '">' +
        '<progress max="100" value="0" hidden aria-label="上传进度"></progress><p class="meta state" role="status"></p>' +
        (mat.licenceId ? '<button type="button" class="use-licence" data-name="' + esc(mat.name) + '" data-id="' + mat.licenceId + '">用电子证照（免提交）：' + esc(mat.licenceTitle) + "</button>" : "") +
        (mat.pendingAllowed ? '<label class="check-row"><input type="checkbox" class="check pending" data-name="' + esc(mat.name) + '"> 稍后补交（容缺受理）</label>' : "") +
        "</fieldset>";
    }).join("") +
    m.pledges.map(function (p) {
      return '<fieldset class="pledge"><legend>告知承诺：' + esc(p.name) + '</legend><p class="meta">' + esc(p.text) + '</p><label class="check-row"><input type="checkbox" class="check pledge-box" data-item="' + esc(p.item) + '"> 签署承诺，先行审批</label></fieldset>';
    }).join("") +
    '<button type="submit" class="primary" id="submit-bundle">一次提交</button></form>';
  main.querySelectorAll('#bundle-form input[type="file"]').forEach(function (input) {
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
  main.querySelector("#bundle-form").addEventListener("submit", async function (e) {
    e.preventDefault();
    const filled = collectForm(m.form.fields, readFields(main, m.form.fields, "b"));
    if (filled.missing.length) return ctx.say(messageFor("FIELD_REQUIRED") + "（" + filled.missing.join("、") + "）", "error");
    const owed = Array.prototype.map.call(main.querySelectorAll("input.pending:checked"), function (el) {
      return el.dataset.name;
    });
    const asked = m.form.materials.filter(function (mat) {
      return owed.indexOf(mat.name) < 0;
    });
    const attached = collectMaterials(asked, chosen);
    if (attached.missing.length) return ctx.say(messageFor("MATERIAL_MISSING") + "（" + attached.missing.join("、") + "）", "error");
    let uscc = null;
    if (m.legal) {
      uscc = main.querySelector("#acting").value;
      if (!uscc) return ctx.say(messageFor("LEGAL_PERSON_REQUIRED"), "error");
    }
    const pledges = Array.prototype.map.call(main.querySelectorAll("input.pledge-box:checked"), function (el) {
      return el.dataset.item;
    });
    const button = main.querySelector("#submit-bundle");
    button.disabled = true;
    try {
      const created = await ctx.api.applyBundle(bundleBody(m, filled.form, attached.materials, owed, pledges, uscc), requestKey);
      ctx.go("/bundle-case/" + encodeURIComponent(created.bundle_no));
    } catch (error) {
      const named = formProblems(error, m.form.fields);
      ctx.say(residentMessage(error) + (named.length ? "（" + named.join("、") + "）" : ""), "error");
      button.disabled = false;
    }
  });
}

async function bundleCase(main, ctx) {
  const b = bundleCaseModel(await ctx.api.bundleCase(ctx.route.arg));
  const materials = b.needsSupplement ? ((await ctx.api.bundle(b.code)).form || {}).materials || [] : [];
  ctx.setTitle("一件事办件");
  const chosen = {};
  main.innerHTML =
    '<section class="card"><h2>' + esc(b.name) + '</h2><p class="meta">一件事编号：<span id="bundle-no">' + esc(b.bundleNo) + "</span></p>" +
    (b.legalPerson ? '<p class="meta">申请单位：' + esc(b.legalPerson) + "</p>" : "") +
    '<p id="bundle-status"><b>当前状态：' + esc(b.status) + "</b></p>" + (b.due ? '<p class="meta">' + esc(b.due) + "</p>" : "") + "</section>" +
    "<h2>" + b.count + ' 个事项的办件</h2><ul class="items" id="bundle-cases">' + b.cases.map(function (c) {
      const inner = '<span class="name">' + esc(c.name) + "</span>" + (c.caseNo ? "<small>办件编号：" + esc(c.caseNo) + "</small>" : "") +
        "<small>" + esc(c.status) + " · " + esc(c.step) + "</small>" + (c.deadline ? '<small class="meta">' + esc(c.deadline) + "</small>" : "") +
        (c.received ? "<small>共享：" + esc(c.received) + "</small>" : "") + (c.pledged ? "<small>已签署告知承诺</small>" : "") +
        (c.pendingText ? '<small class="hint">待补交：' + esc(c.pendingText) + "</small>" : "");
      return "<li>" + (c.caseNo ? '<a href="#/case/' + esc(c.caseNo) + '">' + inner + "</a>" : "<div>" + inner + "</div>") + "</li>";
    }).join("") + "</ul>" +
    (b.needsSupplement ? '<section class="card" id="bundle-supplement"><h2>需要补充材料（交一次，送达每个事项）</h2>' + materials.map(function (mat, i) {
      return '<fieldset class="material"><legend>' + esc(mat.name) + '</legend><label for="bs-' + i + '">上传</label><input type="file" id="bs-' + i + '" accept="image/*,application/pdf" data-name="' + esc(mat.name) + '"><progress max="100" value="0" hidden aria-label="上传进度"></progress><p class="meta state" role="status"></p></fieldset>';
    }).join("") + '<button type="button" class="primary" id="send-bundle-supplement">提交补充材料</button></section>' : "") +
    (b.rateable ? '<form id="bundle-rate" class="card"><h2>评价这件事</h2>' + BUNDLE_RATING.map(function (ind) {
      return '<fieldset class="stars"><legend>' + esc(ind.label) + "</legend>" + [1, 2, 3, 4, 5].map(function (n) {
        return '<label class="star"><input type="radio" name="' + ind.key + '" value="' + n + '" required><span aria-hidden="true">★</span><span class="sr">' + n + " 分 " + esc(ratingWord(n)) + "</span></label>";
      }).join("") + "</fieldset>";
    }).join("") + '<label for="bundle-comment">意见和建议（选填）</label><textarea id="bundle-comment" maxlength="500" rows="3"></textarea><button type="submit" class="primary" id="submit-bundle-rating">提交评价</button></form>' : "") +
    (b.rated ? '<p class="status ok" id="bundle-rated">您已评价这件事。</p>' : "") +
    '<h2>办理进度</h2><ol class="timeline" id="bundle-timeline">' + b.timeline.map(function (t) {
      return "<li><b>" + esc(t.event) + (t.item ? " · " + esc(t.item) : "") + "</b><small>" + esc(t.at) + "</small></li>";
    }).join("") + "</ol>" +
    '<a class="button" href="#/bundles">全部一件事</a>';
  main.querySelectorAll('#bundle-supplement input[type="file"]').forEach(function (input) {
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
  on(main, "#send-bundle-supplement", "click", async function () {
    try {
      await ctx.api.supplementBundle(b.bundleNo, { form: {}, materials: Object.keys(chosen).map(function (name) {
        return { name: name, material_id: chosen[name] };
      }) });
      await bundleCase(main, ctx);
      ctx.say("补充的材料已送达每个需要它的事项。", "ok");
    } catch (error) {
      ctx.say(residentMessage(error), "error");
    }
  });
  const rating = main.querySelector("#bundle-rate");
  if (rating) {
    rating.addEventListener("submit", async function (e) {
      e.preventDefault();
      const scores = {};
      BUNDLE_RATING.forEach(function (ind) {
        const picked = main.querySelector('input[name="' + ind.key + '"]:checked');
        if (picked) scores[ind.key] = Number(picked.value);
      });
      const made = bundleRatingBody(scores, main.querySelector("#bundle-comment").value);
      if (made.error) return ctx.say(made.error, "error");
      try {
        await ctx.api.rateBundle(b.bundleNo, made.body);
        await bundleCase(main, ctx);
        ctx.say("感谢您的评价。", "ok");
      } catch (error) {
        ctx.say(residentMessage(error), "error");
      }
    });
  }
}

export const views = {
  bundles: bundles,
  bundle: bundle,
  "bundle-case": bundleCase,
};

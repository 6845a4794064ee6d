// 高效办成一件事: the page logic of the bundle list, the bundle page (combined guide and the
// one merged form) and the bundle case, shared by the mini-programs and the H5 shell. The
// form controls are the apply page's own (applyFormModel), so a bundle field looks and is
// checked exactly like an item field.

import { shanghaiDateTime } from "./format.js";
import { applyFormModel, RATING_INDICATORS, ratingBody } from "./services.js";

const BUNDLE_STATUS = {
  in_progress: "办理中",
  supplement_needed: "需要补充材料",
  completed: "已全部办结",
  partly_refused: "部分事项未获批准",
};
const ITEM_STATUS = {
  waiting: "等待前序事项办结",
  submitted: "已提交，待受理",
  accepted: "已受理，审核中",
  returned: "需补正材料",
  approved: "审核通过，待办结",
  rejected: "不予受理/不予许可",
  completed: "已办结",
  cancelled: "已取消",
};
const STEP = { accept: "待受理", decide: "审核中", deliver: "待送达", complete: "待办结", resident: "等您补正", finished: "已完成", cancelled: "已取消" };
const DEADLINE_STEP = { accept: "受理", decide: "办理", deliver: "送达", complete: "办结" };
const EVENT = { apply: "一次提交", accept: "部门受理", request_material: "要求补正材料", supplement: "补正材料", approve: "审核通过", reject: "不予许可", complete: "办结", result: "全部办结", rated: "已评价" };

export function bundleRows(answer) {
  return ((answer && answer.bundles) || []).map(function (b) {
    return {
      code: b.code,
      name: b.name,
      legal: b.audience === "legal",
      items: (b.items || []).map(function (i) {
        return i.name;
      }).join("、"),
      count: (b.items || []).length,
    };
  });
}

export function bundleCaseRows(answer) {
  return ((answer && answer.bundle_cases) || []).map(function (b) {
    return { bundleNo: b.bundle_no, name: b.bundle_name, status: BUNDLE_STATUS[b.status] || b.status, due: b.due_date, created: shanghaiDateTime(b.created_at) };
  });
}

// The combined guide (一次告知) and the one form (一表申请), with the materials named once.
export function bundleModel(detail, licences, legalPersons) {
  const names = {};
  (detail.items || []).forEach(function (i) {
    names[i.code] = i.name;
  });
  const guide = detail.guide || {};
  const form = applyFormModel(
    { item_code: detail.code, item_name: detail.name, audience: detail.audience, version: detail.version, time_limit_days: guide.time_limit_days, fields: (detail.form || {}).fields, materials: (detail.form || {}).materials },
    licences,
    legalPersons,
    null,
  );
  const pendingAllowed = {};
  (guide.materials || []).forEach(function (m) {
    pendingAllowed[m.name] = Boolean(m.pending_allowed);
  });
  form.materials.forEach(function (m) {
    m.pendingAllowed = Boolean(pendingAllowed[m.name]);
  });
  return {
    code: detail.code,
    name: detail.name,
    legal: detail.audience === "legal",
    timeLimit: guide.time_limit_days ? "全程 " + guide.time_limit_days + " 个工作日内办结" : "",
    conditions: guide.conditions || [],
    materials: (guide.materials || []).map(function (m) {
      return { name: m.name, note: (m.required ? "必交" : "选交") + (m.pending_allowed ? "，可容缺后补" : "") };
    }),
    shared: (guide.licence_replaced || []).map(function (r) {
      return (names[r.item] || r.item) + "的" + r.material + "：由" + (names[r.by] || r.by) + "的结果直接共享，免提交";
    }),
    places: guide.places || [],
    fees: guide.fees || "",
    notes: guide.notes || [],
    steps: (guide.order || []).map(function (o, i) {
      return { n: i + 1, name: names[o.item] || o.item, after: (o.after || []).map(function (a) {
        return names[a] || a;
      }).join("、") };
    }),
    pledges: (guide.pledge_items || []).map(function (p) {
      return { item: p.item, name: names[p.item] || p.item, text: p.text };
    }),
    departments: (guide.departments || []).map(function (d) {
      return d.name;
    }).join("、"),
    form: form,
  };
}

// One Idempotency-Key per form: made when the page opens and reused by every retry of its
// submission, so a retry after a lost answer finds the same bundle case.
export function newRequestKey() {
  const bytes = [];
  for (let i = 0; i < 16; i += 1) bytes.push(Math.floor(Math.random() * 256).toString(16).padStart(2, "0"));
  return "yjs-" + Date.now().toString(36) + "-" + bytes.join("");
}

export function bundleBody(model, form, materials, pending, pledges, onBehalfOf) {
  const body = { bundle_code: model.code, form: form, materials: materials, pending: pending || [], pledges: pledges || [] };
  if (onBehalfOf) body.on_behalf_of = onBehalfOf;
  return body;
}

function deadlineLabel(d) {
  if (!d) return "";
  return (DEADLINE_STEP[d.step] || "办理") + "期限 " + d.due_date;
}

export function bundleCaseModel(b) {
  const cases = (b.cases || []).map(function (c) {
    return {
      itemCode: c.item_code,
      name: c.item_name,
      caseNo: c.case_no || "",
      status: ITEM_STATUS[c.status] || c.status,
      step: c.case_no ? STEP[c.step] || c.step : "等待前序事项办结",
      deadline: deadlineLabel(c.deadline),
      returned: c.status === "returned",
      pending: (c.pending || []).map(function (p) {
        return typeof p === "string" ? p : p.bundle_material || p.name;
      }),
      pledged: Boolean(c.pledge),
      pendingText: (c.pending || []).map(function (p) {
        return typeof p === "string" ? p : p.bundle_material || p.name;
      }).join("、"),
      received: (c.received || []).map(function (r) {
        return r.material + "（已共享）";
      }).join("、"),
    };
  });
  const finished = b.status === "completed" || b.status === "partly_refused";
  return {
    bundleNo: b.bundle_no,
    code: b.bundle_code,
    name: b.bundle_name,
    status: BUNDLE_STATUS[b.status] || b.status,
    needsSupplement: b.status === "supplement_needed",
    finished: finished,
    rateable: finished && !b.rating,
    rated: Boolean(b.rating),
    due: b.due_date ? "全程办结期限 " + b.due_date : "",
    legalPerson: b.legal_person ? b.legal_person.name : "",
    count: cases.length,
    cases: cases,
    timeline: (b.timeline || []).map(function (t) {
      return { at: shanghaiDateTime(t.at), event: EVENT[t.event] || t.event, item: t.item_name || "" };
    }),
  };
}

export const BUNDLE_RATING = RATING_INDICATORS;

// The bundle's own rating (POST /bundle-cases/{no}/rating): the five indicators and a comment.
export function bundleRatingBody(scores, comment) {
  const made = ratingBody("bundle", "", scores, comment);
  if (made.error) return made;
  delete made.body.subject_type;
  delete made.body.subject_ref;
  return made;
}

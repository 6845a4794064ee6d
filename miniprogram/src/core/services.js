// Page logic of the resident services (issue 27): apply, my cases, rating, 12345, company,
// 我的待缴 and orders, and the item page. Shared by the mini-programs and the H5 shell, which
// loads it only when one of those pages opens (the home page stays small).

import { messageFor } from "./errors.js";
import { shanghaiDateTime, yuanLabel } from "./format.js";

// ------------------------------------------------------------------ 办事: the apply form

// Each field type of the server's case form, and the native control that fills it. The
// template picks the control by `control`; `keyboard` is the mini-program input type.
const CONTROLS = {
  text: { control: "input", keyboard: "text", html: "text", inputmode: "text" },
  integer: { control: "input", keyboard: "number", html: "number", inputmode: "numeric" },
  phone: { control: "input", keyboard: "number", html: "tel", inputmode: "tel" },
  id_number: { control: "input", keyboard: "idcard", html: "text", inputmode: "text" },
  date: { control: "date", keyboard: "", html: "date", inputmode: "" },
  choice: { control: "choice", keyboard: "", html: "", inputmode: "" },
  boolean: { control: "switch", keyboard: "", html: "checkbox", inputmode: "" },
};

// A held e-licence stands in for a material (免提交) when one names the other.
export function licenceMatches(materialName, licence) {
  const title = String(licence.title || "");
  const kind = String(licence.kind || "");
  return Boolean(materialName) && (title.indexOf(materialName) >= 0 || materialName.indexOf(title) >= 0 || kind === materialName);
}

// The form as the server defines it, today: nothing about it is built into the shell.
export function applyFormModel(form, licences, legalPersons, guide) {
  const held = (licences && licences.licences) || [];
  const guided = list(guide && guide.guide && guide.guide.materials);
  const fields = (form.fields || []).map(function (f) {
    const control = CONTROLS[f.type] || CONTROLS.text;
    return {
      name: f.name,
      label: f.label,
      type: f.type,
      required: f.required !== false,
      hint: f.hint || "",
      control: control.control,
      keyboard: control.keyboard,
      html: control.html,
      inputmode: control.inputmode,
      maxlength: f.type === "text" ? f.max_length || 500 : f.type === "id_number" ? 18 : f.type === "phone" ? 11 : 20,
      choices: (f.choices || []).map(String),
      // The choices as the server typed them: 2 is not "2" to its check.
      choiceValues: f.choices || [],
      min: f.min,
      max: f.max,
    };
  });
  const materials = (form.materials || []).map(function (m) {
    const inGuide = guided.find(function (g) {
      return g && g.name === m.name;
    });
    const licence = heldFor({ name: m.name, licence_type: inGuide && inGuide.licence_type }, held);
    return {
      name: m.name,
      required: m.required !== false,
      hint: m.hint || "",
      licenceId: licence ? licence.id : null,
      licenceTitle: licence ? licence.title + "（" + licence.number + "）" : "",
    };
  });
  const acting = (legalPersons && legalPersons.legal_persons) || [];
  return {
    itemCode: form.item_code,
    itemName: form.item_name,
    version: form.version,
    timeLimit: form.time_limit_days ? "承诺时限 " + form.time_limit_days + " 个工作日" : "",
    legal: form.audience === "legal",
    legalPersons: acting
      .filter(function (lp) {
        return lp.status !== "deregistered";
      })
      .map(function (lp) {
        return { uscc: lp.uscc, name: lp.name, role: lp.role === "representative" ? "法定代表人" : "经办人" };
      }),
    fields: fields,
    materials: materials,
  };
}

// What the resident typed, in the types the server checks (a whole number, true/false);
// `missing` names the required fields still empty, before anything is sent.
export function collectForm(fields, values) {
  const form = {};
  const missing = [];
  fields.forEach(function (f) {
    let v = values[f.name];
    if (f.type === "boolean") {
      form[f.name] = v === true || v === "true" || v === "on";
      return;
    }
    if (v === undefined || v === null || String(v).trim() === "") {
      if (f.required) missing.push(f.label);
      return;
    }
    v = String(v).trim();
    const typed = (f.choiceValues || []).find(function (c) {
      return String(c) === v;
    });
    if (f.type === "choice" && typed !== undefined) form[f.name] = typed;
    else if (f.type === "integer" && /^-?\d+$/.test(v)) form[f.name] = Number(v);
    else if (f.type === "id_number") form[f.name] = v.toUpperCase();
    else form[f.name] = v;
  });
  return { form: form, missing: missing };
}

// The materials to attach: per material, an uploaded file's id or a held licence's id.
// `chosen` maps a material name to {materialId} or {licenceId}.
export function collectMaterials(materials, chosen) {
  const attached = [];
  const missing = [];
  materials.forEach(function (m) {
    const c = chosen[m.name];
    if (c && c.materialId) attached.push({ name: m.name, material_id: c.materialId });
    else if (c && c.licenceId) attached.push({ name: m.name, licence_id: c.licenceId });
    else if (m.required) missing.push(m.name);
  });
  return { materials: attached, missing: missing };
}

// FORM_INVALID names the fields and materials the server refused: said in the field's label.
export function formProblems(error, fields) {
  const details = (error && error.details) || {};
  const labels = {};
  (fields || []).forEach(function (f) {
    labels[f.name] = f.label;
  });
  const named = Object.keys(details.fields || {}).map(function (k) {
    return labels[k] || k;
  });
  const materials = Object.keys(details.materials || {});
  return named.concat(materials);
}

// ------------------------------------------------------------------ 我的办件

const CASE_STATUS = {
  submitted: "已提交，待受理",
  accepted: "已受理，审核中",
  returned: "需补正材料",
  approved: "审核通过，待办结",
  rejected: "不予受理/不予许可",
  completed: "已办结",
};
const CASE_ACTION = {
  apply: "提交申请",
  accept: "部门受理",
  request_material: "要求补正材料",
  supplement: "补正材料",
  approve: "审核通过",
  reject: "不予许可",
  complete: "办结",
};
const CHANNEL = { wechat: "微信", alipay: "支付宝", app: "浙里办" };
const DEADLINE_STEP = { accept: "受理", decide: "办理", deliver: "送达", complete: "办结", reply: "答复", fix: "整改" };

// The latest deadline of each step (a case sent back and resumed opens its steps again).
function latestDeadlines(deadlines) {
  const byStep = {};
  const order = [];
  (deadlines || []).forEach(function (d) {
    if (!(d.step in byStep)) order.push(d.step);
    byStep[d.step] = d;
  });
  return order.map(function (step) {
    return byStep[step];
  });
}

export function caseRows(answer) {
  return (answer.cases || []).map(function (c) {
    return {
      caseNo: c.case_no,
      itemName: c.item_name,
      status: CASE_STATUS[c.status] || c.status,
      returned: c.status === "returned",
      channel: CHANNEL[c.channel] || "",
      updated: c.updated_at ? shanghaiDateTime(c.updated_at) : "",
    };
  });
}

function deadlineRow(d) {
  return {
    step: DEADLINE_STEP[d.step] || d.step,
    due: d.due_date,
    met: Boolean(d.met_at),
    label: (DEADLINE_STEP[d.step] || d.step) + "期限 " + d.due_date + (d.met_at ? "（已完成）" : ""),
  };
}

export function caseModel(c) {
  const timeline = (c.timeline || []).map(function (s) {
    return { action: CASE_ACTION[s.action] || s.action, status: CASE_STATUS[s.to] || s.to, note: s.note || "", at: shanghaiDateTime(s.at) };
  });
  const lastReturn = (c.timeline || []).filter(function (s) {
    return s.to === "returned";
  }).pop();
  const licence = c.result && c.result.licence;
  return {
    caseNo: c.case_no,
    itemCode: c.item_code,
    itemName: c.item_name,
    status: CASE_STATUS[c.status] || c.status,
    current: timeline.length ? timeline[timeline.length - 1].action : "",
    returned: c.status === "returned",
    returnNote: c.status === "returned" && lastReturn ? lastReturn.note || "" : "",
    finished: c.status === "completed",
    rateable: c.status === "completed" || c.status === "rejected",
    legalPerson: c.legal_person ? c.legal_person.name : "",
    channel: CHANNEL[c.channel] || "",
    expressNo: c.express_no || "",
    licence: licence ? { title: licence.title || licence.kind || "电子证照", number: licence.number || "" } : null,
    timeline: timeline,
    deadlines: latestDeadlines(c.deadlines).map(deadlineRow),
    materials: (c.materials || []).map(function (m) {
      return m.name;
    }),
  };
}

export function licenceRows(answer) {
  return (answer.licences || []).map(function (l) {
    return { id: l.id, title: l.title, kind: l.kind, number: l.number, issued: l.issued_at ? shanghaiDateTime(l.issued_at) : "" };
  });
}

// ------------------------------------------------------------------ 好差评

export const RATING_INDICATORS = [
  { key: "overall", label: "总体满意度" },
  { key: "efficiency", label: "办事效率" },
  { key: "guide_accuracy", label: "办事指南准确" },
  { key: "convenience", label: "办事便捷" },
  { key: "ease_of_use", label: "服务好用" },
];
const RATING_SUBJECTS = { case: "办件", appointment: "预约", payment: "缴费" };
const RATING_WORDS = ["", "非常不满意", "不满意", "基本满意", "满意", "非常满意"];

export function ratingWord(score) {
  return RATING_WORDS[score] || "";
}

export function ratingBody(subjectType, subjectRef, scores, comment) {
  const missing = RATING_INDICATORS.filter(function (i) {
    return !(scores[i.key] >= 1 && scores[i.key] <= 5);
  });
  if (missing.length) return { error: messageFor("RATING_INCOMPLETE") };
  const body = { subject_type: subjectType, subject_ref: String(subjectRef) };
  RATING_INDICATORS.forEach(function (i) {
    body[i.key] = Number(scores[i.key]);
  });
  const text = String(comment || "").trim();
  if (text) body.comment = text.slice(0, 500);
  return { body: body };
}

const RECTIFY_STATUS = { open: "已转办，等待部门答复", replied: "部门已答复，整改中", fixed: "已整改，等待回访", visited: "已回访，整改完成" };

// After a rating: a bad one (overall ≤ 2) opened a rectification the resident can follow.
export function ratedModel(answer) {
  const r = answer.rectification;
  return {
    subject: RATING_SUBJECTS[answer.subject_type] || "",
    bad: Boolean(answer.bad),
    thanks: answer.bad ? "感谢您的评价。差评已转给承办部门整改，结果会告诉您。" : "感谢您的评价！",
    rectification: r
      ? {
          id: r.id,
          status: RECTIFY_STATUS[r.status] || r.status,
          steps: [
            { label: "部门答复", text: r.reply || "", done: Boolean(r.replied_at) },
            { label: "整改", text: r.fix || "", done: Boolean(r.fixed_at) },
            { label: "回访", text: r.visit || "", done: Boolean(r.visited_at) },
          ],
          deadlines: (r.deadlines || []).map(deadlineRow),
        }
      : null,
  };
}

// ------------------------------------------------------------------ 12345

export const TICKET_KINDS = [
  { kind: "consult", label: "咨询" },
  { kind: "complaint", label: "投诉" },
  { kind: "report", label: "举报" },
];
const TICKET_STATUS = { dispatched: "已转办，等待答复", reopened: "已重新办理", replied: "已答复", closed: "已办结" };
export const MAX_PHOTOS = 6;

export function categoryChoices(answer) {
  return (answer.categories || []).map(function (c) {
    return { code: c.code, name: c.name, label: (c.group ? c.group + " · " : "") + c.name, attributes: attributeFields(c.attributes) };
  });
}

// A category's Open311 attributes, each with its native control like a case form's fields;
// one that takes no answer (variable: false) is shown as a note.
const ATTRIBUTE_CONTROLS = {
  string: { control: "input", keyboard: "text", html: "text" },
  number: { control: "input", keyboard: "digit", html: "number" },
  text: { control: "textarea", keyboard: "", html: "" },
  datetime: { control: "date", keyboard: "", html: "date" },
  singlevaluelist: { control: "choice", keyboard: "", html: "" },
  multivaluelist: { control: "choice", keyboard: "", html: "" },
};

export function attributeFields(attributes) {
  return (attributes || []).map(function (a) {
    const control = ATTRIBUTE_CONTROLS[a.datatype] || ATTRIBUTE_CONTROLS.string;
    const info = a.variable === false;
    return {
      code: a.code,
      label: a.description,
      hint: a.datatype_description || "",
      required: Boolean(a.required) && !info,
      info: info,
      control: info ? "info" : control.control,
      keyboard: control.keyboard,
      html: control.html,
      multiple: a.datatype === "multivaluelist",
      values: a.values || [],
      choices: (a.values || []).map(function (v) {
        return v.name;
      }),
    };
  });
}

// The answers typed or picked (choices by their index), as the API takes them.
export function collectAttributes(fields, values) {
  const attributes = {};
  const missing = [];
  fields.forEach(function (f) {
    if (f.info) return;
    const v = values[f.code];
    if (v === undefined || v === null || String(v).trim() === "") {
      if (f.required) missing.push(f.label);
      return;
    }
    if (f.control === "choice") {
      const picked = f.values[Number(v)];
      if (!picked) return;
      attributes[f.code] = f.multiple ? [picked.key] : picked.key;
    } else if (f.html === "number") {
      attributes[f.code] = Number(v);
    } else {
      attributes[f.code] = String(v).trim();
    }
  });
  return { attributes: attributes, missing: missing };
}

export function ticketBody(input) {
  const text = String(input.text || "").trim();
  if (!text) return { error: messageFor("TEXT_REQUIRED") };
  if ((input.photoIds || []).length > MAX_PHOTOS) return { error: messageFor("TOO_MANY_PHOTOS") };
  const body = { kind: input.kind, category_code: input.category, text: text, photo_ids: input.photoIds || [] };
  if (input.attributes && Object.keys(input.attributes).length) body.attributes = input.attributes;
  if (input.address) body.address = String(input.address).trim().slice(0, 200);
  if (input.location) {
    body.lat = Math.round(input.location.lat * 1e6) / 1e6;
    body.long = Math.round(input.location.long * 1e6) / 1e6;
  }
  return { body: body };
}

function kindLabel(kind) {
  const found = TICKET_KINDS.find(function (k) {
    return k.kind === kind;
  });
  return found ? found.label : kind;
}

export function ticketRows(answer) {
  return (answer.tickets || []).map(function (t) {
    return { id: t.id, kind: kindLabel(t.kind), text: t.text.length > 40 ? t.text.slice(0, 40) + "…" : t.text, status: TICKET_STATUS[t.status] || t.status, created: shanghaiDateTime(t.created_at) };
  });
}

export function ticketModel(t) {
  return {
    id: t.id,
    kind: kindLabel(t.kind),
    text: t.text,
    address: t.address || "",
    located: t.lat !== null && t.lat !== undefined,
    photos: (t.photo_ids || []).length,
    status: TICKET_STATUS[t.status] || t.status,
    reply: t.reply || "",
    repliedAt: t.replied_at ? shanghaiDateTime(t.replied_at) : "",
    canReopen: t.status === "replied",
    canRate: t.status === "replied",
    rating: t.rating || 0,
    reopenCount: t.reopen_count || 0,
  };
}

// ------------------------------------------------------------------ 法人

export function legalPersonRows(answer) {
  return (answer.legal_persons || []).map(function (lp) {
    return {
      uscc: lp.uscc,
      name: lp.name,
      representative: lp.role === "representative",
      role: lp.role === "representative" ? "法定代表人" : "经办人",
      active: lp.status !== "deregistered",
      expires: lp.agent_expires_on ? "授权至 " + lp.agent_expires_on : "",
    };
  });
}

const AGENT_STATUS = { active: "有效", revoked: "已撤销", expired: "已过期" };

export function agentRows(answer) {
  return (answer.agents || []).map(function (a) {
    return {
      id: a.id,
      name: a.name_masked,
      idNumber: a.id_number_masked,
      status: AGENT_STATUS[a.status] || a.status,
      active: a.status === "active",
      expires: a.expires_on ? "至 " + a.expires_on : "长期",
    };
  });
}

// Who the resident acts as, kept on the phone: themself (null) or one legal person.
export const ACTING_KEY = "yiwang.acting-for";

export function actingFor(store) {
  const raw = store.get(ACTING_KEY);
  if (!raw) return null;
  try {
    const parsed = typeof raw === "string" ? JSON.parse(raw) : raw;
    return parsed && parsed.uscc ? parsed : null;
  } catch (e) {
    return null;
  }
}

// ------------------------------------------------------------------ 我的待缴, my orders

export function payableRows(answer) {
  return (answer.items || []).map(function (p) {
    return {
      key: p.type + ":" + p.ref,
      kind: p.type === "notice" ? "缴款通知书" : "交通违法罚款",
      title: p.title,
      agency: p.agency_name,
      who: p.payer_masked || p.plate_no_masked || "",
      amount: yuanLabel(p.amount_fen),
      due: p.due_date ? "缴款期限 " + p.due_date : p.late_fee_fen ? "含滞纳金 " + yuanLabel(p.late_fee_fen) : "",
      overdue: Boolean(p.overdue) && p.type === "notice",
      payable: p.payable,
      canPay: !(p.overdue && p.type === "notice"),
    };
  });
}

const ORDER_STATUS = { CREATED: "待支付", PAYING: "支付中", PAID: "已支付", CLOSED: "已关闭", REFUNDED: "已退款", PARTIALLY_REFUNDED: "部分退款" };

export function orderRows(answer) {
  return (answer.items || []).map(function (o) {
    return {
      id: o.id,
      description: o.description,
      agency: o.agency_name,
      amount: yuanLabel(o.amount_fen),
      status: ORDER_STATUS[o.status] || o.status,
      paid: o.status === "PAID",
      when: shanghaiDateTime(o.created_at),
    };
  });
}

export function pageInfo(answer) {
  const pages = Math.max(1, Math.ceil((answer.total || 0) / (answer.page_size || 20)));
  return { page: answer.page || 1, pages: pages, more: (answer.page || 1) < pages };
}

// ------------------------------------------------------------------ subscribe messages

// The moments a resident is asked to hear about what follows, and the messages that come:
// case steps after applying or supplementing, the rating invitation once a case is done,
// the 12345 reply after filing. Each message opens the page named here.
export const SUBSCRIBE = {
  case: { templates: ["yiwang-case-progress", "yiwang-rating-invite"], page: "pages/case/index" },
  hotline: { templates: ["yiwang-hotline-reply"], page: "pages/ticket/index" },
  payables: { templates: ["yiwang-notice-issued"], page: "pages/payables/index" },
};

// ------------------------------------------------------------------ the item page

const MATERIAL_FORM = { original: "原件", copy: "复印件", electronic: "电子件" };

function feesLabel(fees) {
  if (typeof fees === "string") return fees;
  if (!fees || !fees.length) return "不收费";
  return fees.map(function (f) {
    const amount = f.standard_fen !== undefined ? yuanLabel(f.standard_fen) : yuanLabel(f.min_fen) + "–" + yuanLabel(f.max_fen);
    return f.name + " " + amount;
  }).join("；");
}

function list(value) {
  if (!value) return [];
  return Array.isArray(value) ? value : [value];
}

// The guide's material that stands for a held e-licence: by its licence type, or by name.
function heldFor(material, held) {
  return held.find(function (l) {
    return (material.licence_type && l.kind === material.licence_type) || licenceMatches(material.name, l);
  });
}

// The guide (GET /items/{code}; absent on a server without it) and the online form (absent
// for an item done only at a window), with the e-licences the resident holds.
export function itemModel(guide, form, licences) {
  const held = (licences && licences.licences) || [];
  const g = (guide && guide.guide) || {};
  const materials = [];
  list(g.materials).forEach(function (m) {
    const entry = typeof m === "string" ? { name: m } : m;
    if (entry && entry.name && !materials.some(function (x) {
      return x.name === entry.name;
    })) materials.push(entry);
  });
  ((form && form.materials) || []).forEach(function (m) {
    if (!materials.some(function (x) {
      return x.name === m.name;
    })) materials.push({ name: m.name, required: m.required });
  });
  const facts = [];
  const promised = g.promised_time_limit_days || g.time_limit_days || (form && form.time_limit_days);
  if (promised) facts.push({ label: "承诺时限", value: promised + " 个工作日" });
  if (g.legal_time_limit_days) facts.push({ label: "法定时限", value: g.legal_time_limit_days + " 个工作日" });
  if (g.fees !== undefined) facts.push({ label: "收费", value: feesLabel(g.fees) });
  if (g.visits !== undefined) facts.push({ label: "到现场次数", value: g.visits ? "最多跑一次" : "零跑腿，全程网办" });
  if (list(g.legal_basis).length) facts.push({ label: "办理依据", value: list(g.legal_basis).join("；") });
  if (g.contact) facts.push({ label: "咨询电话", value: g.contact });
  const department = guide && guide.department;
  return {
    name: (guide && guide.name) || (form && form.item_name) || "",
    department: typeof department === "string" ? department : (department && department.name) || "",
    facts: facts,
    conditions: list(g.conditions),
    places: list(g.places).map(function (p) {
      return { name: p.name, detail: [p.address, p.hours, p.phone].filter(Boolean).join(" · ") };
    }),
    faq: list(g.faq),
    applicable: Boolean(form),
    checklist: materials.map(function (m) {
      const licence = heldFor(m, held);
      const how = [m.form && MATERIAL_FORM[m.form], m.copies > 1 ? m.copies + " 份" : "", m.required === false ? "选交" : ""].filter(Boolean).join(" · ");
      return { name: m.name, held: Boolean(licence), note: licence ? "免提交：已有电子证照" : [how, m.note].filter(Boolean).join(" · ") };
    }),
  };
}

// The item check's problems (app/catalog/guides.py: a field path and an English rule) in
// words beside their section: "材料第 3 项 · 名称：须为 1–64 个字".
const SECTIONS = {
  name: "事项名称", audience: "服务对象", theme: "主题", online_level: "网办深度", keywords: "关键词",
  code: "事项编码", department: "实施部门", region: "地区", needs: "所需能力",
  conditions: "受理条件", materials: "申请材料", fees: "收费", legal_time_limit_days: "法定时限",
  promised_time_limit_days: "承诺时限", legal_basis: "设定依据", places: "办理地点", visits: "跑动次数",
  contact: "咨询电话", faq: "常见问题",
};
const PARTS = {
  name: "名称", required: "是否必交", copies: "份数", form: "形式", licence_type: "电子证照", note: "说明",
  address: "地址", hours: "办公时间", phone: "电话", q: "问题", a: "回答", item_code: "执收项目编码",
  standard_fen: "收费标准", min_fen: "最低金额", max_fen: "最高金额",
};
const RULES = [
  [/is a text of (\d+) to (\d+) characters/, (m) => `须为 ${m[1]}–${m[2]} 个字`],
  [/is a list of (\d+) to (\d+)/, (m) => `须填写 ${m[1]}–${m[2]} 条`],
  [/is a list of at most (\d+)/, (m) => `最多 ${m[1]} 条`],
  [/is not a known field/, () => "不是可识别的字段"],
  [/working days from 0 to (\d+)/, (m) => `须为 0–${m[1]} 个工作日`],
  [/listed twice/, () => "重复填写"],
  [/is true or false/, () => "须选择是或否"],
  [/whole number from (\d+) to (\d+)/, (m) => `须为 ${m[1]}–${m[2]} 的整数`],
  [/original, copy or electronic/, () => "须为原件、复印件或电子件"],
  [/case form requires (.+?); the guide does not list it/, (m) => `办件表单要求提交「${m[1]}」，办事指南未列出`],
  [/case form requires (.+?) as required/, (m) => `办件表单要求必交「${m[1]}」，办事指南须列为必交`],
  [/above the legal time limit/, () => "承诺时限不能超过法定时限"],
  [/licence/, () => "电子证照类型不存在"],
  [/fee item/, () => "须为已登记的执收项目及其标准"],
  [/visits/, () => "网办深度与跑动次数不符（全程网办须零跑动，1–3 级须最多跑一次）"],
  [/at least one/, () => "至少填写一项"],
];

export function problemSection(path) {
  const bare = path.replace(/^guide\./, "");
  return bare.split(/[.[]/)[0] || "name";
}

export function problemWords(path, problem) {
  const bare = path.replace(/^guide\./, "");
  const m = bare.match(/^(\w+)(?:\[(\d+)\])?(?:\.(\w+))?/);
  let where = "";
  if (m) {
    where = SECTIONS[m[1]] || m[1];
    if (m[2] !== undefined) where += "第 " + (Number(m[2]) + 1) + " 项";
    if (m[3]) where += " · " + (PARTS[m[3]] || m[3]);
  }
  const rule = RULES.find(([re]) => re.test(problem));
  return (where ? where + "：" : "") + (rule ? rule[1](problem.match(rule[0])) : "不符合要求");
}

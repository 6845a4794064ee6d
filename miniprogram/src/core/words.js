// What the system's own words mean to a person: operator actions (the audit's action names),
// statuses, channels, roles and kinds. One table beside errors.js, for the shells and the
// operator console (console/ imports both); tests/console/test_console_source.py fails when an
// audit action written by the backend is missing here.

export const ACTIONS = {
  // catalog: items and mini-apps
  create_item: "新建事项",
  retire_item: "停用事项",
  "item.create": "新建事项",
  "item.revise": "修改事项（新版本）",
  "item.submit": "提交事项审核",
  "item.publish": "发布事项",
  "item.sync": "部门同步事项",
  "item.seed": "载入初始事项",
  "item_feed.bind": "绑定事项同步来源",
  "item_feed.unbind": "解绑事项同步来源",
  submit: "提交版本",
  approve: "审核通过",
  reject: "审核驳回",
  publish: "发布",
  release: "调整发布范围",
  rollback: "回滚",
  disable: "下架",
  // bundles (一件事) and appointments
  create_bundle: "新建“一件事”",
  "appointments.staff_booking": "窗口代为预约",
  "appointments.staff_cancel": "窗口取消预约",
  // cases, 12345 and the work calendar
  define_case_form: "定义办件表单",
  bind_case_desk: "绑定办件受理机构",
  unbind_case_desk: "解绑办件受理机构",
  define_service_attributes: "定义诉求补充信息",
  reveal_requester: "查看诉求人信息",
  load_work_calendar: "载入工作日历",
  // operators, keys and Open311
  "operator.signin_alert": "多次登录失败告警",
  open311_client_create: "新建 Open311 接入方",
  open311_client_revoke: "吊销 Open311 接入方",
  "crypto.rotate": "密钥轮换",
};

export const SUBJECTS = {
  item: "事项",
  item_feed: "事项同步来源",
  miniapp: "应用",
  case_form: "办件表单",
  case_desk: "办件受理机构",
  category: "诉求类别",
  ticket: "诉求",
  work_calendar: "工作日历",
  operator: "操作员",
  open311_client: "Open311 接入方",
  key: "密钥",
};

export const STATUSES = {
  // mini-app versions and releases
  submitted: "待审核",
  approved: "已通过",
  rejected: "已驳回",
  live: "已上线",
  superseded: "已被替代",
  rolled_back: "已回滚",
  none: "未发布",
  grey: "灰度发布中",
  full: "全量发布",
  disabled: "已下架",
  // items and their versions
  draft: "草稿",
  published: "已发布",
  replaced: "已被新版本替换",
  active: "在用",
  retired: "已停用",
  // refunds, refund reviews and orders
  PENDING: "处理中",
  SUCCESS: "成功",
  FAILED: "失败",
  OPEN: "待处理",
  REFUNDING: "退款中",
  REFUNDED: "已退款",
  SETTLED_OFFLINE: "已线下处理",
  CREATED: "待支付",
  PAYING: "支付中",
  PAID: "已支付",
  PARTIALLY_REFUNDED: "部分退款",
  CLOSED: "已关闭",
  // rectifications (整改)
  open: "待答复",
  replied: "已答复",
  fixed: "已整改",
  visited: "已回访",
  // supervision cards
  warning: "预警",
  yellow: "黄牌",
  red: "红牌",
};

export const FIELDS = {
  id: "应用标识",
  name: "名称",
  icon: "图标",
  department: "所属部门",
  entry: "入口",
  "entry.type": "入口类型",
  "entry.page": "原生页面",
  "entry.url": "H5 地址",
  items: "关联事项",
  regions: "上线地区",
  channels: "上线渠道",
  verification: "认证要求",
  capabilities: "所需能力",
  exclusions: "未上线渠道的原因",
  release: "发布状态",
  live_version: "线上版本",
  stable_version: "稳定版本",
  grey_regions: "灰度地区",
  status: "状态",
  agency_key: "受理机构",
  department_code: "部门",
  fields: "表单字段",
  materials: "材料",
  time_limit_days: "办理时限（工作日）",
  failures_within_the_hour: "一小时内失败次数",
  last_client: "最近来源",
  client_id: "接入方编号",
  key_prefix: "密钥前缀",
  created_at: "创建时间",
  revoked_at: "吊销时间",
};

export const CHANNELS = { app: "浙里办", wechat: "微信", alipay: "支付宝" };

export const ROLES = {
  platform_admin: "平台管理员",
  department_operator: "部门操作员",
  reviewer: "审核员",
};

export const VERIFICATION = { none: "无需登录", login: "需登录", verified: "需实名认证" };

export const REVIEW_REASONS = {
  PAID_AFTER_CLOSE: "订单关闭后到账",
  PAYABLE_ALREADY_PAID: "缴费事项已在别处缴清",
  SECOND_PAYMENT: "重复支付",
};

export const DISCREPANCIES = {
  missing_on_our_side: "我方无记录",
  missing_at_channel: "渠道无记录",
  amount_mismatch: "金额不一致",
  status_mismatch: "状态不一致",
};

export const CARDS = { none: "正常", warning: "预警", yellow: "黄牌", red: "红牌" };

function lookup(table, key) {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : key;
}

export function actionWord(action) {
  return lookup(ACTIONS, action);
}

export function statusWord(status) {
  return lookup(STATUSES, status);
}

// Every code the API can answer, as a resident would understand it. One table for the
// WeChat and Alipay mini-programs and the app's H5 shell. tests/shells/test_error_messages.py
// fails when the backend gains a code that is missing here.

export const MESSAGES = {
  // general
  DOMAIN_ERROR: "办理没有成功，请稍后再试。",
  INVALID_INPUT: "填写的信息有误，请检查后重新提交。",
  MALFORMED_JSON: "提交的内容有误，请刷新页面后重试。",
  JSON_TOO_DEEP: "提交的内容有误，请刷新页面后重试。",
  JSON_TOO_LARGE: "提交的内容太多，请删减后再试。",
  CONFLICT: "信息已被更新，请刷新后重试。",
  SIGN_IN_THROTTLED: "登录太频繁了，请过几分钟再试。",
  METRICS_FORBIDDEN: "没有权限查看此内容。",
  CATEGORY_NOT_FOUND: "没有找到这个诉求类别，请重新选择。",
  SERVICE_DEFINITION_INVALID: "这个事项的配置有误，请稍后再试或联系客服。",
  OPEN311_ATTRIBUTES_INVALID: "填写的补充信息有误，请检查后重新提交。",
  PAYMENT_NOT_FOUND: "没有找到这笔支付，请刷新后重试。",
  PAYMENT_CONFLICT: "这笔支付的状态已变化，请刷新后查看。",
  PAYMENT_INPUT_REFUSED: "支付信息有误，请检查后重试。",
  PAYMENT_UNAVAILABLE: "支付渠道暂时不可用，请稍后再试。",
  BAD_REQUEST: "操作没有成功，请刷新页面后重试。",
  INVALID_ID_NUMBER: "身份证号码有误，请核对后重新输入。",
  NOT_FOUND: "没有找到您要的内容，请返回上一页重新查找。",
  METHOD_NOT_ALLOWED: "这个版本太旧了，请更新到最新版本。",
  REQUEST_TIMEOUT: "网络太慢，没有办成，请稍后再试。",
  PAYLOAD_TOO_LARGE: "提交的内容太多，请删减后再试。",
  UNSUPPORTED_MEDIA_TYPE: "这个版本太旧了，请更新到最新版本。",
  INTERNAL_ERROR: "系统开小差了，请稍后再试。",
  SERVICE_UNAVAILABLE: "服务正在维护，请稍后再试。",
  CHANNEL_UNAVAILABLE: "微信、支付宝或浙里办暂时无法连接，请稍后再试。",
  RATE_LIMITED: "操作太频繁了，请稍等一分钟再试。",
  // identity
  UNAUTHENTICATED: "请先登录。",
  TOKEN_INVALID: "登录已过期，请重新登录。",
  LOGIN_CODE_INVALID: "登录凭证已失效，请重新登录。",
  VERIFICATION_FAILED: "实名认证没有通过，请本人重新进行刷脸认证。",
  VERIFICATION_NOT_YOURS: "刷脸认证的不是当前登录的本人，请本人重新认证。",
  NOT_VERIFIED: "此事项需要实名认证，请先完成实名认证。",
  IDENTITY_CONFLICT: "该身份已绑定其他账号，请联系客服 12345 处理。",
  FORBIDDEN: "您不能办理这个事项，如有疑问请拨打 12345。",
  // agencies and operators (not shown to residents, named so nothing falls through)
  AGENCY_SIGNATURE_INVALID: "部门接口签名无效。",
  AGENCY_TIMESTAMP_SKEWED: "部门接口时间不同步。",
  AGENCY_REQUEST_REPLAYED: "部门接口请求重复。",
  AGENCY_KIND_FORBIDDEN: "该部门无权办理此类业务。",
  UNKNOWN_REGION: "所选地区暂未开通，请选择其他地区。",
  INVALID_ITEM_CODE: "事项编码有误。",
  ITEM_CODE_TAKEN: "事项编码已被使用。",
  ITEM_GUIDE_INVALID: "事项或办事指南有误，请按提示逐项修改。",
  ITEM_CHANGED: "事项已有更新的版本，请刷新后在新版本上修改。",
  ITEM_NOT_REVIEWED: "该版本尚未经他人审核通过，不能发布。",
  ITEM_RETIRED: "该事项已停用，编码不再使用。",
  ITEM_NOT_FOUND: "没有找到这个事项，请返回重新搜索。",
  ITEM_FEED_MISSING: "该机构无权同步此部门的事项。",
  MANIFEST_INVALID: "应用配置有误，请检查后重新提交。",
  SELF_REVIEW: "不能审核自己提交的版本。",
  WORKFLOW_CONFLICT: "状态已变化，请刷新后再操作。",
  OPERATOR_LOGIN_FAILED: "用户名或密码错误。",
  OPERATOR_LOCKED: "账号已临时锁定，请 15 分钟后再试。",
  // violations
  PLATE_TYPE_UNKNOWN: "请选择正确的号牌种类。",
  PLATE_NO_INVALID: "车牌号格式不对，请照“浙A12345”的样子重新输入。",
  VIN_INVALID: "车架号格式不对，请对照行驶证重新输入。",
  VIN_TAIL_INVALID: "请输入车架号后 6 位。",
  LICENCE_NO_INVALID: "驾驶证号格式不对，请对照驾驶证重新输入。",
  FILE_NO_INVALID: "档案编号是 12 位数字，请对照驾驶证重新输入。",
  OWNERSHIP_PROOF_REQUIRED: "请输入车架号后 6 位，证明是您的车辆。",
  VEHICLE_NOT_FOUND: "没有查到这辆车，请核对车牌号和车架号后 6 位。",
  DRIVER_NOT_FOUND: "没有查到该驾驶证，请核对驾驶证号和档案编号。",
  VIOLATION_NOT_FOUND: "没有查到这条违法记录，请返回重新查询。",
  VIOLATION_NOT_DECIDED: "这条违法还未处理，请先到交警窗口或“交管12123”处理后再缴款。",
  // appointments
  SLOT_NOT_FOUND: "这个号源已不存在，请重新选择。",
  APPOINTMENT_NOT_FOUND: "没有找到这条预约，请到“我的预约”查看。",
  SLOT_FULL: "这个时段已约满，请选择其他时段，或加入候补。",
  ALREADY_BOOKED: "您已预约过这个时段，不用再约，请到“我的预约”查看。",
  BOOKING_BANNED: "您近期多次预约后未按时到场，暂时不能预约。",
  LIMIT_REACHED: "您的预约次数已达上限，请下次再约。",
  NOT_YET_RELEASED: "这天的号源还没有开放，请在每天 7:00 放号后再约。",
  BOOKING_CLOSED: "这个时段已停止预约（前一天 15:00 截止），请选其他日期。",
  CANCELLATION_CLOSED: "已过取消时间（前一天 14:00），请直接联系办理单位。",
  APPOINTMENT_NOT_ACTIVE: "这条预约已取消或已结束。",
  PAYMENT_HOLD_EXPIRED: "超时未支付，号源已释放，请重新预约。",
  WAITLIST_NOT_NEEDED: "这个时段还有余号，可以直接预约。",
  WAITLIST_ALREADY_JOINED: "您已在这个时段的候补队列中，有空位时会通知您。",
  // lottery release (摇号)
  LOTTERY_ALREADY_ENTERED: "您已参加这场摇号，不用再报名，请等待摇号结果。",
  LOTTERY_NOT_OPEN: "摇号报名还没有开始，请在报名时间内再来。",
  LOTTERY_CLOSED: "摇号报名已经结束，请留意下次放号。",
  NOT_A_LOTTERY: "这个号源不是摇号放号，请直接预约。",
  ENTRY_FOR_OTHERS: "只能为自己报名摇号，请让本人登录报名。",
  RELEASE_MODE_LOCKED: "这个号源已开始放号，不能再更改放号方式或时间。",
  SESSION_TOO_NEW: "放号时段请稍等几秒再提交。",
  POLLING_THROTTLED: "查询太频繁了，请稍后再试。",
  NO_KEPT_SEAT: "窗口预留号已用完或已开放，请直接在网上预约。",
  RESIDENT_NAME_MISMATCH: "姓名与身份证号不一致，请核对。",
  WAITLIST_ENTRY_NOT_FOUND: "没有找到这条候补记录，请到“我的预约”查看。",
  WAITLIST_NOT_OFFERED: "还没有轮到您，有空位时会通知您。",
  WAITLIST_OFFER_EXPIRED: "候补名额已过期（30 分钟内未确认），请重新预约。",
  CHECKIN_CODE_INVALID: "签到码无效，请刷新后重新出示。",
  CHECKIN_CODE_USED: "这个签到码已经用过了，需要帮助请找工作人员。",
  CHECKIN_NOT_ALLOWED: "现在还不能签到，请在预约时段前后签到。",
  CAPACITY_BELOW_BOOKED: "号源数量不能少于已预约人数，请调大后再保存。",
  // fees and payment notices
  PAYMENT_CODE_INVALID: "缴款码有误，请核对 20 位缴款码（最后一位是校验位）。",
  NOTICE_NOT_FOUND: "没有查到这张缴款通知书，请核对缴款码。",
  NOTICE_OVERDUE: "这张缴款通知书已过期，请联系开通知书的单位。",
  NOTICE_NOT_YOURS: "这张缴款通知书不是您的，请让缴款人本人缴纳。",
  FEE_ITEM_UNKNOWN: "收费项目不存在。",
  FEE_AMOUNT_INVALID: "收费金额有误。",
  ALREADY_PAID: "这笔款项已经缴过了，无需重复缴纳。",
  // payments
  PAYMENT_ERROR: "支付没有成功，请稍后再试。",
  ORDER_NOT_FOUND: "没有找到这笔订单，请返回重新缴款。",
  ORDER_CLOSED: "订单已关闭（超过 30 分钟未支付），请重新发起缴费。",
  ORDER_NOT_PAYABLE: "这笔订单现在不能支付，请刷新后查看。",
  CHANNEL_ACCOUNT_MISSING: "请先用当前渠道的账号登录后再支付。",
  REFUND_EXCEEDS_BALANCE: "退款金额超过可退金额。",
  ORDER_NOT_REFUNDABLE: "这笔订单不能退款。",
  PAYMENT_CHANNEL_FAILED: "支付渠道暂时不可用，请稍后再试。",
  NOTIFY_SIGNATURE_INVALID: "支付通知签名无效。",
  NOTIFY_UNKNOWN_ORDER: "支付通知对应的订单不存在。",
  NOTIFY_AMOUNT_MISMATCH: "支付金额与订单不符。",
  // receipts
  RECEIPT_NOT_FOUND: "没有找到这张票据，请到“我的票据”查看。",
  RECEIPT_NOT_ISSUABLE: "票据还在开具，请稍后到“我的票据”查看。",
  // cases (办件), evaluations (好差评), 12345 interactions, supervision
  CASE_NOT_FOUND: "没有找到这件办件，请核对办件编号。",
  // bundles (高效办成一件事)
  BUNDLE_NOT_FOUND: "没有找到这件“一件事”，请返回重新选择。",
  BUNDLE_CASE_NOT_FOUND: "没有找到这件“一件事”的办件，请核对编号。",
  BUNDLE_DEFINITION_INVALID: "“一件事”的定义有问题，请按提示修改。",
  BUNDLE_WORKFLOW_CONFLICT: "“一件事”的定义当前状态不能进行这一步，请刷新后再试。",
  BUNDLE_REQUEST_REUSED: "这个申请编号已用于另一份申请，请重新提交。",
  BUNDLE_MATERIAL_PENDING: "还有材料没有补齐，请补齐后再办结。",
  BUNDLE_SUPPLEMENT_UNNEEDED: "现在不用补充这些内容，请等待办理结果。",
  BUNDLE_NOT_FINISHED: "“一件事”全部办结后才能评价，请办结后再评。",
  CASE_TRANSITION_FORBIDDEN: "办件当前的状态不能进行这一步，请刷新后查看进度。",
  FORM_INVALID: "申请表填写有误，请按提示修改后重新提交。",
  ITEM_NOT_APPLICABLE: "这个事项暂不支持网上申请，请到窗口办理。",
  MATERIAL_NOT_FOUND: "没有找到这份材料或电子证照，请重新上传或选择。",
  UPLOAD_TOO_LARGE: "上传的文件太大了，请压缩后再上传。",
  UPLOAD_TYPE_NOT_ALLOWED: "只能上传 PDF、JPG 或 PNG 文件，请换个文件再传。",
  ALREADY_RATED: "您已经评价过这次服务了，无需再评。",
  NOT_RATEABLE: "只能评价您办理过、已办结的服务，请办结后再评价。",
  CATEGORY_UNKNOWN: "请选择正确的诉求类别。",
  TICKET_NOT_FOUND: "没有找到这条咨询、投诉或举报，请核对编号。",
  TICKET_STEP_FORBIDDEN: "这条诉求当前的状态不能进行这一步，请刷新后查看。",
  REOPEN_WINDOW_CLOSED: "答复超过 10 天，不能再申请重新办理了。",
  RECTIFICATION_NOT_FOUND: "没有找到这条整改工单。",
  RECTIFICATION_STEP_FORBIDDEN: "整改工单当前的状态不能进行这一步。",
  CASE_FORM_CHANGED: "申请表刚刚更新，请刷新后按新表填写。",
  CASE_FORM_NOT_FOUND: "这个事项还没有网上申请表。",
  CASE_FORM_SPEC_INVALID: "申请表的定义有误，请检查后再保存。",
  CASE_DESK_NOT_FOUND: "没有找到这条受理关系。",
  AGENCY_UNKNOWN: "没有找到这个接入部门。",
  DEPARTMENT_UNKNOWN: "没有找到这个部门。",
  OPEN311_API_KEY_INVALID: "接入密钥无效或已停用。",
  OPEN311_CLIENT_NOT_FOUND: "没有找到这个接入方。",
  // legal persons (法人) and their agents
  USCC_INVALID: "统一社会信用代码有误，请核对后重新输入。",
  LEGAL_PERSON_NOT_FOUND: "没有找到这家单位，请核对统一社会信用代码。",
  LEGAL_PERSON_DEREGISTERED: "这家单位已注销，请以个人或其他单位名义办理。",
  LEGAL_PERSON_REQUIRED: "这个事项需要以单位名义申请，请选择单位。",
  ON_BEHALF_NOT_ALLOWED: "这个事项只能以个人名义申请。",
  NOT_LEGAL_REPRESENTATIVE: "只有法定代表人能管理经办人，请让法定代表人登录办理。",
  NOT_AUTHORISED_FOR_LEGAL_PERSON: "您不是这家单位的法定代表人或经办人，请先请法定代表人授权。",
  AGENT_NAME_MISMATCH: "姓名与身份证号不一致，请核对。",
  AGENT_ALREADY_AUTHORISED: "这位经办人已经获得授权，无需再授权。",
  AGENT_NOT_FOUND: "没有找到这位经办人，请核对姓名和身份证号。",
  // operators: refunds and the refund-review queue
  IDEMPOTENCY_KEY_REQUIRED: "操作没有成功，请刷新页面后重试。",
  IDEMPOTENCY_KEY_INVALID: "操作没有成功，请刷新页面后重试。",
  IDEMPOTENCY_KEY_REUSED: "这次操作和上次不一致，请刷新页面后重新操作。",
  REFUND_REVIEW_NOT_FOUND: "没有找到这条待处理款项。",
  REFUND_REVIEW_RESOLVED: "这笔款项已经处理过了。",
  REFUND_REVIEW_TRADE_MISMATCH: "渠道的交易记录与这笔款项不符，请核对后再处理。",
  PAYMENT_CHANNEL_UNAVAILABLE: "支付渠道暂时无法连接，请稍后再试。",
  // on the phone, before or after the API
  NETWORK_ERROR: "网络连接失败，请检查网络后重试。",
  PAY_CANCELLED: "您已取消支付，可以稍后在订单中继续支付。",
  PAY_FAILED: "支付没有完成，请稍后再试。",
  PAY_PENDING: "正在确认支付结果，请稍后在“我的票据”中查看。",
  UPLOAD_FAILED: "材料上传没有成功，请检查网络后重新上传。",
  TOO_MANY_PHOTOS: "最多上传 6 张照片，请删掉几张再传。",
  LOCATION_DENIED: "没有获得定位权限，可以在地址栏手动填写地点。",
  FIELD_REQUIRED: "还有必填项没有填写，请补全后提交。",
  MATERIAL_MISSING: "还有必交材料没交，请上传或选择电子证照。",
  RATING_INCOMPLETE: "请为五项指标都打分后再提交。",
  TEXT_REQUIRED: "请填写诉求内容。",
};

const FALLBACK = "办理没有成功，请稍后再试。";

export function messageFor(code) {
  return Object.prototype.hasOwnProperty.call(MESSAGES, code) ? MESSAGES[code] : FALLBACK;
}

// An API refusal as the shells handle it: the stable code, and words for the resident.
export class ApiError extends Error {
  constructor(code, status, requestId, details) {
    super(messageFor(code));
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.requestId = requestId || null;
    this.details = details || null;
  }
}

export function errorFromResponse(status, body) {
  const code = body && typeof body.code === "string" ? body.code : status >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST";
  return new ApiError(code, status, body && body.request_id, body && body.details);
}

export function residentMessage(error) {
  if (error && typeof error.code === "string") return messageFor(error.code);
  return messageFor("NETWORK_ERROR");
}

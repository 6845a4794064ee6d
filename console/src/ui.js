import { ElMessage, ElMessageBox } from "element-plus";

// Every destructive action asks why; the answer is sent with the action and kept in the audit.
// `min`: the fewest characters the API takes for this action's reason.
export async function askReason(title, what, min = 2) {
  const { value } = await ElMessageBox.prompt(what + "\n原因将记入审计日志。", title, {
    confirmButtonText: "确定",
    cancelButtonText: "取消",
    inputPlaceholder: "请填写原因",
    inputValidator: (v) => (v && v.trim().length >= min) || `请填写原因（至少 ${min} 个字）`,
    customClass: "reason-box",
    type: "warning",
  });
  return value.trim();
}

export function failed(err) {
  if (err === "cancel" || err === "close") return;
  ElMessage({ type: "error", message: err.message || String(err), showClose: true, duration: 6000 });
}

export function done(text) {
  ElMessage({ type: "success", message: text, showClose: true });
}

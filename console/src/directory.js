// The region tree and department names, loaded once per page (GET /operator/directory).
import { reactive } from "vue";
import { call } from "./api.js";

export const directory = reactive({ regions: [], departments: [], themes: [], loaded: false });
let loading = null;

export function loadDirectory() {
  if (!loading) {
    loading = call("GET", "/directory").then((d) => {
      directory.regions = d.regions;
      directory.departments = d.departments;
      directory.themes = d.themes;
      directory.loaded = true;
    }).catch((err) => {
      loading = null;
      throw err;
    });
  }
  return loading;
}

export function regionName(code) {
  const r = directory.regions.find((x) => x.code === code);
  return r ? r.name : code;
}

export function departmentName(code) {
  const d = directory.departments.find((x) => x.code === code);
  return d ? d.name : code;
}

// el-tree / el-tree-select data: [{value, label, children}], limited to `within` when given.
export function regionTree(within) {
  const byParent = {};
  for (const r of directory.regions) (byParent[r.parent_code || ""] ||= []).push(r);
  const node = (r) => ({ value: r.code, label: r.name + "（" + r.code + "）", children: (byParent[r.code] || []).map(node) });
  const roots = within && within.length
    ? directory.regions.filter((r) => within.includes(r.code))
    : byParent[""] || [];
  return roots.map(node);
}

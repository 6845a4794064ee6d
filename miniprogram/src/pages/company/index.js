import { messageFor, residentMessage } from "../../core/errors.js";
import { ACTING_KEY, actingFor, agentRows, legalPersonRows } from "../../core/services.js";
import { host } from "../../host.js";
import { api, ensureSignedIn } from "../../session.js";

// 法人: act for myself or for a company I represent or am an agent of; a representative
// authorises agents, lists them (masked, as the API gives them) and revokes one.
Page({
  data: { hostDates: Boolean(host.pickDate), rows: [], loaded: false, actingUscc: "", actingName: "", managing: "", managingName: "", agents: [], agentName: "", agentId: "", agentExpires: "", error: "", notice: "" },
  onShow: function () {
    return this.load();
  },
  load: async function () {
    try {
      await ensureSignedIn();
      const rows = legalPersonRows(await api.myLegalPersons());
      const acting = actingFor(host.store);
      // A company I no longer act for falls back to acting for myself.
      const still = acting && rows.some(function (r) {
        return r.uscc === acting.uscc && r.active;
      });
      if (acting && !still) host.store.remove(ACTING_KEY);
      this.setData({ rows: rows, loaded: true, actingUscc: still ? acting.uscc : "", actingName: still ? acting.name : "", error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error), loaded: true });
    }
  },
  onSelf: function () {
    host.store.remove(ACTING_KEY);
    this.setData({ actingUscc: "", actingName: "", notice: "已切换为个人身份。" });
  },
  onAct: function (e) {
    const row = this.data.rows.find(function (r) {
      return r.uscc === e.currentTarget.dataset.uscc;
    });
    if (!row) return;
    host.store.set(ACTING_KEY, JSON.stringify({ uscc: row.uscc, name: row.name }));
    this.setData({ actingUscc: row.uscc, actingName: row.name, notice: "已切换为代表 " + row.name + " 办事。" });
  },
  onManage: async function (e) {
    const uscc = e.currentTarget.dataset.uscc;
    try {
      const answer = await api.agents(uscc);
      this.setData({ managing: uscc, managingName: answer.legal_person.name, agents: agentRows(answer), error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onAgentName: function (e) {
    this.setData({ agentName: e.detail.value });
  },
  onAgentId: function (e) {
    this.setData({ agentId: e.detail.value });
  },
  onAgentExpires: function (e) {
    this.setData({ agentExpires: e.detail.value });
  },
  onPickExpires: async function () {
    const picked = await host.pickDate(this.data.agentExpires);
    if (picked) this.setData({ agentExpires: picked });
  },
  onAuthorise: async function () {
    const name = String(this.data.agentName || "").trim();
    const idNumber = String(this.data.agentId || "").trim().toUpperCase();
    if (!name || !idNumber) return this.setData({ error: messageFor("FIELD_REQUIRED") });
    const body = { name: name, id_number: idNumber };
    if (this.data.agentExpires) body.expires_on = this.data.agentExpires;
    try {
      await api.authoriseAgent(this.data.managing, body);
      const answer = await api.agents(this.data.managing);
      this.setData({ agents: agentRows(answer), agentName: "", agentId: "", agentExpires: "", notice: "已授权。", error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
  onRevoke: async function (e) {
    try {
      await api.revokeAgent(this.data.managing, e.currentTarget.dataset.id);
      const answer = await api.agents(this.data.managing);
      this.setData({ agents: agentRows(answer), notice: "已撤销授权。", error: "" });
    } catch (error) {
      this.setData({ error: residentMessage(error) });
    }
  },
});

// The error table read as a resident (an elderly one first) reads it: every message is one
// short sentence in plain words, and every message a resident can meet says what to do
// next. Staff-only codes (agencies, operators, channel callbacks) are named and exempt from
// the next-step rule; a few resident messages state a settled fact and say why below.

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { MESSAGES } from "../src/core/errors.js";

const STAFF = new Set([
  "METRICS_FORBIDDEN", "AGENCY_SIGNATURE_INVALID", "AGENCY_TIMESTAMP_SKEWED", "AGENCY_REQUEST_REPLAYED",
  "AGENCY_KIND_FORBIDDEN", "INVALID_ITEM_CODE", "ITEM_CODE_TAKEN", "MANIFEST_INVALID", "SELF_REVIEW",
  "WORKFLOW_CONFLICT", "OPERATOR_LOGIN_FAILED", "OPERATOR_LOCKED", "RELEASE_MODE_LOCKED",
  "CAPACITY_BELOW_BOOKED", "FEE_ITEM_UNKNOWN", "FEE_AMOUNT_INVALID", "REFUND_EXCEEDS_BALANCE",
  "ORDER_NOT_REFUNDABLE", "NOTIFY_SIGNATURE_INVALID", "NOTIFY_UNKNOWN_ORDER", "NOTIFY_AMOUNT_MISMATCH",
  "RECTIFICATION_NOT_FOUND", "RECTIFICATION_STEP_FORBIDDEN", "CASE_FORM_SPEC_INVALID", "CASE_DESK_NOT_FOUND",
  "AGENCY_UNKNOWN", "DEPARTMENT_UNKNOWN", "OPEN311_API_KEY_INVALID", "OPEN311_CLIENT_NOT_FOUND",
  "REFUND_REVIEW_NOT_FOUND", "REFUND_REVIEW_RESOLVED", "REFUND_REVIEW_TRADE_MISMATCH",
  "SERVICE_DEFINITION_INVALID", "ITEM_NOT_REVIEWED", "ITEM_RETIRED", "ITEM_FEED_MISSING",
]);
const FACTS = {
  // The page appends the date the pause ends ("暂停至 …"), which is the next step.
  BOOKING_BANNED: "followed by the end date",
  // Shown on "my appointments" itself, next to the booking it is about.
  APPOINTMENT_NOT_ACTIVE: "shown beside the booking",
};
const NEXT_STEP = /请|可以|无需|不用|会通知|等待|直接/;
const JARGON = /幂等|JSON|HTTP|token|接口|请求|签名|服务器|异常|错误码|参数|null|undefined/i;

describe("the error table in plain words", () => {
  it("every message is one short sentence", () => {
    for (const [code, text] of Object.entries(MESSAGES)) {
      assert.ok(text.endsWith("。"), code + ": " + text);
      assert.ok([...text].length <= 40, code + " is long: " + text);
      assert.equal(text.split("。").length, 2, code + " is more than one sentence: " + text);
    }
  });

  it("a resident's message has no technical words and says what to do next", () => {
    const residents = Object.entries(MESSAGES).filter(([code]) => !STAFF.has(code));
    assert.ok(residents.length > 100, String(residents.length));
    for (const [code, text] of residents) {
      assert.doesNotMatch(text, JARGON, code + ": " + text);
      if (!(code in FACTS)) assert.match(text, NEXT_STEP, code + " says no next step: " + text);
    }
  });

  it("names only codes the table has", () => {
    for (const code of [...STAFF, ...Object.keys(FACTS)]) assert.ok(code in MESSAGES, code);
  });
});

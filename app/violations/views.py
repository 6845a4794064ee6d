"""What residents see of a violation: fine, late fee as of today, total, and what to do."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from app.violations.late_fee import first_fee_day, late_fee_fen
from app.violations.models import DECIDED, PAID, UNPAID
from app.violations.plates import PLATE_TYPES

PAY = "pay"
HANDLE_FIRST = "handle_first"


def violation_view(fact: dict[str, Any], today: date) -> dict[str, Any]:
    decided_at = datetime.fromisoformat(fact["decided_at"]) if fact["decided_at"] else None
    unpaid = fact["payment_status"] == UNPAID
    decided = fact["handling_status"] == DECIDED
    late_fee = late_fee_fen(fact["fine_fen"], decided_at, today) if unpaid else 0
    if not unpaid:
        action = None
    elif decided:
        action = PAY
    else:
        action = HANDLE_FIRST
    return {
        "violation_id": fact["violation_id"],
        "occurred_at": fact["occurred_at"],
        "place": fact["place"],
        "behavior": fact["behavior"],
        "points": fact["points"],
        "fine_fen": fact["fine_fen"],
        "late_fee_fen": late_fee,
        "total_fen": fact["fine_fen"] + late_fee if unpaid else 0,
        "late_fee_from": first_fee_day(decided_at).isoformat() if decided_at else None,
        "decision_no": fact["decision_no"],
        "decided_at": fact["decided_at"],
        "handling_status": fact["handling_status"],
        "payment_status": fact["payment_status"],
        "paid_at": fact["paid_at"],
        "paid_via": fact["paid_via"],
        "payable": unpaid and decided,
        "action": action,
    }


def summary(views: list[dict[str, Any]]) -> dict[str, int]:
    due = [v for v in views if v["payment_status"] == UNPAID]
    return {
        "count": len(views),
        "unpaid": len(due),
        "payable": sum(1 for v in due if v["payable"]),
        "points": sum(v["points"] for v in due),
        "payable_total_fen": sum(v["total_fen"] for v in due if v["payable"]),
    }


def vehicle_view(owner: dict[str, Any], *, bound: bool) -> dict[str, Any]:
    kind = PLATE_TYPES.get(owner["plate_type"])
    return {
        "id": owner["id"],
        "plate_type": owner["plate_type"],
        "plate_type_name": kind.name if kind else None,
        "plate_no": owner["plate_no"],
        "vin_masked": owner["vin_masked"],
        "bound": bound,
    }


def is_paid(fact: dict[str, Any]) -> bool:
    return fact["payment_status"] == PAID

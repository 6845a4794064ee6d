"""What a lookup needs, loaded from the database in a cacheable (JSON) shape.

A lookup of an unknown plate and of a known plate do the same work here: one query for the
owner record and one for its violations (an impossible id when there is no owner), so the
two paths cannot be told apart by how long the database takes.
"""

from __future__ import annotations

from typing import Any

from app.violations.models import Driver, Vehicle, Violation

# No row has this id: used to run the violations query even when there is no owner.
NO_ROW = 0


def violation_fact(v: Violation) -> dict[str, Any]:
    return {
        "pk": v.id,
        "violation_id": v.violation_id,
        "occurred_at": v.occurred_at.isoformat(),
        "place": v.place,
        "behavior": v.behavior,
        "points": v.points,
        "fine_fen": v.fine_fen,
        "decision_no": v.decision_no,
        "decided_at": v.decided_at.isoformat() if v.decided_at else None,
        "handling_status": v.handling_status,
        "payment_status": v.payment_status,
        "paid_at": v.paid_at.isoformat() if v.paid_at else None,
        "paid_via": v.paid_via,
    }


def vehicle_fact(vehicle: Vehicle) -> dict[str, Any]:
    return {
        "id": vehicle.id,
        "plate_type": vehicle.plate_type,
        "plate_no": vehicle.plate_no,
        "vin_masked": vehicle.vin_masked,
        "proof": vehicle.vin_tail_hash,
    }


async def _violations(**where: Any) -> list[dict[str, Any]]:
    rows = await Violation.filter(**where).order_by("-occurred_at", "-id")
    return [violation_fact(v) for v in rows]


async def load_plate(plate_type: str, plate_no: str) -> dict[str, Any]:
    vehicle = await Vehicle.get_or_none(plate_type=plate_type, plate_no=plate_no)
    violations = await _violations(vehicle_id=vehicle.id if vehicle else NO_ROW)
    return {
        "owner": vehicle_fact(vehicle) if vehicle else None,
        "violations": violations,
    }


async def load_driver(licence_no_hashes: list[str]) -> dict[str, Any]:
    driver = await Driver.filter(licence_no_hash__in=licence_no_hashes).first()
    violations = await _violations(driver_id=driver.id if driver else NO_ROW)
    owner = (
        {
            "id": driver.id,
            "licence_no_masked": driver.licence_no_masked,
            "proof": driver.file_no_hash,
        }
        if driver
        else None
    )
    return {"owner": owner, "violations": violations}

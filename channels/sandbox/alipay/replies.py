"""The shapes of gateway answers, with Alipay's real public codes.

``10000 Success``; ``40001 Missing Required Arguments``; ``40002 Invalid Arguments``;
``40004 Business Failed`` (the ``ACQ.*`` family); ``20001 Insufficient Token Permissions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reply:
    payload: dict[str, Any]
    # Alipay answers some refusals under "error_response" instead of "<method>_response".
    envelope: str | None = None
    signed: bool = True


def success(**fields: Any) -> Reply:
    return Reply({"code": "10000", "msg": "Success", **fields})


def business_failure(sub_code: str, sub_msg: str, **fields: Any) -> Reply:
    return Reply(
        {
            "code": "40004",
            "msg": "Business Failed",
            "sub_code": sub_code,
            "sub_msg": sub_msg,
            **fields,
        }
    )


def invalid_arguments(
    sub_code: str, sub_msg: str, *, signed: bool = True, envelope: str | None = None
) -> Reply:
    payload = {
        "code": "40002",
        "msg": "Invalid Arguments",
        "sub_code": sub_code,
        "sub_msg": sub_msg,
    }
    return Reply(payload, envelope=envelope, signed=signed)


def missing_arguments(sub_code: str, sub_msg: str) -> Reply:
    payload = {
        "code": "40001",
        "msg": "Missing Required Arguments",
        "sub_code": sub_code,
        "sub_msg": sub_msg,
    }
    return Reply(payload, signed=False)


def insufficient_token(sub_code: str, sub_msg: str) -> Reply:
    payload = {
        "code": "20001",
        "msg": "Insufficient Token Permissions",
        "sub_code": sub_code,
        "sub_msg": sub_msg,
    }
    return Reply(payload)


def invalid_parameter(sub_msg: str) -> Reply:
    return business_failure("ACQ.INVALID_PARAMETER", sub_msg)

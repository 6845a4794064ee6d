"""The receipt's identity: code (8 digits), number (10 digits) and check code (6 characters).

Receipt code = region 2 + class 2 + kind 2 + year 2 (docs/receipts.md lists the values).
The receipt number is gapless within its code (see ``numbering``). ``receipt_no`` — the
name used in URLs — is code + number, 18 digits. The check code is random, so knowing a
number (they are sequential) does not let anyone claim to hold the receipt.
"""

from __future__ import annotations

import re
import secrets
from datetime import date

# 票据种类: every receipt here is a 非税收入统一票据 (non-tax revenue unified receipt).
RECEIPT_CLASS = "01"
# 收入类别 by what was paid; anything else is 99 (other non-tax revenue).
KIND_BY_PAYABLE = {
    "notice": "01",  # 行政事业性收费 — administrative and institutional fees
    "appointment": "02",  # 医疗/服务收费 — fee-bearing clinic and hall appointments
    "violation": "03",  # 罚没收入 — fines and confiscations
}
OTHER_KIND = "99"
CHECK_ALPHABET = "0123456789abcdefghjkmnpqrstuvwxy"  # 32 symbols; no i, l, o, z
CHECK_CODE = re.compile(r"^[0-9a-z]{6}$")
RECEIPT_NO = re.compile(r"^\d{18}$")


def receipt_code(region_code: str, payable_type: str, issue_date: date) -> str:
    if not re.fullmatch(r"\d{6}", region_code):
        raise ValueError(f"region code must be 6 digits, got {region_code!r}")
    kind = KIND_BY_PAYABLE.get(payable_type, OTHER_KIND)
    return f"{region_code[:2]}{RECEIPT_CLASS}{kind}{issue_date.year % 100:02d}"


def receipt_no(code: str, number: int) -> str:
    return f"{code}{number:010d}"


def new_check_code() -> str:
    return "".join(secrets.choice(CHECK_ALPHABET) for _ in range(6))


def normalize_check_code(value: str) -> str:
    return value.strip().lower()

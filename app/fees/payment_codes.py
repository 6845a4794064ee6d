"""Payment codes (缴款码): 20 digits, checked by ISO 7064 MOD 11-10 before any lookup.

Layout: 6-digit region + 2-digit year + 3-digit kind + 8-digit serial + 1 check digit.
"""

from __future__ import annotations

from app.errors import InvalidInput


class PaymentCodeInvalid(InvalidInput):
    code = "PAYMENT_CODE_INVALID"
    message = "The payment code is mistyped: check the 20 digits on the notice."


def mod11_10_check_digit(digits: str) -> str:
    """ISO 7064 MOD 11-10: the digit that makes the whole string valid."""
    product = 10
    for ch in digits:
        total = (product + int(ch)) % 10 or 10
        product = (total * 2) % 11
    return str((11 - product) % 10)


def is_valid(code: str) -> bool:
    return len(code) == 20 and code.isdigit() and mod11_10_check_digit(code[:19]) == code[19]


def checked(raw: str) -> str:
    """The code without spaces, or PaymentCodeInvalid for a wrong length or check digit."""
    code = raw.replace(" ", "").replace("-", "")
    if not is_valid(code):
        raise PaymentCodeInvalid()
    return code


def compose(region: str, year: int, kind: str, serial: int) -> str:
    if len(region) != 6 or not region.isdigit() or len(kind) != 3 or not kind.isdigit():
        raise ValueError("region is 6 digits and kind is 3 digits")
    if not 0 < serial < 10**8:
        raise ValueError("the serial is 8 digits")
    body = f"{region}{year % 100:02d}{kind}{serial:08d}"
    return body + mod11_10_check_digit(body)

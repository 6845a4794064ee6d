"""Amounts as printed on a receipt: yuan figures and the Chinese uppercase total (大写).

大写 follows the accounting rules (会计基础工作规范): financial numerals, 壹拾 written out,
one 零 for any run of zeros inside the integer part, 整 only when the amount ends at 元,
and 负 before a red-letter (negative) amount.
"""

from __future__ import annotations

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("", "拾", "佰", "仟")
SECTIONS = ("", "万", "亿", "万亿")


def yuan(amount_fen: int) -> str:
    """12345 → '123.45'; -500 → '-5.00'."""
    sign = "-" if amount_fen < 0 else ""
    whole, cents = divmod(abs(amount_fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def _four_digits(value: int) -> str:
    out = ""
    pending_zero = False
    for place in range(3, -1, -1):
        digit = value // 10**place % 10
        if digit == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out += "零"
        out += DIGITS[digit] + PLACES[place]
        pending_zero = False
    return out


def _integer(value: int) -> str:
    groups = []
    while value:
        groups.append(value % 10000)
        value //= 10000
    if len(groups) > len(SECTIONS):
        raise ValueError("amount too large for a receipt")
    out = ""
    zero_between = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_between = bool(out)
            continue
        if out and (zero_between or group < 1000):
            out += "零"
        out += _four_digits(group) + SECTIONS[index]
        zero_between = False
    return out


def uppercase(amount_fen: int) -> str:
    """12345 → 壹佰贰拾叁元肆角伍分; 100500 → 壹仟零伍元整; 5 → 伍分; 0 → 零元整."""
    if amount_fen < 0:
        return "负" + uppercase(-amount_fen)
    whole, cents = divmod(amount_fen, 100)
    jiao, fen = divmod(cents, 10)
    if whole == 0 and cents == 0:
        return "零元整"
    out = _integer(whole) + "元" if whole else ""
    if cents == 0:
        return out + "整"
    if jiao:
        out += DIGITS[jiao] + "角"
    elif whole:
        out += "零"
    if fen:
        out += DIGITS[fen] + "分"
    return out

"""What an order is opened from: a quote computed by the domain that owns the payable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class LineDraft:
    """One line of what is paid; these lines are printed on the e-receipt too."""

    item_code: str
    name: str
    quantity: int
    standard_fen: int
    amount_fen: int


@dataclass(frozen=True)
class OrderDraft:
    payable_type: str
    payable_ref: str
    lines: tuple[LineDraft, ...]
    # Shown on the channel's cashier and on the receipt.
    description: str
    # The collecting agency (执收单位), named on the receipt.
    agency_id: int | None
    agency_name: str
    # The payer as printed on the receipt (stored encrypted; masked on public views).
    payer_name: str
    # 6-digit region code, used for receipt numbering.
    region_code: str
    # A payable may need paying sooner than the order's default expiry (e.g. a held slot).
    pay_before: datetime | None = None

    @property
    def amount_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)

    @property
    def key(self) -> str:
        return f"{self.payable_type}:{self.payable_ref}"

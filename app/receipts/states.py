"""Receipt states and the ONE transition table.

A blue (normal) receipt is ISSUED and becomes VOIDED when a full refund is red-lettered
(红冲). A red-letter receipt is ISSUED and stays so: it is never voided itself.
"""

from __future__ import annotations

from enum import StrEnum

from infra.transitions import Transitions


class ReceiptStatus(StrEnum):
    ISSUED = "ISSUED"
    VOIDED = "VOIDED"


class ReceiptKind(StrEnum):
    NORMAL = "normal"
    RED_LETTER = "red_letter"


RECEIPT = Transitions.of(
    "receipt",
    {ReceiptStatus.ISSUED: {ReceiptStatus.VOIDED}, ReceiptStatus.VOIDED: set()},
)

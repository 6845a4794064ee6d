"""The one agency batch import: records pushed in a list, each checked on its own and applied
in its own transaction.

A bad record is reported by index, key, field and code and changes nothing, and the good
ones still land; a key twice in one batch is refused the second time. The room says how a
record is checked, what keys it, and how it is applied (created, updated or unchanged).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from app.errors import InvalidInput

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"

R = TypeVar("R")


class RecordRefused(Exception):
    """One record breaks a rule; the field names where, never echoing the value."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field, self.code, self.message = field, code, message


@dataclass(frozen=True)
class Rejection:
    index: int
    key_name: str
    key: str | None
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            self.key_name: self.key,
            "field": self.field,
            "code": self.code,
            "message": self.message,
        }


@dataclass
class Outcome:
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "errors": [r.as_dict() for r in self.rejected],
        }


@dataclass(frozen=True)
class BatchImport:
    """How one room imports: the key field, the check, and the apply step."""

    key: str
    max_records: int
    duplicate_message: str
    check: Callable[[Any], Any]
    key_of: Callable[[Any], str]

    async def run(self, raw_records: Any, apply: Callable[[R], Awaitable[str]]) -> Outcome:
        if not isinstance(raw_records, list) or not raw_records:
            raise InvalidInput("records must be a non-empty list.", field="records")
        if len(raw_records) > self.max_records:
            raise InvalidInput(f"At most {self.max_records} records per call.", field="records")
        outcome = Outcome(received=len(raw_records))
        seen: set[str] = set()
        for index, raw in enumerate(raw_records):
            sent_key = raw.get(self.key) if isinstance(raw, dict) else None
            try:
                record = self.check(raw)
                if self.key_of(record) in seen:
                    raise RecordRefused(self.key, "DUPLICATE_IN_BATCH", self.duplicate_message)
                seen.add(self.key_of(record))
                result = await apply(record)
            except RecordRefused as refused:
                outcome.rejected.append(
                    Rejection(
                        index,
                        self.key,
                        sent_key if isinstance(sent_key, str) else None,
                        refused.field,
                        refused.code,
                        refused.message,
                    )
                )
                continue
            setattr(outcome, result, getattr(outcome, result) + 1)
        return outcome

"""Gapless receipt numbers: taken from a counter row inside the transaction that uses them.

The counter row is locked (SELECT … FOR UPDATE) until the receipt insert commits. Numbers
under one code are therefore handed out one transaction at a time, and a crash, a lost
race or a rollback after a number was taken gives it back with the transaction: no hole,
no duplicate. A code's first receipt creates its counter (a new year starts at 1).
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from app.receipts.models import ReceiptCounter

MAX_NUMBER = 9_999_999_999


class NumbersExhausted(RuntimeError):
    """All ten-digit numbers of a code are used (operators must open a new code)."""


async def _locked(tx: BaseDBAsyncClient, code: str) -> ReceiptCounter | None:
    return await ReceiptCounter.filter(code=code).using_db(tx).select_for_update().first()


async def take_number(tx: BaseDBAsyncClient, code: str) -> int:
    counter = await _locked(tx, code)
    if counter is None:
        try:
            async with tx._in_transaction() as savepoint:
                await ReceiptCounter.create(code=code, last_number=0, using_db=savepoint)
        except IntegrityError:
            pass  # another transaction created it first; its row lock orders us after it
        counter = await _locked(tx, code)
        if counter is None:
            raise RuntimeError(f"receipt counter {code} vanished")
    number = counter.last_number + 1
    if number > MAX_NUMBER:
        raise NumbersExhausted(code)
    await ReceiptCounter.filter(code=code).using_db(tx).update(last_number=number)
    return number

"""The catalog's one change-plus-audit transaction: the audit row commits with the change,
and the cache hears of it only after the commit, never for a change that rolled back."""

from __future__ import annotations

import pytest

from app.catalog import audit
from app.catalog.models import AuditEntry, Theme


async def test_a_change_commits_with_its_audit_row_then_the_cache_is_told(clean: None) -> None:
    told: list[int] = []

    async def bump() -> None:
        told.append(await Theme.filter(code="t1").count())

    theme = {"name": "old"}
    async with audit.audited(
        None, "rename", "theme", "t1", department=None,
        snapshot=lambda: dict(theme), after_commit=bump,
    ) as tx:  # fmt: skip
        await Theme.create(code="t1", name="new", position=1, using_db=tx)
        theme["name"] = "new"
    entry = await AuditEntry.get(subject_id="t1")
    assert (entry.before, entry.after, entry.operator_name) == (
        {"name": "old"}, {"name": "new"}, "system",
    )
    assert told == [1]  # the bump saw the committed row


async def test_a_change_that_fails_leaves_no_row_no_audit_and_no_bump(clean: None) -> None:
    told: list[str] = []

    async def bump() -> None:
        told.append("bumped")

    with pytest.raises(RuntimeError):
        async with audit.audited(
            None, "rename", "theme", "t2", department=None,
            snapshot=lambda: {}, after_commit=bump,
        ) as tx:  # fmt: skip
            await Theme.create(code="t2", name="x", position=1, using_db=tx)
            raise RuntimeError("refused halfway")
    assert not await Theme.exists(code="t2")
    assert await AuditEntry.all().count() == 0
    assert told == []

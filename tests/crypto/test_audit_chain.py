"""The audit chain on PostgreSQL: ``yiwang audit verify`` names the first changed, removed or
reordered record; a cut-off tail shows against a logged checkpoint; the server's role may
append audit rows but never change or delete them."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest
from tortoise.transactions import in_transaction

from app.catalog import audit
from app.catalog.models import AuditEntry
from app.config import Settings

pytestmark = pytest.mark.usefixtures("clean")
ROOT = Path(__file__).parents[2]


async def append(count: int) -> None:
    for n in range(count):
        async with in_transaction() as tx:
            await audit.record(
                None,
                "open311.reveal",
                "requester",
                f"SR{n:04d}",
                department="330106-GA",
                using=tx,
                after={"fields": ["name", "phone"], "n": n},
                reason="call back about the pothole",
            )


def verify(env: dict[str, str], *extra: str) -> tuple[int, dict, str]:
    run = subprocess.run(
        [sys.executable, "-m", "app", "audit", "verify", *extra],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return run.returncode, json.loads(run.stdout.strip().splitlines()[-1]), run.stderr


async def test_verify_passes_an_intact_chain_and_names_a_changed_record(
    env: dict[str, str],
) -> None:
    await append(6)
    code, report, _ = verify(env)
    assert code == 0 and report["intact"] is True and report["records"] == 6
    head = report["head"]

    third = await AuditEntry.get(seq=3)
    await AuditEntry.filter(id=third.id).update(reason="nothing to see")
    code, report, err = verify(env)
    assert code == 1 and report["intact"] is False
    assert report["first_break"]["seq"] == 3 and report["first_break"]["record_id"] == third.id
    assert report["first_break"]["problem"] == "content changed"
    assert "record #3" in err
    await AuditEntry.filter(id=third.id).update(reason=third.reason)
    assert verify(env)[0] == 0  # put back, intact again

    # A removed record breaks the sequence at the gap.
    await AuditEntry.filter(seq=5).delete()
    code, report, _ = verify(env)
    assert code == 1 and report["first_break"]["problem"] == "records #5-#5 removed"

    # The tail cut off: the chain itself holds, the logged checkpoint does not.
    await AuditEntry.filter(seq__gte=5).delete()
    assert verify(env)[0] == 0
    code, report, _ = verify(env, "--checkpoint", f"{head['seq']}:{head['mac']}")
    assert code == 1 and "tail cut" in report["first_break"]["problem"]


async def test_the_worker_checkpoints_the_head_to_the_log_stream(
    env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    await append(2)
    caplog.set_level(logging.INFO, logger="yiwang.audit")
    await audit.checkpoint({})
    line = next(r.getMessage() for r in caplog.records if r.name == "yiwang.audit")
    seq, mac = re.fullmatch(r"audit chain head seq=(\d+) mac=([0-9a-f]{64})", line).groups()
    code, report, _ = verify(env, "--checkpoint", f"{seq}:{mac}")
    assert code == 0 and report["head"] == {"seq": 2, "mac": mac}


async def test_records_swapped_between_rows_are_caught(env: dict[str, str]) -> None:
    await append(4)
    one, two = await AuditEntry.get(seq=1), await AuditEntry.get(seq=2)
    # Swap the sequence numbers (reordering): each row's MAC still matches its own content,
    # but the links no longer do.
    await AuditEntry.filter(id=one.id).update(seq=-1)
    await AuditEntry.filter(id=two.id).update(seq=1)
    await AuditEntry.filter(id=one.id).update(seq=2)
    code, report, _ = verify(env)
    assert code == 1 and report["first_break"]["seq"] == 1
    assert "link" in report["first_break"]["problem"]


async def test_the_server_role_may_insert_audit_rows_but_not_change_or_delete_them(
    settings: Settings, database_url: str
) -> None:
    """The grants docs/operations.md gives the server's role, applied and tried."""
    await append(1)
    role = f"yiwang_app_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f"CREATE ROLE {role} NOLOGIN")
        await admin.execute(f"GRANT SELECT, INSERT ON catalog_audit TO {role}")
        await admin.execute(f"GRANT USAGE ON SEQUENCE catalog_audit_id_seq TO {role}")
        await admin.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON catalog_audit FROM {role}")
        async with admin.transaction():
            await admin.execute(f"SET LOCAL ROLE {role}")
            await admin.execute(
                "INSERT INTO catalog_audit (at, operator_name, action, subject_type, subject_id)"
                " VALUES (now(), 'system', 'probe', 'probe', 'x')"
            )
        for statement in (
            "UPDATE catalog_audit SET reason = 'edited'",
            "DELETE FROM catalog_audit",
            "TRUNCATE catalog_audit",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with admin.transaction():
                    await admin.execute(f"SET LOCAL ROLE {role}")
                    await admin.execute(statement)
        assert await admin.fetchval("SELECT count(*) FROM catalog_audit") == 2
        # What the role may do, a row around the chain, is caught by the verification.
        report = await audit.verify_chain()
        assert report["intact"] is False and "outside the chain" in report["first_break"]["problem"]
    finally:
        await admin.execute(f"DROP OWNED BY {role}")
        await admin.execute(f"DROP ROLE {role}")
        await admin.close()

"""Every unique key, index and CHECK the models declare exists in the migrated databases.

Tortoise 1.1 rebuilds a SQLite table to add a constraint or change a column, and can drop
indexes while doing it (seen: the refund review's unique trade key and status index). The
models are the contract; this compares them with what the migrations really built, on
PostgreSQL (the test database: every key and index) and on the demo's SQLite (a fresh
``yiwang migrate --demo``: the unique keys and CHECKs, which carry rules).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from tortoise import Tortoise, connections
from tortoise.migrations.constraints import CheckConstraint

Keys = tuple[set[tuple[str, tuple[str, ...]]], set[tuple[str, tuple[str, ...]]], set[str]]


def _declared() -> Keys:
    """(table, columns) of unique keys and of plain indexes, and CHECK names, per the models."""
    unique: set[tuple[str, tuple[str, ...]]] = set()
    indexed: set[tuple[str, tuple[str, ...]]] = set()
    checks: set[str] = set()
    for app in Tortoise.apps.values():
        for model in app.values():
            meta = model._meta
            table = meta.db_table
            for name, field in meta.fields_map.items():
                if field.pk:
                    continue
                column = meta.fields_db_projection.get(name)
                if column is None:
                    continue
                if field.unique:
                    unique.add((table, (column,)))
                elif field.index:
                    indexed.add((table, (column,)))
            for group in meta.unique_together:
                cols = tuple(meta.fields_db_projection.get(f, f + "_id") for f in group)
                unique.add((table, cols))
            for constraint in getattr(meta, "constraints", ()) or ():
                if isinstance(constraint, CheckConstraint):
                    checks.add(constraint.name)
    return unique, indexed, checks


def _covered(found: dict[tuple[str, tuple[str, ...]], bool], want, *, unique: bool) -> list:
    missing = []
    for table, cols in sorted(want):
        ok = any(
            t == table and c == cols and (u or not unique) for (t, c), u in found.items()
        ) or any(t == table and c[: len(cols)] == cols for (t, c) in found if not unique)
        if not ok:
            missing.append((table, cols))
    return missing


async def test_postgresql_has_every_declared_key(database: None) -> None:
    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        """
        SELECT t.relname AS tbl, ix.indisunique AS uniq,
               array_agg(a.attname ORDER BY k.n) AS cols
        FROM pg_index ix
        JOIN pg_class t ON t.oid = ix.indrelid
        JOIN pg_namespace ns ON ns.oid = t.relnamespace AND ns.nspname = 'public'
        JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n) ON true
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
        GROUP BY ix.indexrelid, t.relname, ix.indisunique
        """
    )
    found = {(r["tbl"], tuple(r["cols"])): r["uniq"] for r in rows}
    names = {
        r["conname"]
        for r in await conn.execute_query_dict(
            "SELECT conname FROM pg_constraint WHERE contype = 'c'"
        )
    }
    unique, indexed, checks = _declared()
    missing_unique = _covered(found, unique, unique=True)
    assert not missing_unique, f"unique keys missing: {missing_unique}"
    missing_indexes = _covered(found, indexed, unique=False)
    assert not missing_indexes, f"indexes missing: {missing_indexes}"
    assert sorted(checks - names) == []


@pytest.fixture(scope="module")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("schema")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["YIWANG_VAR_DIR"] = str(home / "var")
    subprocess.run(
        [sys.executable, "-m", "app", "migrate", "--demo"],
        cwd=home,
        env=env,
        check=True,
        capture_output=True,
    )
    return home / "var" / "yiwang.sqlite3"


async def test_the_demo_sqlite_has_every_declared_key(database: None, demo_sqlite: Path) -> None:
    db = sqlite3.connect(demo_sqlite)
    try:
        found: dict[tuple[str, tuple[str, ...]], bool] = {}
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        sql = "\n".join(r[0] or "" for r in db.execute("SELECT sql FROM sqlite_master"))
        for table in tables:
            for _, name, uniq, *_ in db.execute(f"PRAGMA index_list('{table}')").fetchall():
                cols = tuple(r[2] for r in db.execute(f"PRAGMA index_info('{name}')"))
                found[(table, cols)] = bool(uniq)
    finally:
        db.close()
    unique, _, checks = _declared()
    # Keys that carry a rule must hold. Plain indexes the rebuilds drop are not checked
    # here: the demo's tables are small, and PostgreSQL (above) has every one.
    missing_unique = _covered(found, unique, unique=True)
    assert not missing_unique, f"unique keys missing: {missing_unique}"
    assert sorted(c for c in checks if c not in sql) == []

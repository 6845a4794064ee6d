"""Restoring keys that Tortoise 1.1's migrations lose, for the migrations that need it.

Two faults, both covered by ``tests/test_schema_keys.py``:
- SQLite cannot add a CHECK to a table, so Tortoise rebuilds the table, and the rebuild
  leaves out the table-level unique keys (``unique_together``). PostgreSQL alters in place.
- ``AddField(..., db_index=True)`` adds the column without its index, on both engines.

A migration that follows such a step calls :func:`ensure` in a ``RunPython`` with the keys
the models declare. ``IF NOT EXISTS`` makes it safe to run where a key already exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# (index name, table, columns, unique, SQLite only)
Key = tuple[str, str, Sequence[str], bool, bool]


async def ensure(schema_editor: Any, keys: Sequence[Key]) -> None:
    client = schema_editor.client
    sqlite = client.capabilities.dialect == "sqlite"
    for name, table, columns, unique, sqlite_only in keys:
        if sqlite_only and not sqlite:
            continue
        cols = ", ".join(f'"{c}"' for c in columns)
        kind = "UNIQUE INDEX" if unique else "INDEX"
        await client.execute_script(f'CREATE {kind} IF NOT EXISTS "{name}" ON "{table}" ({cols})')

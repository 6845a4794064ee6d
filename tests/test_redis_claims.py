"""The test sessions' Redis db claims: a killed session's claim does not lock a db for hours."""

from __future__ import annotations

import os
import secrets

import redis as sync_redis

from tests.conftest import _claim


def test_a_claim_held_by_a_dead_process_is_taken_over_and_a_live_one_is_not() -> None:
    registry = sync_redis.Redis(host="127.0.0.1", port=6379, db=0)
    slot = f"selftest-{secrets.token_hex(4)}"
    key = f"yiwang-test-db:{slot}"
    try:
        registry.set(key, "4194305:killed", ex=60)  # above Linux's highest pid: never alive
        assert _claim(registry, slot, f"{os.getpid()}:mine")
        assert registry.get(key) == f"{os.getpid()}:mine".encode()

        assert not _claim(registry, slot, f"{os.getpid()}:other")
        assert registry.get(key) == f"{os.getpid()}:mine".encode()

        registry.set(key, "legacy-token", ex=60)  # written before claims named a process
        assert _claim(registry, slot, f"{os.getpid()}:third")
    finally:
        registry.delete(key)
        registry.close()

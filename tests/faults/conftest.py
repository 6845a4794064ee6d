"""Fixtures of the fault tests: one private PostgreSQL cluster for the module (each test gets
a database of its own, copied from a migrated template) and, per test, a private Redis and
a production-shaped instance on them."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import ARTIFACTS
from tests.faults.private_services import PrivatePostgres
from tests.faults.stack import ROOT, Stack, stack_env, start_stack

TEMPLATE = "yiwang_template"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePostgres]:
    postgres = PrivatePostgres().init()
    try:
        subprocess.run(
            ["psql", postgres.url(), "-q", "-c", f'CREATE DATABASE "{TEMPLATE}"'],
            check=True,
            capture_output=True,
        )
        var = tmp_path_factory.mktemp("template")
        env = stack_env(postgres.url(TEMPLATE), "redis://127.0.0.1:1/0", var, 1, 2)
        subprocess.run(
            [sys.executable, "-m", "app", "migrate"],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        yield postgres
    finally:
        postgres.destroy()


@pytest.fixture
async def stack(cluster: PrivatePostgres, tmp_path: Path) -> AsyncIterator[Stack]:
    database = f"fault_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(cluster.url())
    await admin.execute(f'CREATE DATABASE "{database}" TEMPLATE "{TEMPLATE}"')
    await admin.close()
    ARTIFACTS.mkdir(exist_ok=True)
    running = start_stack(cluster, database, tmp_path, ARTIFACTS / f"{database}.log")
    try:
        yield running
    finally:
        running.stop()
        running.redis.kill()

"""``yiwang crypto rotate`` on PostgreSQL: killed midway and restarted, and run beside the
live server while it finds residents by their ID numbers.

Citizens are seeded as the international suite left them (AES-256-GCM under ``v1``,
HMAC-SHA256 lookups); the server and the rotation run the national suite (SM4-GCM under
``sm1``, HMAC-SM3).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from app.identity.id_numbers import with_check_digit
from app.identity.models import Citizen
from infra import clock
from infra.masking import mask_id_number, mask_name, mask_phone
from infra.pii import PiiVault
from tests.journeys import new_person, sign_in

pytestmark = pytest.mark.usefixtures("clean")
ROOT = Path(__file__).parents[2]


def international(env: dict[str, str]) -> PiiVault:
    return PiiVault.international(
        base64.b64decode(env["PII_KEY"]), base64.b64decode(env["PII_HASH_KEY"])
    )


def id_number(n: int) -> str:
    return with_check_digit(f"330106{19800101 + n // 1000:08d}{n % 1000:03d}")


def legacy_citizen(
    vault: PiiVault, number: str, name: str, phone: str | None, now: datetime
) -> Citizen:
    sealed_phone = (
        {
            "phone_enc": vault.encrypt("phone", phone),
            "phone_hash": vault.lookup_hash("phone", phone),
            "phone_masked": mask_phone(phone),
        }
        if phone
        else {}
    )
    return Citizen(
        id=uuid.uuid4(),
        verified=True,
        name_enc=vault.encrypt("name", name),
        name_masked=mask_name(name),
        id_number_enc=vault.encrypt("id_number", number),
        id_number_hash=vault.lookup_hash("id_number", number),
        id_number_masked=mask_id_number(number),
        created_at=now,
        verified_at=now,
        **sealed_phone,
    )


async def seed_legacy_citizens(
    vault: PiiVault, count: int, *, start: int = 0
) -> dict[str, uuid.UUID]:
    """Verified citizens written by the international suite; id number -> citizen id."""
    now = clock.now()
    rows, ids = [], {}
    for n in range(start, start + count):
        citizen = legacy_citizen(vault, id_number(n), f"居民{n}", f"139{n:08d}", now)
        ids[id_number(n)] = citizen.id
        rows.append(citizen)
    for offset in range(0, len(rows), 2000):
        await Citizen.bulk_create(rows[offset : offset + 2000])
    return ids


def rotate_command(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "crypto", "rotate", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def every_citizen_reads(vault: PiiVault) -> dict[str, int]:
    """Every sealed value opens (whatever key it is under); counts by key id."""
    by_key: dict[str, int] = {}
    rows = await Citizen.all().values("id_number_enc", "name_enc", "phone_enc")
    for row in rows:
        assert vault.decrypt("id_number", row["id_number_enc"]).startswith("330106")
        assert vault.decrypt("name", row["name_enc"]).startswith("居民")
        assert vault.decrypt("phone", row["phone_enc"]).startswith("139")
        key_id = vault.key_id_of(row["id_number_enc"])
        by_key[key_id] = by_key.get(key_id, 0) + 1
    return by_key


async def test_a_rotation_killed_midway_resumes_and_leaves_every_row_readable(
    settings: Settings, env: dict[str, str]
) -> None:
    ids = await seed_legacy_citizens(international(env), 3000)
    vault = settings.vault()

    first = rotate_command(env, "--batch-size", "100", "--pause", "0.02")
    assert first.stdout is not None
    for line in first.stdout:
        progress = json.loads(line)
        if progress.get("table") == "citizen" and progress["rotated"] >= 600:
            first.send_signal(signal.SIGKILL)  # a real kill, between or inside a batch
            break
    assert first.wait(timeout=60) == -signal.SIGKILL
    first.stdout.close()
    assert first.stderr is not None
    first.stderr.close()

    halfway = await every_citizen_reads(vault)
    assert 600 <= halfway["sm1"] < 3000 and halfway["v1"] == 3000 - halfway["sm1"]

    second = rotate_command(env, "--batch-size", "500")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["done"] is True and summary["key_id"] == "sm1"
    assert summary["rotated"]["citizen"] == 3000 - halfway["sm1"]  # resumed, not redone

    assert await every_citizen_reads(vault) == {"sm1": 3000}
    # Lookups now match under HMAC-SM3 alone: each citizen is found by its ID number.
    sm3_only = PiiVault(vault.data_keys, vault.lookup_keys[:1])
    for number in list(ids)[::250]:
        found = await Citizen.get(id_number_hash=sm3_only.lookup_hash("id_number", number))
        assert found.id == ids[number]
    status = subprocess.run(
        [sys.executable, "-m", "app", "crypto", "status"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    reported = json.loads(status.stdout)
    assert reported["personal_data"]["algorithm"] == "SM4-GCM"
    assert reported["personal_data"]["key_id"] == "sm1"
    assert reported["lookup_hash"]["algorithm"] == "HMAC-SM3"
    assert reported["receipt_signature"] == {"algorithm": "SM2", "key_id": "t2", "version": 1}
    assert reported["not_yet_rotated"]["citizen"] == 0


async def test_a_value_under_an_unknown_key_id_stops_the_rotation_naming_it(
    settings: Settings, env: dict[str, str]
) -> None:
    await seed_legacy_citizens(international(env), 3)
    stranger = await Citizen.first()
    assert stranger is not None
    retired = "zz9:" + base64.b64encode(os.urandom(40)).decode()
    await Citizen.filter(id=stranger.id).update(name_enc=retired)

    run = rotate_command(env)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 1
    failure = json.loads(err.strip().splitlines()[-1])
    assert failure["code"] == "UNKNOWN_KEY_ID" and failure["key_id"] == "zz9"
    assert "zz9" in failure["message"]
    # The row is left exactly as it was: never garbage, never half rotated.
    assert (await Citizen.get(id=stranger.id)).name_enc == retired


async def test_ten_thousand_citizens_rotate_while_the_live_server_finds_residents(
    settings: Settings,
    env: dict[str, str],
    api: httpx.AsyncClient,
    sandbox: httpx.AsyncClient,
) -> None:
    legacy = international(env)
    await seed_legacy_citizens(legacy, 10_000)
    # Residents who will sign in: seeded like the rest, before the national suite.
    people = [(with_check_digit(f"33010219750101{n:03d}"), f"刘{n}") for n in range(12)]
    seeded: dict[str, uuid.UUID] = {}
    for number, name in people:
        seeded |= {number: (await seed_named(legacy, number, name))}
    users = {number: await new_person(sandbox, number, name) for number, name in people}

    # Sign-ins are limited per client address (30 a minute): the lookups come from several
    # loopback addresses, each kept under its limit, as residents behind different NATs.
    clients = [
        httpx.AsyncClient(
            base_url=str(api.base_url),
            timeout=20,
            transport=httpx.AsyncHTTPTransport(local_address=f"127.0.0.{10 + n}"),
        )
        for n in range(12)
    ]
    sent = [0] * len(clients)

    async def look_up(number: str, channel: str) -> uuid.UUID:
        user = users[number][channel]["user_id"]
        which = min(range(len(clients)), key=sent.__getitem__)
        if sent[which] >= 28:
            raise AssertionError("out of sign-in budget: the rotation ran too long")
        sent[which] += 1
        body = await sign_in(clients[which], sandbox, channel, user)
        return uuid.UUID(body["citizen"]["id"])

    # Before the rotation: the legacy HMAC-SHA256 rows are found (no duplicate person).
    for number, _ in people[:4]:
        assert await look_up(number, "alipay") == seeded[number]

    rotation = rotate_command(env, "--batch-size", "500")
    during, failures = 0, []
    rounds = 0
    while rotation.poll() is None:
        await asyncio.sleep(0.2)
        channel = ("app", "alipay")[rounds % 2]
        batch = people[(rounds * 3) % 12 : (rounds * 3) % 12 + 3]
        found = await asyncio.gather(
            *(look_up(number, channel) for number, _ in batch), return_exceptions=True
        )
        for (number, _), result in zip(batch, found, strict=True):
            if result != seeded[number]:
                failures.append((number, channel, repr(result)))
        during += len(batch) if rotation.poll() is None else 0
        rounds += 1
    out, err = rotation.communicate(timeout=10)
    assert rotation.returncode == 0, err
    assert failures == []
    assert during >= 6, "the rotation finished before any lookup ran beside it"
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["done"] is True
    assert summary["rotated"]["citizen"] + summary["raced"] >= 10_000
    assert await Citizen.filter(id_number_enc__startswith="v1:").count() == 0
    # After: still the same person behind every channel.
    for number, _ in people:
        assert await look_up(number, "alipay") == seeded[number]
    for client in clients:
        await client.aclose()


async def seed_named(vault: PiiVault, number: str, name: str) -> uuid.UUID:
    citizen = legacy_citizen(vault, number, name, None, clock.now())
    await citizen.save(force_create=True)
    return citizen.id

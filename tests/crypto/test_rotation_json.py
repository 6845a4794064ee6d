"""``yiwang crypto rotate`` reaches the sealed values inside JSON columns (a case form's ID
numbers and phones, an Open311 requester) as it does sealed columns: afterwards none is
sealed under the old key id, every one still opens, and ``crypto status`` counts them."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from app.cases.materials import MaterialStore
from app.cases.models import Case
from app.cases.service import Cases
from app.config import Settings
from app.interactions.models import Ticket
from app.interactions.requesters import seal, unseal
from app.runtime import crypto_rotation
from app.runtime.crypto_rotation import (
    JSON_TABLES,
    Progress,
    json_remaining,
    remaining,
    rotate,
    rotate_json_table,
)
from infra import clock
from infra.pii import PiiUnknownKey, PiiVault
from tests.cases.fixtures import GOOD_FORM, ITEM_CODE, PDF, person, seed

pytestmark = pytest.mark.usefixtures("clean")
ID_NUMBER = "11010519491231002X"
REQUESTER = {"first_name": "小明", "last_name": "王", "phone": "13912345678"}


def international(env: dict[str, str]) -> PiiVault:
    return PiiVault.international(
        base64.b64decode(env["PII_KEY"]), base64.b64decode(env["PII_HASH_KEY"])
    )


def sealed_tokens(value: object) -> list[str]:
    if isinstance(value, dict):
        if isinstance(value.get("enc"), str):
            return [value["enc"]]
        return [t for v in value.values() for t in sealed_tokens(v)]
    return []


async def legacy_rows(settings: Settings, env: dict[str, str], tmp_path: Path) -> list[int]:
    """Three cases and two Open311 tickets sealed by the international suite (key id v1),
    one case also carrying an ID number whose field its form no longer has."""
    legacy = international(env)
    await seed(settings, tmp_path)
    cases = Cases(legacy, settings.service_rules)
    store = MaterialStore(legacy, b"k" * 32, settings.service_rules.upload_max_bytes)
    ids = []
    for _ in range(3):
        who = await person("wechat")
        material = await store.store(who.citizen_id, "id.pdf", PDF)
        case = await cases.apply(
            who, ITEM_CODE, GOOD_FORM, [{"name": "身份证", "material_id": material.id}]
        )
        ids.append(case.id)
    first = await Case.get(id=ids[0])
    form = dict(first.form)
    form["old_id_number"] = {
        "enc": legacy.encrypt("case_form:id_number", ID_NUMBER),
        "masked": "110105********002X",
    }
    await Case.filter(id=first.id).update(form=form)
    for n in range(2):
        await Ticket.create(
            client_id=1,
            requester=seal(legacy, REQUESTER),
            channel="open311",
            kind="report",
            category_code="road",
            department_code="330106-JT",
            text=f"路灯不亮 {n}",
            status="dispatched",
            created_at=clock.now(),
            updated_at=clock.now(),
        )
    return ids


async def test_rotate_reseals_json_values_and_leaves_none_under_the_old_key(
    settings: Settings, env: dict[str, str], tmp_path: Path
) -> None:
    vault = settings.vault()
    assert vault.current.key_id != "v1"
    ids = await legacy_rows(settings, env, tmp_path)
    left = await remaining(vault)
    assert left["case_case.form"] == 3 and left["interaction_ticket.requester"] == 2

    progress = await rotate(
        vault, MaterialStore(vault, b"k" * 32, settings.service_rules.upload_max_bytes)
    )
    assert progress.rotated["case_case.form"] == 3
    assert progress.rotated["interaction_ticket.requester"] == 2

    left = await remaining(vault)
    assert left["case_case.form"] == 0 and left["interaction_ticket.requester"] == 0
    for case in await Case.filter(id__in=ids):
        tokens = sealed_tokens(case.form)
        assert tokens and all(vault.key_id_of(t) == vault.current.key_id for t in tokens)
        assert vault.decrypt("case_form:phone", case.form["applicant_phone"]["enc"]) == (
            GOOD_FORM["applicant_phone"]
        )
        # Plain fields are untouched; masks stay as they were.
        assert case.form["bank"] == GOOD_FORM["bank"]
        assert case.form["applicant_phone"]["masked"] == "138****8000"
    first = await Case.get(id=ids[0])
    assert vault.decrypt("case_form:id_number", first.form["old_id_number"]["enc"]) == ID_NUMBER
    for ticket in await Ticket.all():
        assert vault.key_id_of(ticket.requester["enc"]) == vault.current.key_id
        assert unseal(vault, ticket.requester) == REQUESTER

    # Nothing left: a second run rewrites nothing, and without the old key all still opens.
    again = await rotate(
        vault, MaterialStore(vault, b"k" * 32, settings.service_rules.upload_max_bytes)
    )
    assert "case_case.form" not in again.rotated
    national_only = PiiVault(vault.data_keys[:1], vault.lookup_keys)
    for ticket in await Ticket.all():
        assert unseal(national_only, ticket.requester) == REQUESTER
    with pytest.raises(PiiUnknownKey, match="'v1'"):
        national_only.decrypt("open311_requester", seal(international(env), REQUESTER)["enc"])


async def test_a_form_changed_during_the_rotation_is_left_to_the_writer(
    settings: Settings, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row is rewritten only if it is still what was read: a request that changed it
    between the read and the write wins, and the next pass finds what is still old."""
    vault = settings.vault()
    ids = await legacy_rows(settings, env, tmp_path)
    first = await Case.get(id=ids[0])
    by_request = dict(first.form)
    by_request["applicant_phone"] = {
        "enc": vault.encrypt("case_form:phone", "13700001111"),
        "masked": "137****1111",
    }
    real_transaction = crypto_rotation.in_transaction
    raced: list[bool] = []

    @asynccontextmanager
    async def request_writes_first() -> AsyncIterator[object]:
        if not raced:  # between the batch's read and its locked write
            raced.append(True)
            await Case.filter(id=first.id).update(form=by_request)
        async with real_transaction() as tx:
            yield tx

    monkeypatch.setattr(crypto_rotation, "in_transaction", request_writes_first)
    forms = JSON_TABLES[0]
    progress = Progress()
    await rotate_json_table(forms, vault, batch_size=10, pause=0, progress=progress)
    assert raced and progress.raced == 1 and progress.rotated["case_case.form"] == 2
    mine = await Case.get(id=first.id)
    assert mine.form["applicant_phone"] == by_request["applicant_phone"]  # the request's
    assert vault.key_id_of(mine.form["old_id_number"]["enc"]) == "v1"  # still to do
    assert await json_remaining(forms, vault) == 1

    await rotate_json_table(forms, vault, batch_size=10, pause=0, progress=progress)
    assert await json_remaining(forms, vault) == 0
    mine = await Case.get(id=first.id)
    assert vault.decrypt("case_form:phone", mine.form["applicant_phone"]["enc"]) == "13700001111"
    assert vault.decrypt("case_form:id_number", mine.form["old_id_number"]["enc"]) == ID_NUMBER

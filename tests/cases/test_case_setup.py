"""Operators define case forms and case desks: scope, roles, versions, audit; the CLI too."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.agency.signing import create_agency
from app.cases.demo import FIELDS, MATERIALS
from app.cases.forms import check_form, check_spec
from app.cases.materials import MaterialStore
from app.cases.models import CaseDesk, CaseForm, CaseFormVersion
from app.cases.service import Cases
from app.cases.setup import define_form, form_version
from app.catalog.models import AuditEntry
from app.errors import CaseFormChanged, CaseFormSpecInvalid, FormInvalid
from app.operators.auth import create_operator
from infra import clock
from tests.cases.fixtures import GOOD_FORM, ITEM_CODE, PNG, person, seed
from tests.journeys import bearer, signed_headers

PASSWORD = "a-long-password-1"
FORM_URL = f"/api/v1/operator/items/{ITEM_CODE}/case-form"
HOUSEHOLD = {"name": "household", "label": "户籍地", "type": "text", "max_length": 60}


async def _operators(api: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    """admin, the item's department operator (mzj), another department's (jj), a reviewer."""
    accounts = {
        "admin": ("platform_admin", []),
        "mzj": ("department_operator", ["hz-mzj"]),
        "jj": ("department_operator", ["hz-jj"]),
        "rev": ("reviewer", ["hz-mzj"]),
    }
    tokens = {}
    for who, (role, departments) in accounts.items():
        await create_operator(
            username=f"{who}-op", password=PASSWORD, role=role, departments=departments
        )
        r = await api.post(
            "/api/v1/operator/sessions", json={"username": f"{who}-op", "password": PASSWORD}
        )
        assert r.status_code == 201, r.text
        tokens[who] = bearer(r.json()["token"])
    return tokens


async def _version() -> int:
    return (await CaseForm.get(item_code=ITEM_CODE)).version


async def test_forms_are_scoped_versioned_guarded_and_audited(
    clean: None, api: httpx.AsyncClient, settings, tmp_path: Path
) -> None:
    await seed(settings, tmp_path)
    op = await _operators(api)

    seen = await api.get(FORM_URL, headers=op["rev"])  # reviewers read
    assert seen.status_code == 200, seen.text
    form = seen.json()
    assert form["version"] == 1 and form["fields"] == FIELDS and form["materials"] == MATERIALS
    assert form["time_limit_days"] == 10
    assert [(v["version"], v["by"]) for v in form["versions"]] == [(1, "system")]
    anonymous = await api.put(FORM_URL, json={"fields": [], "materials": []})
    assert anonymous.status_code == 401
    outside = await api.get(FORM_URL, headers=op["jj"])
    assert outside.status_code == 404 and outside.json()["code"] == "NOT_FOUND"

    changed = {"fields": [*FIELDS, HOUSEHOLD], "materials": MATERIALS}
    refused = await api.put(FORM_URL, headers=op["rev"], json=changed)
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    refused = await api.put(FORM_URL, headers=op["jj"], json=changed)
    assert refused.status_code == 404 and refused.json()["code"] == "NOT_FOUND"
    assert await _version() == 1

    v2 = await api.put(
        FORM_URL, headers=op["mzj"], json={**changed, "expected_version": 1, "reason": "户籍"}
    )
    assert v2.status_code == 200, v2.text
    assert v2.json()["version"] == 2 and v2.json()["fields"][-1] == HOUSEHOLD
    # A change made on top of version 1 again lost the race: refused, nothing stored.
    stale = await api.put(
        FORM_URL,
        headers=op["admin"],
        json={"fields": FIELDS, "materials": [], "expected_version": 1},
    )
    assert stale.status_code == 409 and stale.json()["code"] == "CASE_FORM_CHANGED"
    same = await api.put(FORM_URL, headers=op["admin"], json=changed)  # no change: no version
    assert same.status_code == 200 and same.json()["version"] == 2
    v3 = await api.put(FORM_URL, headers=op["admin"], json={**changed, "time_limit_days": 5})
    assert v3.json()["version"] == 3 and v3.json()["time_limit_days"] == 5
    assert [v["by"] for v in v3.json()["versions"]] == ["system", "mzj-op", "admin-op"]

    old = (await api.get(FORM_URL, params={"version": 1}, headers=op["mzj"])).json()
    assert old["version"] == 1 and old["fields"] == FIELDS and old["by"] == "system"
    none = await api.get(FORM_URL, params={"version": 9}, headers=op["mzj"])
    assert none.status_code == 404 and none.json()["code"] == "CASE_FORM_NOT_FOUND"
    assert await CaseFormVersion.filter(item_code=ITEM_CODE).count() == 3

    audit = await api.get(
        "/api/v1/operator/audit", params={"subject": ITEM_CODE}, headers=op["mzj"]
    )
    entries = [e for e in audit.json()["entries"] if e["action"] == "define_case_form"]
    assert [
        (e["operator"], (e["before"] or {}).get("version"), e["after"]["version"]) for e in entries
    ] == [("admin-op", 2, 3), ("mzj-op", 1, 2), ("system", None, 1)]
    assert entries[1]["reason"] == "户籍" and entries[1]["department"] == "hz-mzj"
    assert entries[1]["after"]["fields"][-1] == HOUSEHOLD
    assert entries[0]["before"]["time_limit_days"] == 10
    # The other department's operator sees none of it.
    theirs = await api.get(
        "/api/v1/operator/audit", params={"subject": ITEM_CODE}, headers=op["jj"]
    )
    assert theirs.json()["entries"] == []


async def test_a_bad_definition_over_http_is_refused_whole_and_changes_nothing(
    clean: None, api: httpx.AsyncClient, settings, tmp_path: Path
) -> None:
    await seed(settings, tmp_path)
    op = await _operators(api)
    audits = await AuditEntry.all().count()
    bad = {
        "fields": [
            {**FIELDS[2], "choices": []},
            {"name": "age", "label": "年龄", "type": "integer", "min": 120, "max": 60},
            {"name": "age", "label": "年龄", "type": "text", "max_length": 0},
        ],
        "materials": [{"name": f"材料{i}"} for i in range(21)],
        "time_limit_days": 0,
    }
    r = await api.put(FORM_URL, headers=op["mzj"], json=bad)
    assert r.status_code == 422 and r.json()["code"] == "CASE_FORM_SPEC_INVALID"
    assert set(r.json()["details"]["problems"]) == {
        "fields[0].choices",
        "fields[1].min",
        "fields[2].name",
        "fields[2].max_length",
        "materials",
        "time_limit_days",
    }
    typo = await api.put(FORM_URL, headers=op["mzj"], json={"feilds": [], "materials": []})
    assert typo.status_code == 422 and typo.json()["details"]["problems"] == {
        "feilds": "is not a key of a form definition",
        "fields": "is required",
    }
    version = await api.put(
        FORM_URL,
        headers=op["mzj"],
        json={"fields": FIELDS, "materials": [], "expected_version": "1"},
    )
    assert version.status_code == 422 and version.json()["code"] == "INVALID_INPUT"
    assert await _version() == 1
    assert (await CaseForm.get(item_code=ITEM_CODE)).fields_spec == FIELDS
    assert await CaseFormVersion.filter(item_code=ITEM_CODE).count() == 1
    assert await AuditEntry.all().count() == audits


GOOD_FIELD = {"name": "note", "label": "备注", "type": "text"}


@pytest.mark.parametrize(
    ("fields", "materials", "days", "problem"),
    [
        ({"a": 1}, [], None, "fields"),
        (["text"], [], None, "fields[0]"),
        ([{"name": "Phone", "label": "电话", "type": "phone"}], [], None, "fields[0].name"),
        ([GOOD_FIELD, GOOD_FIELD], [], None, "fields[1].name"),
        ([{"name": "x", "label": "X", "type": "file"}], [], None, "fields[0].type"),
        ([{"name": "x", "type": "text"}], [], None, "fields[0].label"),
        ([{**GOOD_FIELD, "label": " 备注"}], [], None, "fields[0].label"),
        ([{**GOOD_FIELD, "required": "yes"}], [], None, "fields[0].required"),
        ([{**GOOD_FIELD, "maxlength": 10}], [], None, "fields[0].maxlength"),
        ([{**GOOD_FIELD, "max_length": 0}], [], None, "fields[0].max_length"),
        ([{**GOOD_FIELD, "max_length": 4001}], [], None, "fields[0].max_length"),
        ([{**GOOD_FIELD, "max_length": True}], [], None, "fields[0].max_length"),
        ([{**GOOD_FIELD, "choices": ["a"]}], [], None, "fields[0].choices"),
        (
            [{"name": "n", "label": "N", "type": "integer", "min": 5, "max": 1}],
            [],
            None,
            "fields[0].min",
        ),
        ([{"name": "n", "label": "N", "type": "integer", "min": "1"}], [], None, "fields[0].min"),
        ([{"name": "n", "label": "N", "type": "integer", "max": 2**60}], [], None, "fields[0].max"),
        (
            [{"name": "n", "label": "N", "type": "integer", "max_length": 3}],
            [],
            None,
            "fields[0].max_length",
        ),
        ([{"name": "c", "label": "C", "type": "choice"}], [], None, "fields[0].choices"),
        (
            [{"name": "c", "label": "C", "type": "choice", "choices": []}],
            [],
            None,
            "fields[0].choices",
        ),
        (
            [{"name": "c", "label": "C", "type": "choice", "choices": "ab"}],
            [],
            None,
            "fields[0].choices",
        ),
        (
            [{"name": "c", "label": "C", "type": "choice", "choices": [{"a": 1}]}],
            [],
            None,
            "fields[0].choices",
        ),
        (
            [{"name": "c", "label": "C", "type": "choice", "choices": [True, False]}],
            [],
            None,
            "fields[0].choices",
        ),
        (
            [{"name": "c", "label": "C", "type": "choice", "choices": [None]}],
            [],
            None,
            "fields[0].choices",
        ),
        (
            [{"name": "c", "label": "C", "type": "choice", "choices": ["a", "a"]}],
            [],
            None,
            "fields[0].choices",
        ),
        (
            [{"name": "c", "label": "C", "type": "choice", "choices": [float("nan")]}],
            [],
            None,
            "fields[0].choices",
        ),
        (
            [{"name": "c", "label": "C", "type": "choice", "choices": list(range(101))}],
            [],
            None,
            "fields[0].choices",
        ),
        ([{"name": f"f{i}", "label": "F", "type": "date"} for i in range(51)], [], None, "fields"),
        ([], "身份证", None, "materials"),
        ([], [{"name": f"m{i}", "required": False} for i in range(21)], None, "materials"),
        ([], [{"name": "身份证"}, {"name": "身份证"}], None, "materials[1].name"),
        ([], [{"name": ""}], None, "materials[0].name"),
        ([], [{"name": "身份证", "size": 5}], None, "materials[0].size"),
        ([], [{"name": "身份证", "required": 1}], None, "materials[0].required"),
        ([], [{"name": f"m{i}"} for i in range(11)], None, "materials"),
        ([], [], 0, "time_limit_days"),
        ([], [], 366, "time_limit_days"),
        ([], [], True, "time_limit_days"),
        ([], [], "10", "time_limit_days"),
    ],
)
def test_check_spec_names_the_problem(fields: Any, materials: Any, days: Any, problem: str) -> None:
    with pytest.raises(CaseFormSpecInvalid) as caught:
        check_spec(fields, materials, days, attachments_limit=10)
    assert problem in caught.value.details["problems"]


def test_a_well_formed_spec_of_every_field_type_is_taken_and_checks_forms_by_it() -> None:
    fields = [
        {"name": "t", "label": "T", "type": "text", "max_length": 4000, "hint": "说明"},
        {"name": "n", "label": "N", "type": "integer", "min": -5, "max": -5},
        {"name": "d", "label": "D", "type": "date", "required": False},
        {"name": "b", "label": "B", "type": "boolean"},
        {"name": "c", "label": "C", "type": "choice", "choices": ["甲", 2, 2.5]},
        {"name": "p", "label": "P", "type": "phone"},
        {"name": "i", "label": "I", "type": "id_number"},
    ]
    # Taken as it is: check_spec raises CaseFormSpecInvalid on any problem, and returns None.
    assert (
        check_spec(
            fields,
            [{"name": f"m{i}", "required": i < 10} for i in range(20)],
            365,
            attachments_limit=10,
        )
        is None
    )
    assert check_spec(FIELDS, MATERIALS) is None
    # The spec it took is the one forms are then judged by, bounds and types included.
    good = {"t": " 说明 ", "n": -5, "b": False, "c": 2.5, "p": "13800138000",
            "i": "330106199003071236"}
    cleaned = check_form(fields, good)
    assert cleaned["t"] == "说明" and cleaned["n"] == -5 and cleaned["c"] == 2.5
    assert "d" not in cleaned or cleaned["d"] is None
    with pytest.raises(FormInvalid) as caught:
        check_form(fields, {**good, "n": -4, "c": "2", "b": 0})
    assert {"n", "c", "b"} <= set(caught.value.details["fields"])


async def test_desks_bind_list_unbind_scoped_audited_and_enforced(
    clean: None, api: httpx.AsyncClient, settings, tmp_path: Path
) -> None:
    creds = await seed(settings, tmp_path)
    op = await _operators(api)
    vault = settings.vault()
    other, _ = await create_agency(
        vault, name="杭州市民政局二窗", kind="fees", region_code="330100"
    )
    body = {"agency_key": other.key, "department_code": "hz-mzj"}

    refused = await api.post("/api/v1/operator/case-desks", headers=op["rev"], json=body)
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    refused = await api.post("/api/v1/operator/case-desks", headers=op["jj"], json=body)
    assert refused.status_code == 422 and refused.json()["code"] == "DEPARTMENT_UNKNOWN"
    unknown = await api.post(
        "/api/v1/operator/case-desks", headers=op["mzj"], json={**body, "agency_key": "nope"}
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "AGENCY_UNKNOWN"
    nowhere = await api.post(
        "/api/v1/operator/case-desks", headers=op["admin"], json={**body, "department_code": "x"}
    )
    assert nowhere.status_code == 422 and nowhere.json()["code"] == "DEPARTMENT_UNKNOWN"
    assert await CaseDesk.all().count() == 1  # the seed's own desk

    bound = await api.post("/api/v1/operator/case-desks", headers=op["mzj"], json=body)
    assert bound.status_code == 201, bound.text
    assert bound.json()["agency_key"] == other.key and bound.json()["department_code"] == "hz-mzj"
    again = await api.post("/api/v1/operator/case-desks", headers=op["mzj"], json=body)
    assert again.status_code == 200 and again.json()["id"] == bound.json()["id"]
    mine = (await api.get("/api/v1/operator/case-desks", headers=op["rev"])).json()["desks"]
    assert {d["agency_key"] for d in mine} == {creds["key"], other.key}
    theirs = (await api.get("/api/v1/operator/case-desks", headers=op["jj"])).json()["desks"]
    assert theirs == []

    # The seed's agency works hz-mzj cases until its desk is removed, then sees nothing.
    store = MaterialStore(settings.vault(), b"k" * 32, settings.service_rules.upload_max_bytes)
    who = await person()
    photo = await store.store(who.citizen_id, "id.png", PNG)
    cases = Cases(settings.vault(), settings.service_rules)
    case = await cases.apply(
        who, ITEM_CODE, GOOD_FORM, [{"name": "身份证", "material_id": photo.id}]
    )
    path = f"/api/v1/agency/cases/{case.case_no}"

    asked = iter(range(1, 100))

    async def agency_sees() -> int:
        # A new timestamp each time: the same signed request twice is refused as a replay.
        ts = int(clock.now().timestamp()) + next(asked)
        headers = signed_headers(creds["key"], creds["secret"], "GET", path, b"", ts)
        return (await api.get(path, headers=headers)).status_code

    assert await agency_sees() == 200
    seed_desk = next(d for d in mine if d["agency_key"] == creds["key"])
    url = f"/api/v1/operator/case-desks/{seed_desk['id']}"
    gone = await api.delete(url, headers=op["jj"])
    assert gone.status_code == 404 and gone.json()["code"] == "CASE_DESK_NOT_FOUND"
    gone = await api.delete(url, headers=op["rev"])
    assert gone.status_code == 403
    assert await agency_sees() == 200
    gone = await api.delete(url, headers=op["mzj"])
    assert gone.status_code == 204
    assert await agency_sees() == 404
    twice = await api.delete(url, headers=op["mzj"])
    assert twice.status_code == 404

    entries = (
        await api.get("/api/v1/operator/audit", headers=op["mzj"], params={"limit": 50})
    ).json()["entries"]
    desk_entries = [
        (e["action"], e["operator"], (e["after"] or e["before"])["agency_key"])
        for e in entries
        if e["subject_type"] == "case_desk"
    ]
    assert desk_entries == [
        ("unbind_case_desk", "mzj-op", creds["key"]),
        ("bind_case_desk", "mzj-op", other.key),
        ("bind_case_desk", "system", creds["key"]),
    ]


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


async def test_the_cli_defines_forms_and_binds_desks(
    clean: None, env: dict[str, str], settings, tmp_path: Path
) -> None:
    creds = await seed(settings, tmp_path)
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps({"fields": [*FIELDS, HOUSEHOLD], "materials": MATERIALS}, ensure_ascii=False)
    )
    done = _cli(env, "cases", "define-form", "--item", ITEM_CODE, "--file", str(spec))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"item_code": ITEM_CODE, "version": 2, "changed": True}
    again = _cli(env, "cases", "define-form", "--item", ITEM_CODE, "--file", str(spec))
    assert json.loads(again.stdout) == {"item_code": ITEM_CODE, "version": 2, "changed": False}

    spec.write_text(json.dumps({"fields": [{"name": "x", "type": "choice"}], "materials": []}))
    bad = _cli(env, "cases", "define-form", "--item", ITEM_CODE, "--file", str(spec))
    assert bad.returncode == 1 and json.loads(bad.stderr)["code"] == "CASE_FORM_SPEC_INVALID"
    spec.write_text("{not json")
    unreadable = _cli(env, "cases", "define-form", "--item", ITEM_CODE, "--file", str(spec))
    assert unreadable.returncode != 0 and "cannot read" in unreadable.stderr
    assert await _version() == 2
    latest = await CaseFormVersion.get(item_code=ITEM_CODE, version=2)
    assert latest.defined_by == "system" and latest.fields_spec[-1] == HOUSEHOLD

    bound = _cli(env, "cases", "bind-desk", "--agency-key", creds["key"], "--department", "hz-jj")
    assert bound.returncode == 0, bound.stderr
    desk = json.loads(bound.stdout)
    assert desk["created"] is True and desk["department_code"] == "hz-jj"
    assert await CaseDesk.exists(id=desk["id"], department_code="hz-jj")
    unknown = _cli(env, "cases", "bind-desk", "--agency-key", "nope", "--department", "hz-jj")
    assert unknown.returncode == 1 and json.loads(unknown.stderr)["code"] == "AGENCY_UNKNOWN"
    audit = await AuditEntry.get(subject_type="case_desk", subject_id=str(desk["id"]))
    assert audit.operator_name == "system" and audit.reason == "yiwang cases bind-desk"
    defined = AuditEntry.filter(action="define_case_form", subject_id=ITEM_CODE)
    assert await defined.count() == 2  # the seed's version 1, the CLI's version 2


async def test_changes_racing_on_one_form_never_share_a_version(
    clean: None, settings, tmp_path: Path
) -> None:
    await seed(settings, tmp_path)
    results = await asyncio.gather(
        *(
            define_form(ITEM_CODE, [*FIELDS, {**HOUSEHOLD, "label": f"户籍{i}"}], MATERIALS)
            for i in range(4)
        ),
        return_exceptions=True,
    )
    assert all(isinstance(r, tuple | CaseFormChanged) for r in results), results
    won = sum(isinstance(r, tuple) for r in results)
    assert won >= 1
    history = await CaseFormVersion.filter(item_code=ITEM_CODE).order_by("version")
    assert [v.version for v in history] == list(range(1, won + 2))
    assert (await CaseForm.get(item_code=ITEM_CODE)).version == won + 1
    defined = AuditEntry.filter(action="define_case_form", subject_id=ITEM_CODE)
    assert await defined.count() == won + 1
    first = await form_version(ITEM_CODE, 1)
    assert first is not None and first.fields_spec == FIELDS
    assert await form_version(ITEM_CODE, None) is None

"""One citizen behind three channels, against a live ``yiwang serve --workers 2``.

The sandbox plays WeChat, Alipay and the provincial app; the server uses the real SDKs.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import httpx
import pytest

from app.identity.id_numbers import with_check_digit
from app.identity.models import ChannelAccount, Citizen, Session
from infra import clock
from tests.journeys import ID_NUMBER, bearer, face_verify, login_code, new_person, sign_in

pytestmark = pytest.mark.usefixtures("clean")


async def test_one_person_is_one_citizen_on_wechat_alipay_and_the_app(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    person = await new_person(sandbox)
    wechat = await sign_in(api, sandbox, "wechat", person["wechat"]["openid"])
    assert wechat["citizen"]["verified"] is False
    assert len(wechat["token"]) >= 43  # 256 bits, url-safe base64

    verified = await face_verify(api, sandbox, wechat["token"], person["wechat"]["openid"])
    assert verified.status_code == 200, verified.text
    citizen = verified.json()
    assert citizen["verified"] is True
    assert citizen["id"] == wechat["citizen"]["id"]
    assert citizen["id_number_masked"] == ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]
    assert citizen["name_masked"] == "张*"

    alipay = await sign_in(api, sandbox, "alipay", person["alipay"]["user_id"])
    app = await sign_in(api, sandbox, "app", person["app"]["user_id"])
    assert alipay["citizen"]["id"] == app["citizen"]["id"] == citizen["id"]
    assert alipay["citizen"]["verified"] and app["citizen"]["verified"]

    # Every token answers for the same citizen, whichever worker serves it.
    for token in (wechat["token"], alipay["token"], app["token"]):
        for _ in range(3):
            me = await api.get("/api/v1/me", headers=bearer(token))
            assert me.status_code == 200 and me.json()["id"] == citizen["id"]

    assert await Citizen.all().count() == 1
    assert await ChannelAccount.filter(citizen_id=citizen["id"]).count() == 3
    stored = await Citizen.get(id=citizen["id"])
    assert ID_NUMBER not in (stored.id_number_enc or "") and stored.id_number_hash


async def test_the_signed_in_view_shows_a_verification_at_once_on_every_worker(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    person = await new_person(sandbox)
    wechat = await sign_in(api, sandbox, "wechat", person["wechat"]["openid"])
    for _ in range(4):  # both workers read (and cache) the unverified view
        before = await api.get("/api/v1/me", headers=bearer(wechat["token"]))
        assert before.status_code == 200 and before.json()["verified"] is False
        assert before.json()["id_number_masked"] is None
    verified = await face_verify(api, sandbox, wechat["token"], person["wechat"]["openid"])
    assert verified.status_code == 200, verified.text
    for _ in range(4):
        me = (await api.get("/api/v1/me", headers=bearer(wechat["token"]))).json()
        assert me == verified.json()
        assert me["verified"] is True and me["name_masked"] == "张*"
        assert me["id_number_masked"] == ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]


async def test_an_unverified_wechat_citizen_folds_into_the_verified_person_with_everything_they_own(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    person = await new_person(sandbox)
    wechat = await sign_in(api, sandbox, "wechat", person["wechat"]["openid"])
    alipay = await sign_in(api, sandbox, "alipay", person["alipay"]["user_id"])
    assert wechat["citizen"]["id"] != alipay["citizen"]["id"]  # WeChat knows no real name yet

    verified = await face_verify(api, sandbox, wechat["token"], person["wechat"]["openid"])
    assert verified.status_code == 200, verified.text
    assert verified.json()["id"] == alipay["citizen"]["id"]

    # The WeChat session now belongs to the verified person, on every worker at once.
    for _ in range(4):
        me = await api.get("/api/v1/me", headers=bearer(wechat["token"]))
        assert me.json()["id"] == alipay["citizen"]["id"]
    wechat_account = await ChannelAccount.get(channel="wechat", subject=person["wechat"]["openid"])
    assert str(wechat_account.citizen_id) == alipay["citizen"]["id"]  # type: ignore[attr-defined]
    folded = await Citizen.get(id=wechat["citizen"]["id"])
    assert str(folded.merged_into_id) == alipay["citizen"]["id"]


async def test_login_codes_are_single_use_channel_bound_and_unknown_ones_fail(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    person = await new_person(sandbox)
    code = await login_code(sandbox, "wechat", person["wechat"]["openid"])
    first = await api.post("/api/v1/sessions", json={"channel": "wechat", "code": code})
    assert first.status_code == 201
    before = await Citizen.all().count()

    reused = await api.post("/api/v1/sessions", json={"channel": "wechat", "code": code})
    unknown = await api.post("/api/v1/sessions", json={"channel": "alipay", "code": "no-such-code"})
    forged_ticket = await api.post(
        "/api/v1/sessions", json={"channel": "app", "code": "ST-forged-123"}
    )
    other_channel_code = await login_code(sandbox, "alipay", person["alipay"]["user_id"])
    crossed = await api.post(
        "/api/v1/sessions", json={"channel": "wechat", "code": other_channel_code}
    )
    for r in (reused, unknown, forged_ticket, crossed):
        assert r.status_code == 401, r.text
        body = r.json()
        assert body["code"] == "LOGIN_CODE_INVALID" and body["request_id"] and body["message"]
    assert await Citizen.all().count() == before


async def test_a_channel_identity_with_a_wrong_id_check_digit_is_refused_and_creates_nothing(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    wrong = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    person = await new_person(sandbox, id_number=wrong)
    code = await login_code(sandbox, "alipay", person["alipay"]["user_id"])
    r = await api.post("/api/v1/sessions", json={"channel": "alipay", "code": code})
    assert r.status_code == 422 and r.json()["code"] == "INVALID_ID_NUMBER"
    assert await Citizen.all().count() == 0 and await ChannelAccount.all().count() == 0


async def test_a_verification_for_someone_elses_openid_is_refused(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    alice = await new_person(sandbox)
    bob = await new_person(sandbox, id_number=with_check_digit("33010219851122456"), name="李四")
    alice_session = await sign_in(api, sandbox, "wechat", alice["wechat"]["openid"])
    r = await face_verify(api, sandbox, alice_session["token"], bob["wechat"]["openid"])
    assert r.status_code == 403 and r.json()["code"] == "VERIFICATION_NOT_YOURS"
    me = await api.get("/api/v1/me", headers=bearer(alice_session["token"]))
    assert me.json()["verified"] is False and me.json()["id_number_masked"] is None

    bogus = await api.post(
        "/api/v1/me/verification",
        json={"channel": "wechat", "verify_result": "made-up"},
        headers=bearer(alice_session["token"]),
    )
    assert bogus.status_code == 422 and bogus.json()["code"] == "VERIFICATION_FAILED"


async def test_missing_unknown_expired_and_revoked_tokens_are_refused(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient
) -> None:
    missing = await api.get("/api/v1/me")
    assert missing.status_code == 401 and missing.json()["code"] == "UNAUTHENTICATED"
    garbage = await api.get("/api/v1/me", headers=bearer("not-a-token"))
    assert garbage.status_code == 401 and garbage.json()["code"] == "TOKEN_INVALID"
    in_query = await api.get("/api/v1/me?token=whatever")
    assert in_query.status_code == 401

    person = await new_person(sandbox)
    session = await sign_in(api, sandbox, "app", person["app"]["user_id"])
    token = session["token"]
    assert (await api.get("/api/v1/me", headers=bearer(token))).status_code == 200

    # An expired session: same citizen, expiry in the past.
    expired_token = "expired-" + token
    real = await Session.get(token_hash=hashlib.sha256(token.encode()).hexdigest())
    await Session.create(
        token_hash=hashlib.sha256(expired_token.encode()).hexdigest(),
        citizen_id=real.citizen_id,  # type: ignore[attr-defined]
        account_id=real.account_id,  # type: ignore[attr-defined]
        channel="app",
        created_at=clock.now() - timedelta(days=8),
        expires_at=clock.now() - timedelta(seconds=1),
    )
    expired = await api.get("/api/v1/me", headers=bearer(expired_token))
    assert expired.status_code == 401 and expired.json()["code"] == "TOKEN_INVALID"

    out = await api.delete("/api/v1/sessions/current", headers=bearer(token))
    assert out.status_code == 204
    # Revoked at once for every worker: many requests, spread over both.
    answers = await asyncio.gather(
        *[api.get("/api/v1/me", headers=bearer(token)) for _ in range(10)]
    )
    assert {a.status_code for a in answers} == {401}
    assert (await api.delete("/api/v1/sessions/current", headers=bearer(token))).status_code == 401


async def test_malformed_and_invalid_bodies_get_stable_codes(api: httpx.AsyncClient) -> None:
    malformed = await api.post(
        "/api/v1/sessions",
        content=b'{"channel": "wechat", "code": ',
        headers={"Content-Type": "application/json"},
    )
    assert malformed.status_code == 400 and malformed.json()["code"] == "MALFORMED_JSON"
    not_object = await api.post("/api/v1/sessions", json=["wechat"])
    assert not_object.status_code == 400 and not_object.json()["code"] == "MALFORMED_JSON"
    bad_channel = await api.post("/api/v1/sessions", json={"channel": "qq", "code": "x"})
    assert bad_channel.status_code == 422
    assert (
        bad_channel.json()["code"] == "INVALID_INPUT"
        and "channel" in bad_channel.json()["details"]["fields"]
    )
    missing = await api.post("/api/v1/sessions", json={"channel": "wechat"})
    assert missing.status_code == 422 and "code" in missing.json()["details"]["fields"]
    nowhere = await api.get("/api/v1/no-such-thing")
    assert nowhere.status_code == 404 and nowhere.json()["code"] == "NOT_FOUND"
    assert await Citizen.all().count() == 0


async def test_logins_are_rate_limited_per_client(api: httpx.AsyncClient) -> None:
    statuses = []
    for _ in range(32):
        r = await api.post("/api/v1/sessions", json={"channel": "wechat", "code": "nope"})
        statuses.append(r.status_code)
    assert statuses[:30] == [401] * 30
    assert statuses[-1] == 429
    limited = await api.post("/api/v1/sessions", json={"channel": "wechat", "code": "nope"})
    assert limited.json()["code"] == "RATE_LIMITED" and limited.headers["Retry-After"]


async def test_request_ids_are_echoed_and_generated(api: httpx.AsyncClient) -> None:
    mine = await api.get("/api/v1/me", headers={"X-Request-Id": "trace-123"})
    assert mine.headers["X-Request-Id"] == "trace-123" and mine.json()["request_id"] == "trace-123"
    made = await api.get("/api/v1/me")
    assert len(made.headers["X-Request-Id"]) == 16
    hostile = await api.get("/api/v1/me", headers={"X-Request-Id": 'a b"<script>'})
    assert hostile.headers["X-Request-Id"] != 'a b"<script>'

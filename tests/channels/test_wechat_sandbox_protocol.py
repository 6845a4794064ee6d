"""The WeChat sandbox's wire protocol, spoken raw (no SDK): the errors WeChat gives,
signed answers, duplicate orders, expiry and the bill's text format."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from infra import clock
from tests.channels.wechat_helpers import (
    Person,
    create_person,
    sandbox_post,
    wechat_sandbox,
)
from tests.sandbox_process import RunningSandbox

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with wechat_sandbox(tmp_path_factory.mktemp("wechat-wire")) as running:
        yield running


@pytest.fixture(scope="module")
def person(sandbox: RunningSandbox) -> Person:
    return create_person(sandbox)


def md5_sign(fields: dict[str, str], key: str) -> str:
    pairs = "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if v and k != "sign")
    return hashlib.md5(f"{pairs}&key={key}".encode()).hexdigest().upper()


def xml(fields: dict[str, str]) -> bytes:
    return ("<xml>" + "".join(f"<{k}>{v}</{k}>" for k, v in fields.items()) + "</xml>").encode()


def parse(text: str) -> dict[str, str]:
    return dict(re.findall(r"<(\w+)><!\[CDATA\[(.*?)\]\]></\1>", text))


def pay_call(
    sandbox: RunningSandbox, path: str, fields: dict[str, str], *, key: str | None = None
) -> httpx.Response:
    creds = sandbox.credentials
    body = {"appid": creds.wechat_appid, "mch_id": creds.wechat_mch_id, "nonce_str": "n1"}
    body |= fields
    body["sign"] = md5_sign(body, key or creds.wechat_api_key)
    return httpx.post(sandbox.base_url + path, content=xml(body))


def order_fields(person: Person, out_trade_no: str, total_fee: int = 100) -> dict[str, str]:
    return {
        "body": "exam fee",
        "out_trade_no": out_trade_no,
        "total_fee": str(total_fee),
        "spbill_create_ip": "127.0.0.1",
        "notify_url": "http://127.0.0.1:9/notify",
        "trade_type": "JSAPI",
        "openid": person.openid,
    }


def test_token_errors_are_wechats(sandbox: RunningSandbox) -> None:
    creds = sandbox.credentials
    url = sandbox.base_url + "/cgi-bin/token"
    base = {"grant_type": "client_credential", "appid": creds.wechat_appid}
    assert httpx.get(url, params={**base, "secret": "x"}).json()["errcode"] == 40125
    wrong_app = {**base, "appid": "wx-nope", "secret": creds.wechat_secret}
    assert httpx.get(url, params=wrong_app).json()["errcode"] == 40013
    good = httpx.get(url, params={**base, "secret": creds.wechat_secret}).json()
    assert good["expires_in"] == 7200 and good["access_token"]

    send = sandbox.base_url + "/cgi-bin/message/subscribe/send"
    unknown = httpx.post(send, params={"access_token": "forged"}, json={})
    assert unknown.json()["errcode"] == 40001
    face = sandbox.base_url + "/cityservice/face/identify/getinfo"
    assert httpx.post(face, params={"access_token": "forged"}, json={}).json()["errcode"] == 40001
    assert httpx.post(face, json={}).json()["errcode"] == 41001


def test_jscode2session_checks_the_app(sandbox: RunningSandbox) -> None:
    creds = sandbox.credentials
    answer = httpx.get(
        sandbox.base_url + "/sns/jscode2session",
        params={
            "appid": "wx-other",
            "secret": creds.wechat_secret,
            "js_code": "c",
            "grant_type": "authorization_code",
        },
    )
    assert answer.json()["errcode"] == 40013


def test_requests_with_a_bad_signature_or_merchant_fail(
    sandbox: RunningSandbox, person: Person
) -> None:
    fields = order_fields(person, "W" + secrets.token_hex(6))
    bad_sign = parse(pay_call(sandbox, "/pay/unifiedorder", fields, key="k" * 32).text)
    assert bad_sign == {"return_code": "FAIL", "return_msg": "签名错误"}
    wrong_mch = parse(pay_call(sandbox, "/pay/unifiedorder", {**fields, "mch_id": "1"}).text)
    assert wrong_mch["return_code"] == "FAIL"
    not_xml = httpx.post(sandbox.base_url + "/pay/orderquery", content=b"{}")
    assert parse(not_xml.text)["return_code"] == "FAIL"


def test_repeated_orders_follow_wechats_rules(sandbox: RunningSandbox, person: Person) -> None:
    key = sandbox.credentials.wechat_api_key
    out_trade_no = "W" + secrets.token_hex(6)
    first = parse(pay_call(sandbox, "/pay/unifiedorder", order_fields(person, out_trade_no)).text)
    assert first["result_code"] == "SUCCESS"
    assert first["sign"] == md5_sign(first, key)
    same = parse(pay_call(sandbox, "/pay/unifiedorder", order_fields(person, out_trade_no)).text)
    assert same["prepay_id"] == first["prepay_id"]
    changed = parse(
        pay_call(sandbox, "/pay/unifiedorder", order_fields(person, out_trade_no, 200)).text
    )
    assert (changed["result_code"], changed["err_code"]) == ("FAIL", "INVALID_REQUEST")
    assert changed["sign"] == md5_sign(changed, key)

    paid = sandbox_post(
        sandbox, "/sandbox/wechat/payments", {"prepay_id": first["prepay_id"], "notify": False}
    )
    assert paid.status_code == 201
    again = parse(pay_call(sandbox, "/pay/unifiedorder", order_fields(person, out_trade_no)).text)
    assert again["err_code"] == "ORDERPAID"
    unknown_person = {**order_fields(person, "W" + secrets.token_hex(6)), "openid": "o-nobody"}
    assert parse(pay_call(sandbox, "/pay/unifiedorder", unknown_person).text)["err_code"] == (
        "PARAM_ERROR"
    )


async def test_an_expired_trade_cannot_be_paid(sandbox: RunningSandbox, person: Person) -> None:
    expire = (clock.shanghai_now() + timedelta(seconds=2)).strftime("%Y%m%d%H%M%S")
    fields = {**order_fields(person, "W" + secrets.token_hex(6)), "time_expire": expire}
    order = parse(pay_call(sandbox, "/pay/unifiedorder", fields).text)
    await asyncio.sleep(2.2)
    answer = sandbox_post(sandbox, "/sandbox/wechat/payments", {"prepay_id": order["prepay_id"]})
    assert answer.status_code == 409
    assert answer.json()["code"] == "SANDBOX_CONFLICT"


def test_payment_control_validates_its_input(sandbox: RunningSandbox) -> None:
    unknown = sandbox_post(sandbox, "/sandbox/wechat/payments", {"prepay_id": "wx-nope"})
    assert unknown.status_code == 404
    for bad in ({"prepay_id": "wx", "copies": 6}, {"prepay_id": "wx", "notify": "yes"}, {}):
        assert sandbox_post(sandbox, "/sandbox/wechat/payments", bad).status_code == 400


def test_bill_text_has_wechats_layout(sandbox: RunningSandbox, person: Person) -> None:
    out_trade_no = "W" + secrets.token_hex(6)
    order = parse(
        pay_call(sandbox, "/pay/unifiedorder", order_fields(person, out_trade_no, 1_05)).text
    )
    sandbox_post(
        sandbox, "/sandbox/wechat/payments", {"prepay_id": order["prepay_id"], "notify": False}
    )
    today = clock.shanghai_now().strftime("%Y%m%d")
    bill = pay_call(sandbox, "/pay/downloadbill", {"bill_date": today, "bill_type": "ALL"}).text
    lines = bill.strip().split("\r\n")
    assert lines[0].startswith("交易时间,公众账号ID,商户号")
    assert lines[-2].startswith("总交易单数,")
    rows = lines[1:-2]
    assert rows and all(
        all(cell.startswith("`") for cell in row.split(",")) for row in [*rows, lines[-1]]
    )
    mine = [row for row in rows if f"`{out_trade_no}" in row.split(",")]
    assert len(mine) == 1 and "`1.05" in mine[0].split(",")
    assert lines[-1].split(",")[0] == f"`{len(rows)}"

    empty = parse(pay_call(sandbox, "/pay/downloadbill", {"bill_date": "20000101"}).text)
    assert (empty["return_code"], empty["return_msg"]) == ("FAIL", "No Bill Exist")
    bad_type = {"bill_date": today, "bill_type": "REVOKED"}
    assert parse(pay_call(sandbox, "/pay/downloadbill", bad_type).text)["return_code"] == "FAIL"

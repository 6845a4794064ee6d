"""Alipay's daily bill (a zip of GBK CSV files) and mini-program template messages."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from channels.alipay import AlipayChannel
from channels.alipay.bill import parse_bill_zip
from channels.base import ChannelRejected, OutboundMessage, RefundRequest
from tests.channels.alipay_helpers import (
    channel_for,
    new_person,
    pay_request,
    sandbox_pay,
    shanghai_today,
)
from tests.sandbox_process import RunningSandbox, running_sandbox


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("alipay-bill")) as running:
        yield running


@pytest.fixture(scope="module")
def alipay(sandbox: RunningSandbox) -> AlipayChannel:
    return channel_for(sandbox)


async def paid_trade(
    sandbox: RunningSandbox, alipay: AlipayChannel, person: dict[str, str], fen: int
) -> tuple[str, str]:
    request = pay_request(person, fen)
    started = await alipay.pay.start(request)
    assert sandbox_pay(sandbox, trade_no=started.channel_trade_no, notify=False).is_success
    assert started.channel_trade_no is not None
    return request.out_trade_no, started.channel_trade_no


async def test_download_bill_parses_payments_and_refunds_exactly(
    sandbox: RunningSandbox, alipay: AlipayChannel
) -> None:
    person = new_person(sandbox)
    first, first_no = await paid_trade(sandbox, alipay, person, 10001)
    second, second_no = await paid_trade(sandbox, alipay, person, 7)
    unpaid = pay_request(person, 500)
    await alipay.pay.start(unpaid)
    await alipay.pay.refund(RefundRequest(first, "RF-1", 2345, 10001, "多缴退费"))

    lines = await alipay.pay.download_bill(shanghai_today())
    payments = {
        (b.out_trade_no, b.channel_trade_no, b.amount_fen, b.out_refund_no)
        for b in lines
        if b.kind == "payment"
    }
    refunds = [
        (b.out_trade_no, b.channel_trade_no, b.amount_fen, b.out_refund_no)
        for b in lines
        if b.kind == "refund"
    ]
    assert payments == {(first, first_no, 10001, None), (second, second_no, 7, None)}
    assert refunds == [(first, first_no, 2345, "RF-1")]
    assert unpaid.out_trade_no not in {b.out_trade_no for b in lines}
    assert all(b.status == "SUCCESS" and b.occurred_at.utcoffset() == timedelta(0) for b in lines)


async def test_the_bill_is_in_alipays_real_format(
    sandbox: RunningSandbox, alipay: AlipayChannel
) -> None:
    person = new_person(sandbox)
    out_trade_no, _ = await paid_trade(sandbox, alipay, person, 1999)
    answer = await alipay.pay._client.call(
        "alipay.data.dataservice.bill.downloadurl.query",
        {"bill_type": "trade", "bill_date": shanghai_today().isoformat()},
    )
    archive = httpx.get(answer["bill_download_url"], timeout=5).content
    pid = sandbox.credentials.alipay_seller_id
    stem = f"{pid}_{shanghai_today():%Y%m%d}"
    with zipfile.ZipFile(io.BytesIO(archive), metadata_encoding="gbk") as opened:
        infos = opened.infolist()
        assert sorted(i.filename for i in infos) == sorted(
            [f"{stem}_业务明细.csv", f"{stem}_业务明细(汇总).csv"]
        )
        assert all(not i.flag_bits & 0x800 for i in infos)  # GBK names, no UTF-8 flag
        detail = opened.read(f"{stem}_业务明细.csv")
        summary = opened.read(f"{stem}_业务明细(汇总).csv").decode("gbk")
    with pytest.raises(UnicodeDecodeError):
        detail.decode("utf-8")
    text = detail.decode("gbk")
    lines = text.splitlines()
    assert lines[0] == "#支付宝业务明细查询"
    assert lines[1] == f"#账号：[{pid}]"
    assert lines[4].startswith("支付宝交易号,商户订单号,业务类型")
    assert lines[-1].startswith("#导出时间：[")
    assert lines[-2].startswith("#交易合计：")
    assert f"{out_trade_no}\t" in text and "19.99\t" in text
    assert summary.startswith("#支付宝业务汇总查询")
    assert "实收净额（元）" in summary


async def test_a_day_without_trades_is_an_empty_bill_and_a_future_day_has_none(
    alipay: AlipayChannel,
) -> None:
    assert await alipay.pay.download_bill(shanghai_today() - timedelta(days=3)) == []
    with pytest.raises(ChannelRejected) as caught:
        await alipay.pay.download_bill(shanghai_today() + timedelta(days=1))
    assert caught.value.channel_code == "isp.bill_not_exist"


def test_a_damaged_bill_is_rejected_not_misread() -> None:
    with pytest.raises(ChannelRejected) as caught:
        parse_bill_zip(b"PK\x03\x04 not really a zip")
    assert caught.value.channel_code == "BILL_MALFORMED"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "2088_20240101_业务明细.csv",
            "#支付宝业务明细查询\r\n商户订单号,业务类型\r\nYW1,交易\r\n".encode("gbk"),
        )
    with pytest.raises(ChannelRejected, match="missing column"):
        parse_bill_zip(buffer.getvalue())


async def test_template_message_is_recorded(sandbox: RunningSandbox, alipay: AlipayChannel) -> None:
    person = new_person(sandbox)
    await alipay.messages.send(
        OutboundMessage(
            subject=person["user_id"],
            template_id="MDI4YzIxMDE2M2I5YTQzYjUxNWE4MjA4NmU1MTIyYmM=",
            data={"keyword1": "违法缴款成功", "keyword2": "200.00元"},
            page="pages/receipt/index?no=1",
        )
    )
    listed = httpx.get(
        sandbox.base_url + "/sandbox/alipay/messages",
        params={"to_user_id": person["user_id"]},
        timeout=5,
    ).json()["messages"]
    assert len(listed) == 1
    assert listed[0]["data"] == {
        "keyword1": {"value": "违法缴款成功"},
        "keyword2": {"value": "200.00元"},
    }
    assert listed[0]["page"] == "pages/receipt/index?no=1"
    assert listed[0]["user_template_id"].startswith("MDI4")


async def test_a_message_to_an_unknown_user_is_rejected(alipay: AlipayChannel) -> None:
    with pytest.raises(ChannelRejected) as caught:
        await alipay.messages.send(OutboundMessage("2088000000000001", "T1", {"k": "v"}))
    assert caught.value.channel_code == "TO_USER_ID_ILLEGAL"

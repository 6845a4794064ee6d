"""City-service face verification and subscribe messages, against a real sandbox process."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from channels.base import ChannelRejected, OutboundMessage
from channels.wechat import WeChatChannel, build_wechat_channel
from tests.channels.wechat_helpers import (
    create_person,
    sandbox_get,
    sandbox_post,
    settings_for,
    wechat_sandbox,
)
from tests.sandbox_process import RunningSandbox


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with wechat_sandbox(tmp_path_factory.mktemp("wechat-face")) as running:
        yield running


@pytest.fixture(scope="module")
def channel(sandbox: RunningSandbox) -> WeChatChannel:
    return build_wechat_channel(settings_for(sandbox))


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


async def test_face_verification_proves_the_person(
    sandbox: RunningSandbox, channel: WeChatChannel
) -> None:
    person = create_person(sandbox, name="李小梅", id_number="330106199001011234")
    answer = sandbox_post(sandbox, "/sandbox/wechat/face-verifications", {"openid": person.openid})
    assert answer.status_code == 201
    verify_result = answer.json()["verify_result"]

    result = await channel.face.identify(verify_result)

    assert result.passed
    assert result.openid == person.openid
    assert result.name_md5 == md5_upper("李小梅")
    assert result.id_number_md5 == md5_upper("330106199001011234")
    assert result.real_name is not None
    assert (result.real_name.name, result.real_name.id_number) == (
        "李小梅",
        "330106199001011234",
    )
    # Like WeChat, a verify_result may be read again within its 30 minutes.
    again = await channel.face.identify(verify_result)
    assert again.openid == person.openid


async def test_unknown_verify_result_is_rejected(channel: WeChatChannel) -> None:
    with pytest.raises(ChannelRejected) as caught:
        await channel.face.identify("XW-never-issued")
    assert caught.value.channel_code == "84001"


async def test_face_verification_for_unknown_openid_is_404(sandbox: RunningSandbox) -> None:
    answer = sandbox_post(sandbox, "/sandbox/wechat/face-verifications", {"openid": "o-nobody"})
    assert answer.status_code == 404
    assert answer.json()["code"] == "SANDBOX_NOT_FOUND"
    assert sandbox_post(sandbox, "/sandbox/wechat/face-verifications", {}).status_code == 400


async def test_subscribe_message_is_recorded(
    sandbox: RunningSandbox, channel: WeChatChannel
) -> None:
    person = create_person(sandbox)
    await channel.messages.send(
        OutboundMessage(
            subject=person.openid,
            template_id="TPL-PAID",
            data={"amount1": "200.00", "thing2": "交通违法罚款"},
            page="pages/orders/detail?id=7",
        )
    )
    sent = sandbox_get(sandbox, "/sandbox/wechat/messages", touser=person.openid)["messages"]
    assert len(sent) == 1
    assert sent[0]["template_id"] == "TPL-PAID"
    assert sent[0]["page"] == "pages/orders/detail?id=7"
    assert sent[0]["data"] == {"amount1": {"value": "200.00"}, "thing2": {"value": "交通违法罚款"}}


async def test_subscribe_message_to_unknown_openid_is_rejected(channel: WeChatChannel) -> None:
    with pytest.raises(ChannelRejected) as caught:
        await channel.messages.send(
            OutboundMessage(subject="o-nobody", template_id="TPL", data={"thing1": "x"})
        )
    assert caught.value.channel_code == "40003"

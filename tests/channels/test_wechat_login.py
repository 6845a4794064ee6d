"""Mini-program login and the shared access token, against a real sandbox process."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import redis

from channels.base import ChannelRejected, ChannelUnavailable, OutboundMessage
from channels.wechat import build_wechat_channel
from tests.channels.wechat_helpers import (
    REDIS_URL,
    create_person,
    login_code,
    sandbox_get,
    settings_for,
    wechat_sandbox,
)
from tests.sandbox_process import RunningSandbox, free_port


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with wechat_sandbox(tmp_path_factory.mktemp("wechat-login")) as running:
        yield running


async def test_fresh_code_logs_in_with_openid_and_unionid(sandbox: RunningSandbox) -> None:
    person = create_person(sandbox)
    channel = build_wechat_channel(settings_for(sandbox))
    login = await channel.login.login(login_code(sandbox, "wechat", person.openid))
    assert login.channel == "wechat"
    assert login.subject == person.openid
    assert login.unionid and login.unionid.startswith("u")
    assert login.real_name is None


async def test_same_code_twice_is_rejected(sandbox: RunningSandbox) -> None:
    person = create_person(sandbox)
    channel = build_wechat_channel(settings_for(sandbox))
    code = login_code(sandbox, "wechat", person.openid)
    await channel.login.login(code)
    with pytest.raises(ChannelRejected) as caught:
        await channel.login.login(code)
    assert caught.value.channel_code == "40029"


async def test_unknown_code_is_rejected(sandbox: RunningSandbox) -> None:
    channel = build_wechat_channel(settings_for(sandbox))
    with pytest.raises(ChannelRejected) as caught:
        await channel.login.login("never-issued")
    assert caught.value.channel_code == "40029"


async def test_code_for_another_channel_is_rejected(sandbox: RunningSandbox) -> None:
    person = create_person(sandbox)
    channel = build_wechat_channel(settings_for(sandbox))
    with pytest.raises(ChannelRejected) as caught:
        await channel.login.login(login_code(sandbox, "alipay", person.alipay_user_id))
    assert caught.value.channel_code == "40029"


async def test_wrong_secret_is_rejected_without_spending_the_code(
    sandbox: RunningSandbox,
) -> None:
    person = create_person(sandbox)
    code = login_code(sandbox, "wechat", person.openid)
    wrong = build_wechat_channel(settings_for(sandbox, secret="0" * 32))
    with pytest.raises(ChannelRejected) as caught:
        await wrong.login.login(code)
    assert caught.value.channel_code == "40125"
    right = build_wechat_channel(settings_for(sandbox))
    assert (await right.login.login(code)).subject == person.openid


async def test_unreachable_wechat_is_unavailable(sandbox: RunningSandbox) -> None:
    channel = build_wechat_channel(
        settings_for(sandbox, api_base_url=f"http://127.0.0.1:{free_port()}/")
    )
    with pytest.raises(ChannelUnavailable):
        await channel.login.login("any-code")


async def test_two_workers_share_one_access_token_through_redis(
    sandbox: RunningSandbox,
) -> None:
    person = create_person(sandbox)
    appid = sandbox.credentials.wechat_appid
    store = redis.Redis.from_url(REDIS_URL)
    store.delete(f"yiwang:wechat:{appid}:{appid}_access_token")
    before = sandbox_get(sandbox, "/sandbox/wechat/token-fetches")["count"]
    worker_a = build_wechat_channel(settings_for(sandbox))
    worker_b = build_wechat_channel(settings_for(sandbox))
    message = OutboundMessage(subject=person.openid, template_id="tpl-1", data={"thing1": "x"})

    await worker_a.messages.send(message)
    await worker_b.messages.send(message)
    await worker_a.messages.send(message)

    assert sandbox_get(sandbox, "/sandbox/wechat/token-fetches")["count"] == before + 1
    assert store.get(f"yiwang:wechat:{appid}:{appid}_access_token") is not None
    store.close()


async def test_a_token_the_channel_forgot_is_replaced_once(sandbox: RunningSandbox) -> None:
    """A stale token in Redis (40001) makes one worker fetch; the other reuses the new one."""
    person = create_person(sandbox)
    appid = sandbox.credentials.wechat_appid
    store = redis.Redis.from_url(REDIS_URL)
    store.set(f"yiwang:wechat:{appid}:{appid}_access_token", '"stale-token"', ex=600)
    store.close()
    before = sandbox_get(sandbox, "/sandbox/wechat/token-fetches")["count"]
    message = OutboundMessage(subject=person.openid, template_id="tpl-2", data={"thing1": "y"})

    await build_wechat_channel(settings_for(sandbox)).messages.send(message)
    await build_wechat_channel(settings_for(sandbox)).messages.send(message)

    assert sandbox_get(sandbox, "/sandbox/wechat/token-fetches")["count"] == before + 1


async def test_concurrent_workers_with_no_token_fetch_only_once(sandbox: RunningSandbox) -> None:
    person = create_person(sandbox)
    appid = sandbox.credentials.wechat_appid
    store = redis.Redis.from_url(REDIS_URL)
    store.delete(f"yiwang:wechat:{appid}:{appid}_access_token")
    store.close()
    before = sandbox_get(sandbox, "/sandbox/wechat/token-fetches")["count"]
    workers = [build_wechat_channel(settings_for(sandbox)) for _ in range(4)]
    message = OutboundMessage(subject=person.openid, template_id="tpl-3", data={"thing1": "z"})

    await asyncio.gather(*(worker.messages.send(message) for worker in workers))

    assert sandbox_get(sandbox, "/sandbox/wechat/token-fetches")["count"] == before + 1

"""Member methods: auth-code exchange, the certified profile, and mini-program messages."""

from __future__ import annotations

import json

from channels.sandbox.alipay import clock
from channels.sandbox.alipay.call import GatewayCall
from channels.sandbox.alipay.replies import (
    Reply,
    business_failure,
    insufficient_token,
    invalid_arguments,
    success,
)
from channels.sandbox.alipay.state import (
    ACCESS_TOKEN_SECONDS,
    REFRESH_TOKEN_SECONDS,
    SentMessage,
)
from channels.sandbox.people import Person


def _token_reply(call: GatewayCall, person: Person) -> Reply:
    access, refresh = call.state.issue_access_token(person)
    return success(
        user_id=person.alipay_user_id,
        access_token=access,
        expires_in=ACCESS_TOKEN_SECONDS,
        refresh_token=refresh,
        re_expires_in=REFRESH_TOKEN_SECONDS,
        auth_start=clock.wire(clock.now()),
    )


def oauth_token(call: GatewayCall) -> Reply:
    """``grant_type`` and ``code`` are top-level parameters here, not biz_content."""
    grant_type = call.params.get("grant_type", "")
    if grant_type == "authorization_code":
        person = call.people.redeem("alipay", call.params.get("code", ""))
        if person is None:
            return invalid_arguments(
                "isv.code-invalid", "授权码code无效", envelope="error_response"
            )
        return _token_reply(call, person)
    if grant_type == "refresh_token":
        person = call.state.refresh_tokens.pop(call.params.get("refresh_token", ""), None)
        if person is None:
            return invalid_arguments(
                "isv.refresh-token-invalid", "刷新令牌refresh_token无效", envelope="error_response"
            )
        return _token_reply(call, person)
    return invalid_arguments("isv.grant-type-invalid", "grant_type 无效", envelope="error_response")


def user_info_share(call: GatewayCall) -> Reply:
    """Every sandbox member is certified, so the profile always carries the real name."""
    person = call.state.person_for_token(call.params.get("auth_token", ""))
    if person is None:
        return insufficient_token("aop.invalid-auth-token", "无效的访问令牌")
    profile = {
        "user_id": person.alipay_user_id,
        "user_name": person.name,
        "cert_no": person.id_number,
        "cert_type": "0",
        "is_certified": "T",
        "user_type": "2",
        "user_status": "T",
    }
    if person.phone:
        profile["mobile"] = person.phone
    return success(**profile)


def send_template_message(call: GatewayCall) -> Reply:
    to_user_id = call.text("to_user_id")
    template_id = call.text("user_template_id")
    if not template_id:
        return business_failure("USER_TEMPLATE_ILLEGAL", "模板不合法")
    if call.people.find("alipay", to_user_id) is None:
        return business_failure("TO_USER_ID_ILLEGAL", "消息接收用户不存在")
    raw_data = call.text("data") or "{}"
    try:
        data = json.loads(raw_data)
    except ValueError:
        return business_failure("DATA_ILLEGAL", "data 不是合法的 JSON")
    call.state.messages.append(
        SentMessage(
            to_user_id=to_user_id,
            user_template_id=template_id,
            page=call.text("page") or None,
            data=data,
            form_id=call.text("form_id") or None,
            sent_at=clock.now(),
        )
    )
    return success()

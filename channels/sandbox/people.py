"""The people the sandbox knows, and the single-use login codes it hands their clients.

One person is known to all three channels at once, the way a resident has a WeChat, an
Alipay and a provincial-app account. Codes behave like wx.login / my.getAuthCode / SSO
tickets: single use and valid for five minutes.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

CODE_TTL_SECONDS = 300


@dataclass
class Person:
    name: str
    id_number: str
    phone: str | None
    wechat_openid: str
    wechat_unionid: str
    alipay_user_id: str
    app_user_id: str


@dataclass
class LoginCode:
    person: Person
    channel: str
    expires_at: float
    used: bool = False


@dataclass
class People:
    by_wechat: dict[str, Person] = field(default_factory=dict)
    by_alipay: dict[str, Person] = field(default_factory=dict)
    by_app: dict[str, Person] = field(default_factory=dict)
    codes: dict[str, LoginCode] = field(default_factory=dict)

    def create(
        self,
        name: str,
        id_number: str,
        phone: str | None,
        *,
        wechat_openid: str | None = None,
        alipay_user_id: str | None = None,
        app_user_id: str | None = None,
    ) -> Person:
        """Register a person on all three channels; ids are random unless given (demo)."""
        person = Person(
            name=name,
            id_number=id_number,
            phone=phone,
            wechat_openid=wechat_openid or "o" + secrets.token_urlsafe(20)[:27],
            wechat_unionid="u" + secrets.token_urlsafe(20)[:27],
            alipay_user_id=alipay_user_id
            or "2088" + "".join(str(secrets.randbelow(10)) for _ in range(12)),
            app_user_id=app_user_id or "zlb" + secrets.token_hex(8),
        )
        self.by_wechat[person.wechat_openid] = person
        self.by_alipay[person.alipay_user_id] = person
        self.by_app[person.app_user_id] = person
        return person

    def find(self, channel: str, user: str) -> Person | None:
        index = {"wechat": self.by_wechat, "alipay": self.by_alipay, "app": self.by_app}[channel]
        return index.get(user)

    def issue_code(self, channel: str, person: Person, *, now: float | None = None) -> str:
        code = secrets.token_urlsafe(24)
        issued = time.time() if now is None else now
        self.codes[code] = LoginCode(person, channel, issued + CODE_TTL_SECONDS)
        return code

    def redeem(self, channel: str, code: str, *, now: float | None = None) -> Person | None:
        """Spend a code: None when it is unknown, for another channel, expired or used."""
        entry = self.codes.get(code)
        current = time.time() if now is None else now
        if entry is None or entry.channel != channel or entry.used:
            return None
        entry.used = True
        if entry.expires_at < current:
            return None
        return entry.person

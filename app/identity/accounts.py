"""Signing in on any channel, and real-name verification, so one person is one citizen.

A channel account belongs to exactly one citizen. When a channel vouches for a real name
(Alipay certified user, the app's SSO, WeChat face verification) the citizen becomes
verified, keyed by the keyed hash of the ID number. If that person already exists under
another citizen record, the two are merged and everything follows the person.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.errors import (
    ChannelUnavailableError,
    IdentityConflict,
    InvalidInput,
    LoginCodeInvalid,
    NotFound,
    ResidentNameMismatch,
    VerificationFailed,
    VerificationNotYours,
)
from app.identity.id_numbers import age_on, normalise_id_number
from app.identity.merge import merge_citizens
from app.identity.models import ChannelAccount, Citizen
from app.identity.sessions import Principal, SessionStore
from app.identity.view_cache import CitizenViewCache
from channels.base import (
    Channel,
    ChannelLogin,
    ChannelRejected,
    ChannelUnavailable,
    FaceVerifier,
    Login,
    RealName,
)
from infra import clock
from infra.masking import mask_id_number, mask_name, mask_phone
from infra.pii import PiiVault

log = logging.getLogger("yiwang.identity")


ELDER_AGE = 60
TEXT_SCALES = (100, 125, 150, 175, 200)


@dataclass(frozen=True)
class CitizenView:
    """What a resident may see of themselves: masked, never the clear values.

    ``elder_mode`` is None until the citizen chooses; ``elder_mode_offer`` asks the shells to
    offer 长辈版 (once, on the page after sign-in) to a verified resident aged 60 or more who
    has not chosen yet.
    """

    id: uuid.UUID
    verified: bool
    name_masked: str | None
    id_number_masked: str | None
    phone_masked: str | None
    elder_mode: bool | None = None
    text_scale: int = 100
    elder_mode_offer: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CitizenView:
        preferences = data["preferences"]
        return cls(
            uuid.UUID(data["id"]),
            data["verified"],
            data["name_masked"],
            data["id_number_masked"],
            data["phone_masked"],
            preferences["elder_mode"] if preferences["chosen"] else None,
            preferences["text_scale"],
            data["elder_mode_offer"],
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "id": str(self.id),
            "verified": self.verified,
            "name_masked": self.name_masked,
            "id_number_masked": self.id_number_masked,
            "phone_masked": self.phone_masked,
            "preferences": {
                "elder_mode": bool(self.elder_mode),
                "text_scale": self.text_scale,
                "chosen": self.elder_mode is not None,
            },
            "elder_mode_offer": self.elder_mode_offer,
        }


@dataclass(frozen=True)
class SignedIn:
    token: str
    expires_at: datetime
    citizen: CitizenView


@dataclass
class Accounts:
    vault: PiiVault
    sessions: SessionStore
    logins: Mapping[Channel, Login]
    face: FaceVerifier
    views: CitizenViewCache = field(init=False)

    def __post_init__(self) -> None:
        self.views = CitizenViewCache(self.sessions.redis)

    # ------------------------------------------------------------------ sign-in

    async def sign_in(self, channel: Channel, code: str) -> SignedIn:
        login_adapter = self.logins.get(channel)
        if login_adapter is None:
            raise InvalidInput("Unknown channel.", field="channel")
        try:
            login = await login_adapter.login(code)
        except ChannelRejected as exc:
            raise LoginCodeInvalid() from exc
        except ChannelUnavailable as exc:
            log.warning("%s sign-in: channel unavailable: %s", channel, exc)
            raise ChannelUnavailableError() from exc
        real_name = self._checked_real_name(login.real_name)
        account, moved = await self._settle_account(login, real_name)
        await self.sessions.forget(moved)
        if real_name is not None:  # the citizen may have just been verified
            await self.views.changed(account.citizen_id)  # type: ignore[attr-defined]
        token, session = await self.sessions.issue(account)
        citizen = await Citizen.get(id=account.citizen_id)  # type: ignore[attr-defined]
        return SignedIn(token, session.expires_at, self._view_of(citizen))

    def _checked_real_name(self, real_name: RealName | None) -> RealName | None:
        if real_name is None:
            return None
        return RealName(real_name.name, normalise_id_number(real_name.id_number), real_name.phone)

    async def _settle_account(
        self, login: ChannelLogin, real_name: RealName | None
    ) -> tuple[ChannelAccount, list[str]]:
        # Two first logins of the same person may race; the unique keys decide, we retry once.
        for attempt in range(2):
            try:
                async with in_transaction() as tx:
                    return await self._settle_in(tx, login, real_name)
            except IntegrityError:
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    async def _settle_in(
        self, tx: BaseDBAsyncClient, login: ChannelLogin, real_name: RealName | None
    ) -> tuple[ChannelAccount, list[str]]:
        now = clock.now()
        account = (
            await ChannelAccount.filter(channel=login.channel, subject=login.subject)
            .using_db(tx)
            .select_for_update()
            .first()
        )
        if account is None:
            citizen = await self._citizen_for(tx, real_name)
            account = await ChannelAccount.create(
                channel=login.channel,
                subject=login.subject,
                citizen_id=citizen.id,
                created_at=now,
                last_login_at=now,
                using_db=tx,
            )
            return account, []
        await ChannelAccount.filter(id=account.id).using_db(tx).update(last_login_at=now)
        moved: list[str] = []
        if real_name is not None:
            citizen = await Citizen.get(id=account.citizen_id).using_db(tx)  # type: ignore[attr-defined]
            target, moved = await self._prove(tx, citizen, real_name)
            account.citizen_id = target.id  # type: ignore[attr-defined]
        return account, moved

    async def _citizen_for(self, tx: BaseDBAsyncClient, real_name: RealName | None) -> Citizen:
        now = clock.now()
        if real_name is None:
            return await Citizen.create(id=uuid.uuid4(), created_at=now, using_db=tx)
        existing = await self._by_id_number(tx, real_name.id_number)
        if existing is not None:
            return existing
        citizen = await Citizen.create(id=uuid.uuid4(), created_at=now, using_db=tx)
        await self._mark_verified(tx, citizen, real_name)
        return citizen

    async def _by_id_number(self, tx: BaseDBAsyncClient, id_number: str) -> Citizen | None:
        digests = self.vault.lookup_hashes("id_number", id_number)
        return await Citizen.filter(id_number_hash__in=digests).using_db(tx).first()

    async def _mark_verified(
        self, tx: BaseDBAsyncClient, citizen: Citizen, real_name: RealName
    ) -> None:
        fields: dict[str, object] = {
            "verified": True,
            "verified_at": clock.now(),
            "name_enc": self.vault.encrypt("name", real_name.name),
            "name_masked": mask_name(real_name.name),
            "id_number_enc": self.vault.encrypt("id_number", real_name.id_number),
            "id_number_hash": self.vault.lookup_hash("id_number", real_name.id_number),
            "id_number_masked": mask_id_number(real_name.id_number),
        }
        if real_name.phone:
            fields |= {
                "phone_enc": self.vault.encrypt("phone", real_name.phone),
                "phone_hash": self.vault.lookup_hash("phone", real_name.phone),
                "phone_masked": mask_phone(real_name.phone),
            }
        await Citizen.filter(id=citizen.id).using_db(tx).update(**fields)
        for name, value in fields.items():
            setattr(citizen, name, value)

    async def _prove(
        self, tx: BaseDBAsyncClient, citizen: Citizen, real_name: RealName
    ) -> tuple[Citizen, list[str]]:
        """Attach a proven real name to ``citizen``; returns the citizen that now holds it."""
        digests = self.vault.lookup_hashes("id_number", real_name.id_number)
        if citizen.verified:
            if citizen.id_number_hash not in digests:
                raise IdentityConflict()
            return citizen, []
        holder = await Citizen.filter(id_number_hash__in=digests).using_db(tx).first()
        if holder is None:
            await self._mark_verified(tx, citizen, real_name)
            return citizen, []
        moved = await merge_citizens(citizen, holder, tx)
        return holder, moved

    # ------------------------------------------------------------------ verification

    async def verify_with_face(
        self,
        principal: Principal,
        verify_result: str,
        *,
        name: str | None = None,
        id_number: str | None = None,
    ) -> CitizenView:
        """WeChat city-service face verification for the signed-in WeChat account."""
        if principal.channel != "wechat":
            raise InvalidInput(
                "Face verification is available in the WeChat channel.", field="channel"
            )
        try:
            result = await self.face.identify(verify_result)
        except ChannelRejected as exc:
            raise VerificationFailed("The verification result is unknown or expired.") from exc
        except ChannelUnavailable as exc:
            raise ChannelUnavailableError() from exc
        account = await ChannelAccount.get_or_none(id=principal.account_id)
        if account is None:
            raise NotFound()
        if result.openid != account.subject:
            raise VerificationNotYours()
        if not result.passed:
            raise VerificationFailed()
        real_name = self._face_real_name(
            result.real_name, result.name_md5, result.id_number_md5, name, id_number
        )
        async with in_transaction() as tx:
            citizen = await Citizen.get(id=principal.citizen_id).using_db(tx).select_for_update()
            holder, moved = await self._prove(tx, citizen, real_name)
        await self.sessions.forget(moved)
        await self.views.changed(principal.citizen_id, holder.id)
        return self._view_of(holder)

    def _face_real_name(
        self,
        disclosed: RealName | None,
        name_md5: str,
        id_number_md5: str,
        name: str | None,
        id_number: str | None,
    ) -> RealName:
        if disclosed is not None:
            candidate = disclosed
        elif name and id_number:
            candidate = RealName(name.strip(), id_number)
        else:
            raise InvalidInput(
                "Send the name and ID number used for face verification.",
                field="id_number",
            )
        checked = RealName(
            candidate.name, normalise_id_number(candidate.id_number), candidate.phone
        )
        if (
            _md5(checked.name) != name_md5.upper()
            or _md5(checked.id_number) != id_number_md5.upper()
        ):
            raise VerificationFailed("The name or ID number does not match the verified person.")
        return checked

    # ------------------------------------------------------------------ in person

    async def in_person(self, name: str, id_number: str) -> Citizen:
        """A resident whose ID card staff checked at a counter (or who gave it by phone to
        a hall that books for them): the citizen holding the number, whose verified name
        must match; else a new verified record, which the person's own channel sign-in
        later joins (``_prove`` finds it by the number). Raises InvalidIdNumber or
        ResidentNameMismatch, changing nothing."""
        number = normalise_id_number(id_number)
        clean = name.strip()
        if not clean:
            raise InvalidInput("The resident's name is required.", field="resident.name")
        for attempt in range(2):
            try:
                async with in_transaction() as tx:
                    holder = await self._by_id_number(tx, number)
                    if holder is None:
                        return await self._citizen_for(tx, RealName(clean, number))
            except IntegrityError:
                if attempt:
                    raise
                continue  # another counter created the record a moment ago: read it
            if holder.name_enc is None or self.vault.decrypt("name", holder.name_enc) != clean:
                raise ResidentNameMismatch(field="resident.name")
            return holder
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ reading

    async def view(self, citizen_id: uuid.UUID) -> CitizenView:
        """Served from Redis; see view_cache for why it is never stale after verification."""
        data = await self.views.get(citizen_id, self._load_view)
        if data is None:
            raise NotFound()
        return CitizenView.from_dict(data)

    async def _load_view(self, citizen_id: uuid.UUID) -> dict[str, Any] | None:
        citizen = await Citizen.get_or_none(id=citizen_id)
        return None if citizen is None else self._view_of(citizen).as_dict()

    def _view_of(self, citizen: Citizen) -> CitizenView:
        return CitizenView(
            citizen.id,
            citizen.verified,
            citizen.name_masked,
            citizen.id_number_masked,
            citizen.phone_masked,
            citizen.elder_mode,
            citizen.text_scale,
            self._offer_elder_mode(citizen),
        )

    def _offer_elder_mode(self, citizen: Citizen) -> bool:
        """Offered until chosen, to the verified aged 60 or more on today's Shanghai date.

        The birth date is read from the decrypted ID number here and never stored apart.
        """
        if citizen.elder_mode is not None or not citizen.verified or not citizen.id_number_enc:
            return False
        id_number = self.vault.decrypt("id_number", citizen.id_number_enc)
        return age_on(id_number, clock.shanghai_date()) >= ELDER_AGE

    # ------------------------------------------------------------------ preferences

    async def set_preferences(
        self, citizen_id: uuid.UUID, *, elder_mode: bool, text_scale: int | None = None
    ) -> CitizenView:
        """Remember the citizen's choice; every channel's next ``/me`` shows it."""
        if text_scale is not None and text_scale not in TEXT_SCALES:
            raise InvalidInput(
                "The text scale is one of 100, 125, 150, 175, 200.", field="text_scale"
            )
        fields: dict[str, object] = {"elder_mode": elder_mode, "preferences_at": clock.now()}
        if text_scale is not None:
            fields["text_scale"] = text_scale
        changed = await Citizen.filter(id=citizen_id, merged_into_id=None).update(**fields)
        if changed != 1:
            raise NotFound()
        await self.views.changed(citizen_id)
        return await self.view(citizen_id)


def _md5(value: str) -> str:
    return hashlib.md5(value.encode()).hexdigest().upper()

"""Payment codes cannot be walked: random serials, a bank-counter view for anyone but the
payer, and lookups rate-limited per resident and per client."""

from __future__ import annotations

import itertools

import httpx
import pytest

from app.fees.payment_codes import is_valid
from app.identity.id_numbers import with_check_digit
from tests.journeys import bearer, verified_resident
from tests.payments.test_journey import fees_agency, issue_notice
from tests.receivers import receiver

pytestmark = pytest.mark.usefixtures("clean")

COUNTER_KEYS = {
    "payment_code",
    "agency",
    "payer",
    "total_fen",
    "due_date",
    "status",
    "overdue",
    "view",
}


async def test_codes_are_random_within_the_format_and_keep_the_check_digit(
    api: httpx.AsyncClient, env: dict[str, str]
) -> None:
    with receiver() as hooks:
        creds = await fees_agency(api, env, hooks)
        # Each body differs: an identical signed POST within the window is a replay.
        codes = [await issue_notice(api, creds, quantity=n) for n in range(1, 7)]
    assert all(is_valid(code) for code in codes)
    assert len({code[:11] for code in codes}) == 1, "region, year and kind stay in place"
    serials = sorted(int(code[11:19]) for code in codes)
    gaps = [b - a for a, b in itertools.pairwise(serials)]
    # Dense serials would differ by one; six random draws out of 10**8 all but never do.
    assert min(gaps) > 1, serials


async def test_only_the_payer_sees_the_notice_whole_and_others_what_a_counter_shows(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str]
) -> None:
    with receiver() as hooks:
        creds = await fees_agency(api, env, hooks)
        code = await issue_notice(api, creds)
        _, payer = await verified_resident(api, sandbox, "alipay")
        _, stranger = await verified_resident(
            api, sandbox, "app", id_number=with_check_digit("33010219851122456"), name="李四"
        )
    whole = (await api.get(f"/api/v1/notices/{code}", headers=bearer(payer))).json()
    assert whole["view"] == "payer" and whole["items"] and "id_number_masked" in whole["payer"]
    counter = (await api.get(f"/api/v1/notices/{code}", headers=bearer(stranger))).json()
    assert set(counter) == COUNTER_KEYS and counter["view"] == "counter"
    assert set(counter["payer"]) == {"name_masked"}
    assert counter["total_fen"] == whole["total_fen"] and counter["status"] == "UNPAID"


async def test_lookups_are_rate_limited_per_resident(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, env: dict[str, str]
) -> None:
    with receiver() as hooks:
        creds = await fees_agency(api, env, hooks)
        code = await issue_notice(api, creds)
    _, walker = await verified_resident(api, sandbox, "alipay")
    statuses = [
        (await api.get(f"/api/v1/notices/{code}", headers=bearer(walker))).status_code
        for _ in range(31)
    ]
    assert statuses[:30] == [200] * 30
    last = await api.get(f"/api/v1/notices/{code}", headers=bearer(walker))
    assert last.status_code == 429 and last.json()["code"] == "RATE_LIMITED"
    assert last.headers["Retry-After"] == "60"

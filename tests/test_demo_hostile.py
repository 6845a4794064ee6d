"""A fresh ``yiwang serve --demo`` under hostile clients: requests reset while it starts,
then Schemathesis with every check, as a verified resident, an operator and an agency.

One demo serves the whole module (starting it is most of the cost). It is started while
requests that touch the database are reset a few milliseconds after they are sent, the
cancellation that used to freeze its SQLite client for good; it must then answer, and the
contract runs find no server error, no response unlike /openapi.json and no required
parameter left unenforced. 50 examples per operation and role, positive and negative, from
a fixed seed; ``scripts/fuzz-demo.sh`` runs longer (docs/hostile-input.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bench.contract_fuzz import Findings, run, signed_in
from tests.journeys import ID_NUMBER
from tests.sandbox_process import free_port, wait_until_up
from tests.test_cancelled_requests import _answers, hammered_server

# scripts/fuzz-demo.sh raises these for the longer run.
EXAMPLES = int(os.environ.get("YIWANG_FUZZ_EXAMPLES", "50"))
SEED = int(os.environ.get("YIWANG_FUZZ_SEED", "14"))


@dataclass(frozen=True)
class Demo:
    api: str
    sandbox: str
    home: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    home = tmp_path_factory.mktemp("hostile-demo")
    api_port, sandbox_port = free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "YIWANG_VAR_DIR", "YIWANG_SANDBOX_PORT")
    }
    command = [sys.executable, "-m", "app", "serve", "--demo", "--port", str(api_port)]
    command += ["--sandbox-port", str(sandbox_port)]
    with hammered_server(command, env, home, api_port, SEED) as log_path:
        demo = Demo(f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{sandbox_port}", home, env)
        wait_until_up(demo.sandbox + "/sandbox/health", timeout=30)
        yield demo
    printed = log_path.read_text(errors="replace")
    assert "Traceback" not in printed, printed[-4000:]


def _cli(demo: Demo, *args: str) -> dict[str, str]:
    made = subprocess.run(
        [sys.executable, "-m", "app", *args, "--demo"],
        cwd=demo.home,
        env=demo.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(made.stdout.strip().splitlines()[-1]))


def _resident_token(demo: Demo) -> str:
    with httpx.Client(timeout=10) as client:
        person = client.post(
            demo.sandbox + "/sandbox/users",
            json={"name": "赵六", "id_number": ID_NUMBER, "phone": "13800138000"},
        ).json()
        openid = person["wechat"]["openid"]
        code = client.post(
            demo.sandbox + "/sandbox/wechat/login-codes", json={"user": openid}
        ).json()["code"]
        token = client.post(
            demo.api + "/api/v1/sessions", json={"channel": "wechat", "code": code}
        ).json()["token"]
        verify = client.post(
            demo.sandbox + "/sandbox/wechat/face-verifications", json={"openid": openid}
        ).json()["verify_result"]
        verified = client.post(
            demo.api + "/api/v1/me/verification",
            json={"channel": "wechat", "verify_result": verify},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert verified.status_code == 200, verified.text
    return str(token)


def _assert_clean(findings: Findings) -> None:
    assert findings.cases >= 50
    assert findings.must_be_zero() == {}, "\n".join(
        f"{where}: {message}" for where, message in sorted(findings.samples.items())
    )


def test_the_demo_answers_after_requests_were_reset_while_it_started(demo: Demo) -> None:
    _answers(demo.api)


@pytest.fixture(scope="module")
def credentials(demo: Demo) -> dict[str, dict[str, str]]:
    """All three signed in before any fuzzing: a fuzzed sign-in endpoint counts against the
    client's sign-in limits, which would then refuse the next role's sign-in."""
    made = _cli(demo, "operator", "create", "--username", "fuzz-admin", "--role", "platform_admin")
    signed = httpx.post(
        demo.api + "/api/v1/operator/sessions",
        json={"username": "fuzz-admin", "password": made["password"]},
        timeout=10,
    )
    assert signed.status_code == 201, signed.text
    return {
        "resident": {"bearer": _resident_token(demo)},
        "operator": {"bearer": signed.json()["token"]},
        "agency": _cli(demo, "agency", "create", "--name", "模糊测试中心", "--kind", "fees"),
    }


@pytest.mark.parametrize("role", ["resident", "operator", "agency"])
def test_schemathesis_finds_no_server_error_and_no_contract_breach(
    demo: Demo, credentials: dict[str, dict[str, str]], role: str
) -> None:
    mine = credentials[role]
    session, headers = signed_in(role, mine.get("bearer"), mine.get("key"), mine.get("secret"))
    _assert_clean(run(demo.api, role, session, headers, examples=EXAMPLES, random_seed=SEED))

"""The mini-programs from Python's single test command: the node suite (miniprogram-simulate
for WeChat, structure and a `my.` stub for Alipay), the operator's build command, and the
error-message table kept complete against every code the API can answer."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from app.errors import DomainError
from app.http.errors import SANIC_CODES
from payments.errors import PaymentError
from tests import tools

ROOT = Path(__file__).resolve().parents[2]
MINIPROGRAM = ROOT / "miniprogram"
YIWANG = Path(sys.executable).with_name("yiwang")



def every_code() -> set[str]:
    import app.runtime.main  # noqa: F401  (loads every room, so every error class exists)

    codes: set[str] = {"INTERNAL_ERROR", *SANIC_CODES.values()}
    for root in (DomainError, PaymentError):
        stack: list[type] = [root]
        while stack:
            cls = stack.pop()
            codes.add(cls.code)  # type: ignore[attr-defined]
            stack.extend(cls.__subclasses__())
    return codes


def test_every_api_error_code_has_a_chinese_message() -> None:
    table = (MINIPROGRAM / "src" / "core" / "errors.js").read_text(encoding="utf-8")
    messages = dict(re.findall(r"^\s+([A-Z][A-Z0-9_]+): \"([^\"]+)\",$", table, re.M))
    missing = sorted(every_code() - set(messages))
    assert not missing, f"add these codes to miniprogram/src/core/errors.js: {missing}"
    assert all(re.search(r"[\u4e00-\u9fff]", text) for text in messages.values())


def test_node_suite_passes() -> None:
    done = subprocess.run(
        [tools.program("npm"), "test"],
        cwd=tools.node_packages(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    summary = "\n".join(done.stdout.splitlines()[-12:])
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert re.search(r"^# fail 0$", done.stdout, re.M), summary
    assert int(re.search(r"^# pass (\d+)$", done.stdout, re.M).group(1)) >= 20, summary


def test_the_build_command_writes_an_uploadable_package(tmp_path: Path) -> None:
    tools.program("node")
    for channel, project in (("wechat", "project.config.json"), ("alipay", "mini.project.json")):
        out = tmp_path / channel
        done = subprocess.run(
            [
                str(YIWANG),
                "miniprogram",
                "build",
                "--channel",
                channel,
                "--env",
                "demo",
                "--out",
                str(out),
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        built = json.loads((out / "yiwang-build.json").read_text())
        assert built["apiBase"] == "http://127.0.0.1:8000"
        assert built["appId"], built
        assert (out / project).exists()
        app = json.loads((out / "app.json").read_text())
        page_ext = "wxml" if channel == "wechat" else "axml"
        assert all((out / f"{page}.{page_ext}").exists() for page in app["pages"])
    wechat = json.loads((tmp_path / "wechat" / "project.config.json").read_text())
    assert (
        wechat["appid"]
        == json.loads((tmp_path / "wechat" / "yiwang-build.json").read_text())["appId"]
    )


def test_a_prod_build_refuses_plain_http(tmp_path: Path) -> None:
    tools.program("node")
    done = subprocess.run(
        [
            "node",
            str(MINIPROGRAM / "build.mjs"),
            "--channel",
            "wechat",
            "--env",
            "prod",
            "--api-base",
            "http://api.example.gov.cn",
            "--app-id",
            "wx1",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "https" in done.stderr

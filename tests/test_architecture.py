"""Who may import whom (DESIGN.md, Rooms), checked on every module's syntax tree.

app.http → app.<domain> → payments → infra / channels.base. Only the composition root
(app/main.py, app/serving.py, app/channel_set.py, app/config.py, app/cli/) names channel
adapters.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPOSITION = {
    "app/main.py",
    "app/serving.py",
    "app/channel_set.py",
    "app/config.py",
    # The command line (a package, one module per room).
    "app/cli/",
    # The demo data set names the sandbox's demo residents.
    "app/demo.py",
}
SDKS = ("wechatpy", "alipay")
ADAPTERS = ("channels.wechat", "channels.alipay", "channels.app", "channels.sandbox")


@dataclass(frozen=True)
class Violation:
    path: str
    imported: str
    rule: str


def imports_of(source: str) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def in_composition(path: str) -> bool:
    return any(path == c or (c.endswith("/") and path.startswith(c)) for c in COMPOSITION)


def _is(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def check(path: str, source: str) -> list[Violation]:
    found: list[Violation] = []
    for name in imports_of(source):

        def broke(rule: str, name: str = name) -> None:
            found.append(Violation(path, name, rule))

        if path.startswith("channels/") and _is(name, "app", "payments", "infra"):
            broke("channels imports nothing from app, payments or infra")
        if path.startswith("infra/") and _is(name, "app", "payments", "channels"):
            broke("infra is the ground floor")
        if path.startswith("payments/") and _is(name, "app"):
            broke("payments sits below the app domains")
        if path.startswith(("app/", "payments/", "infra/")):
            if _is(name, *SDKS):
                broke("SDKs are used only inside channels/")
            if _is(name, "sanic") and not (path.startswith("app/http/") or path == "app/main.py"):
                broke("only app/http (and app/main.py, which runs it) imports sanic")
            if _is(name, *ADAPTERS) and not in_composition(path):
                broke("domains see channels only through channels.base")
        if (
            path.startswith("app/")
            and not path.startswith("app/http/")
            and not in_composition(path)
            and _is(name, "app.http", "app.main", "app.serving")
        ):
            broke("domains never reach up into the HTTP layer")
    return found


def project_modules() -> list[Path]:
    return [
        p
        for room in ("app", "payments", "infra", "channels")
        for p in (ROOT / room).rglob("*.py")
        if "migrations" not in p.parts
    ]


def test_every_module_keeps_the_import_rules() -> None:
    violations = [
        v
        for p in project_modules()
        for v in check(p.relative_to(ROOT).as_posix(), p.read_text(encoding="utf-8"))
    ]
    assert violations == []


def test_the_rule_catches_a_domain_importing_sanic_and_an_sdk() -> None:
    source = "import sanic\nfrom wechatpy import WeChatClient\nfrom channels.base import Pay\n"
    rules = {v.rule for v in check("app/identity/bad.py", source)}
    assert rules == {
        "only app/http (and app/main.py, which runs it) imports sanic",
        "SDKs are used only inside channels/",
    }


def test_the_rule_catches_channels_reaching_into_app() -> None:
    assert check("channels/wechat/bad.py", "from app.errors import DomainError\n")
    assert check("payments/bad.py", "from app.identity.models import Citizen\n")
    assert check("app/identity/bad.py", "from channels.wechat import build_wechat_channel\n")
    assert check("app/identity/bad.py", "from app.http.auth import resident\n")
    assert not check("app/http/ok.py", "from sanic import Blueprint\nfrom app.errors import X\n")


def test_the_project_has_modules_to_check() -> None:
    rooms = {p.relative_to(ROOT).parts[0] for p in project_modules()}
    assert {"app", "infra", "channels"} <= rooms

"""Who may import whom (DESIGN.md, Rooms), checked on every module's syntax tree.

app.http → app.<domain> → payments → infra / channels.base. Only the composition root
(app/runtime/, app/config.py, app/cli/) names channel
adapters.
"""

from __future__ import annotations

import ast
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPOSITION = {
    # Builds the rooms, wires their reactions, runs server and worker, seeds the demo data set
    # (it names the sandbox's demo residents) and provisions secrets for a whole stack.
    "app/runtime/",
    "app/config.py",
    # The command line (a package, one module per room).
    "app/cli/",
}
SDKS = ("wechatpy", "alipay")
ADAPTERS = ("channels.wechat", "channels.alipay", "channels.app", "channels.sandbox")


@dataclass(frozen=True)
class Violation:
    path: str
    imported: str
    rule: str


def parse(source: str) -> ast.Module:
    """``ast.parse`` on a thread of its own. In CPython 3.11 a RecursionError caught earlier
    in a thread (a library deep in the session) can leave that thread's recursion count
    skewed, and the AST constructor then fails with "recursion depth mismatch"; a fresh
    thread starts from a clean count."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(ast.parse, source).result()


def imports_of(source: str) -> list[str]:
    names: list[str] = []
    for node in ast.walk(parse(source)):
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
            if _is(name, "sanic") and not path.startswith(("app/http/", "app/runtime/")):
                broke("only app/http and the composition root (app/runtime/) import sanic")
            if _is(name, *ADAPTERS) and not in_composition(path):
                broke("domains see channels only through channels.base")
        if (
            path.startswith("app/")
            and not path.startswith("app/http/")
            and not in_composition(path)
            and _is(name, "app.http", "app.runtime")
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
        "only app/http and the composition root (app/runtime/) import sanic",
        "SDKs are used only inside channels/",
    }


def test_the_rule_catches_channels_reaching_into_app() -> None:
    assert check("channels/wechat/bad.py", "from app.errors import DomainError\n")
    assert check("payments/bad.py", "from app.identity.models import Citizen\n")
    assert check("app/identity/bad.py", "from channels.wechat import build_wechat_channel\n")
    assert check("app/identity/bad.py", "from app.http.auth import resident\n")
    assert not check("app/http/ok.py", "from sanic import Blueprint\nfrom app.errors import X\n")


# The status columns of the transition tables (infra.transitions.Transitions.field).
STATUS_COLUMNS = frozenset({"status", "release", "card", "handling_status", "payment_status"})
# Writes a status outside infra.transitions.move, each with its reason (none today).
STATUS_WRITERS_PENDING: set[str] = set()


def status_writes(source: str) -> list[int]:
    """Lines that write a status column with ``.update(...)``, by keyword or ``**{...}``."""
    lines: list[int] = []
    for node in ast.walk(parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "update"
        ):
            continue
        named = {k.arg for k in node.keywords if k.arg}
        for k in node.keywords:
            if k.arg is None and isinstance(k.value, ast.Dict):
                named |= {key.value for key in k.value.keys if isinstance(key, ast.Constant)}
        if named & STATUS_COLUMNS:
            lines.append(node.lineno)
    return lines


def test_no_status_is_written_outside_a_transitions_module() -> None:
    """Every status change goes through infra.transitions.move (DESIGN.md, ways of the house)."""
    found = {
        rel: lines
        for p in project_modules()
        if p.name != "transitions.py"
        and (rel := p.relative_to(ROOT).as_posix()) not in STATUS_WRITERS_PENDING
        and (lines := status_writes(p.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_status_rule_catches_a_hand_written_compare_and_set() -> None:
    assert status_writes("await Case.filter(id=1, status=s).update(status=d, at=now)\n") == [1]
    assert status_writes("await M.filter(id=1).using_db(tx).update(**{'card': c})\n") == [1]
    assert status_writes("await M.filter(id=1).update(name=n)\n") == []


def test_the_project_has_modules_to_check() -> None:
    rooms = {p.relative_to(ROOT).parts[0] for p in project_modules()}
    assert {"app", "infra", "channels"} <= rooms


# The composition root: it builds the rooms and wires their reactions; no room imports it.
COMPOSITION_MODULES = frozenset({"runtime", "cli", "http"})


def room_of(module: str) -> str | None:
    """``app.cases.service`` → ``cases``; ``app.billing.ordering`` → ``ordering``; others → None."""
    parts = module.split(".")
    return parts[1] if parts[0] == "app" and len(parts) > 1 else None


def room_graph() -> dict[str, set[str]]:
    """Which room imports which, from every module of app/ outside the composition root."""
    graph: dict[str, set[str]] = {}
    for path in (ROOT / "app").rglob("*.py"):
        rel = path.relative_to(ROOT / "app")
        if "migrations" in rel.parts or rel.parts[0] == "__main__.py":
            continue
        source_room = rel.parts[0].removesuffix(".py")
        if source_room in COMPOSITION_MODULES or source_room == "__init__":
            continue
        for name in imports_of(path.read_text(encoding="utf-8")):
            target = room_of(name)
            if target and target != source_room:
                graph.setdefault(source_room, set()).add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle as a path (first room repeated at the end), or [] when there is none."""
    done: set[str] = set()

    def walk(node: str, path: list[str]) -> list[str]:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return []
        for nxt in sorted(graph.get(node, ())):
            if cycle := walk(nxt, [*path, node]):
                return cycle
        done.add(node)
        return []

    for start in sorted(graph):
        if cycle := walk(start, []):
            return cycle
    return []


def test_rooms_import_each_other_one_way_only() -> None:
    """A room that reacts to another's events subscribes through the outbox or is wired in
    the composition root; it never imports its caller back (DESIGN.md, Rooms)."""
    assert find_cycle(room_graph()) == []


def test_no_room_imports_the_composition_root() -> None:
    reaching_up = {
        room: sorted(targets & COMPOSITION_MODULES)
        for room, targets in room_graph().items()
        if targets & COMPOSITION_MODULES
    }
    assert reaching_up == {}


def test_the_cycle_check_finds_a_cycle() -> None:
    assert find_cycle({"cases": {"evaluations"}, "evaluations": {"supervision"}}) == []
    assert find_cycle(
        {"cases": {"evaluations"}, "evaluations": {"supervision"}, "supervision": {"cases"}}
    ) == ["cases", "evaluations", "supervision", "cases"]

"""The console shipped in the package is the one its source builds, and its words cover
every action the audit can show.

The built files under app/http/console/ are committed so that `yiwang serve --demo` needs no
node. `npm run build` (in console/) writes the SHA-256 of every source it read next to
them; this test recomputes it the same way, so an edit that was not rebuilt fails here.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILT = ROOT / "app" / "http" / "console"
SHARED = [f"miniprogram/src/core/{f}" for f in ("errors.js", "format.js", "words.js")]
FIXED = [
    f"console/{f}" for f in ("index.html", "vite.config.js", "package.json", "package-lock.json")
]


def source_digest() -> str:
    """As console/stamp.mjs computes it: path, NUL, bytes, NUL for each file in path order."""
    src = [
        p.relative_to(ROOT).as_posix() for p in (ROOT / "console" / "src").rglob("*") if p.is_file()
    ]
    digest = hashlib.sha256()
    for name in sorted(FIXED + src + SHARED):
        digest.update(name.encode() + b"\0" + (ROOT / name).read_bytes() + b"\0")
    return digest.hexdigest()


def test_the_shipped_build_is_the_build_of_the_source() -> None:
    stamped = (BUILT / "source.sha256").read_text().strip()
    assert stamped == source_digest(), (
        "console/ changed since app/http/console/ was built: run `npm ci && npm run build`"
        " in console/ and commit app/http/console/"
    )


def test_the_page_loads_exactly_the_shipped_assets() -> None:
    page = (BUILT / "index.html").read_text(encoding="utf-8")
    referenced = set(re.findall(r'/console/assets/([^"]+)"', page))
    shipped = {p.name for p in (BUILT / "assets").iterdir()}
    assert referenced and referenced <= shipped
    # Fonts or images the styles pull in are the only other files; nothing stale is shipped.
    styles = "".join((BUILT / "assets" / n).read_text(errors="replace") for n in referenced)
    assert all(n in referenced or n in styles for n in shipped), shipped - referenced
    assert '<html lang="zh-CN">' in page


def audit_actions() -> set[str]:
    """Every action name the backend writes to the audit (the second argument of record or
    audited, or the action of a publishing step)."""
    patterns = [
        re.compile(r"(?<![\w.])audit\.record\(\s*[\w.]+,\s*\"([a-z_.0-9]+)\""),
        re.compile(r"audit\.audited\(\s*[\w.]+,\s*\"([a-z_.0-9]+)\""),
        re.compile(r"self\._audited\(\s*actor,\s*\"([a-z_]+)\""),
    ]
    found: set[str] = set()
    for room in ("app", "payments"):
        for path in (ROOT / room).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if path.name == "audit.py" and path.parent.name == "catalog":
                text = text.replace("await record(", "audit.record(")
            for pattern in patterns:
                found |= set(pattern.findall(text))
    return found


def test_every_audit_action_has_words() -> None:
    words = (ROOT / "miniprogram" / "src" / "core" / "words.js").read_text(encoding="utf-8")
    table = words[words.index("export const ACTIONS = {") :]
    table = table[: table.index("};")]
    named = set(re.findall(r'^\s+"?([a-z_.0-9]+)"?:', table, re.M))
    actions = audit_actions()
    assert {
        "submit",
        "approve",
        "publish",
        "rollback",
        "create_item",
        "operator.signin_alert",
        "crypto.rotate",
        "open311_client_revoke",
    } <= actions
    missing = actions - named
    assert not missing, f"add these audit actions to miniprogram/src/core/words.js: {missing}"

"""Tools a test needs from the machine (Chromium, node, npm packages, wrk, poppler).

``scripts/test.sh`` installs every one of them. A test whose tool is missing fails and says
how to get it: a skipped test would let a machine without the tool pass CI without running it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
MINIPROGRAM = ROOT / "miniprogram"


def missing(what: str) -> None:
    pytest.fail(f"{what} is not installed: run `bash scripts/test.sh`, which installs it",
                pytrace=False)


def program(name: str) -> str:
    """The path of an executable on PATH, or a failed test naming it."""
    found = shutil.which(name)
    if found is None:
        missing(name)
        raise AssertionError  # pytest.fail raised already; this line satisfies the type
    return found


def chromium() -> Path:
    if not CHROMIUM.exists():
        missing("chromium (Debian's /usr/bin/chromium)")
    return CHROMIUM


def node_packages() -> Path:
    """The mini-programs' node packages (``npm ci`` in miniprogram/) and node itself."""
    program("node")
    if not (MINIPROGRAM / "node_modules").exists():
        missing("the mini-programs' node packages (npm ci in miniprogram/)")
    return MINIPROGRAM

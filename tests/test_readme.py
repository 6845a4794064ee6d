"""The README's two set-up commands are the ones CI and people actually run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    head = text.split("\n## ", 1)[0]
    return re.findall(r"```(?:sh|bash)\n(.+?)\n```", head, flags=re.S)


def test_the_readme_opens_with_exactly_two_commands_demo_then_tests() -> None:
    commands = readme_commands()
    assert len(commands) == 2
    assert commands[0].strip().endswith("yiwang serve --demo")
    script = ROOT / commands[1].split()[-1]
    assert commands[1].strip() == "bash scripts/test.sh" and script.exists()
    text = script.read_text(encoding="utf-8")
    assert "pip install -q -e '.[test]'" in text and "pytest" in text


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = readme_commands()[1].strip()
    assert test_command in ci.splitlines()

"""Commands that touch data never guess the database: ``--demo`` or ``DATABASE_URL``.

Run in-process (no subprocess, no database): the refusal comes before any connection.
"""

from __future__ import annotations

import argparse

import pytest

from app.cli import build_parser, main
from app.cli.environment import settings_for
from app.runtime.provisioning import fresh_secrets

# Every command that touches data, with the arguments it requires.
DATA_COMMANDS = {
    "serve": [],
    "worker": [],
    "migrate": [],
    "reconcile": ["--channel", "wechat", "--date", "2026-01-05"],
    "refund": [
        "--order", "YW1", "--amount-fen", "1", "--reason", "r", "--operator", "o",
        "--idempotency-key", "key-12345",
    ],
    "appointments drift": [],
    "appointments rebuild-gate": [],
    "appointments heal-gate": [],
    "appointments lift-ban": ["--citizen", "00000000-0000-0000-0000-000000000000", "--reason", "r"],
    "agency create": ["--name", "n", "--kind", "fees"],
    "miniapp validate": ["manifest.yaml"],
    "catalog parity": [],
    "catalog seed": [],
    "operator create": ["--username", "u", "--role", "reviewer"],
    "cases define-form": ["--item", "X", "--file", "spec.json"],
    "cases bind-desk": ["--agency-key", "k", "--department", "d"],
    "open311 create-client": ["--name", "n"],
    "open311 revoke-client": ["--id", "1"],
    "open311 list-clients": [],
    "calendar load": ["--year", "2026"],
    "demo seed": [],
    "crypto status": [],
    "crypto rotate": [],
    "audit verify": [],
}  # fmt: skip


def _leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        yield " ".join(path), parser
        return
    for name, child in subparsers[0].choices.items():
        yield from _leaves(child, (*path, name))


@pytest.fixture
def no_database(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("YIWANG_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command", sorted(DATA_COMMANDS))
def test_a_data_command_without_database_url_or_demo_exits_naming_it(
    no_database, capsys, command: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main([*command.split(), *DATA_COMMANDS[command]])
    assert stopped.value.code not in (0, None)
    assert "DATABASE_URL" in str(stopped.value.code)
    assert "--demo" in str(stopped.value.code)
    # Nothing was created on the demo's side: no database, no secrets.
    assert not (no_database / "var").exists()


def test_every_command_that_takes_demo_is_checked_here() -> None:
    """A new data command must join DATA_COMMANDS, so the refusal is tested for it too."""
    touching = {
        name
        for name, leaf in _leaves(build_parser())
        if leaf.get_default("touches_data") or "--demo" in leaf._option_string_actions
    }
    assert touching == set(DATA_COMMANDS)


def test_every_command_is_dispatched_by_its_own_function() -> None:
    missing = [name for name, leaf in _leaves(build_parser()) if leaf.get_default("func") is None]
    assert missing == []


def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every secret a deployment needs, as `yiwang secrets generate` prints them."""
    for name, value in fresh_secrets(sandbox=True):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("YIWANG_SANDBOX", "1")


def test_with_database_url_a_data_command_uses_it_and_not_the_demo(
    no_database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _secrets(monkeypatch)
    monkeypatch.setenv("DATABASE_URL", "postgres://127.0.0.1:5432/elsewhere")
    args = build_parser().parse_args(["refund", *DATA_COMMANDS["refund"]])
    settings = settings_for(args)
    assert settings.database_url == "postgres://127.0.0.1:5432/elsewhere"
    assert settings.demo is False


def test_with_demo_a_data_command_uses_the_demos_database(no_database) -> None:
    args = build_parser().parse_args(["refund", *DATA_COMMANDS["refund"], "--demo"])
    settings = settings_for(args)
    assert settings.demo is True
    assert settings.database_url == f"sqlite://{no_database / 'var'}/yiwang.sqlite3"

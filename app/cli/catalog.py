"""The catalog: mini-app manifests, channel parity, seed data, operator accounts."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from app.cli.environment import add_demo_flag, print_json, settings_for


def _on_database(args: argparse.Namespace, action: Callable[[], Awaitable[Any]]) -> None:
    from app.catalog.commands import CommandFailed
    from app.runtime.serving import with_database

    settings = settings_for(args)
    try:
        print_json(asyncio.run(with_database(settings, action)))
    except CommandFailed as exc:
        sys.exit(f"yiwang: {exc}")


def validate(args: argparse.Namespace) -> None:
    from app.catalog import commands

    _on_database(args, lambda: commands.validate_file(args.manifest))


def submit(args: argparse.Namespace) -> None:
    """Submits over the operator API, so it needs no database of its own."""
    from app.catalog import commands

    password = os.environ.get("YIWANG_OPERATOR_PASSWORD") or getpass.getpass()
    try:
        result = commands.submit_file(args.manifest, args.api, args.username, password)
    except commands.CommandFailed as exc:
        sys.exit(f"yiwang: {exc}")
    print_json(result)


def parity(args: argparse.Namespace) -> None:
    from app.catalog import commands

    _on_database(args, lambda: commands.parity(args.region))


def seed(args: argparse.Namespace) -> None:
    from app.catalog.demo import seed_catalog

    async def run() -> dict[str, int]:
        return {"items_created": await seed_catalog()}

    _on_database(args, run)


def create_operator(args: argparse.Namespace) -> None:
    from app.catalog import commands

    _on_database(
        args,
        lambda: commands.create_operator_account(
            args.username, args.role, args.department, args.region, os.environ
        ),
    )


def register(sub: argparse._SubParsersAction) -> None:
    miniapp = sub.add_parser("miniapp", help="mini-app manifests: validate, submit for review")
    miniapp_commands = miniapp.add_subparsers(dest="catalog_action", required=True)
    parser = miniapp_commands.add_parser(
        "validate", help="check a manifest.yaml (exit 1 + problems)"
    )
    parser.add_argument("manifest")
    add_demo_flag(parser)
    parser.set_defaults(func=validate)
    parser = miniapp_commands.add_parser(
        "submit", help="submit a manifest.yaml for review (password: YIWANG_OPERATOR_PASSWORD)"
    )
    parser.add_argument("manifest")
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    parser.add_argument("--username", required=True)
    parser.set_defaults(func=submit)

    catalog = sub.add_parser("catalog", help="the catalog: channel parity report, seed data")
    catalog_commands = catalog.add_subparsers(dest="catalog_action", required=True)
    parser = catalog_commands.add_parser(
        "parity", help="every channel difference with its reason"
    )
    parser.add_argument("--region", default=None, help="one region (default: all)")
    add_demo_flag(parser)
    parser.set_defaults(func=parity)
    parser = catalog_commands.add_parser(
        "seed", help="load themes, regions, departments and items"
    )
    add_demo_flag(parser)
    parser.set_defaults(func=seed)

    operator = sub.add_parser("operator", help="operator accounts")
    operator_commands = operator.add_subparsers(dest="catalog_action", required=True)
    parser = operator_commands.add_parser(
        "create", help="create an operator; prints the password once"
    )
    parser.add_argument("--username", required=True)
    parser.add_argument(
        "--role", required=True, choices=["platform_admin", "department_operator", "reviewer"]
    )
    parser.add_argument("--department", action="append", default=[], help="repeatable")
    parser.add_argument("--region", action="append", default=[], help="repeatable")
    add_demo_flag(parser)
    parser.set_defaults(func=create_operator)

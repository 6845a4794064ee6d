"""Agencies: register one and print its key and secret once."""

from __future__ import annotations

import argparse
import asyncio

from app.cli.environment import add_demo_flag, print_json, settings_for


def create(args: argparse.Namespace) -> None:
    from app.agency.signing import create_agency
    from app.runtime.serving import with_database

    settings = settings_for(args)

    async def run() -> dict[str, str]:
        vault = settings.vault()
        agency, secret = await create_agency(
            vault,
            name=args.name,
            kind=args.kind,
            webhook_url=args.webhook_url,
            region_code=args.region,
        )
        return {"key": agency.key, "secret": secret}

    print_json(asyncio.run(with_database(settings, run)))


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("agency", help="manage agencies")
    commands = parser.add_subparsers(dest="agency_command", required=True)
    create_parser = commands.add_parser(
        "create", help='register an agency; prints {"key","secret"}'
    )
    create_parser.add_argument("--name", required=True)
    create_parser.add_argument(
        "--kind", required=True, choices=["traffic", "fees", "health", "market"]
    )
    create_parser.add_argument("--webhook-url", default=None)
    create_parser.add_argument("--region", default=None, help="6-digit region code")
    add_demo_flag(create_parser)
    create_parser.set_defaults(func=create)

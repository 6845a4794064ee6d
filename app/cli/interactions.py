"""yiwang open311 create-client|revoke-client|list-clients: api_keys for outside tools."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from app.cli.environment import add_demo_flag, print_json, settings_for


def _on_database(args: argparse.Namespace, action: Callable[[], Awaitable[Any]]) -> None:
    from app.runtime.serving import with_database

    print_json(asyncio.run(with_database(settings_for(args), action)))


def create_client(args: argparse.Namespace) -> None:
    from app.interactions import clients

    async def run() -> dict[str, Any]:
        client, api_key = await clients.create_client(args.name)
        return {**clients.client_view(client), "api_key": api_key}

    _on_database(args, run)


def revoke_client(args: argparse.Namespace) -> None:
    from app.interactions import clients

    async def run() -> dict[str, Any]:
        return dict(clients.client_view(await clients.revoke_client(args.id)))

    _on_database(args, run)


def list_clients(args: argparse.Namespace) -> None:
    from app.interactions import clients

    _on_database(args, clients.list_clients)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("open311", help="Open311 clients (api_keys for outside tools)")
    commands = parser.add_subparsers(dest="open311_command", required=True)
    create = commands.add_parser("create-client", help="prints the api_key once")
    create.add_argument("--name", required=True)
    create.set_defaults(func=create_client)
    revoke = commands.add_parser("revoke-client", help="the key stops working at once")
    revoke.add_argument("--id", type=int, required=True, help="the client_id")
    revoke.set_defaults(func=revoke_client)
    listing = commands.add_parser("list-clients", help="clients without their keys")
    listing.set_defaults(func=list_clients)
    for command in (create, revoke, listing):
        add_demo_flag(command)

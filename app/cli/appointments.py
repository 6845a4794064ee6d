"""Operator commands of the appointments room: gate drift, gate rebuild, lifting a ban.

They work on the shared Redis gate beside PostgreSQL, so they read ``DATABASE_URL`` and
``REDIS_URL``; the demo's gate lives inside ``serve --demo`` and is not reachable here.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from typing import Any

from app.cli.environment import print_json, settings_for


def drift(args: argparse.Namespace) -> None:
    from app.runtime.serving import with_services

    async def run(services: Any) -> dict[str, Any]:
        return dict((await services.appointments.drift()).as_dict())

    result = asyncio.run(with_services(settings_for(args), run))
    print_json(result)
    if result["drifted"]:
        sys.exit(1)


def rebuild_gate(args: argparse.Namespace) -> None:
    from app.runtime.serving import with_services

    async def run(services: Any) -> dict[str, Any]:
        return {"groups_rebuilt": await services.appointments.rebuild_gate()}

    print_json(asyncio.run(with_services(settings_for(args), run)))


def heal_gate(args: argparse.Namespace) -> None:
    from app.runtime.serving import with_services

    async def run(services: Any) -> dict[str, Any]:
        return dict((await services.appointments.heal_gate()).as_dict())

    print_json(asyncio.run(with_services(settings_for(args), run)))


def lift_ban(args: argparse.Namespace) -> None:
    from app.appointments.noshows import lift_ban as lift
    from app.runtime.serving import with_services

    async def run(services: Any) -> dict[str, Any]:
        lifted = await lift(uuid.UUID(args.citizen), args.reason)
        return {
            "citizen": str(lifted.citizen_id),
            "was_banned_until": lifted.was_until.isoformat(),
            "reason": lifted.reason,
        }

    print_json(asyncio.run(with_services(settings_for(args), run)))


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("appointments", help="appointments: gate drift and rebuild, bans")
    commands = parser.add_subparsers(dest="appointments_command", required=True)
    commands.add_parser(
        "drift", help="compare the Redis gate with PostgreSQL (exit 1 on drift)"
    ).set_defaults(func=drift, touches_data=True)
    commands.add_parser(
        "rebuild-gate", help="reload every upcoming gate group from PostgreSQL"
    ).set_defaults(func=rebuild_gate, touches_data=True)
    commands.add_parser(
        "heal-gate", help="give back gate seats a dead process left (two looks, seconds apart)"
    ).set_defaults(func=heal_gate, touches_data=True)
    lift = commands.add_parser("lift-ban", help="lift a citizen's booking ban, with a reason")
    lift.add_argument("--citizen", required=True, help="citizen id (UUID)")
    lift.add_argument("--reason", required=True)
    lift.set_defaults(func=lift_ban, touches_data=True)

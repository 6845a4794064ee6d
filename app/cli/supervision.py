"""The work calendar: load a year's published holiday arrangement (audited)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from app.cli.environment import add_demo_flag, print_json, settings_for
from app.errors import InvalidInput


def load(args: argparse.Namespace) -> None:
    from app.runtime.serving import with_database
    from app.supervision import arrangements

    if args.file is not None:
        arrangement = arrangements.read(Path(args.file))
        if arrangement.year != args.year:
            raise InvalidInput(
                f"{args.file} is the arrangement for {arrangement.year}, not {args.year}."
            )
    else:
        arrangement = arrangements.shipped(args.year)

    async def run() -> dict[str, Any]:
        return await arrangements.load(arrangement, reason=args.reason)

    print_json(asyncio.run(with_database(settings_for(args), run)))


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("calendar", help="the work calendar behind working-day deadlines")
    commands = parser.add_subparsers(dest="calendar_command", required=True)
    loading = commands.add_parser(
        "load",
        help="make a year's holiday arrangement (days off, make-up working days) the "
        "calendar's, replacing what that year had; audited",
    )
    loading.add_argument("--year", type=int, required=True)
    loading.add_argument(
        "--file", default=None, help="a YAML arrangement (default: the one this release ships)"
    )
    loading.add_argument("--reason", default=None, help="kept in the audit log")
    add_demo_flag(loading)
    loading.set_defaults(func=load)

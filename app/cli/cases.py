"""yiwang cases define-form|bind-desk: the operator API's changes, scoped to nobody
(whoever runs this holds the database) and audited as "system"."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from app.cli.environment import add_demo_flag, print_json, settings_for


def define_form(args: argparse.Namespace) -> None:
    from app.cases import setup
    from app.cases.forms import spec_document
    from app.runtime.serving import with_database

    settings = settings_for(args)
    try:
        document = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        sys.exit(f"yiwang: cannot read {args.file} as JSON: {exc}")

    async def run() -> dict[str, Any]:
        fields, materials, days = spec_document(document)
        form, changed = await setup.define_form(
            args.item,
            fields,
            materials,
            days,
            attachments_limit=settings.service_rules.materials_per_case,
            reason=args.reason or "yiwang cases define-form",
        )
        return {"item_code": form.item_code, "version": form.version, "changed": changed}

    print_json(asyncio.run(with_database(settings, run)))


def bind_desk(args: argparse.Namespace) -> None:
    from app.cases import setup
    from app.runtime.serving import with_database

    async def run() -> dict[str, Any]:
        desk, created = await setup.bind_desk(
            args.agency_key, args.department, reason=args.reason or "yiwang cases bind-desk"
        )
        return {**desk, "created": created}

    print_json(asyncio.run(with_database(settings_for(args), run)))


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("cases", help="case forms and case desks")
    commands = parser.add_subparsers(dest="cases_command", required=True)
    form = commands.add_parser(
        "define-form", help="define or change an item's case form (a new version, audited)"
    )
    form.add_argument("--item", required=True, help="the service item code")
    form.add_argument(
        "--file", required=True, help='JSON {"fields":[…],"materials":[…],"time_limit_days"?}'
    )
    form.set_defaults(func=define_form)
    desk = commands.add_parser("bind-desk", help="let an agency work a department's cases")
    desk.add_argument("--agency-key", required=True)
    desk.add_argument("--department", required=True, help="the department code")
    desk.set_defaults(func=bind_desk)
    for command in (form, desk):
        command.add_argument("--reason", default=None, help="kept in the audit log")
        add_demo_flag(command)

"""Settings for a command, and the one rule for commands that touch data: never guess.

A refund typed on a production host whose ``DATABASE_URL`` went missing must not quietly
land in the demo's SQLite, so a data command runs on the demo only when ``--demo`` says so,
on ``DATABASE_URL`` when it is set, and otherwise stops naming ``DATABASE_URL``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from app.config import Settings, SettingsError, load_settings


def add_demo_flag(parser: argparse.ArgumentParser) -> None:
    """Mark a command as touching data: it takes ``--demo`` and refuses to guess."""
    parser.add_argument(
        "--demo", action="store_true", help="use the demo's database under ./var/"
    )
    parser.set_defaults(touches_data=True)


def settings_for(args: argparse.Namespace, *, demo: bool | None = None) -> Settings:
    """The settings a command runs with; a data command without ``--demo`` or
    ``DATABASE_URL`` exits non-zero naming ``DATABASE_URL``."""
    use_demo = bool(getattr(args, "demo", False)) if demo is None else demo
    if getattr(args, "touches_data", False) and not use_demo and not os.environ.get(
        "DATABASE_URL"
    ):
        sys.exit(
            f"yiwang {args.command}: DATABASE_URL is not set; set DATABASE_URL=postgres://… "
            "to work on a database, or pass --demo to work on the demo's"
        )
    try:
        return load_settings(
            os.environ,
            demo=use_demo,
            host=getattr(args, "host", "127.0.0.1"),
            port=getattr(args, "port", 8000),
            sandbox_port=getattr(args, "sandbox_port", None),
            workers=getattr(args, "workers", 1),
        )
    except SettingsError as exc:
        sys.exit(f"yiwang: configuration error: {exc}")


def print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False))

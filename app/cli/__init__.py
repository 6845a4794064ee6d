"""``yiwang``: the command line. The only place that reads ``os.environ``.

One module per room registers its commands with ``set_defaults(func=…)``; ``main`` parses
and calls the chosen one. Commands that touch data never guess the database: they take
``--demo`` or read ``DATABASE_URL`` (``app.cli.environment``).
"""

from __future__ import annotations

import argparse
import json
import sys

from app.cli import (
    agency,
    appointments,
    cases,
    catalog,
    crypto,
    interactions,
    miniprogram,
    operations,
    payments,
    server,
    supervision,
)

ROOMS = (
    server, payments, appointments, agency, catalog, cases, interactions, supervision,
    miniprogram, operations, crypto,
)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yiwang", description="Yiwang (一网) backend")
    sub = parser.add_subparsers(dest="command", required=True)
    for room in ROOMS:
        room.register(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    from app.errors import DomainError
    from payments.errors import PaymentError

    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (DomainError, PaymentError) as exc:
        print(
            json.dumps({"code": exc.code, "message": exc.message}, ensure_ascii=False),
            file=sys.stderr,
        )
        sys.exit(1)

"""The payment platform's operator commands: reconcile a day, refund an order."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date
from typing import Any

from app.cli.environment import add_demo_flag, print_json, settings_for


def reconcile(args: argparse.Namespace) -> None:
    from app.runtime.serving import with_services

    async def run(services: Any) -> dict[str, Any]:
        report = await services.reconciler.run(args.channel, date.fromisoformat(args.date))
        return dict(report.as_dict())

    report = asyncio.run(with_services(settings_for(args), run))
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if any(not d["fixed"] for d in report["discrepancies"]):
        sys.exit(1)


def refund(args: argparse.Namespace) -> None:
    from app.runtime.serving import with_services

    async def run(services: Any) -> dict[str, Any]:
        made = await services.refunds.request(
            args.order,
            args.amount_fen,
            reason=args.reason,
            requested_by=args.operator,
            request_key=args.idempotency_key,
        )
        return {
            "refund_no": made.refund.refund_no,
            "status": made.refund.status,
            "amount_fen": made.refund.amount_fen,
            "idempotency_key": args.idempotency_key,
            "replayed": made.replayed,
        }

    print_json(asyncio.run(with_services(settings_for(args), run)))


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("reconcile", help="reconcile one channel's bill for a day")
    parser.add_argument("--channel", required=True, choices=["wechat", "alipay", "app"])
    parser.add_argument("--date", required=True, help="the bill's Shanghai date, YYYY-MM-DD")
    add_demo_flag(parser)
    parser.set_defaults(func=reconcile)

    parser = sub.add_parser("refund", help="refund (part of) a paid order, with a reason")
    parser.add_argument("--order", required=True, help="the order number (YW…)")
    parser.add_argument("--amount-fen", type=int, required=True)
    parser.add_argument("--reason", required=True)
    parser.add_argument("--operator", required=True, help="who asks for it (audited)")
    parser.add_argument(
        "--idempotency-key",
        required=True,
        help="8-64 of A-Z a-z 0-9 _ -, new for each refund; re-running the same command "
        "(same key) answers the refund it made instead of refunding twice",
    )
    add_demo_flag(parser)
    parser.set_defaults(func=refund)

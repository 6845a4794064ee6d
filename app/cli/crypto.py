"""National cryptography: ``yiwang crypto status|rotate`` and ``yiwang audit verify``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from app.cli.environment import add_demo_flag, settings_for
from app.config import Settings
from infra.pii import PiiDecryptError


def _materials(settings: Settings) -> Any:
    from app.cases.materials import MaterialStore, legacy_key
    
    return MaterialStore(
        settings.vault(), legacy_key(settings.pii_key), settings.service_rules.upload_max_bytes
    )


def cmd_crypto(args: argparse.Namespace, settings: Settings) -> None:
    from app.receipts.service import receipt_key_ring
    from app.runtime.crypto_rotation import Progress, remaining, rotate
    from app.runtime.serving import with_database

    vault = settings.vault()
    if args.crypto_command == "status":
        ring = receipt_key_ring(settings)
        status = settings.crypto_suite.status(ring.signing_kid, ring.algorithm)
        status["not_yet_rotated"] = asyncio.run(with_database(settings, lambda: remaining(vault)))
        print(json.dumps(status, ensure_ascii=False))
        return

    def report(table: str, rotated: int) -> None:
        print(json.dumps({"table": table, "rotated": rotated}), flush=True)

    progress = Progress(on_batch=report)
    try:
        asyncio.run(
            with_database(
                settings,
                lambda: rotate(
                    vault,
                    _materials(settings),
                    batch_size=args.batch_size,
                    pause=args.pause,
                    progress=progress,
                ),
            )
        )
    except PiiDecryptError as exc:
        # Rows before this one are rotated and committed; this one is left as it was.
        key_id = getattr(exc, "key_id", None)
        print(
            json.dumps(
                {
                    "code": "UNKNOWN_KEY_ID" if key_id else "UNREADABLE_VALUE",
                    "message": str(exc),
                    "key_id": key_id,
                }
            ),
            file=sys.stderr,
        )
        sys.exit(1)
    left = asyncio.run(with_database(settings, lambda: remaining(vault)))
    print(
        json.dumps(
            {
                "done": not any(left.values()),
                "rotated": progress.rotated,
                "raced": progress.raced,
                "key_id": vault.current.key_id,
            }
        ),
        flush=True,
    )
    if any(left.values()):
        sys.exit(1)


def cmd_audit(args: argparse.Namespace, settings: Settings) -> None:
    from app.catalog import audit
    from app.runtime.serving import with_database

    point = None
    if args.checkpoint:
        seq, _, mac = args.checkpoint.partition(":")
        if not seq.isdigit() or len(mac) != 64:
            sys.exit("yiwang: --checkpoint is <seq>:<64 hex mac>, from an 'audit chain head' log")
        point = (int(seq), mac)
    result = asyncio.run(with_database(settings, lambda: audit.verify_chain(point)))
    print(json.dumps(result, ensure_ascii=False))
    if not result["intact"]:
        print(f"audit chain broken at {result['first_break']['message']}", file=sys.stderr)
        sys.exit(1)


def register(sub: argparse._SubParsersAction) -> None:
    crypto = sub.add_parser("crypto", help="the crypto suite: status, online key rotation")
    crypto_sub = crypto.add_subparsers(dest="crypto_command", required=True)
    status = crypto_sub.add_parser("status", help="algorithm, key id and version per purpose")
    rotate = crypto_sub.add_parser(
        "rotate", help="re-encrypt personal data under the current keys (online, resumable)"
    )
    rotate.add_argument("--batch-size", type=int, default=500)
    rotate.add_argument("--pause", type=float, default=0.0, help="seconds between batches")
    for command in (status, rotate):
        add_demo_flag(command)
        command.set_defaults(func=lambda args: cmd_crypto(args, settings_for(args)))
    audit = sub.add_parser("audit", help="the audit chain")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="exit 0 if intact, 1 naming the first break")
    verify.add_argument("--checkpoint", help="<seq>:<mac> of a logged chain head it must reach")
    add_demo_flag(verify)
    verify.set_defaults(func=lambda args: cmd_audit(args, settings_for(args)))

"""Run the sandbox on its own: ``python -m channels.sandbox --port 8001 --credentials F``."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

from channels.sandbox.app import create_sandbox_app
from channels.sandbox.config import SandboxConfig
from channels.sandbox.credentials import load_or_create


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m channels.sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--credentials", type=Path, default=Path("var/sandbox-credentials.json"))
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--probe-every", type=int, default=10)
    parser.add_argument(
        "--clock-offset",
        type=float,
        default=0.0,
        help="seconds the channels' clock runs ahead of real time (tests that set the hour)",
    )
    args = parser.parse_args()
    config = SandboxConfig(
        credentials=load_or_create(args.credentials),
        base_url=f"http://{args.host}:{args.port}",
        time_scale=args.time_scale,
        probe_every=args.probe_every,
        clock_offset=timedelta(seconds=args.clock_offset),
    )
    app = create_sandbox_app(config)
    app.run(host=args.host, port=args.port, single_process=True, access_log=False)


if __name__ == "__main__":
    main()

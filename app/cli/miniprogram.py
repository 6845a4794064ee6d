"""Build an uploadable mini-program package with the API base and app id from settings."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from app.cli.environment import settings_for


def build(args: argparse.Namespace) -> None:
    settings = settings_for(args, demo=args.env == "demo")
    source = Path(__file__).resolve().parents[2] / "miniprogram"
    node = shutil.which("node")
    if node is None or not (source / "build.mjs").exists():
        sys.exit("yiwang: the mini-program build needs node and the miniprogram/ sources")
    channels = settings.channels
    app_id = channels.wechat_appid if args.channel == "wechat" else channels.alipay_app_id
    out = Path(args.out or source / "dist" / args.channel).resolve()
    command = [
        node, str(source / "build.mjs"), "--channel", args.channel, "--env", args.env,
        "--api-base", settings.public_base_url, "--app-id", app_id, "--out", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"yiwang: {done.stderr.strip()}")
    print(done.stdout.strip())


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("miniprogram", help="the WeChat and Alipay mini-programs")
    commands = parser.add_subparsers(dest="miniprogram_command", required=True)
    build_parser = commands.add_parser("build", help="write an uploadable package")
    build_parser.add_argument("--channel", required=True, choices=["wechat", "alipay"])
    build_parser.add_argument("--env", required=True, choices=["demo", "prod"])
    build_parser.add_argument("--out", default=None, help="default miniprogram/dist/<channel>")
    build_parser.set_defaults(func=build)

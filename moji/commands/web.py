"""`moji web`: the Mini App editor and its API (and, with --playground, the playground)."""

from __future__ import annotations

import argparse
import os
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "web", help="serve the Telegram Mini App editor (needs TELEGRAM_BOT_TOKEN, REDIS_URL)",
        description="Serve the Mini App (/app) where a person edits their look live, and its "
                    "API (/api/...). Put it behind HTTPS and set MOJI_WEBAPP_URL to its /app "
                    "address for the bot's buttons. --playground also serves / where anyone "
                    "turns a selfie into stickers without Telegram.")
    p.add_argument("--host", default=os.environ.get("MOJI_WEB_HOST", "0.0.0.0"),
                   help="address to listen on (default: $MOJI_WEB_HOST or 0.0.0.0)")
    p.add_argument("--port", type=int, default=int(os.environ.get("MOJI_WEB_PORT", 8080)),
                   help="port (default: $MOJI_WEB_PORT or 8080)")
    p.add_argument("--playground", action="store_true",
                   help="also serve the playground at / (no Telegram needed)")
    p.set_defaults(func=cmd_web)


def cmd_web(args: argparse.Namespace) -> int:
    from moji.commands.service import _check_redis, _settings

    settings = _settings(require_token=not args.playground)
    if not _check_redis(settings.redis_url):
        return 1
    from web.app import WebConfig, run
    from worker.config import redis_connection

    try:
        config = WebConfig.from_env(settings, playground=args.playground)
    except ValueError as exc:
        print(f"moji: {exc}", file=sys.stderr)
        return 2
    print(f"moji: web on http://{args.host}:{args.port}/app"
          + (f" and the playground on http://{args.host}:{args.port}/" if args.playground
             else ""), file=sys.stderr)
    run(config, redis_connection(settings.redis_url), args.host, args.port)
    return 0

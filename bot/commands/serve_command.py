"""`ksb-coach serve`: the web server for Slack and Teams."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from bot.config import Settings, check_loopback_host


def register(sub: Any, settings_factory: Callable[[], Settings]) -> None:
    serve = sub.add_parser("serve",
                           help="run the web server (Slack events, Teams messages, health)")
    serve.add_argument("--host", default=None, help="bind address (default from HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default from PORT, 3000)")
    serve.add_argument("--socket-mode", action="store_true",
                       help="receive Slack over Socket Mode (needs SLACK_APP_TOKEN) instead of HTTP")
    serve.set_defaults(func=lambda a: cmd_serve(a, settings_factory()))


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Logging is configured first (JSON on stdout), so start-up is logged the same way."""
    from bot.observability.logging_json import configure_logging
    from bot.wiring import run_server

    configure_logging(settings)
    if getattr(args, "socket_mode", False):
        settings = settings.model_copy(update={"slack_socket_mode": True})
    host = args.host or settings.host
    port = settings.port if args.port is None else args.port
    if settings.teams_dev_unauthenticated and not settings.microsoft_app_id:
        try:
            check_loopback_host(host)  # HOST was checked with the settings; --host may differ
        except ValueError as exc:
            print(f"ksb-coach: {exc}", file=sys.stderr)
            return 2
    from bot.startup import DependencyDown

    try:
        run_server(settings, host=host, port=port)
    except DependencyDown as exc:
        print(f"ksb-coach: {exc}", file=sys.stderr)
        return 1
    return 0

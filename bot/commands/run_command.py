"""`ksb-coach run`: the right front end for what is configured (console chat by default)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from bot.config import Settings


def register(sub: Any, settings_factory: Callable[[], Settings]) -> None:
    run = sub.add_parser("run", help="start the bot: the chat server when Slack or Teams is configured, "
                                     "else console chat")
    run.set_defaults(func=lambda a: cmd_run(a, settings_factory()))


def platform_configured(settings: Settings) -> bool:
    return bool(settings.slack_mode or settings.teams_enabled)


def cmd_run(_args: argparse.Namespace, settings: Settings) -> int:
    if platform_configured(settings):
        from bot.commands.serve_command import cmd_serve

        return cmd_serve(argparse.Namespace(host=None, port=None, socket_mode=False), settings)
    from bot.commands.knowledge_commands import cmd_chat

    return cmd_chat(settings)

"""`ksb-coach`: one argparse tree; each command group lives in `bot/commands/`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot.commands import (
    knowledge_commands,
    reflection_args,
    review_args,
    run_command,
    schedule_command,
    serve_command,
    teams_command,
)
from bot.commands.reflection_args import SettingsFactory
from bot.config import Settings, describe_config_error
from knowledge.registry import UnknownStandard

COMMAND_GROUPS = [knowledge_commands, reflection_args, review_args, run_command, serve_command, schedule_command,
                  teams_command]


def _settings() -> Settings:
    return Settings()


def build_parser(settings_factory: SettingsFactory = _settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ksb-coach",
        description="KSB Coach: answers, reflections and progress on an apprenticeship standard.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(sub, settings_factory)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ValidationError as exc:
        print(f"ksb-coach: {describe_config_error(exc)}", file=sys.stderr)
        return 2
    except UnknownStandard as exc:
        print(f"ksb-coach: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

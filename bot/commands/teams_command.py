"""`ksb-coach teams-package`: the Teams app package (manifest and icons, zipped) to upload to Teams."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.ui_text import ui

DEFAULT_OUT = Path("ksb-coach-teams.zip")


def register(sub: Any, settings_factory: Callable[[], Settings]) -> None:
    package = sub.add_parser("teams-package", help="write the Teams app package (manifest.json and icons, zipped)")
    package.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"zip to write (default {DEFAULT_OUT})")
    package.set_defaults(func=lambda a: cmd_teams_package(a, settings_factory()))


def cmd_teams_package(args: argparse.Namespace, settings: Settings) -> int:
    from bot.adapters.teams.package import PackageError, write_package
    from bot.wiring import load_knowledge

    try:
        title = load_knowledge(settings).standard.title
    except (LookupError, OSError, ValueError):
        title = ""
    try:
        out = write_package(settings, args.out, standard_title=title)
    except PackageError as exc:
        print(f"ksb-coach: {exc}", file=sys.stderr)
        return 2
    print(ui("cli_teams_wrote", out=out, bot=settings.microsoft_app_id, version=settings.teams_app_version))
    if "example.com" in settings.teams_app_website:
        print(ui("cli_teams_example_site"), file=sys.stderr)
    return 0

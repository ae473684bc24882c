"""`ksb-coach teams-package`: the Teams app package (manifest and icons, zipped) to upload to Teams."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import Settings

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
    print(f"wrote {out} (bot {settings.microsoft_app_id}, app version {settings.teams_app_version}); "
          "upload it in Teams: Apps > Manage your apps > Upload an app")
    if "example.com" in settings.teams_app_website:
        print("note: TEAMS_APP_WEBSITE is still the example address; set your own before publishing",
              file=sys.stderr)
    return 0

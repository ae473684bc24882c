"""The reflection commands' arguments (`reflect | log | tags | progress | export | db`), without their work.

Kept apart from `bot/commands/reflection_commands.py`, which loads storage and the
documents, so that `ksb-coach --help` and unrelated commands start fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.commands import deferred
from bot.documents.formats import PORTFOLIO_FORMATS

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.ports import Tagger

SettingsFactory = Callable[[], "Settings"]
TaggerFactory = Callable[["Settings"], "Tagger"]


@dataclass(frozen=True)
class CommandContext:
    args: argparse.Namespace
    settings: Settings
    tagger_factory: TaggerFactory


def retrieval_tagger(settings: Settings) -> Tagger:
    from bot.search.tagging import RetrievalTagger
    from bot.wiring import make_retriever

    return RetrievalTagger(retriever=make_retriever(settings, build=False))


def register(sub: Any, settings_factory: SettingsFactory, *,
             tagger_factory: TaggerFactory = retrieval_tagger) -> None:
    def run(command: str) -> Any:
        implementation = deferred("bot.commands.reflection_commands", command)
        return lambda args: implementation(CommandContext(args, settings_factory(), tagger_factory))

    reflect = sub.add_parser("reflect", help="save a reflection and suggest the KSBs it evidences")
    reflect.add_argument("text", nargs="?", default="-", help="the reflection, or - for stdin")
    reflect.add_argument("--date", help="date of the work, YYYY-MM-DD (default: read from the text, else today)")
    reflect.add_argument("--hours", type=float, help="off-the-job hours (default: read from the text, else 0)")
    reflect.set_defaults(func=run("cmd_reflect"))

    log = sub.add_parser("log", help="list your reflections with their KSB tags")
    log.add_argument("--pending", action="store_true",
                     help="only entries with suggested tags still waiting for a decision")
    log.set_defaults(func=run("cmd_log"))

    tags = sub.add_parser("tags", help="confirm, remove or add KSB tags on one of your entries")
    tags.add_argument("change", choices=["confirm", "remove", "add"])
    tags.add_argument("entry", type=int, help="the entry's number, as `ksb-coach log` shows it (#12)")
    tags.add_argument("ksbs", nargs="+", metavar="KSB", help="KSB ids, or 'all' for every suggestion waiting")
    tags.set_defaults(func=run("cmd_tags"))
    sub.add_parser("progress", help="coverage, weakest KSBs, hours and gateway readiness") \
        .set_defaults(func=run("cmd_progress"))

    export = sub.add_parser("export", help="export your portfolio for the end-point assessment")
    export.add_argument("--format", choices=list(PORTFOLIO_FORMATS), default="md")
    export.add_argument("--out", type=Path, help="write to FILE instead of standard output "
                        "(a PDF goes to its own file name when no FILE is given)")
    export.set_defaults(func=run("cmd_export"))

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser("upgrade", help="apply database migrations").set_defaults(
        func=run("cmd_db_upgrade"))
    db_sub.add_parser("status", help="is the database at the latest migration?").set_defaults(
        func=run("cmd_db_status"))

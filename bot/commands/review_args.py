"""`ksb-coach review`'s arguments, without its work (`bot/commands/review_command.py` loads storage)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from bot.commands import deferred
from bot.commands.reflection_args import CommandContext, SettingsFactory, retrieval_tagger
from bot.documents.formats import REVIEW_FORMATS


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(sub: Any, settings_factory: SettingsFactory) -> None:
    review = sub.add_parser("review", help="your progress review pack (since the last review), "
                                           "or --record a review held")
    review.add_argument("--from", dest="start", type=_day, help="first day of the period, YYYY-MM-DD "
                        "(default: the last review, or your start date)")
    review.add_argument("--to", dest="end", type=_day, help="last day of the period (default today)")
    review.add_argument("--format", choices=list(REVIEW_FORMATS), default="md")
    review.add_argument("--out", type=Path, help="write to FILE (a PDF goes to its own name without one)")
    review.add_argument("--record", action="store_true",
                        help="record a review held on --held, with its --agree actions")
    review.add_argument("--held", type=_day, help="the day the review was held (default today)")
    review.add_argument("--agree", action="append", default=[], metavar="ACTION",
                        help="an action agreed at the review (repeat for each)")
    review.add_argument("--done", action="append", type=int, default=[], metavar="ID",
                        help="an earlier action (its # in the pack) that was done")
    review.add_argument("--every", type=int, metavar="WEEKS",
                        help="set how many weeks apart your reviews fall (default 12)")
    review.add_argument("--remind-days", type=int, metavar="DAYS",
                        help="set how many days before a review the reminder comes (default 7)")
    review.add_argument("--reminders", choices=["on", "off"], help="turn review reminders on or off")
    implementation = deferred("bot.commands.review_command", "cmd_review")
    review.set_defaults(func=lambda args: implementation(CommandContext(args, settings_factory(), retrieval_tagger)))

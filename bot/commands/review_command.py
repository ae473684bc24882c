"""`ksb-coach review`: the progress review pack for the period since the last review, or a record
of a review held (its agreed actions, and which earlier ones were done)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from bot.commands.reflections import (
    EXIT_BAD_INPUT,
    Context,
    local_user,
    open_services,
    retrieval_tagger,
    write_document,
)
from bot.config import Settings
from bot.documents.review_doc import BadPeriod
from bot.documents.review_files import REVIEW_FORMATS

SettingsFactory = Callable[[], Settings]


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
    review.set_defaults(func=lambda args: cmd_review(
        Context(args, settings_factory(), retrieval_tagger)))


def cmd_review(ctx: Context) -> int:
    args = ctx.args
    try:
        with open_services(ctx) as services:
            actor = asyncio.run(services.actor(local_user()))
            today = services.today()
            if args.every is not None or args.remind_days is not None or args.reminders:
                setting = services.reviews.configure(
                    actor=actor, person_id=actor.id, interval_weeks=args.every,
                    remind_days_before=args.remind_days,
                    enabled=None if args.reminders is None else args.reminders == "on")
                print(f"reviews every {setting.interval_weeks} weeks, reminded "
                      f"{setting.remind_days_before} days before "
                      f"({'on' if setting.enabled else 'off'})")
                return 0
            if args.record:
                review = services.reviews.record(actor=actor, person_id=actor.id,
                                                 held_on=args.held or today, today=today,
                                                 actions=args.agree, done=args.done)
                print(f"recorded the review of {review.held_on.isoformat()} "
                      f"(period from {review.period_start.isoformat()}) with "
                      f"{len(args.agree)} agreed actions")
                return 0
            _, file = asyncio.run(services.reviews.pack_file(
                actor=actor, person_id=actor.id, fmt=args.format, today=today,
                start=args.start, end=args.end))
    except (BadPeriod, ValueError) as exc:
        print(f"ksb-coach review: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return write_document(file, args.out)

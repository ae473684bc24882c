"""`ksb-coach review`: the progress review pack for the period since the last review, or a record
of a review held (its agreed actions, and which earlier ones were done)."""

from __future__ import annotations

import asyncio
import sys

from bot.commands.reflection_args import CommandContext
from bot.commands.reflection_commands import EXIT_BAD_INPUT, local_user, open_services, write_document
from bot.documents.review_doc import BadPeriod
from bot.ui_text import ui


def cmd_review(ctx: CommandContext) -> int:
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
                print(ui("cli_reviews_set", weeks=setting.interval_weeks, days=setting.remind_days_before,
                         state="on" if setting.enabled else "off"))
                return 0
            if args.record:
                review = services.reviews.record(actor=actor, person_id=actor.id,
                                                 held_on=args.held or today, today=today,
                                                 actions=args.agree, done=args.done)
                print(ui("cli_review_recorded", held=review.held_on.isoformat(),
                         start=review.period_start.isoformat(), count=len(args.agree)))
                return 0
            _, file = asyncio.run(services.reviews.pack_file(
                actor=actor, person_id=actor.id, fmt=args.format, today=today,
                start=args.start, end=args.end))
    except (BadPeriod, ValueError) as exc:
        print(f"ksb-coach review: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return write_document(file, args.out)

"""`ksb-coach schedule tick|preview`: the scheduler from the shell.

`schedule tick` is what a cron job or a one-off catch-up runs; it is safe to
run alongside `serve` replicas because every send is claimed in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.ui_text import ui

if TYPE_CHECKING:
    from bot.scheduler.clock import Clock
    from bot.scheduler.tick import Scheduler, TickReport
    from storage.db import Database

EXIT_BAD_INPUT = 2


def register(sub: Any, settings_factory: Callable[[], Settings]) -> None:
    schedule = sub.add_parser("schedule", help="weekly reflection prompts and manager nudges")
    actions = schedule.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)
    tick = actions.add_parser("tick", help="send everything due now (up to 24 hours late), once")
    tick.add_argument("--now", default=None, help="pretend it is this ISO-8601 instant")
    tick.set_defaults(func=lambda a: cmd_tick(a, settings_factory()))
    preview = actions.add_parser("preview", help="print what a person would be sent, and when")
    preview.add_argument("person", help="person id, platform user id or display name")
    preview.add_argument("--now", default=None, help="pretend it is this ISO-8601 instant")
    preview.add_argument("--png", type=Path, default=None, help="save a nudge's picture here")
    preview.set_defaults(func=lambda a: cmd_preview(a, settings_factory()))



def _clock(text: str | None) -> Clock:
    from bot.scheduler.clock import FixedClock, SystemClock, parse_instant

    return FixedClock(parse_instant(text)) if text else SystemClock()


def _scheduler(settings: Settings, now: str | None) -> tuple[Database, Scheduler] | None:
    """The database and scheduler, or None after one line on stderr for a bad --now or setting."""
    from bot.wiring import make_schedule, open_settings_database

    try:
        clock = _clock(now)
        database = open_settings_database(settings)
        return database, make_schedule(settings, database=database, clock=clock)
    except ValueError as exc:
        print(f"ksb-coach: {exc}", file=sys.stderr)
        return None


def cmd_tick(args: argparse.Namespace, settings: Settings) -> int:
    opened = _scheduler(settings, args.now)
    if opened is None:
        return EXIT_BAD_INPUT
    database, scheduler = opened

    async def run() -> TickReport:
        try:
            return await scheduler.tick()
        finally:
            await scheduler.sender.close()

    started, cpu = time.perf_counter(), time.process_time()
    try:
        report = asyncio.run(run())
    finally:
        database.dispose()
    print("\n".join(report.lines()))
    print(f"took {time.perf_counter() - started:.2f}s ({time.process_time() - cpu:.2f}s CPU)")
    return 0


def cmd_preview(args: argparse.Namespace, settings: Settings) -> int:
    from bot.adapters.console import render_plain
    from bot.handlers.prompt_settings import when
    from bot.scheduler.preview import preview
    from storage.schedule_data import find_person_ids

    opened = _scheduler(settings, args.now)
    if opened is None:
        return EXIT_BAD_INPUT
    database, scheduler = opened
    try:
        with database.session() as session:
            ids = find_person_ids(session, key=args.person)
        if not ids:
            print(ui("cli_nobody_matches", person=repr(args.person)), file=sys.stderr)
            return EXIT_BAD_INPUT
        items = [item for pid in ids for item in asyncio.run(preview(scheduler, pid))]
    finally:
        database.dispose()
    if not items:
        print(ui("cli_nothing_scheduled"))
    for item in items:
        state = ui("cli_due_now") if item.due_now else ui("cli_due_next")
        sent = ui("cli_already_sent") if item.already_sent else ""
        print(ui("cli_scheduled_item", kind=item.kind, name=item.name or ui("cli_someone"), person_id=item.person_id,
                 state=state, when=when(item.when), timezone=item.timezone, sent=sent))
        if item.reply is not None:
            print(render_plain(item.reply))
            if item.reply.actions:
                print(ui("cli_buttons", labels=" | ".join(a.label for a in item.reply.actions)))
        if item.picture is not None:
            print(f"[picture: {item.picture.filename}, {len(item.picture.png)} bytes]")
            if args.png:
                args.png.write_bytes(item.picture.png)
        print()
    return 0

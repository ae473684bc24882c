"""`ksb-coach reflect | log | tags | progress | export | db`: the apprentice's log from a terminal.

The local user is platform "console", workspace "local", user id $USER. Each
command opens the database (migrating it, as the bot does at start-up), runs
through the same handlers and services as chat, and disposes the engine.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from bot.coaching.authz import Forbidden
from bot.commands.input_checks import BadInput, check_text
from bot.commands.reflection_args import CommandContext
from bot.documents.files import DocumentFile
from bot.handlers import Services, handlers_for, make_services
from bot.handlers.entry_edits import change_text
from bot.handlers.progress_replies import progress_reply
from bot.intents import Intent
from bot.messages import Incoming, Reply, UserRef
from bot.names import ActionId
from bot.ports import Tagger, TagSuggestion
from bot.ui_text import ui
from storage.db import current_revisions, head_revisions, upgrade

EXIT_BAD_INPUT = 2
EXIT_UNAVAILABLE = 1


def local_user() -> UserRef:
    name = os.environ.get("USER") or getpass.getuser() or "local"
    return UserRef(platform="console", workspace_id="local", user_id=name, display_name=name)


class LazyTagger:
    """Builds the real tagger (and its index) only when a command actually tags."""

    def __init__(self, factory: Callable[[], Tagger]) -> None:
        self._factory = factory
        self._tagger: Tagger | None = None

    def suggest(self, text: str, *, top: int = 3) -> list[TagSuggestion]:
        if self._tagger is None:
            self._tagger = self._factory()
        return self._tagger.suggest(text, top=top)


@contextmanager
def open_services(ctx: CommandContext) -> Iterator[Services]:
    from bot.wiring import load_knowledge, make_composer, open_settings_database

    settings, tagger_factory = ctx.settings, ctx.tagger_factory
    database = open_settings_database(settings)
    try:
        yield make_services(
            session_factory=database.session, knowledge=load_knowledge(settings),
            tagger=LazyTagger(lambda: tagger_factory(settings)), composer=make_composer(settings),
            working_day=settings.working_day_hours)
    finally:
        database.dispose()


async def _submit(services: Services, incoming: Incoming, text: str) -> Reply:
    return await handlers_for(services)[ActionId.REFLECT_SUBMIT](incoming, Intent(ActionId.REFLECT_SUBMIT, text))


def _print_reply(reply: Reply) -> None:
    print(reply.text)
    if reply.citations:
        print(ui("cli_citations"))
        for c in reply.citations:
            print(f"  {c.id}: \u201c{c.text}\u201d")


def cmd_reflect(ctx: CommandContext) -> int:
    raw = sys.stdin.read() if ctx.args.text == "-" else ctx.args.text
    try:
        text = check_text(raw)
        when = date.fromisoformat(ctx.args.date).isoformat() if ctx.args.date else ""
    except (BadInput, ValueError) as exc:
        print(f"ksb-coach reflect: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    with open_services(ctx) as services:
        incoming = Incoming(user=local_user(), action=ActionId.REFLECT_SUBMIT,
                            payload={"text": text, "date": when,
                                     "hours": "" if ctx.args.hours is None else ctx.args.hours})
        reply = asyncio.run(_submit(services, incoming, text))
    _print_reply(reply)
    return 0 if reply.metadata.get("entry_id") else EXIT_BAD_INPUT


def cmd_log(ctx: CommandContext) -> int:
    with open_services(ctx) as services:
        actor = asyncio.run(services.actor(local_user()))
        views = services.reflections.entries(actor=actor, person_id=actor.id)
    if ctx.args.pending:
        views = [v for v in views if v.ids("suggested")]
        if not views:
            print(ui("cli_log_nothing_pending"))
    elif not views:
        print(ui("cli_log_empty"))
    marks = {"confirmed": "\u2713", "suggested": "?"}
    for view in views:
        e = view.entry
        shown = " ".join(f"{t.ksb_id}{marks[t.source]}" for t in view.tags if t.source in marks)
        first = " ".join(e.text.split())
        print(f"#{e.id}  {e.work_date.isoformat()}  {e.otj_hours:g} h  [{e.tagging_status}]  "
              f"{shown or '-'}\n    {first[:100] + ('…' if len(first) > 100 else '')}")
    return 0


def cmd_tags(ctx: CommandContext) -> int:
    every = [k.lower() for k in ctx.args.ksbs] == ["all"]
    if every and ctx.args.change == "add":
        print(ui("cli_tags_usage"), file=sys.stderr)
        return EXIT_BAD_INPUT
    with open_services(ctx) as services:
        try:
            actor = asyncio.run(services.actor(local_user()))
            change = asyncio.run(services.changes.tags(
                actor=actor, entry_id=ctx.args.entry, ids=[] if every else ctx.args.ksbs,
                source="removed" if ctx.args.change == "remove" else "confirmed", every_suggestion=every))
        except (ValueError, LookupError, Forbidden) as exc:
            print(f"ksb-coach tags: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    print(change_text(change))
    return 0


def cmd_progress(ctx: CommandContext) -> int:
    with open_services(ctx) as services:
        _, _, text = asyncio.run(progress_reply(services, Incoming(user=local_user())))
    print(text)
    return 0


def cmd_export(ctx: CommandContext) -> int:
    with open_services(ctx) as services:
        actor = asyncio.run(services.actor(local_user()))
        _, file = services.portfolio.export(actor=actor, person_id=actor.id, fmt=ctx.args.format,
                                            today=services.today())
    return write_document(file, ctx.args.out)


def write_document(file: DocumentFile, out: Path | None) -> int:
    """Text to standard output unless a FILE is named; a PDF always to a file."""
    if out is None and file.media_type == "application/pdf":
        out = Path(file.filename)
    if out is None:
        sys.stdout.write(file.text)
        return 0
    out.write_bytes(file.content)
    print(f"wrote {out}", file=sys.stderr)
    return 0


def cmd_db_upgrade(ctx: CommandContext) -> int:
    upgrade(ctx.settings.effective_database_url)
    print(f"database at {', '.join(sorted(current_revisions(ctx.settings.effective_database_url)))}")
    return 0


def cmd_db_status(ctx: CommandContext) -> int:
    current = current_revisions(ctx.settings.effective_database_url)
    heads = head_revisions()
    state = "current" if current == heads else "needs `ksb-coach db upgrade`"
    print(f"database at {', '.join(sorted(current)) or 'nothing'}; latest "
          f"{', '.join(sorted(heads))}: {state}")
    return 0 if current == heads else EXIT_UNAVAILABLE

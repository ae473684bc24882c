"""Tag changes (buttons, or typed: "confirm S5", "take S24 off that one") and corrections to an entry.

Typed commands act on the entry they name ("entry 12"), else on the one
being talked about (the conversation's context, else the latest entry). Every reply about an entry's
tags offers buttons for the suggestions still waiting, so none is lost
after the first click.
"""

from __future__ import annotations

from datetime import date

from bot.coaching.entry_changes import TagChangeDone
from bot.coaching.entry_phrases import read_correction, read_tag_command
from bot.coaching.reflection_words import parse_date, parse_hours
from bot.handlers.common import Services
from bot.intents import Intent
from bot.messages import Action, Incoming, Reply
from bot.names import ActionId, IntentName
from bot.ui_text import ui


def tag_actions(entry_id: int, waiting: list[str], *, name_entry: bool = False) -> list[Action]:
    """A confirm and a remove button for each suggestion still waiting for a decision.

    `name_entry` puts the entry's number in the labels, for views listing several entries
    (the App Home): two entries suggesting S24 would otherwise show two identical "Confirm S24".
    """
    def labels(ksb: str) -> tuple[str, str]:
        if name_entry:
            return (ui("label_confirm_entry", id=ksb, entry=str(entry_id)),
                    ui("label_remove_entry", id=ksb, entry=str(entry_id)))
        return ui("label_confirm", id=ksb), ui("label_remove", id=ksb)

    return [a for ksb in waiting for a in (
        Action(labels(ksb)[0], ActionId.TAG_CONFIRM, {"entry_id": entry_id, "ksb": ksb}, style="primary"),
        Action(labels(ksb)[1], ActionId.TAG_REMOVE, {"entry_id": entry_id, "ksb": ksb}))]


def change_text(change: TagChangeDone) -> str:
    common = {"entry": str(change.entry_id), "snippet": change.snippet}
    lines: list[str] = []
    added = [k for k in change.changed if k in change.added]
    confirmed = [k for k in change.changed if k not in change.added]
    if change.source == "removed" and change.changed:
        lines.append(ui("tags_removed", ids=_join(change.changed), **common))
    if change.source == "confirmed" and confirmed:
        lines.append(ui("tags_confirmed", ids=_join(confirmed), **common))
    if change.source == "confirmed" and added:
        lines.append(ui("tags_added", ids=_join(added), **common))
    if change.unchanged:
        lines.append(ui("tags_already_confirmed" if change.source == "confirmed" else "tags_not_there",
                        ids=_join(change.unchanged), **common))
    if not lines:
        lines.append(ui("tags_nothing_waiting", **common))
    if change.pending:
        lines.append(ui("tags_still_pending", ids=_join([p.id for p in change.pending]), **common))
    return " ".join(lines)


def _join(ids: list[str] | tuple[str, ...]) -> str:
    return ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + " and " + ids[-1]


def _reply(s: Services, change: TagChangeDone, intent: str, *, whole_entry: bool = False) -> Reply:
    """`whole_entry` (a button's reply): cite the still-pending KSBs too, so a card rebuilt from this
    reply alone (Teams sends no old card) keeps every citation the entry's card had."""
    cited = [*(change.changed or change.unchanged), *([p.id for p in change.pending] if whole_entry else [])]
    return Reply(text=change_text(change), intent=intent,
                 citations=s.citations(list(dict.fromkeys(cited))),
                 actions=tag_actions(change.entry_id, [p.id for p in change.pending]),
                 metadata={"entry_id": change.entry_id, "source": change.source,
                           "changed": list(change.changed), "pending": [p.id for p in change.pending],
                           **({"ksb": change.changed[0]} if len(change.changed) == 1 else {})})


def _problem(exc: Exception, intent: str) -> Reply:
    return Reply(text=ui("tag_problem", problem=str(exc).strip("'\"")), intent=intent)


class EntryEdits:
    """Tag buttons, typed tag changes and typed corrections of an entry's date or hours."""

    def __init__(self, services: Services) -> None:
        self.s = services

    async def confirm_tag(self, incoming: Incoming, _intent: Intent) -> Reply:
        return await self._button(incoming, ActionId.TAG_CONFIRM, "confirmed")

    async def add_tag(self, incoming: Incoming, _intent: Intent) -> Reply:
        return await self._button(incoming, ActionId.TAG_ADD, "confirmed")

    async def remove_tag(self, incoming: Incoming, _intent: Intent) -> Reply:
        return await self._button(incoming, ActionId.TAG_REMOVE, "removed")

    async def _button(self, incoming: Incoming, kind: ActionId, source: str) -> Reply:
        try:
            entry_id = int(incoming.payload.get("entry_id", 0))
            actor = await self.s.actor(incoming.user)
            change = await self.s.changes.tags(actor=actor, entry_id=entry_id, source=source,
                                               ids=[str(incoming.payload.get("ksb", ""))])
        except (ValueError, LookupError) as exc:
            return _problem(exc, kind)
        return _reply(self.s, change, kind, whole_entry=True)

    async def typed_tags(self, incoming: Incoming, intent: Intent) -> Reply:
        command = read_tag_command(intent.text)
        if command is None:  # routed here by likeness rather than by the command's own shape
            return Reply(text=ui("tags_how"), intent=IntentName.TAGS)
        actor = await self.s.actor(incoming.user)
        entry_id = command.entry_id or await self.s.entry_talked_about(incoming, actor)
        if entry_id is None:
            return Reply(text=ui("tags_no_entry"), intent=IntentName.TAGS)
        try:
            change = await self.s.changes.tags(actor=actor, entry_id=entry_id, ids=command.ids,
                                               source=command.source, every_suggestion=command.every_suggestion)
        except (ValueError, LookupError) as exc:
            return _problem(exc, IntentName.TAGS)
        return _reply(self.s, change, IntentName.TAGS)

    async def correct(self, incoming: Incoming, intent: Intent) -> Reply:
        correction = read_correction(intent.text)
        if correction is None:
            return Reply(text=ui("reflect_correction_how"), intent=IntentName.REFLECT)
        actor = await self.s.actor(incoming.user)
        entry_id = correction.entry_id or await self.s.entry_talked_about(incoming, actor)
        if entry_id is None:
            return Reply(text=ui("tags_no_entry"), intent=IntentName.REFLECT)
        today = self.s.today()
        work_date: date | None = None
        hours: float | None = None
        if correction.field == "date":
            work_date = parse_date(correction.value, today=today)
        else:
            hours = parse_hours(correction.value, working_day=self.s.working_day)
        if work_date is None and hours is None:
            return Reply(text=ui("reflect_correction_unread", field=correction.field,
                                 value=correction.value), intent=IntentName.REFLECT)
        try:
            done = await self.s.changes.correct(actor=actor, entry_id=entry_id, work_date=work_date,
                                                hours=hours, today=today, event_key=incoming.event_id)
        except (ValueError, LookupError) as exc:
            return Reply(text=ui("reflect_correction_problem", problem=str(exc).strip("'\"")),
                         intent=IntentName.REFLECT)
        return Reply(text=ui("reflect_corrected", entry=str(done.entry_id),
                             day=f"{done.work_date:%a}", date=done.work_date.isoformat(),
                             hours=f"{done.hours:g}"),
                     intent=IntentName.REFLECT,
                     metadata={"entry_id": done.entry_id, "date": done.work_date.isoformat(), "hours": done.hours,
                               "saved": saved(done.entry_id, done.work_date, done.hours)})


def saved(entry_id: int, work_date: date, hours: float) -> dict[str, object]:
    """What a reply that saved (or corrected) an entry says it stored: the `saved` contract of chat --json."""
    return {"entry_id": entry_id, "date": work_date.isoformat(), "hours": hours}




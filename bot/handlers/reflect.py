"""Reflect, submit, save, preview and tag: the handlers that write an apprentice's log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.coaching.entry_changes import MAX_ENTRY_HOURS, check_entry_fields
from bot.coaching.reflection_words import read_date, read_hours
from bot.coaching.reflections import Recorded
from bot.handlers.common import Services, user_text
from bot.handlers.entry_edits import saved, tag_actions
from bot.intents import Intent
from bot.messages import Action, Form, Incoming, Reply
from bot.names import ActionId, IntentName
from bot.ownership import owner_of
from bot.ports import TagSuggestion
from bot.search.entry_noise import noise_hint
from bot.ui_text import ui


def _lines(suggestions: tuple[TagSuggestion, ...] | list[TagSuggestion]) -> str:
    return "\n".join(ui("reflect_suggestion_line", id=s.id, reason=s.reason)
                     for s in suggestions)


@dataclass(frozen=True)
class Fields:
    """The entry's date, hours and KSBs: from the form when given, else read from the text."""

    work_date: date
    hours: float
    ksbs: list[str]
    read: list[str]  # what was taken from the text, in words, so the reply can say so
    typed: bool  # neither date nor hours came from a form field: say how to correct them


def read_fields(text: str, payload: dict[str, Any], *, today: date, working_day: float) -> Fields:
    read: list[str] = []
    raw_date = str(payload.get("date") or "").strip()
    raw_hours = payload.get("hours")
    if raw_date:
        work_date = date.fromisoformat(raw_date)
    elif (found_date := read_date(text, today=today)) is not None:
        work_date = found_date.value
        read.append(ui("reflect_read_date", phrase=found_date.phrase))
    else:
        work_date = today
    if raw_hours not in (None, ""):
        hours = float(raw_hours)
    elif (found_hours := read_hours(text, working_day=working_day)) is not None:
        hours = found_hours.value
        read.append(ui("reflect_read_hours", hours=f"{hours:g}", phrase=found_hours.phrase))
    else:
        hours = 0.0
    raw_ksbs = payload.get("ksbs") or []
    ksbs = raw_ksbs.replace(",", " ").split() if isinstance(raw_ksbs, str) else list(raw_ksbs)
    return Fields(work_date, hours, [str(k) for k in ksbs], read,
                  typed=not raw_date and raw_hours in (None, ""))


def saved_text(recorded: Recorded, fields: Fields, *, reference: str, hint: str = "") -> str:
    notes = []
    if recorded.confirmed:
        notes.append(ui("reflect_confirmed_line", ids=", ".join(recorded.confirmed)))
    if recorded.ignored:
        notes.append(ui("reflect_ignored_line", ids=", ".join(recorded.ignored),
                        reference=reference))
    if fields.read:
        notes.append(ui("reflect_read", what=" and ".join(fields.read)))
    elif fields.typed:
        notes.append(ui("reflect_read_nothing"))
    extra = "".join(" " + note for note in notes)
    common = {"day": f"{fields.work_date:%a}", "date": fields.work_date.isoformat(),
              "hours": f"{fields.hours:g}", "confirmed": extra}
    if recorded.problem:
        return ui("reflect_pending", **common)
    if recorded.suggestions:
        return ui("reflect_saved", suggestions=_lines(recorded.suggestions), **common)
    if hint:
        return ui("reflect_saved_hint", hint=hint, **common)
    if recorded.confirmed:
        return ui("reflect_saved_confirmed", **common)
    return ui("reflect_no_tags", **common)


def _query(fields: Fields, problem: str, text: str) -> Reply:
    """A future day or more than a day's hours is asked about, not stored; the words come back in a form."""
    body = ui("reflect_query_date" if problem == "date" else "reflect_query_hours", day=f"{fields.work_date:%a}",
              date=fields.work_date.isoformat(), hours=f"{fields.hours:g}", text=text)
    prefill = {"text": text, "ksbs": fields.ksbs}
    return Reply(text=body, intent=IntentName.REFLECT, form=Form("reflection", prefill),
                 metadata={"query": problem, "saved": False})


class Reflecting:
    """Typed reflections, the reflection form, saving a previewed text, and previews (nothing saved)."""

    def __init__(self, services: Services) -> None:
        self.s = services

    async def reflect(self, incoming: Incoming, intent: Intent) -> Reply:
        if not intent.text.strip():
            return Reply(text=ui("reflect_empty"), intent=IntentName.REFLECT,
                         form=Form("reflection", {}))
        return await self._save(incoming, intent.text, {})

    async def submit(self, incoming: Incoming, _intent: Intent) -> Reply:
        text = str(incoming.payload.get("text", "")).strip()
        if not text:
            return Reply(text=ui("reflect_empty"), intent=IntentName.REFLECT,
                         form=Form("reflection", dict(incoming.payload)))
        return await self._save(incoming, text, incoming.payload)

    async def save_previewed(self, incoming: Incoming, _intent: Intent) -> Reply:
        return await self._save(incoming, str(incoming.payload.get("text", "")).strip() or " ", {})

    async def preview(self, incoming: Incoming, intent: Intent) -> Reply:
        """Pasted text is data: it is scored, never saved, and never makes a KSB 'met'."""
        text = user_text(incoming, intent)
        suggestions, problem = await self.s.reflections.preview(text, owner=owner_of(incoming.user))
        save_action = Action(ui("label_save_reflection"), ActionId.REFLECT_SAVE, {"text": text})
        if problem:
            body = ui("preview_unavailable")
        elif not suggestions:
            body = noise_hint(text) or ui("preview_none")
        else:
            body = ui("preview_tags", suggestions=_lines(suggestions))
        return Reply(text=body, citations=self.s.citations([x.id for x in suggestions]),
                     actions=[save_action], intent=IntentName.TAG_PREVIEW,
                     metadata={"suggested": [x.id for x in suggestions], "saved": False})

    async def _save(self, incoming: Incoming, text: str, payload: dict[str, Any]) -> Reply:
        s = self.s
        today = s.today()
        try:
            fields = read_fields(text, payload, today=today, working_day=s.working_day)
            if fields.work_date > today:
                return _query(fields, "date", text)
            check_entry_fields(work_date=fields.work_date, hours=None, today=today)  # absurd dates
            if fields.hours > MAX_ENTRY_HOURS:
                return _query(fields, "hours", text)
            actor = await s.actor(incoming.user)
            recorded = await s.reflections.record(actor=actor, text=text, work_date=fields.work_date,
                                                  hours=fields.hours, confirmed=fields.ksbs,
                                                  event_key=incoming.event_id)
        except ValueError as exc:
            return Reply(text=ui("reflect_invalid", problem=str(exc), text=text),
                         intent=IntentName.REFLECT, form=Form("reflection", {"text": text}))
        return Reply(
            text=saved_text(recorded, fields, reference=s.knowledge.standard.reference, hint=noise_hint(text)),
            citations=s.citations([x.id for x in recorded.suggestions] + list(recorded.confirmed)),
            actions=tag_actions(recorded.entry_id, [x.id for x in recorded.suggestions]),
            intent=IntentName.REFLECT,
            metadata={"entry_id": recorded.entry_id, "date": fields.work_date.isoformat(), "hours": fields.hours,
                      "tagging_status": recorded.status,
                      "suggested": [x.id for x in recorded.suggestions],
                      "confirmed": list(recorded.confirmed),
                      "saved": saved(recorded.entry_id, fields.work_date, fields.hours)})

"""Reflect, submit, save, preview and tag: the handlers that write an apprentice's log."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot import intents
from bot.coach import Handler
from bot.handlers.common import Services, guarded, user_text
from bot.intents import Intent
from bot.messages import (
    REFLECT_SAVE,
    REFLECT_SUBMIT,
    TAG_ADD,
    TAG_CONFIRM,
    TAG_REMOVE,
    Action,
    Form,
    Incoming,
    Reply,
)
from bot.ports import TagSuggestion
from bot.prompt_files import render
from bot.reflections import Recorded


def _lines(suggestions: tuple[TagSuggestion, ...] | list[TagSuggestion]) -> str:
    return "\n".join(render("reflect_suggestion_line.md", id=s.id, reason=s.reason)
                     for s in suggestions)


def saved_text(recorded: Recorded, *, work_date: date, hours: float, reference: str) -> str:
    notes = []
    if recorded.confirmed:
        notes.append(render("reflect_confirmed_line.md", ids=", ".join(recorded.confirmed)))
    if recorded.ignored:
        notes.append(render("reflect_ignored_line.md", ids=", ".join(recorded.ignored),
                            reference=reference))
    extra = "".join(" " + note for note in notes)
    common = {"date": work_date.isoformat(), "hours": f"{hours:g}", "confirmed": extra}
    if recorded.problem:
        return render("reflect_pending.md", **common)
    if recorded.suggestions:
        return render("reflect_saved.md", suggestions=_lines(recorded.suggestions), **common)
    if recorded.confirmed:
        return render("reflect_saved_confirmed.md", **common)
    return render("reflect_no_tags.md", **common)


def _parse(payload: dict[str, Any], today: date) -> tuple[date, float, list[str]]:
    raw_date = str(payload.get("date") or "").strip()
    work_date = date.fromisoformat(raw_date) if raw_date else today
    if work_date > today:
        raise ValueError("the date of the work can't be in the future")
    raw_hours = payload.get("hours")
    hours = float(raw_hours) if raw_hours not in (None, "") else 0.0
    raw_ksbs = payload.get("ksbs") or []
    ksbs = raw_ksbs.replace(",", " ").split() if isinstance(raw_ksbs, str) else list(raw_ksbs)
    return work_date, hours, [str(k) for k in ksbs]


def reflect_handlers(s: Services) -> dict[str, Handler]:
    reference = s.knowledge.standard.reference

    async def save(incoming: Incoming, text: str, payload: dict[str, Any]) -> Reply:
        try:
            work_date, hours, ksbs = _parse(payload, s.today())
            actor = await s.actor(incoming.user)
            recorded = await s.reflections.record(actor=actor, text=text, work_date=work_date,
                                                  hours=hours, confirmed=ksbs)
        except ValueError as exc:
            return Reply(text=render("reflect_invalid.md", problem=str(exc), text=text),
                         intent=intents.REFLECT, form=Form("reflection", {"text": text}))
        actions = [a for sug in recorded.suggestions for a in (
            Action(render("label_confirm.md", id=sug.id), TAG_CONFIRM,
                   {"entry_id": recorded.entry_id, "ksb": sug.id}, style="primary"),
            Action(render("label_remove.md", id=sug.id), TAG_REMOVE,
                   {"entry_id": recorded.entry_id, "ksb": sug.id}))]
        return Reply(
            text=saved_text(recorded, work_date=work_date, hours=hours, reference=reference),
            citations=s.citations([x.id for x in recorded.suggestions] + list(recorded.confirmed)),
            actions=actions, intent=intents.REFLECT,
            metadata={"entry_id": recorded.entry_id, "date": work_date.isoformat(), "hours": hours,
                      "tagging_status": recorded.status,
                      "suggested": [x.id for x in recorded.suggestions],
                      "confirmed": list(recorded.confirmed)})

    async def reflect(incoming: Incoming, intent: Intent) -> Reply:
        if not intent.text.strip():
            return Reply(text=render("reflect_empty.md"), intent=intents.REFLECT,
                         form=Form("reflection", {}))
        return await save(incoming, intent.text, {})

    async def submit(incoming: Incoming, _intent: Intent) -> Reply:
        text = str(incoming.payload.get("text", "")).strip()
        if not text:
            return Reply(text=render("reflect_empty.md"), intent=intents.REFLECT,
                         form=Form("reflection", dict(incoming.payload)))
        return await save(incoming, text, incoming.payload)

    async def save_action(incoming: Incoming, _intent: Intent) -> Reply:
        return await save(incoming, str(incoming.payload.get("text", "")).strip() or " ", {})

    async def preview(incoming: Incoming, intent: Intent) -> Reply:
        """Pasted text is data: it is scored, never saved, and never makes a KSB 'met'."""
        text = user_text(incoming, intent)
        suggestions, problem = await s.reflections.preview(text)
        save_action = Action(render("label_save_reflection.md"), REFLECT_SAVE, {"text": text})
        if problem:
            body = render("preview_unavailable.md")
        elif not suggestions:
            body = render("preview_none.md")
        else:
            body = render("preview_tags.md", suggestions=_lines(suggestions))
        return Reply(text=body, citations=s.citations([x.id for x in suggestions]),
                     actions=[save_action], intent=intents.TAG_PREVIEW,
                     metadata={"suggested": [x.id for x in suggestions], "saved": False})

    def tag_action(kind: str) -> Handler:
        template = {TAG_CONFIRM: "tag_confirmed.md", TAG_REMOVE: "tag_removed.md",
                    TAG_ADD: "tag_added.md"}[kind]
        method = {TAG_CONFIRM: s.reflections.confirm, TAG_REMOVE: s.reflections.remove,
                  TAG_ADD: s.reflections.add}[kind]

        async def handle(incoming: Incoming, _intent: Intent) -> Reply:
            try:
                entry_id = int(incoming.payload.get("entry_id", 0))
                ksb = str(incoming.payload.get("ksb", ""))
                actor = await s.actor(incoming.user)
                tag = await method(actor=actor, entry_id=entry_id, ksb_id=ksb)
            except (ValueError, LookupError) as exc:
                return Reply(text=render("tag_problem.md", problem=str(exc)), intent=kind)
            return Reply(text=render(template, id=tag.ksb_id), intent=kind,
                         citations=s.citations([tag.ksb_id]),
                         metadata={"entry_id": entry_id, "ksb": tag.ksb_id, "source": tag.source})

        return handle

    handlers: dict[str, Handler] = {
        intents.REFLECT: reflect, REFLECT_SUBMIT: submit, REFLECT_SAVE: save_action,
        intents.TAG_PREVIEW: preview,
        TAG_CONFIRM: tag_action(TAG_CONFIRM), TAG_REMOVE: tag_action(TAG_REMOVE),
        TAG_ADD: tag_action(TAG_ADD),
    }
    return {key: guarded(h) for key, h in handlers.items()}

"""Data rights (export, delete with confirmation) and answer feedback."""

from __future__ import annotations

import json
from typing import Any

from bot.coach import Handler
from bot.coaching.data_rights import row_count
from bot.handlers.common import Services, guarded
from bot.intents import Intent
from bot.messages import Action, Incoming, Reply
from bot.names import ActionId, IntentName
from bot.ui_text import ui
from storage import entries, feedback


def data_handlers(s: Services) -> dict[str, Handler]:
    async def export(incoming: Incoming, _intent: Intent) -> Reply:
        actor = await s.actor(incoming.user)
        data = await s.sessions.run(s.data_rights.export, actor=actor, person_id=actor.id)
        content = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)
        return Reply(text=ui("export_data", rows=str(row_count(data))),
                     intent=IntentName.EXPORT_DATA,
                     metadata={"export": {"format": "json", "filename": "ksb-coach-my-data.json",
                                          "content": content}})

    async def delete(incoming: Incoming, _intent: Intent) -> Reply:
        actor = await s.existing_actor(incoming.user)
        count = 0
        if actor is not None:
            count = await s.sessions.run(_entry_count, s, actor.id)
        return Reply(text=ui("delete_confirm", entries=str(count)),
                     intent=IntentName.DELETE_DATA,
                     actions=[Action(ui("label_delete_confirm"), ActionId.DATA_DELETE_CONFIRM, {},
                                     style="danger")])

    async def confirm(incoming: Incoming, _intent: Intent) -> Reply:
        actor = await s.existing_actor(incoming.user)
        if actor is None:
            return Reply(text=ui("delete_nothing"), intent=ActionId.DATA_DELETE_CONFIRM)
        counts = await s.sessions.run(s.data_rights.delete, actor=actor, person_id=actor.id,
                                      confirmed=True)
        return Reply(text=ui("delete_done", rows=str(sum(counts.values()))),
                     intent=ActionId.DATA_DELETE_CONFIRM, metadata={"deleted": counts})

    async def give_feedback(incoming: Incoming, _intent: Intent) -> Reply:
        value = str(incoming.payload.get("value", "")).lower()
        if value not in {"up", "down"}:
            return Reply(text=ui("feedback_invalid"), intent=ActionId.FEEDBACK)
        actor = await s.actor(incoming.user)
        cited = incoming.payload.get("cited_ids") or incoming.payload.get("cited") or []
        await s.sessions.run(_store_feedback, s, actor.id, value,
                             str(incoming.payload.get("answer_id", "")), cited)
        return Reply(text=ui("feedback_thanks"), intent=ActionId.FEEDBACK)

    return {IntentName.EXPORT_DATA: guarded(export), IntentName.DELETE_DATA: guarded(delete),
            ActionId.DATA_DELETE_CONFIRM: guarded(confirm), ActionId.FEEDBACK: guarded(give_feedback)}


def _entry_count(s: Services, person_id: int) -> int:
    with s.sessions() as session:
        return entries.count_entries(session, person_id=person_id)


def _store_feedback(s: Services, person_id: int, value: str, answer_id: str, cited: Any) -> None:
    ids = [str(c) for c in cited] if isinstance(cited, list | tuple) else []
    with s.sessions() as session:
        feedback.add_feedback(session, person_id=person_id, value=value, answer_id=answer_id,
                              cited_ids=[i for i in ids if s.knowledge.standard.ksb(i)])
        session.commit()

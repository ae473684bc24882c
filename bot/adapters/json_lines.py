"""JSON Lines front end: one user turn per input line, one reply object per output line.

Scripts and the conversation benchmark drive the coach through it, so its
shape is a contract (documented in docs/conversation.md): `text`, `cited`,
`intent`, `followups`, `actions`, `metadata`, and `saved` when a reflection
was stored.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, TextIO

from bot.adapters.console import render_choices
from bot.coach import Coach
from bot.messages import Action, Incoming, Reply, UserRef


def reply_dict(reply: Reply) -> dict[str, Any]:
    out: dict[str, Any] = {
        "text": reply.text, "cited": reply.cited_ids, "intent": reply.intent,
        "followups": reply.followups,
        "actions": [{"label": a.label, "action": a.action} for a in reply.actions],
        "metadata": reply.metadata,
    }
    meta = reply.metadata
    if meta.get("entry_id") and meta.get("date") and "hours" in meta and meta.get("saved", True):
        out["saved"] = {"entry_id": meta["entry_id"], "date": meta["date"], "hours": meta["hours"]}
    return out


def reply_json(reply: Reply) -> str:
    return json.dumps(reply_dict(reply), default=str, ensure_ascii=False)


class JsonLinesChat:
    """One conversation with one local user; a line that is just a number picks that button."""

    def __init__(self, *, coach: Coach, user: UserRef, conversation_id: str,
                 stdin: TextIO, stdout: TextIO) -> None:
        self._coach = coach
        self._user = user
        self._conversation = conversation_id
        self._in = stdin
        self._out = stdout

    async def run(self) -> int:
        choices: list[Action] = []
        while True:
            line = await asyncio.to_thread(self._in.readline)
            if not line:
                return 0
            text = line.rstrip("\r\n")
            picked = text.strip()
            if picked.isdigit() and 0 < int(picked) <= len(choices):
                choice = choices[int(picked) - 1]
                incoming = Incoming(user=self._user, action=choice.action, payload=choice.payload,
                                    conversation_id=self._conversation)
            else:
                incoming = Incoming(user=self._user, text=text, conversation_id=self._conversation)
            reply = await self._coach.handle(incoming)
            choices = render_choices(reply)
            self._out.write(reply_json(reply) + "\n")
            self._out.flush()

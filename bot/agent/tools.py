"""The agent's tools: the offline coach's own functions, each run as the person who asked.

No tool takes a person: each is built for one turn, bound to that turn's `UserRef`,
and reads through the same handlers (and so the same `bot.coaching.authz` checks)
as the offline coach. A tool that would change data only *proposes* it: the
proposal becomes a button (a numbered choice in the console) whose click is an
ordinary, owner-bound action the existing handlers carry out. An entry the model
names is checked against the asker by the authorization module before it is proposed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field

from bot.claims import Figures, progress_figures
from bot.coach import Handler
from bot.coaching.authz import Forbidden
from bot.coaching.directory import Directory
from bot.coaching.progress import ProgressService
from bot.grounding import citations, delimit, mentioned_ids
from bot.handlers.setting_words import parse_change
from bot.intents import Intent
from bot.messages import Action, Incoming, Reply, UserRef
from bot.names import ActionId, IntentName
from bot.prompt_files import render
from bot.search.retrieval import Retrieval
from bot.ui_text import ui
from knowledge.registry import Knowledge

log = logging.getLogger(__name__)

RESULT_CHARS = 3000  # one tool result in the prompt; the rest is cut, never the ids' own words
PERSONAL = frozenset({"my_progress", "my_next_steps", "my_log", "prompt_settings", "propose_reflection",
                      "propose_tag_change", "propose_prompt_settings"})


class OwnEntries(Protocol):
    """The entries a person may act on: `snippet` raises Forbidden or LookupError for any other."""

    async def snippet(self, user: UserRef, entry_id: int) -> str: ...


class PersonFigures(Protocol):
    """The asker's computed figures (coverage, hours, readiness) that claims in an answer must agree with."""

    async def __call__(self, user: UserRef) -> Figures | None: ...


class ProgressFigures:
    """Figures from the same progress computation the offline coach shows; None for someone never seen."""

    def __init__(self, *, directory: Directory, progress: ProgressService,
                 today: Callable[[], date] = date.today) -> None:
        self._directory = directory
        self._progress = progress
        self._today = today

    async def __call__(self, user: UserRef) -> Figures | None:
        actor = await self._directory.existing_actor(user)
        if actor is None:
            return None
        found = await self._progress.for_person_async(actor=actor, apprentice_id=actor.id, today=self._today())
        return progress_figures(found)


class KsbIds(BaseModel):
    ids: list[str] = Field(description="KSB ids such as S24, K7, B2", min_length=1, max_length=8)


class Query(BaseModel):
    query: str = Field(description="what to search for, in the person's words", min_length=1, max_length=500)


class Question(BaseModel):
    question: str = Field(description="the question about the apprenticeship programme", min_length=1,
                          max_length=500)


class OneKsb(BaseModel):
    ksb_id: str = Field(description="one KSB id such as S24", min_length=2, max_length=5)


class Nothing(BaseModel):
    """No arguments: the tool always answers for the person who asked."""


class Draft(BaseModel):
    text: str = Field(description="the reflection, in the person's own words", min_length=1, max_length=4000)
    date: str | None = Field(None, description="when the work was done, e.g. 2026-12-01 or 'yesterday'")
    hours: float | None = Field(None, ge=0, le=24, description="off-the-job hours")


class TagChange(BaseModel):
    entry_id: int = Field(description="the entry's number, as the log shows it (#12)", ge=1)
    ksb_ids: list[str] = Field(min_length=1, max_length=8)
    change: Literal["confirm", "remove", "add"]


class ScheduleChange(BaseModel):
    change: str = Field(description="the change in words, e.g. 'friday 4pm', 'off', 'on'", min_length=1,
                        max_length=100)


@dataclass
class ToolTurn:
    """What one turn's tools found and proposed: the ids they returned bound the final answer."""

    user: UserRef
    conversation_id: str
    returned_ids: set[str] = field(default_factory=set)
    proposals: list[Action] = field(default_factory=list)
    used: list[str] = field(default_factory=list)

    @property
    def personal(self) -> bool:
        """A tool read or proposed something of the person's own: the answer is private."""
        return any(name in PERSONAL for name in self.used)


_TAG_ACTIONS = {"confirm": ActionId.TAG_CONFIRM, "remove": ActionId.TAG_REMOVE, "add": ActionId.TAG_ADD}


def _tag_label(change: str, ksb_id: str) -> str:
    if change == "remove":
        return ui("label_remove", id=ksb_id)
    return ui("label_add", id=ksb_id) if change == "add" else ui("label_confirm", id=ksb_id)


class Toolkit:
    """Builds each turn's tools from the coach's handlers, its search and the standard."""

    def __init__(self, *, knowledge: Knowledge, handler_for: Callable[[str], Handler | None],
                 search: Callable[[str], Awaitable[Retrieval]], entries: OwnEntries | None = None,
                 figures: PersonFigures | None = None) -> None:
        self._knowledge = knowledge
        self._handler_for = handler_for
        self._search = search
        self._entries = entries
        self._figures = figures

    async def figures(self, turn: ToolTurn) -> Figures | None:
        """The asker's figures when a tool showed the model their data; None (no claim may stand) otherwise."""
        if not turn.personal or self._figures is None:
            return None
        return await self._figures(turn.user)

    def for_turn(self, incoming: Incoming) -> tuple[ToolTurn, list[BaseTool]]:
        turn = ToolTurn(user=incoming.user, conversation_id=incoming.conversation_id)
        specs: list[tuple[str, str, type[BaseModel], Callable[..., Awaitable[str]]]] = [
            ("ksb_lookup", "The standard's exact words, plain-English explanation and evidence ideas for KSB ids.",
             KsbIds, lambda ids: self._handled(turn, IntentName.QUESTION, " ".join(ids))),
            ("search_ksbs", "Find the KSBs closest to a topic or activity.", Query,
             lambda query: self._searched(turn, query)),
            ("programme_facts", "Facts about the apprenticeship itself: off-the-job hours rules, reviews, "
                                "gateway, end-point assessment, duration, level.", Question,
             lambda question: self._handled(turn, IntentName.PROGRAMME, question)),
            ("evidence_ideas", "Concrete ideas for evidencing one KSB.", OneKsb,
             lambda ksb_id: self._ideas(turn, ksb_id)),
            ("my_progress", "The person's own coverage, hours, weakest KSBs and gateway readiness.", Nothing,
             lambda: self._handled(turn, IntentName.PROGRESS, "how am I doing?")),
            ("my_next_steps", "The person's weakest KSBs with one evidence idea each.", Nothing,
             lambda: self._handled(turn, IntentName.NEXT_STEPS, "what should I focus on next?")),
            ("my_log", "The person's latest reflections with their numbers, dates, hours and tags.", Nothing,
             lambda: self._handled(turn, IntentName.LOG, "show my reflections")),
            ("prompt_settings", "When the person's weekly reflection prompt comes.", Nothing,
             lambda: self._handled(turn, IntentName.PROMPT_SETTINGS, "")),
            ("propose_reflection", "Offer to save a reflection the person described; saved only if they "
                                   "press the button.", Draft,
             lambda text, date=None, hours=None: self._propose_reflection(turn, text, date, hours)),
            ("propose_tag_change", "Offer to confirm, remove or add KSB tags on one of the person's entries; "
                                   "changed only if they press the button.", TagChange,
             lambda entry_id, ksb_ids, change: self._propose_tags(turn, entry_id, ksb_ids, change)),
            ("propose_prompt_settings", "Offer to change when the weekly prompt comes (or turn it off/on); "
                                        "changed only if they press the button.", ScheduleChange,
             lambda change: self._propose_schedule(turn, change)),
        ]
        tools: list[BaseTool] = [
            StructuredTool.from_function(coroutine=self._recorded(turn, name, run), name=name,
                                         description=description, args_schema=schema)
            for name, description, schema, run in specs]
        return turn, tools

    @staticmethod
    def _recorded(turn: ToolTurn, name: str, run: Callable[..., Awaitable[str]]) -> Callable[..., Awaitable[str]]:
        async def call(**kwargs: Any) -> str:
            turn.used.append(name)
            return await run(**kwargs)

        return call

    # --- reads: the offline handlers, as this person ------------------------------------
    async def _handled(self, turn: ToolTurn, key: str, text: str) -> str:
        handler = self._handler_for(key)
        if handler is None:
            return render("agent_tool_unavailable.md")
        reply = await handler(Incoming(user=turn.user, text=text, conversation_id=turn.conversation_id),
                              Intent(key, text))
        return self._result(turn, reply)

    def _result(self, turn: ToolTurn, reply: Reply) -> str:
        body = reply.text
        if reply.citations:
            body += "\n" + "\n".join(f"[{c.id}] \u201c{c.text}\u201d" for c in reply.citations)
        self._returned(turn, body)
        return delimit(body[:RESULT_CHARS])

    def _returned(self, turn: ToolTurn, text: str) -> None:
        """Only ids the standard has count: a reflection's words may name any string."""
        turn.returned_ids |= {i for i in mentioned_ids(text) if self._knowledge.standard.ksb(i) is not None}

    async def _searched(self, turn: ToolTurn, query: str) -> str:
        retrieval = await self._search(query)
        found = citations(self._knowledge.standard, retrieval.ids)
        if not found:
            return render("agent_tool_nothing.md")
        body = "\n".join(f"[{c.id}] \u201c{c.text}\u201d" for c in found)
        self._returned(turn, body)
        return delimit(body[:RESULT_CHARS])

    async def _ideas(self, turn: ToolTurn, ksb_id: str) -> str:
        ksb = self._knowledge.standard.ksb(ksb_id.strip())
        if ksb is None:
            return render("agent_no_such_ksb.md", id=delimit(ksb_id.strip().upper()[:5]),
                          reference=self._knowledge.standard.reference)
        guide = self._knowledge.guidance.for_ksb(ksb.id)
        ideas = "\n".join(f"- {idea}" for idea in (guide.evidence if guide else ()))
        body = f"[{ksb.id}] \u201c{ksb.text}\u201d\n{ideas}"
        self._returned(turn, body)
        return delimit(body[:RESULT_CHARS])

    # --- changes: proposals only -------------------------------------------------------
    async def _propose_reflection(self, turn: ToolTurn, text: str, date: str | None, hours: float | None) -> str:
        payload: dict[str, Any] = {"text": text.strip()}
        if date:
            payload["date"] = date.strip()[:40]
        if hours is not None:
            payload["hours"] = hours
        turn.proposals.append(Action(ui("label_save_reflection"), ActionId.REFLECT_SUBMIT, payload,
                                     style="primary"))
        return render("agent_proposed.md")

    async def _propose_tags(self, turn: ToolTurn, entry_id: int, ksb_ids: list[str], change: str) -> str:
        if self._entries is None:
            return render("agent_tool_unavailable.md")
        try:
            snippet = await self._entries.snippet(turn.user, entry_id)
        except (Forbidden, LookupError) as exc:
            return delimit(ui("tag_problem", problem=str(exc).strip("'\"")))
        standard = self._knowledge.standard
        known = [k.id for raw in ksb_ids if (k := standard.ksb(raw.strip())) is not None]
        unknown = [raw for raw in ksb_ids if standard.ksb(raw.strip()) is None]
        if unknown:
            return render("agent_no_such_ksb.md", id=delimit(unknown[0].strip().upper()[:5]),
                          reference=standard.reference)
        for ksb_id in dict.fromkeys(known):
            turn.proposals.append(Action(_tag_label(change, ksb_id), _TAG_ACTIONS[change],
                                         {"entry_id": entry_id, "ksb": ksb_id},
                                         style="danger" if change == "remove" else "primary"))
        self._returned(turn, " ".join(known))
        return delimit(render("agent_proposed_tags.md", entry=str(entry_id), snippet=snippet))

    async def _propose_schedule(self, turn: ToolTurn, change: str) -> str:
        if parse_change(change) is None:
            return ui("prompt_settings_unknown", word="prompts")
        turn.proposals.append(Action(ui("label_prompt_change", change=delimit(change.strip())),
                                     IntentName.PROMPT_SETTINGS, {"text": change.strip()}, style="primary"))
        return render("agent_proposed.md")

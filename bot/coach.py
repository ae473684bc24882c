"""The platform-neutral coach: one `handle(Incoming) -> Reply` for every adapter."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Protocol

from bot import ownership
from bot.agent.stream import Stream
from bot.conversation.context import EMPTY_CONTEXT, Context, Memory, Turn
from bot.conversation.everyday import ROUTABLE, clarify, offtopic_text, smalltalk
from bot.conversation.in_scope import closest_in_scope
from bot.conversation.router import Routed, Router
from bot.grounding import citations
from bot.intents import Intent
from bot.limits import MAX_INPUT, TurnLimiter, too_long
from bot.messages import Action, Citation, Incoming, Reply
from bot.names import ActionId, IntentName
from bot.ports import Composer, Retriever
from bot.search.retrieval import Retrieval
from bot.ui_text import ui
from knowledge.registry import Knowledge

log = logging.getLogger(__name__)

Handler = Callable[[Incoming, Intent], Awaitable[Reply]]
LONG_TEXT_WORDS = 25
_QUESTION_INTENTS = {"explicit": IntentName.LOOKUP, "duty": IntentName.LOOKUP, "kind": IntentName.LOOKUP,
                     "unknown": IntentName.UNKNOWN_ID, "offtopic": IntentName.OFFTOPIC}


def starting_points() -> list[str]:
    """The questions offered to someone starting out: help, a welcome, an empty home."""
    return [ui("followup_s24"), ui("followup_log"), ui("followup_progress")]


def followups_for(cited: list[str]) -> list[str]:
    """The next questions offered under an answer: about its first KSB, else the usual starting points."""
    if not cited:
        return [ui("followup_s24"), ui("followup_duty"), ui("followup_progress")]
    return [ui("followup_evidence", id=cited[0]), ui("followup_log"), ui("followup_progress")]


class TurnAgent(Protocol):
    """The LLM mode (`bot.agent.loop.Agent`): answers the turns it takes, else the offline reply."""

    def takes(self, intent: str) -> bool: ...

    async def answer(self, incoming: Incoming, intent: Intent, *, offline: Callable[[], Awaitable[Reply]],
                     context: Context = EMPTY_CONTEXT, stream: Stream | None = None) -> Reply: ...


class Coach:
    """Routes a message to its intent's handler; answers questions itself.

    Handlers for the stateful intents (reflect, progress, data rights, prompt
    settings) and for button actions are handed in, keyed by intent name or
    action id, so the coach runs with or without storage.
    """

    def __init__(self, *, knowledge: Knowledge, retriever: Retriever, composer: Composer,
                 handlers: Mapping[str, Handler] | None = None, router: Router | None = None,
                 memory: Memory | None = None) -> None:
        self.knowledge = knowledge
        self.retriever = retriever
        self.composer = composer
        self._router = router or Router()
        self._memory = memory
        self._handlers: dict[str, Handler] = {
            IntentName.HELP: self._help,
            IntentName.EMPTY: self._help,
            IntentName.QUESTION: self._question,
            IntentName.OTHERS_DATA: self._others_data,
            IntentName.SMALLTALK: smalltalk,
            IntentName.OFFTOPIC: self._offtopic,
            IntentName.CLARIFY: self._clarify,
            IntentName.AIMED_AT_MODEL: self._aimed_at_model,
            IntentName.MADE_UP_EVIDENCE: self._made_up_evidence,
            ActionId.ASK: self._ask_action,
        }
        self._handlers.update(handlers or {})
        self._more: Callable[[], Mapping[str, Handler]] | None = None
        self._limiter: TurnLimiter | None = None
        self._agent: TurnAgent | None = None
        # Few retrieval threads: more would fight the event loop for the GIL and delay acks.
        self._cpu = ThreadPoolExecutor(max_workers=2, thread_name_prefix="retrieval")
        self._closers: list[Callable[[], None]] = []

    def on_close(self, close: Callable[[], None]) -> None:
        """Something the coach's handlers run on (the heavy-work pool, a database it opened), stopped by `close`."""
        self._closers.append(close)

    def close(self) -> None:
        """Stop every thread the coach and its handlers started, in the order registered; blocks until they end.

        `serve` calls it once the server has drained, so a stopped server leaves no worker behind."""
        closers, self._closers = self._closers, []
        for close in closers:
            close()
        self._cpu.shutdown(wait=True, cancel_futures=True)

    def add_handlers(self, handlers: Mapping[str, Handler]) -> None:
        self._handlers.update(handlers)

    def add_handlers_on_demand(self, load: Callable[[], Mapping[str, Handler]]) -> None:
        """Handlers costly to set up (storage): loaded by the first turn that no present handler takes.

        A one-shot `ksb-coach ask "what counts for S24?"` then never opens the database.
        """
        self._more = load

    def add_memory(self, memory: Memory) -> None:
        """Conversation context needs storage, which the coach may run without."""
        self._memory = memory

    def limit_rate(self, limiter: TurnLimiter) -> None:
        """A per-person turn limit (the server's); without one, turns are unlimited (CLI, tests)."""
        self._limiter = limiter

    def use_agent(self, agent: TurnAgent) -> None:
        """With a model configured, typed turns the agent takes go to it; the offline handler is its fallback."""
        self._agent = agent

    def handler_for(self, key: str) -> Handler | None:
        """The current handler for an intent, so a new one can wrap it and fall back to it."""
        return self._handlers.get(key)

    async def handle(self, incoming: Incoming, *, stream: Stream | None = None) -> Reply:
        """The reply to one turn; `stream` (where the surface can show words as they come) gets the
        agent's status and tokens, and the returned reply is still the whole, checked answer."""
        if incoming.action != ActionId.ASK and self._limiter is not None and not self._limiter.allow(incoming):
            return Reply(text=ui("slow_down"), intent=IntentName.SLOW_DOWN)
        if too_long(incoming):
            return Reply(text=ui("too_long", limit=str(MAX_INPUT)), intent=IntentName.ERROR)
        refused = ownership.refusal(incoming)
        if refused is not None:
            return refused
        routed: Routed | None = None
        context = EMPTY_CONTEXT
        if incoming.action == ActionId.ROUTE:
            intent = self._picked(incoming)
            key = intent.name
        elif incoming.action:
            intent = Intent(incoming.action, str(incoming.payload.get("text", "")))
            key = incoming.action
        else:
            context = await self._context(incoming)  # loaded once: the router and the agent's thread share it
            routed = await self._route(incoming, context)
            intent = routed.intent
            key = intent.name
        handler = self._handlers.get(key)
        if handler is None and self._more is not None:
            load, self._more = self._more, None
            self.add_handlers(load())
            handler = self._handlers.get(key)
        if handler is None:
            return Reply(text=ui("unavailable"), intent=key)
        if routed is not None and self._agent is not None and self._agent.takes(key):
            reply = await self._agent.answer(incoming, intent, offline=functools.partial(handler, incoming, intent),
                                             context=context, stream=stream)
        else:
            reply = await handler(incoming, intent)
        reply.intent = reply.intent or key
        if routed is not None:
            reply.metadata.setdefault("route", routed.describe())
        await self._remember(incoming, reply)
        return ownership.bind(reply, incoming.user)

    async def _route(self, incoming: Incoming, context: Context) -> Routed:
        # The example model embeds the text: CPU work, kept off the event loop like retrieval.
        return await asyncio.get_running_loop().run_in_executor(self._cpu, functools.partial(
            self._router.route, incoming.text, context=context, available=self._available()))

    def _available(self) -> frozenset[str]:
        """What a turn may be routed to; handlers still to be loaded on demand count as there."""
        return frozenset(self._handlers) | (frozenset(IntentName) if self._more is not None else frozenset())

    async def _context(self, incoming: Incoming) -> Context:
        if self._memory is None:
            return EMPTY_CONTEXT
        try:
            return await self._memory.load(incoming.user, incoming.conversation_id)
        except Exception:  # context only sharpens routing: a failure must not cost the answer
            log.exception("could not load conversation context")
            return EMPTY_CONTEXT

    async def _remember(self, incoming: Incoming, reply: Reply) -> None:
        entry = reply.metadata.get("entry_id")
        entry_id = entry if isinstance(entry, int) and not isinstance(entry, bool) else None
        # the thread's words are kept only for the agent, which sends them to the model
        turn = Turn(incoming.text, reply.text, incoming.event_id) if self._agent is not None and incoming.text else None
        if self._memory is None or (not reply.cited_ids and entry_id is None and turn is None):
            return
        try:
            await self._memory.remember(incoming.user, incoming.conversation_id,
                                        ksb_ids=reply.cited_ids or None, entry_id=entry_id, turn=turn)
        except Exception:  # the reply is already composed; losing context only weakens follow-ups
            log.exception("could not save conversation context")

    def _picked(self, incoming: Incoming) -> Intent:
        """A clarifying question's button: the same text, routed where the person said."""
        name = str(incoming.payload.get("intent", ""))
        text = str(incoming.payload.get("text", ""))
        return Intent(name if name in ROUTABLE and name in self._handlers else IntentName.HELP, text)

    def citations(self, ids: list[str]) -> list[Citation]:
        return citations(self.knowledge.standard, ids)

    async def _ask_action(self, incoming: Incoming, intent: Intent) -> Reply:
        """A follow-up button behaves as if its text were typed, so "How am I doing?" shows progress."""
        typed = replace(incoming, text=intent.text, action="", payload={})
        return await self.handle(typed)

    async def _question(self, incoming: Incoming, intent: Intent) -> Reply:
        # Embedding and vector search are CPU work: keep them off the event loop that acks chat platforms.
        retrieval = await self.search(intent.text)
        if intent.exclude:  # "the other … one": not the KSBs just discussed
            retrieval = replace(retrieval, hits=[h for h in retrieval.hits if h.id not in intent.exclude])
        composition = await self.composer.answer(
            question=intent.text, retrieval=retrieval, knowledge=self.knowledge
        )
        reply = Reply(
            text=composition.text,
            citations=self.citations(composition.cited),
            followups=self._followups(composition.cited),
            intent=_QUESTION_INTENTS.get(retrieval.mode, IntentName.QUESTION),
            metadata=dict(composition.metadata, retrieval=retrieval.mode, retrieved=retrieval.ids),
        )
        if len(intent.text.split()) >= LONG_TEXT_WORDS and not intent.text.rstrip().endswith("?"):
            reply.actions.append(Action(ui("label_save_as_reflection"), ActionId.REFLECT_SAVE, {"text": intent.text}))
        return reply

    async def search(self, text: str) -> Retrieval:
        """The question path's retrieval, off the event loop: the agent's KSB search is this one."""
        return await asyncio.get_running_loop().run_in_executor(self._cpu, functools.partial(self._retrieve, text))

    def _retrieve(self, text: str) -> Retrieval:
        return closest_in_scope(text, self.retriever.retrieve(text, top=5), self.retriever)

    def _followups(self, cited: list[str]) -> list[str]:
        return followups_for(cited)

    async def _help(self, incoming: Incoming, intent: Intent) -> Reply:
        standard = self.knowledge.standard
        text = ui(
            "help",
            name=incoming.user.display_name or ui("greeting_name"),
            reference=standard.reference,
            title=standard.title,
            level=str(standard.level),
        )
        if "development" in standard.programme.status.lower():
            text += "\n\n" + ui("programme_version_note", reference=standard.reference,
                                      count=str(len(standard.ksbs)))
        return Reply(text=text, followups=starting_points(), intent=IntentName.HELP)

    async def _offtopic(self, incoming: Incoming, intent: Intent) -> Reply:
        return Reply(text=offtopic_text(self.knowledge.standard.reference), followups=self._followups([]),
                     intent=IntentName.OFFTOPIC)

    async def _aimed_at_model(self, incoming: Incoming, intent: Intent) -> Reply:
        """Instructions aimed at a model ("ignore your rules…"): one plain answer, whichever mode answers."""
        return Reply(text=ui("aimed_at_model", reference=self.knowledge.standard.reference),
                     followups=self._followups([]), intent=IntentName.AIMED_AT_MODEL)

    async def _made_up_evidence(self, incoming: Incoming, intent: Intent) -> Reply:
        """Evidence of work not done is neither written nor saved: the portfolio must be the apprentice's own."""
        return Reply(text=ui("made_up_evidence"),
                     followups=self._followups([]), intent=IntentName.MADE_UP_EVIDENCE)

    async def _clarify(self, incoming: Incoming, intent: Intent) -> Reply:
        return clarify(intent)

    async def _others_data(self, incoming: Incoming, intent: Intent) -> Reply:
        return Reply(text=ui("others_data"), intent=IntentName.OTHERS_DATA)

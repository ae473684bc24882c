"""The platform-neutral coach: one `handle(Incoming) -> Reply` for every adapter."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from bot.grounding import citations
from bot.intents import Intent, classify
from bot.messages import Action, Citation, Incoming, Reply
from bot.names import ActionId, IntentName
from bot.ports import Composer, Retriever
from bot.prompt_files import render
from knowledge.registry import Knowledge

log = logging.getLogger(__name__)

Handler = Callable[[Incoming, Intent], Awaitable[Reply]]
MAX_INPUT = 4000
LONG_TEXT_WORDS = 25
_QUESTION_INTENTS = {"explicit": IntentName.LOOKUP, "duty": IntentName.LOOKUP, "kind": IntentName.LOOKUP,
                     "unknown": IntentName.UNKNOWN_ID, "offtopic": IntentName.OFFTOPIC}


class Coach:
    """Routes a message to its intent's handler; answers questions itself.

    Handlers for the stateful intents (reflect, progress, data rights, prompt
    settings) and for button actions are handed in, keyed by intent name or
    action id, so the coach runs with or without storage.
    """

    def __init__(self, *, knowledge: Knowledge, retriever: Retriever, composer: Composer,
                 handlers: Mapping[str, Handler] | None = None) -> None:
        self.knowledge = knowledge
        self.retriever = retriever
        self.composer = composer
        self._handlers: dict[str, Handler] = {
            IntentName.HELP: self._help,
            IntentName.EMPTY: self._help,
            IntentName.QUESTION: self._question,
            IntentName.OTHERS_DATA: self._others_data,
            ActionId.ASK: self._ask_action,
        }
        self._handlers.update(handlers or {})
        self._more: Callable[[], Mapping[str, Handler]] | None = None
        # Few retrieval threads: more would fight the event loop for the GIL and delay acks.
        self._cpu = ThreadPoolExecutor(max_workers=2, thread_name_prefix="retrieval")

    def add_handlers(self, handlers: Mapping[str, Handler]) -> None:
        self._handlers.update(handlers)

    def add_handlers_on_demand(self, load: Callable[[], Mapping[str, Handler]]) -> None:
        """Handlers costly to set up (storage): loaded by the first turn that no present handler takes.

        A one-shot `ksb-coach ask "what counts for S24?"` then never opens the database.
        """
        self._more = load

    async def handle(self, incoming: Incoming) -> Reply:
        if incoming.action:
            intent = Intent(incoming.action, str(incoming.payload.get("text", "")))
            key = incoming.action
        else:
            if len(incoming.text) > MAX_INPUT:
                return Reply(text=render("too_long.md", limit=str(MAX_INPUT)), intent=IntentName.ERROR)
            intent = classify(incoming.text)
            key = intent.name
        handler = self._handlers.get(key)
        if handler is None and self._more is not None:
            load, self._more = self._more, None
            self.add_handlers(load())
            handler = self._handlers.get(key)
        if handler is None:
            return Reply(text=render("unavailable.md"), intent=key)
        reply = await handler(incoming, intent)
        reply.intent = reply.intent or key
        return reply

    def citations(self, ids: list[str]) -> list[Citation]:
        return citations(self.knowledge.standard, ids)

    async def _ask_action(self, incoming: Incoming, intent: Intent) -> Reply:
        """A follow-up button behaves as if its text were typed, so "How am I doing?" shows progress."""
        typed = replace(incoming, text=intent.text, action="", payload={})
        return await self.handle(typed)

    async def _question(self, incoming: Incoming, intent: Intent) -> Reply:
        # Embedding and vector search are CPU work: keep them off the event loop that acks chat platforms.
        retrieval = await asyncio.get_running_loop().run_in_executor(
            self._cpu, functools.partial(self.retriever.retrieve, intent.text, top=5))
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
            reply.actions.append(Action("Save this as a reflection", ActionId.REFLECT_SAVE, {"text": intent.text}))
        return reply

    def _followups(self, cited: list[str]) -> list[str]:
        if not cited:
            return ["What counts for S24?", "What does duty 4 involve?", "How am I doing?"]
        first = cited[0]
        return [f"How could I evidence {first}?", "Log a reflection", "How am I doing?"]

    async def _help(self, incoming: Incoming, intent: Intent) -> Reply:
        standard = self.knowledge.standard
        text = render(
            "help.md",
            name=incoming.user.display_name or "there",
            reference=standard.reference,
            title=standard.title,
            level=str(standard.level),
        )
        return Reply(text=text, followups=["What counts for S24?", "Log a reflection", "How am I doing?"],
                     intent=IntentName.HELP)

    async def _others_data(self, incoming: Incoming, intent: Intent) -> Reply:
        return Reply(text=render("others_data.md"), intent=IntentName.OTHERS_DATA)

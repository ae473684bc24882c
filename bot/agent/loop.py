"""One agent turn: the model calls the coach's tools, streams its answer, and is checked before it is sent.

Every way out is a complete reply. The model's answer is sent only when it is
non-empty, names no KSB id that a tool of this turn did not return, and claims
nothing about the person (coverage, completion, hours, gateway readiness) that
their computed figures contradict (`bot.claims`). Otherwise, and on a timeout, an
error, a malformed or unknown tool call or too many tool calls, the offline
coach's reply to the same message is sent, with the reason (a `FallbackReason`,
the LLM composer's too) in `metadata["fallback"]`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import BaseTool
from pydantic import ValidationError

from bot.agent.history import thread_messages
from bot.agent.stream import Stream
from bot.agent.tools import Toolkit, ToolTurn
from bot.claims import claims_hold
from bot.coach import followups_for
from bot.conversation.context import EMPTY_CONTEXT, Context
from bot.grounding import Rejected, citations, delimit, fallback_metadata, invented_ids, ordered_ids
from bot.intents import Intent
from bot.messages import Incoming, Reply
from bot.names import FallbackReason, IntentName
from bot.prompt_files import render
from bot.ui_text import catalogue, ui
from knowledge.registry import Knowledge

log = logging.getLogger(__name__)

# Turns the agent answers; the rest (reflections typed in full, data rights, documents, help,
# small talk, the scope refusal) keep their offline handlers, which need no model.
AGENT_INTENTS = frozenset({IntentName.QUESTION, IntentName.PROGRAMME, IntentName.COMPARE, IntentName.PROGRESS,
                           IntentName.NEXT_STEPS, IntentName.LOG, IntentName.TAGS, IntentName.PROMPT_SETTINGS,
                           IntentName.CLARIFY})
Offline = Callable[[], Awaitable[Reply]]


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    model_seconds: float = 0.0
    tool_seconds: float = 0.0
    steps: int = 0

    def add(self, message: AIMessageChunk) -> None:
        meta = message.usage_metadata
        if meta:
            self.input_tokens += int(meta["input_tokens"])
            self.output_tokens += int(meta["output_tokens"])


@dataclass(frozen=True)
class Prices:
    """Per million tokens, from LLM_INPUT_COST and LLM_OUTPUT_COST."""

    input: float = 0.0
    output: float = 0.0

    def cost(self, usage: Usage) -> float:
        return round((usage.input_tokens * self.input + usage.output_tokens * self.output) / 1_000_000, 6)


@dataclass
class Step:
    message: AIMessageChunk = field(default_factory=lambda: AIMessageChunk(content=""))
    streamed: int = 0
    spoke: bool = False  # some of its words went out (before any tool call it then made)


class Agent:
    """Runs a turn with the model and the toolkit; the coach hands it the offline reply as a thunk."""

    def __init__(self, *, model: BaseChatModel, toolkit: Toolkit, knowledge: Knowledge, timeout: float,
                 max_tool_calls: int = 6, history_tokens: int = 1200, prices: Prices | None = None) -> None:
        self._model = model
        self._toolkit = toolkit
        self._knowledge = knowledge
        self._timeout = timeout
        self._max_calls = max_tool_calls
        self._history_tokens = history_tokens
        self._prices = prices or Prices()
        self._bound: Any = None  # the model with the tools' schemas: the same every turn, so bound once

    def _with_tools(self, tools: list[BaseTool]) -> Any:
        if self._bound is None:
            self._bound = self._model.bind_tools(tools)
        return self._bound

    def takes(self, intent: str) -> bool:
        return intent in AGENT_INTENTS

    async def answer(self, incoming: Incoming, intent: Intent, *, offline: Offline,
                     context: Context = EMPTY_CONTEXT, stream: Stream | None = None) -> Reply:
        """`context` is the one the coach routed the turn with: its stored turns are the thread."""
        usage = Usage()
        started = time.perf_counter()
        turn, tools = self._toolkit.for_turn(incoming)
        try:
            text = await self._run(incoming, intent, context, turn, tools, usage, stream)
            reply = self._reply(text, turn, intent)
            if not claims_hold(text, await self._toolkit.figures(turn), purpose="agent answer"):
                raise Rejected(FallbackReason.CLAIMS)
        except Rejected as exc:
            reply = await self._fell_back(offline, exc.reason, exc.detail)
        except TimeoutError:
            reply = await self._fell_back(offline, FallbackReason.TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - HTTP, connection and parsing errors alike
            reply = await self._fell_back(offline, FallbackReason.ERROR, type(exc).__name__)
        reply.metadata["usage"] = {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
                                   "cost": self._prices.cost(usage), "steps": usage.steps,
                                   "model_seconds": round(usage.model_seconds, 4),
                                   "tool_seconds": round(usage.tool_seconds, 4),
                                   "agent_seconds": round(time.perf_counter() - started, 4)}
        reply.metadata["tools"] = list(turn.used)
        return reply

    async def _fell_back(self, offline: Offline, reason: FallbackReason, detail: str = "") -> Reply:
        log.warning("agent answer replaced by the offline reply: %s %s", reason, detail)
        reply = await offline()
        reply.metadata.update(fallback_metadata(reason, detail))
        return reply

    async def _run(self, incoming: Incoming, intent: Intent, context: Context, turn: ToolTurn, tools: list[BaseTool],
                   usage: Usage, stream: Stream | None) -> str:
        standard = self._knowledge.standard
        messages: list[BaseMessage] = [
            SystemMessage(content=render("agent_system.md", reference=standard.reference, title=standard.title)),
            *thread_messages(context.turns, budget=self._history_tokens),
            *_user_message(incoming.text, intent.text),
        ]
        bound = self._with_tools(tools)
        by_name = {t.name: t for t in tools}
        calls = 0
        said: list[str] = []  # every word that went out this turn, words before a tool call too
        while True:
            step = Step()
            began = time.perf_counter()
            await asyncio.wait_for(self._step(bound, messages, step, said, stream), self._timeout)
            usage.model_seconds += time.perf_counter() - began
            usage.steps += 1
            message = step.message
            usage.add(message)
            if message.invalid_tool_calls or not _whole_arguments(message):
                raise Rejected(FallbackReason.MALFORMED)
            if not message.tool_calls:  # the answer is all it said, so it is exactly what was streamed
                spoken = "".join(said).strip()
                return spoken if step.spoke else "\n\n".join(t for t in (spoken, _text(message)) if t)
            calls += len(message.tool_calls)
            if calls > self._max_calls:
                raise Rejected(FallbackReason.TOOL_LIMIT)
            if stream is not None:
                await stream.status(_doing(message.tool_calls))
            messages.append(AIMessage(content=message.content, tool_calls=message.tool_calls))
            began = time.perf_counter()
            results = await asyncio.gather(*(self._call(by_name, call) for call in message.tool_calls))
            usage.tool_seconds += time.perf_counter() - began
            messages += [ToolMessage(content=result, tool_call_id=str(call["id"]))
                         for call, result in zip(message.tool_calls, results, strict=True)]

    async def _step(self, bound: Any, messages: list[BaseMessage], step: Step, said: list[str],
                    stream: Stream | None) -> None:
        async for chunk in bound.astream(messages):
            if not isinstance(chunk, AIMessageChunk):
                continue
            step.message = chunk if step.streamed == 0 else step.message + chunk
            step.streamed += 1
            piece = chunk.content if isinstance(chunk.content, str) else ""
            if not piece or step.message.tool_call_chunks:
                continue
            if not step.spoke and "".join(said).strip():  # words after a tool call start a new paragraph
                piece = "\n\n" + piece.lstrip()
            step.spoke = True
            said.append(piece)
            if stream is not None:
                await stream.token(piece)

    async def _call(self, by_name: dict[str, BaseTool], call: Any) -> str:
        tool = by_name.get(str(call.get("name")))
        if tool is None:
            raise Rejected(FallbackReason.MALFORMED)
        try:
            result = await tool.ainvoke(call.get("args") or {})
        except (ValidationError, TypeError, ValueError) as exc:
            raise Rejected(FallbackReason.MALFORMED) from exc
        return str(result)

    def _reply(self, text: str, turn: ToolTurn, intent: Intent) -> Reply:
        if not text:
            raise Rejected(FallbackReason.EMPTY)
        invented = invented_ids(text, turn.returned_ids)
        if invented:
            raise Rejected(FallbackReason.INVENTED_IDS, ",".join(sorted(invented)))
        cited = [i for i in ordered_ids(text) if i in turn.returned_ids]
        name = intent.name if intent.name in AGENT_INTENTS else IntentName.QUESTION
        if turn.personal and name in {IntentName.QUESTION, IntentName.PROGRAMME, IntentName.COMPARE,
                                      IntentName.CLARIFY}:
            name = IntentName.PERSONAL  # the answer drew on the person's own data: never shown in a channel
        return Reply(text=text, citations=citations(self._knowledge.standard, cited), actions=list(turn.proposals),
                     followups=[] if turn.proposals else followups_for(cited), intent=name,
                     metadata={"composer": "agent"})


def _user_message(text: str, routed: str) -> list[BaseMessage]:
    body = render("agent_user.md", text=delimit(text))
    if routed and routed != text:  # "and S25?" resolved against the thread by the router
        body += "\n" + render("agent_user_resolved.md", text=delimit(routed))
    return [HumanMessage(content=body)]


def _whole_arguments(message: AIMessageChunk) -> bool:
    """Every call's arguments are one JSON object as sent: langchain would quietly complete a cut one."""
    for chunk in message.tool_call_chunks:
        try:
            if not isinstance(json.loads(chunk.get("args") or "{}"), dict):
                return False
        except ValueError:
            return False
    return True


def _text(message: AIMessageChunk) -> str:
    content = message.content
    if isinstance(content, str):
        return content.strip()
    return "".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content).strip()


def _doing(calls: Sequence[Any]) -> str:
    """The status line while tools run: each tool's agent_status_ phrase (texts/ui.yaml), once each."""
    said = [ui(f"agent_status_{c.get('name')}") if f"agent_status_{c.get('name')}" in catalogue().texts
            else ui("agent_status_default") for c in calls]
    return "; ".join(dict.fromkeys(s for s in said if s))

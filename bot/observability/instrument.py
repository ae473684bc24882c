"""Counting what the coach does without changing the coach.

`instrument_coach` wraps one Coach instance's `handle` (answer latency, intent,
LLM fallbacks from `Reply.metadata`, reflections saved, errors) and its
composer's free-form `complete` (LLM calls made for summaries). Wrapping the
instance rather than editing `bot/coach.py` keeps the coach free of
operational concerns and lets a test build an uninstrumented one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.agent.stream import Stream
from bot.coach import Coach
from bot.messages import Incoming, Reply
from bot.names import ActionId, IntentName
from bot.observability.metrics import Metrics

log = logging.getLogger(__name__)

_MARK = "_ksb_instrumented"
_SAVING_ACTIONS = frozenset({ActionId.REFLECT_SUBMIT, ActionId.REFLECT_SAVE})


def reflection_was_saved(incoming: Incoming, reply: Reply) -> bool:
    """Handlers report a committed entry as `entry_id` (or `saved=True`) in the reply metadata."""
    meta = reply.metadata
    if meta.get("saved") is True:
        return True
    saving = incoming.action in _SAVING_ACTIONS or reply.intent == IntentName.REFLECT
    return saving and bool(meta.get("entry_id")) and not meta.get("duplicate")


def instrument_coach(coach: Coach, metrics: Metrics) -> Coach:
    """Idempotent: a coach handed to two apps (tests) is wrapped once."""
    if getattr(coach, _MARK, None) is not None:
        return coach
    handle: Callable[..., Awaitable[Reply]] = coach.handle

    async def timed_handle(incoming: Incoming, *, stream: Stream | None = None) -> Reply:
        platform = incoming.user.platform or "unknown"
        with metrics.timed() as elapsed:
            try:
                reply = await handle(incoming, stream=stream)
            except Exception:
                metrics.error("coach")
                raise
        metrics.answered(platform=platform, intent=reply.intent, seconds=elapsed[0],
                         metadata=reply.metadata)
        if reflection_was_saved(incoming, reply):
            metrics.reflection_saved(platform=platform)
        if reply.metadata.get("error"):  # handlers turn outages into replies, e.g. "database"
            metrics.error(str(reply.metadata["error"]))
        usage = reply.metadata.get("usage")
        tokens = usage if isinstance(usage, dict) else {}
        log.info("answered", extra={"platform": platform, "intent": reply.intent,
                                    "seconds": round(elapsed[0], 4),
                                    "composer": str(reply.metadata.get("composer", "")),
                                    "fallback": str(reply.metadata.get("fallback", "")),
                                    **({"input_tokens": tokens.get("input_tokens", 0),
                                        "output_tokens": tokens.get("output_tokens", 0),
                                        "cost": tokens.get("cost", 0.0),
                                        "tool_calls": len(reply.metadata.get("tools") or [])} if tokens else {})})
        return reply

    setattr(coach, "handle", timed_handle)  # noqa: B010 - instance attribute shadows the method
    _instrument_complete(coach.composer, metrics)
    setattr(coach, _MARK, metrics)  # noqa: B010
    return coach


def _instrument_complete(composer: Any, metrics: Metrics) -> None:
    """Only a composer with a model makes LLM calls; the grounded one answers None at no cost."""
    if getattr(composer, "name", "") != "llm" or getattr(composer, _MARK, None) is not None:
        return
    complete: Callable[..., Awaitable[str | None]] = composer.complete

    async def counted_complete(*, system: str, user: str) -> str | None:
        result = await complete(system=system, user=user)
        metrics.llm_call(purpose="complete", ok=result is not None)
        return result

    setattr(composer, "complete", counted_complete)  # noqa: B010
    setattr(composer, _MARK, metrics)  # noqa: B010

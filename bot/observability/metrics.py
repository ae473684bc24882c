"""Prometheus metrics in one object that is handed around, never a module global.

A fresh `Metrics` owns its own `CollectorRegistry`, so tests (and several apps
in one process) never trip over "duplicated timeseries" errors, and `/metrics`
exposes exactly what this app counted. Other modules get the object from
`app["metrics"]` (adapters, via their mount) or through a constructor
argument (scheduler, storage handlers) and call the small methods below.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.names import ActionId, FallbackReason, IntentName

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

# Slack's 3 s ack and Teams' 15 s answer deadlines sit on bucket edges.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 15.0, 30.0)


class Metrics:
    """Every counter the service exposes; methods take plain labels, not metric objects."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.requests = Counter("ksb_requests", "HTTP requests by platform and outcome.",
                                ["platform", "outcome"], registry=r)
        self.request_seconds = Histogram("ksb_request_seconds", "HTTP handling time (the ack).",
                                         ["platform"], buckets=LATENCY_BUCKETS, registry=r)
        self.in_flight = Gauge("ksb_requests_in_flight", "HTTP requests being handled now.",
                               registry=r)
        self.answers = Counter("ksb_answers", "Coach replies by platform and intent.",
                               ["platform", "intent"], registry=r)
        self.answer_seconds = Histogram("ksb_answer_seconds", "Time the coach takes to reply.",
                                        ["intent"], buckets=LATENCY_BUCKETS, registry=r)
        self.llm_calls = Counter("ksb_llm_calls", "LLM calls by purpose and outcome.",
                                 ["purpose", "outcome"], registry=r)
        self.llm_fallbacks = Counter("ksb_llm_fallbacks",
                                     "LLM answers replaced by the grounded composer, by reason.",
                                     ["reason"], registry=r)
        self.llm_timeouts = Counter("ksb_llm_timeouts", "LLM calls that hit LLM_TIMEOUT.",
                                    registry=r)
        self.llm_tokens = Counter("ksb_llm_tokens", "Model tokens used by chat turns, by kind (input, output).",
                                  ["kind"], registry=r)
        self.llm_cost = Counter("ksb_llm_cost", "Model cost of chat turns, in LLM_INPUT_COST/LLM_OUTPUT_COST "
                                "units.", registry=r)
        self.llm_turn_tokens = Histogram("ksb_llm_turn_tokens", "Model tokens (input + output) per agent turn.",
                                         buckets=(100, 250, 500, 1000, 2000, 4000, 8000, 16000, 32000), registry=r)
        self.reflections_saved = Counter("ksb_reflections_saved",
                                         "Reflections committed to storage.", ["platform"],
                                         registry=r)
        self.prompts_sent = Counter("ksb_prompts_sent", "Proactive messages sent by the scheduler.",
                                    ["kind", "platform"], registry=r)
        self.errors = Counter("ksb_errors", "Errors caught and turned into a reply or a 5xx.",
                              ["where"], registry=r)

    # --- requests (middleware) ------------------------------------------
    def request_done(self, *, platform: str, status: int, seconds: float) -> None:
        self.requests.labels(platform=platform, outcome=outcome_of(status)).inc()
        self.request_seconds.labels(platform=platform).observe(seconds)

    # --- coach ------------------------------------------------------------
    def answered(self, *, platform: str, intent: str, seconds: float,
                 metadata: dict[str, Any] | None = None) -> None:
        intent = intent_label(intent)
        self.answers.labels(platform=platform or "unknown", intent=intent).inc()
        self.answer_seconds.labels(intent=intent).observe(seconds)
        meta = metadata or {}
        if meta.get("composer") in {"llm", "agent"} or "fallback" in meta:
            self.llm_call(purpose="answer", ok="fallback" not in meta)
        if "fallback" in meta:
            self.llm_fallback(str(meta["fallback"]))
        usage = meta.get("usage")
        if isinstance(usage, dict):
            self.llm_usage(input_tokens=int(usage.get("input_tokens", 0)),
                           output_tokens=int(usage.get("output_tokens", 0)), cost=float(usage.get("cost", 0.0)))

    def llm_usage(self, *, input_tokens: int, output_tokens: int, cost: float) -> None:
        """One turn's tokens and cost (the agent reports them in `Reply.metadata["usage"]`)."""
        self.llm_tokens.labels(kind="input").inc(input_tokens)
        self.llm_tokens.labels(kind="output").inc(output_tokens)
        self.llm_cost.inc(cost)
        self.llm_turn_tokens.observe(input_tokens + output_tokens)

    def llm_call(self, *, purpose: str, ok: bool) -> None:
        self.llm_calls.labels(purpose=purpose, outcome="ok" if ok else "failed").inc()

    def llm_fallback(self, reason: str) -> None:
        """Reasons are bucketed so invented ids or exception names never explode cardinality."""
        self.llm_fallbacks.labels(reason=fallback_bucket(reason)).inc()
        if reason == FallbackReason.TIMEOUT:
            self.llm_timeouts.inc()

    # --- things other modules report ------------------------------------------
    def reflection_saved(self, *, platform: str = "unknown") -> None:
        self.reflections_saved.labels(platform=platform).inc()

    def prompt_sent(self, *, kind: str = "prompt", platform: str = "unknown") -> None:
        self.prompts_sent.labels(kind=kind, platform=platform).inc()

    def error(self, where: str) -> None:
        self.errors.labels(where=where).inc()

    @contextmanager
    def timed(self) -> Iterator[list[float]]:
        """Yields a one-slot list that holds the elapsed seconds once the block ends."""
        elapsed = [0.0]
        start = time.perf_counter()
        try:
            yield elapsed
        finally:
            elapsed[0] = time.perf_counter() - start

    def exposition(self) -> bytes:
        return bytes(generate_latest(self.registry))

    def value(self, name: str, **labels: str) -> float:
        """A sample's current value (0 when absent): for tests and the load bench."""
        found = self.registry.get_sample_value(name, labels)
        return float(found) if found is not None else 0.0


KNOWN_INTENTS = frozenset({*IntentName, *ActionId})


def intent_label(intent: str) -> str:
    """A label from a fixed set: an action id is whatever a request says, so unknown ones are "other"."""
    if not intent:
        return "unknown"
    return intent if intent in KNOWN_INTENTS else "other"


def outcome_of(status: int) -> str:
    return f"{status // 100}xx"


def fallback_bucket(reason: str) -> str:
    """A `FallbackReason` is its own label; anything else (never expected) is "other", not a new series."""
    return reason if reason in _REASONS else "other"


_REASONS = frozenset(FallbackReason)

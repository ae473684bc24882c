"""The seams between the coach and its parts; implementations are handed in, not imported."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.retrieval import Retrieval
from knowledge.registry import Knowledge


@dataclass
class Composition:
    """A composed answer body; `cited` must be a subset of what retrieval returned."""

    text: str
    cited: list[str]
    evidence_ideas: dict[str, list[str]] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


class Retriever(Protocol):
    def retrieve(self, text: str, *, top: int = 5) -> Retrieval: ...

    def score_all(self, text: str) -> dict[str, float]: ...


class Composer(Protocol):
    """Writes the answer to a question from what retrieval found."""

    async def answer(self, *, question: str, retrieval: Retrieval, knowledge: Knowledge) -> Composition: ...

    async def complete(self, *, system: str, user: str) -> str | None:
        """A free-form completion for summaries; None when this composer has no model."""
        ...


@dataclass(frozen=True)
class TagSuggestion:
    """A KSB a reflection may evidence, with a grounded one-line reason."""

    id: str
    confidence: float
    reason: str


class Tagger(Protocol):
    def suggest(self, text: str, *, top: int = 3) -> list[TagSuggestion]:
        """Up to `top` suggestions; empty when the text holds no real evidence."""
        ...

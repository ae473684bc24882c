"""The seams between the coach and its parts; implementations are handed in, not imported."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.messages import Reply
from bot.search.retrieval import Retrieval
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


@dataclass(frozen=True)
class Address:
    """Where a person is reached: platform identity, plus a stored reference where needed."""

    person_id: int
    platform: str
    workspace_id: str
    user_id: str
    reference: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Picture:
    """A PNG sent after a proactive message (the manager's coverage chart)."""

    png: bytes
    filename: str
    title: str
    alt: str


Accepted = Callable[[], Awaitable[None]]
"""Awaited by a sender the moment the platform has accepted a message's first part, before any
follow-up (more pages, a picture, a file): the scheduler records the send there, so a crash
after that point cannot make it send the message again."""


GoAhead = Callable[[], Awaitable[bool]]
"""Awaited by a sender after a rate limit's wait, before it tries a message's first part again:
the scheduler re-checks its claim (and the shared budget) there, so a retry never sends what
another replica has taken over meanwhile. False drops the send."""


class Sender(Protocol):
    """Delivers proactive messages on one or more platforms; the scheduler sees only this."""

    def handles(self, platform: str) -> bool:
        """True when this sender can reach people on `platform`."""
        ...

    async def send(self, *, to: Address, reply: Reply, picture: Picture | None = None,
                   accepted: Accepted | None = None, go_ahead: GoAhead | None = None) -> bool:
        """True once the message is delivered (a failed picture alone does not undo that)."""
        ...

    def learned(self) -> dict[int, tuple[str, dict[str, Any]]]:
        """References found while sending ({person: (platform, reference)}), to store for reuse."""
        ...

    async def close(self) -> None: ...


EventClaim = Callable[[str], Awaitable[bool]]
"""Event dedupe: True the first time a platform event or retry key is seen, by any replica."""

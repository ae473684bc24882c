"""What a conversation was last about: the KSBs discussed and the entry saved."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.messages import UserRef


@dataclass(frozen=True)
class Turn:
    """One exchange of the thread as stored: what the person wrote and what the coach answered, and the
    chat event it answered (`event`), so a turn replayed from the inbox is not kept twice."""

    asked: str
    answered: str
    event: str = ""


@dataclass(frozen=True)
class Context:
    ksb_ids: tuple[str, ...] = ()
    entry_id: int | None = None
    turns: tuple[Turn, ...] = ()  # oldest first


EMPTY_CONTEXT = Context()


class Memory(Protocol):
    """Keeps each conversation's context; `bot.conversation.context_store.ContextStore` is the real one."""

    async def load(self, user: UserRef, conversation_id: str) -> Context: ...

    async def remember(self, user: UserRef, conversation_id: str, *, ksb_ids: list[str] | None = None,
                       entry_id: int | None = None, turn: Turn | None = None) -> None: ...

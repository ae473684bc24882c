"""Platform-neutral messages: adapters turn native events into `Incoming` and render `Reply`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.names import PUBLIC_INTENTS


@dataclass(frozen=True)
class UserRef:
    """Who is talking: identity is platform + workspace/tenant + platform user id, never a name."""

    platform: str  # slack | teams | console
    workspace_id: str  # Slack team id, Teams tenant id, "local"
    user_id: str  # Slack user id, AAD object id, local user name
    display_name: str = ""
    timezone: str = ""


@dataclass(frozen=True)
class Incoming:
    user: UserRef
    text: str = ""
    action: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    conversation_id: str = ""
    event_id: str = ""


@dataclass(frozen=True)
class Citation:
    """A KSB the reply relies on, with the standard's exact wording."""

    id: str
    text: str
    duties: tuple[int, ...] = ()


@dataclass(frozen=True)
class Action:
    label: str
    action: str
    payload: dict[str, Any] = field(default_factory=dict)
    style: str = ""  # "" | primary | danger


@dataclass(frozen=True)
class Form:
    """A form the adapter should open (Slack modal, Teams card), pre-filled."""

    kind: str  # reflection
    prefill: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reply:
    text: str
    citations: list[Citation] = field(default_factory=list)
    followups: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    intent: str = ""
    form: Form | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def private(self) -> bool:
        """Only the asker may see it: asked for in a shared place, it goes to their 1:1 chat instead."""
        return self.intent not in PUBLIC_INTENTS

    @property
    def cited_ids(self) -> list[str]:
        return [c.id for c in self.citations]

"""Platform-neutral messages: adapters turn native events into `Incoming` and render `Reply`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Action ids that travel from a rendered button/form back to the coach as `Incoming.action`.
ASK = "ask"                      # payload: {"text"}
REFLECT_OPEN = "reflect.open"    # payload: {"text"?} -> the adapter shows a reflection form
REFLECT_SUBMIT = "reflect.submit"  # payload: {"text", "date"?, "hours"?, "ksbs"?: [ids]}
REFLECT_SAVE = "reflect.save"    # payload: {"text"}: save a previewed text as an entry
TAG_CONFIRM = "tag.confirm"      # payload: {"entry_id", "ksb"}
TAG_REMOVE = "tag.remove"        # payload: {"entry_id", "ksb"}
TAG_ADD = "tag.add"              # payload: {"entry_id", "ksb"}
FEEDBACK = "feedback"            # payload: {"value": "up"|"down", "answer_id"?}
DATA_DELETE_CONFIRM = "data.delete.confirm"
PROMPT_SNOOZE = "prompt.snooze"
PROMPT_SKIP = "prompt.skip"
REVIEW_PACK_FOR = "review.pack"  # payload: {"apprentice_id"}: a manager's button on "my team"


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
    def cited_ids(self) -> list[str]:
        return [c.id for c in self.citations]

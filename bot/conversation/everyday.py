"""Replies that need neither retrieval nor storage: small talk, the scope refusal, a clarifying question."""

from __future__ import annotations

from bot.conversation.rules import smalltalk_kind
from bot.intents import Intent
from bot.messages import Action, Incoming, Reply
from bot.names import ActionId, IntentName
from bot.ui_text import ui

ROUTABLE = frozenset({IntentName.QUESTION, IntentName.PROGRAMME, IntentName.NEXT_STEPS, IntentName.LOG,
                      IntentName.PROMPT_SETTINGS, IntentName.PROGRESS, IntentName.HELP, IntentName.SMALLTALK,
                      IntentName.TAGS})


async def smalltalk(incoming: Incoming, intent: Intent) -> Reply:
    kind = smalltalk_kind(intent.text)
    name = incoming.user.display_name or ui("greeting_name")
    return Reply(text=ui(f"smalltalk_{kind}", name=name),
                 followups=[ui("followup_next_steps"), ui("followup_log"), ui("followup_progress")],
                 intent=IntentName.SMALLTALK, metadata={"smalltalk": kind})


def offtopic_text(reference: str) -> str:
    return ui("offtopic", reference=reference)


def clarify(intent: Intent) -> Reply:
    """Ask which of the likely intents was meant; each button routes the same text to one of them."""
    labels = [ui(f"clarify_option_{name}") for name in intent.options]
    actions = [Action(label.capitalize(), ActionId.ROUTE, {"intent": name, "text": intent.text})
               for name, label in zip(intent.options, labels, strict=True)]
    return Reply(text=ui("clarify", options=" or ".join(labels)), actions=actions,
                 intent=IntentName.CLARIFY, metadata={"options": list(intent.options)})

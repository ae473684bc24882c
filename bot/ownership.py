"""Buttons bound to the person they were shown to.

A card or message in a channel can be clicked by anyone who sees it, and the
click arrives as that person. A destructive or personal button (delete
everything, tag changes, a weekly prompt's Snooze and Skip, a manager's review
pack button) therefore carries its owner; the coach refuses a click from anyone
else before any handler runs, so nothing changes. Replies are bound by the coach
(`bind`); proactive messages by the scheduler, for the person they go to (`bind_to`).
Snooze, Skip and the review pack were sent unbound before: such a button, with no
owner at all, acts for whoever clicks it (`BOUND_LATER`).
"""

from __future__ import annotations

from bot.messages import Incoming, Reply, UserRef
from bot.names import ActionId, IntentName
from bot.ports import Address
from bot.ui_text import ui

OWNER = "for"  # payload key: short, because Slack button values are capped at 2,000 characters
BOUND_ACTIONS = frozenset({ActionId.DATA_DELETE_CONFIRM, ActionId.TAG_CONFIRM, ActionId.TAG_REMOVE,
                           ActionId.TAG_ADD, ActionId.REFLECT_SAVE,  # save: someone's pasted words
                           ActionId.PROMPT_SNOOZE, ActionId.PROMPT_SKIP, ActionId.REVIEW_PACK_FOR})
# Sent without an owner before they were bound. Their handlers act on the clicker alone (their own
# prompt; a pack authz lets them see anyway), so an ownerless one reaches nobody else's data; an
# ownerless delete, tag change or save still could (a channel click erasing one's own data, someone
# else's pasted words saved), so those stay refused.
BOUND_LATER = frozenset({ActionId.PROMPT_SNOOZE, ActionId.PROMPT_SKIP, ActionId.REVIEW_PACK_FOR})


def owner_of(user: UserRef) -> str:
    """Platform and user id: stable across a Slack workspace's shapes (Enterprise Grid) and Teams tenants."""
    return f"{user.platform}:{user.user_id}"


def bind(reply: Reply, user: UserRef) -> Reply:
    """Stamp every bound button of `reply` with the person it is shown to."""
    for action in reply.actions:
        if action.action in BOUND_ACTIONS:
            action.payload[OWNER] = owner_of(user)
    return reply


def bind_to(reply: Reply, to: Address) -> Reply:
    """Stamp a proactive message's bound buttons with the person it is sent to."""
    return bind(reply, UserRef(to.platform, to.workspace_id, to.user_id))


def refusal(incoming: Incoming) -> Reply | None:
    """The "isn't yours" reply when a bound button is clicked by someone else (or carries no owner,
    unless it is one of `BOUND_LATER`)."""
    if incoming.action not in BOUND_ACTIONS or incoming.payload.get(OWNER) == owner_of(incoming.user):
        return None
    if OWNER not in incoming.payload and incoming.action in BOUND_LATER:
        return None
    return Reply(text=ui("not_your_button"), intent=IntentName.NOT_YOURS)

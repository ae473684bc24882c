"""The "Save as reflection" message shortcut: any message the person can see, saved as theirs.

Translation only: the message's text (Slack markup made plain) plus a line
with its permalink goes to the coach as an ordinary reflection submission, so
it is tagged and audited like any other; the saved entry and its tag buttons
land in the clicking person's DM, never in the channel the message was in.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.adapters.slack.actions import team_of
from bot.adapters.slack.adapter import SlackAdapter
from bot.adapters.slack.escape import from_slack
from bot.messages import Incoming
from bot.names import ActionId
from bot.ui_text import ui

log = logging.getLogger(__name__)

SAVE_AS_REFLECTION = "save_as_reflection"


async def permalink(adapter: SlackAdapter, channel: str, ts: str) -> str:
    """The original's link; a failure costs the link, never the reflection."""
    if not channel or not ts:
        return ""
    try:
        found = await adapter.client.chat_getPermalink(channel=channel, message_ts=ts)
        return str(found.get("permalink") or "")
    except SlackApiError as exc:
        log.warning("chat.getPermalink failed: %s", exc.response.get("error"))
        return ""


def reflection_text(words: str, link: str) -> str:
    return words if not link else words + "\n\n" + ui("slack_shortcut_source", link=link).strip()


async def save_message(adapter: SlackAdapter, body: dict[str, Any]) -> None:
    """Save the shortcut's message as the clicker's reflection and answer in their DM."""
    user = await adapter.person(team_of(body), str((body.get("user") or {}).get("id") or ""))
    message = body.get("message") or {}
    words = from_slack(str(message.get("text") or "")).strip()
    dm = await adapter.dm_channel(user)
    if not words:
        await adapter.say(dm, ui("slack_shortcut_empty"))
        return
    link = await permalink(adapter, str((body.get("channel") or {}).get("id") or ""),
                           str(message.get("ts") or body.get("message_ts") or ""))
    incoming = Incoming(user=user, action=ActionId.REFLECT_SUBMIT,
                        payload={"text": reflection_text(words, link)},
                        conversation_id=dm, event_id=str(body.get("trigger_id") or ""))
    await adapter.deliver(user, dm, await adapter.ask(incoming))

"""Buttons, the reflection modal and the App Home: the interactive half of the Slack adapter.

A button's value carries the coach's action id and payload; a click becomes an
`Incoming` with that action. Where the reply goes depends on the action: tag
and settings changes rewrite the message they sit on, feedback swaps the vote
buttons for a thank-you, everything else answers in the same thread.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.adapters.slack.adapter import SlackAdapter
from bot.adapters.slack.blocks import SlackMessage, decode_value, resolve_buttons, without_feedback
from bot.adapters.slack.escape import to_mrkdwn
from bot.adapters.slack.views import home_view, reflection_modal, reflection_values, seal, unseal
from bot.coach import starting_points
from bot.messages import Form, Incoming, Reply, UserRef
from bot.names import ActionId, IntentName
from bot.ownership import owner_of
from bot.ui_text import ui

log = logging.getLogger(__name__)

TAG_ACTIONS = frozenset({ActionId.TAG_CONFIRM, ActionId.TAG_REMOVE, ActionId.TAG_ADD})
REWRITES_MESSAGE = TAG_ACTIONS | {ActionId.DATA_DELETE_CONFIRM, ActionId.PROMPT_SNOOZE, ActionId.PROMPT_SKIP,
                                  IntentName.PROMPT_SETTINGS}


def team_of(body: dict[str, Any], event: dict[str, Any] | None = None) -> str:
    """The workspace a Slack person belongs to, the same for every payload shape they send.

    On Enterprise Grid one user id is one person across the org's workspaces, while
    events, commands and clicks name different team ids (the channel's workspace, the
    user's home team): the organisation's id is used there, so they stay one person.
    Elsewhere it is the team id, wherever the payload puts it.
    """
    event = event or {}
    user, team, enterprise = (_part(body, key) for key in ("user", "team", "enterprise"))
    grid = (body.get("enterprise_id") or enterprise.get("id") or user.get("enterprise_id")
            or team.get("enterprise_id") or event.get("enterprise_id"))
    if grid:
        return str(grid)
    return str(body.get("team_id") or team.get("id") or user.get("team_id") or event.get("team") or "")


def _part(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    return value if isinstance(value, dict) else {}


def carries_words(value: str) -> bool:
    """A button whose value carries text a person wrote (e.g. "Save as reflection" on pasted words)."""
    try:
        _, payload = decode_value(value)
    except (ValueError, KeyError):
        return False
    return bool(str(payload.get("text") or "").strip())


async def on_button(adapter: SlackAdapter, body: dict[str, Any], value: str) -> None:
    try:
        name, payload = decode_value(value)
    except (ValueError, KeyError):
        log.warning("slack button with an unreadable value")
        return
    user = await adapter.person(team_of(body), str((body.get("user") or {}).get("id") or ""))
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
    ts = str(message.get("ts") or container.get("message_ts") or "")
    thread_ts = str(message.get("thread_ts") or ts)
    response_url = str(body.get("response_url") or "")
    incoming = Incoming(user=user, action=name, payload=payload, conversation_id=channel,
                        event_id=str(body.get("trigger_id") or ""))

    trigger_id = str(body.get("trigger_id") or "")
    # a form opened from our DM thread reports back there; from anywhere else, to the user's DM
    where = {"channel": channel, "thread_ts": thread_ts} if channel.startswith("D") and message else {}
    if name == ActionId.REFLECT_OPEN:
        await open_reflection(adapter, incoming, trigger_id=trigger_id, where=where)
        return
    reply = await adapter.ask(incoming)
    if reply.intent == IntentName.NOT_YOURS:  # someone else's button: tell only the one who clicked
        await adapter.tell_only(user, reply, channel=channel, response_url=response_url)
    elif reply.form is not None and trigger_id:  # e.g. "Log a reflection": the form, not a button to it
        await show_form(adapter, reply.form, trigger_id=trigger_id, where=where, user=user)
    elif container.get("type") == "view":  # the Home tab: answers go to the DM, then redraw Home
        if name not in REWRITES_MESSAGE and name != ActionId.FEEDBACK:
            await adapter.post(await adapter.dm_channel(user), reply, feedback_id=incoming.event_id)
        await publish_home(adapter, user)
    elif container.get("is_ephemeral") or not message:
        if response_url:
            rewrite = name in REWRITES_MESSAGE
            await adapter.respond(response_url, _thanks(reply) if name == ActionId.FEEDBACK else reply,
                                  replace=rewrite, feedback_id="" if rewrite else incoming.event_id)
    elif name == ActionId.FEEDBACK:
        blocks = without_feedback(list(message.get("blocks") or []), _thanks(reply).text)
        await adapter.replace(channel, ts, _message(message, blocks))
    elif name in TAG_ACTIONS and reply.intent != IntentName.ERROR:
        blocks = resolve_buttons(list(message.get("blocks") or []), payload, to_mrkdwn(reply.text))
        await adapter.replace(channel, ts, _message(message, blocks))
    elif name in REWRITES_MESSAGE and name not in TAG_ACTIONS:
        await adapter.replace(channel, ts, reply)
    elif name in TAG_ACTIONS:  # something broke: say so in the thread, keep the buttons to retry
        await adapter.deliver(user, channel, reply, thread_ts=thread_ts)
    else:
        await adapter.deliver(user, channel, reply, thread_ts=thread_ts, feedback_id=incoming.event_id)
    if reply.intent != IntentName.NOT_YOURS:  # a button's export (a manager's review pack) as a file too
        await adapter.deliver_export(user, reply, channel=channel, thread_ts=thread_ts)


def _thanks(reply: Reply) -> Reply:
    """The coach's acknowledgement of a vote, or our own line when it had nothing to say."""
    if reply.intent in {IntentName.ERROR, ActionId.FEEDBACK} and reply.text and reply.text != ui("unavailable"):
        return Reply(text=reply.text, intent=ActionId.FEEDBACK)
    return Reply(text=ui("slack_feedback_thanks"), intent=ActionId.FEEDBACK)


def _message(message: dict[str, Any], blocks: list[dict[str, Any]]) -> SlackMessage:
    return SlackMessage(text=str(message.get("text") or ui("fallback_text")), blocks=blocks)


async def open_reflection(adapter: SlackAdapter, incoming: Incoming, *, trigger_id: str,
                          where: dict[str, str]) -> None:
    """The reflection modal, pre-filled by the coach (suggested KSBs) or by the button's payload."""
    reply = await adapter.ask(Incoming(user=incoming.user, action=ActionId.REFLECT_OPEN, payload=incoming.payload,
                                       conversation_id=incoming.conversation_id))
    form = reply.form or Form(kind="reflection", prefill=dict(incoming.payload))
    await show_form(adapter, form, trigger_id=trigger_id, where=where, user=incoming.user)


async def show_form(adapter: SlackAdapter, form: Form, *, trigger_id: str, where: dict[str, str],
                    user: UserRef) -> None:
    view = reflection_modal(form=form, standard=adapter.coach.knowledge.standard, metadata=where)
    view["private_metadata"] = seal(where, owner=owner_of(user), key=adapter.metadata_key)
    await adapter.client.views_open(trigger_id=trigger_id, view=view)


def check_reflection(view: dict[str, Any]) -> dict[str, str]:
    """Errors Slack shows under the fields; empty when the form can be saved."""
    payload = reflection_values(view)
    return {} if payload["text"] else {"text": ui("form_text_required")}


async def on_reflection_submitted(adapter: SlackAdapter, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Save through the coach; the saved entry (with its tag buttons) lands in a DM, never a channel."""
    user = await adapter.person(team_of(body), str((body.get("user") or {}).get("id") or ""))
    where = unseal(str(view.get("private_metadata") or ""), owner=owner_of(user), key=adapter.metadata_key)
    channel = str(where.get("channel") or "") or await adapter.dm_channel(user)
    incoming = Incoming(user=user, action=ActionId.REFLECT_SUBMIT, payload=reflection_values(view),
                        conversation_id=channel, event_id=str(view.get("id") or ""))
    reply = await adapter.ask(incoming)
    await adapter.deliver(user, channel, reply, thread_ts=str(where.get("thread_ts") or ""))


async def home_sections(adapter: SlackAdapter, user: UserRef) -> list[tuple[str, Reply]]:
    """Evidence at a glance and prompt settings, each as the coach renders them for this user."""
    unavailable = ui("unavailable")
    parts: list[tuple[str, Reply]] = []
    for heading, action in ((ui("slack_home_evidence"), ActionId.HOME),
                            (ui("slack_home_prompt"), IntentName.PROMPT_SETTINGS)):
        reply = await adapter.ask(Incoming(user=user, action=action, payload={"text": ""}))
        if reply.text and reply.text != unavailable and reply.intent != IntentName.ERROR:
            parts.append((heading, reply))
    return parts


async def publish_home(adapter: SlackAdapter, user: UserRef) -> None:
    standard = adapter.coach.knowledge.standard
    sections = await home_sections(adapter, user)
    if not sections:
        sections = [(ui("slack_home_start"), Reply(text=ui("slack_home_empty"), followups=starting_points()))]
    png = next((r.metadata["coverage_png"] for _, r in sections
                if isinstance(r.metadata.get("coverage_png"), bytes)), b"")
    picture = await adapter.picture_id(png, filename="ksb-coverage.png", title=ui("coverage_title")) if png else ""
    view = home_view(title=ui("slack_home_title", reference=standard.reference, title=standard.title),
                     sections=sections, footer=ui("slack_home_footer"),
                     picture=picture)
    await adapter.client.views_publish(user_id=user.user_id, view=view)

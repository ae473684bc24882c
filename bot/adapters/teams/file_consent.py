"""Exports (my data, my portfolio) as a file in the person's 1:1 chat, through Teams' file consent.

A bot cannot attach a file to a Teams message directly: it offers a
FileConsentCard, the user accepts, Teams hands back an upload URL in their
OneDrive, and the bot PUTs the bytes there and posts a FileInfoCard. The offer
carries only the intent that made the export, never the data: on accept the
export is made again for whoever accepted, so no replica keeps it in memory.
The offer also names who it was made for; an answer from anyone else, for an
intent that is not an export, or with an upload URL that is not HTTPS changes
and sends nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import aiohttp
from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, Attachment
from botbuilder.schema.teams import FileConsentCardResponse

from bot.adapters.teams.contacts import user_of
from bot.messages import Incoming, Reply
from bot.names import ActionId, IntentName
from bot.ownership import OWNER, owner_of
from bot.ui_text import ui

if TYPE_CHECKING:
    from bot.adapters.teams.adapter import TeamsAdapter

log = logging.getLogger(__name__)

CONSENT_TYPE = "application/vnd.microsoft.teams.card.file.consent"
INFO_TYPE = "application/vnd.microsoft.teams.card.file.info"
UPLOAD_TIMEOUT = 30.0
EXPORT_INTENTS = frozenset({IntentName.EXPORT_DATA, IntentName.PORTFOLIO, IntentName.REVIEW_PACK,
                            ActionId.REVIEW_PACK_FOR})


def export_of(reply: Reply) -> tuple[str, bytes] | None:
    export = reply.metadata.get("export")
    if not isinstance(export, dict) or not export.get("content"):
        return None
    content = export["content"]
    data = content if isinstance(content, bytes) else str(content).encode("utf-8")
    return str(export.get("filename") or "ksb-coach-export.txt"), data


def remake(reply: Reply, incoming: Incoming) -> dict[str, Any]:
    """How to make the export again on accept: the reply's own recipe (`redo`), else its intent.

    Access is checked again for whoever accepts, so a recipe is no key to anyone's data.
    """
    export = reply.metadata.get("export")
    redo = export.get("redo") if isinstance(export, dict) else None
    if isinstance(redo, dict) and redo.get("action"):
        return {"intent": str(redo["action"]), "text": "", "payload": dict(redo.get("payload") or {})}
    return {"intent": reply.intent, "text": incoming.text or str(incoming.payload.get("text", ""))}


def export_offer(reply: Reply, incoming: Incoming) -> Activity | None:
    """A consent card for the reply's export file, or None when the reply has no file."""
    found = export_of(reply)
    if found is None:
        return None
    filename, content = found
    context = {**remake(reply, incoming), OWNER: owner_of(incoming.user)}
    card = Attachment(content_type=CONSENT_TYPE, name=filename, content={
        "description": ui("teams_export_offer", filename=filename),
        "sizeInBytes": len(content), "acceptContext": context, "declineContext": context})
    return Activity(type=ActivityTypes.message, attachments=[card])


async def upload(url: str, content: bytes) -> None:
    """One PUT of the whole file to the OneDrive upload session Teams opened."""
    headers = {"Content-Length": str(len(content)), "Content-Range": f"bytes 0-{len(content) - 1}/{len(content)}"}
    timeout = aiohttp.ClientTimeout(total=UPLOAD_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session, \
            session.put(url, data=content, headers=headers) as response:
        response.raise_for_status()


async def finish_export(adapter: TeamsAdapter, context: TurnContext, answer: FileConsentCardResponse) -> None:
    """Make the export again for the person who accepted, upload it, and show the file."""
    info = answer.upload_info
    accepted: Any = answer.context if isinstance(answer.context, dict) else {}
    user = user_of(context.activity)
    intent = str(accepted.get("intent") or "")
    url = str(getattr(info, "upload_url", "") or "")
    if user is None or intent not in EXPORT_INTENTS or not url:
        log.warning("teams file consent refused: not an export")
        return
    if accepted.get(OWNER) != owner_of(user):
        await adapter.say(context, ui("not_your_button"))
        return
    if not adapter.destinations.upload_url(url):
        log.warning("teams upload url is not https; refused")
        return
    extra = accepted.get("payload") if isinstance(accepted.get("payload"), dict) else {}
    payload = {**extra, "text": str(accepted.get("text") or ""), OWNER: owner_of(user)}  # checked above
    reply = await adapter.ask(Incoming(user=user, action=intent, payload=payload))
    found = export_of(reply)
    if found is None:
        await adapter.say(context, reply.text)
        return
    try:
        await upload(url, found[1])
    except (aiohttp.ClientError, TimeoutError):
        log.exception("teams export upload failed")
        await adapter.say(context, ui("teams_export_failed"))
        return
    card = Attachment(content_type=INFO_TYPE, content_url=info.content_url, name=info.name,
                      content={"uniqueId": info.unique_id, "fileType": info.file_type})
    await context.send_activity(Activity(type=ActivityTypes.message, attachments=[card]))

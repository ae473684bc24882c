"""Proactive Teams messages: the Teams adapter's cards, sent through a stored conversation reference.

Teams only lets a bot start a message in a chat it has already seen, so the
address carries the personal chat's reference (saved by the Teams adapter on
first contact). The picture goes as an inline PNG attachment after the cards.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, Attachment, ErrorResponseException

from bot.adapters.teams import make_cloud_adapter
from bot.adapters.teams_adapter import card_message
from bot.adapters.teams_cards import render_reply
from bot.adapters.teams_refs import reference_from
from bot.config import Settings
from bot.messages import Reply
from bot.scheduler.senders import Address, Backoff, Picture, RateLimited, retry_after

log = logging.getLogger(__name__)


class TeamsSender:
    """Implements `Sender` for Teams over the Bot Framework CloudAdapter."""

    def __init__(self, *, cloud: CloudAdapter, app_id: str = "",
                 backoff: Backoff | None = None) -> None:
        self._cloud = cloud
        self._app_id = app_id or None
        self._backoff = backoff or Backoff()

    def handles(self, platform: str) -> bool:
        return platform == "teams"

    async def _post(self, reference: dict[str, Any], activities: list[Activity]) -> None:
        async def deliver(context: TurnContext) -> None:
            await context.send_activities(activities)

        async def once() -> None:
            try:
                await self._cloud.continue_conversation(reference_from(reference), deliver,
                                                        bot_app_id=self._app_id)
            except ErrorResponseException as exc:
                response = getattr(exc, "response", None)
                if getattr(response, "status_code", None) == 429:
                    raise RateLimited(retry_after(getattr(response, "headers", None))) from exc
                raise

        await self._backoff.run(once)

    async def send(self, *, to: Address, reply: Reply, picture: Picture | None = None) -> bool:
        if not to.reference:
            log.warning("teams person %s has no conversation reference", to.person_id)
            return False
        try:
            await self._post(to.reference, [card_message(card) for card in render_reply(reply)])
        except Exception as exc:  # noqa: BLE001 - connector, auth and network errors alike
            log.warning("teams send to person %s failed: %s", to.person_id, type(exc).__name__)
            return False
        if picture is not None:
            try:
                await self._post(to.reference, [picture_message(picture)])
            except Exception as exc:  # noqa: BLE001 - the summary itself was delivered
                log.warning("teams picture for person %s failed: %s", to.person_id,
                            type(exc).__name__)
        return True

    def learned(self) -> dict[int, tuple[str, dict[str, Any]]]:
        return {}  # references come from the Teams adapter, never from sending

    async def close(self) -> None:
        return None


def picture_message(picture: Picture) -> Activity:
    """An inline image (data URI), which Teams shows in a personal chat without any file store."""
    data = base64.b64encode(picture.png).decode("ascii")
    attachment = Attachment(content_type="image/png", content_url=f"data:image/png;base64,{data}",
                            name=picture.filename)
    return Activity(type=ActivityTypes.message, text=picture.title, attachments=[attachment])


def make_teams_sender(settings: Settings, *, backoff: Backoff | None = None) -> TeamsSender:
    """Teams is always mounted (the Emulator needs no id), so its sender always exists."""
    return TeamsSender(cloud=make_cloud_adapter(settings), app_id=settings.microsoft_app_id,
                       backoff=backoff)

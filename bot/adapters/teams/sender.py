"""Proactive Teams messages: `TeamsSender` implements the `Sender` port (bot/ports.py).

The scheduler sees only the port, so it never imports botbuilder. A message goes out with
`continue_conversation` on the person's stored 1:1 reference (from `to` or,
failing that, the database), rendered by the same cards as live replies. A
picture follows as an inline image (a base64 data URL: nothing to host); if
only the picture fails, the message still counts as delivered. A 429 is
retried (tenacity) after Teams' Retry-After; a 403/404 (app removed, chat gone, bot
blocked) retires the reference so later sends skip the person.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any

import tenacity
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, Attachment, ErrorResponseException

from bot.adapters.teams.adapter import card_message
from bot.adapters.teams.app import make_cloud_adapter
from bot.adapters.teams.cards import render_reply
from bot.adapters.teams.contacts import PLATFORM, ConversationStore, PersonKey, address_proactive, reference_from
from bot.adapters.teams.file_consent import export_offer
from bot.config import Settings
from bot.messages import Incoming, Reply, UserRef
from bot.ports import Accepted, GoAhead, Picture
from bot.scheduler.budget import Sleep, scope_of
from bot.scheduler.senders import RateLimitHook, retry_after
from storage.db import Database

log = logging.getLogger(__name__)

GONE = frozenset({403, 404})


def image_message(picture: Picture) -> Activity:
    """An inline PNG: Teams renders an image attachment whose contentUrl is a data URL."""
    url = "data:image/png;base64," + base64.b64encode(picture.png).decode("ascii")
    return Activity(type=ActivityTypes.message, text=picture.title or None,
                    attachments=[Attachment(content_type="image/png", content_url=url, name=picture.filename)])


def _status(exc: BaseException) -> int:
    response = getattr(exc, "response", None)
    return int(getattr(response, "status_code", 0) or 0)


def _rate_limited(exc: BaseException) -> bool:
    return isinstance(exc, ErrorResponseException) and _status(exc) == 429


def _retry_after(state: tenacity.RetryCallState) -> float:
    """tenacity's wait: what Teams' Retry-After asked for (capped)."""
    failed = state.outcome.exception() if state.outcome is not None else None
    return retry_after(getattr(getattr(failed, "response", None), "headers", None))


class TeamsSender:
    """Implements `Sender` for Teams with its own CloudAdapter; references live in the given database.

    Teams is always mounted (the Emulator needs no app id), so this sender always
    exists; it reaches only people whose 1:1 chat reference the adapter has stored.
    """

    def __init__(self, *, settings: Settings, database: Database, cloud: CloudAdapter | None = None,
                 retries: int = 3, sleep: Sleep = asyncio.sleep,
                 rate_limited: RateLimitHook | None = None) -> None:
        self._settings = settings
        self._store = ConversationStore(sessions=database.session, standard_ref=settings.standard)
        self._cloud = cloud or make_cloud_adapter(settings)  # no on_turn_error: failures reach `send`
        self._retries = retries
        self._sleep = sleep
        self._rate_limited = rate_limited  # tells the other replicas (the shared budget) about a 429

    def handles(self, platform: str) -> bool:
        return platform == PLATFORM

    async def send(self, *, to: PersonKey, reply: Reply, picture: Picture | None = None,
                   accepted: Accepted | None = None, go_ahead: GoAhead | None = None) -> bool:
        """True once delivered; False when the person can't be reached (no 1:1 chat, or uninstalled).

        `to` is the scheduler's `Address` (its `reference` is used when filled)
        or any person key such as a `UserRef` (the reference is looked up). A 429 is retried
        by tenacity after Teams' Retry-After, asking `go_ahead` before each retry.
        """
        given = getattr(to, "reference", None)
        stored = dict(given) if isinstance(given, dict) and given else await self._store.lookup(to)
        if not stored:
            log.info("teams send skipped: no installed conversation for this person")
            return False
        messages = [card_message(card) for card in render_reply(reply)]
        offer = export_offer(reply, Incoming(user=UserRef(PLATFORM, to.workspace_id, to.user_id)))
        retrying = tenacity.AsyncRetrying(retry=tenacity.retry_if_exception(_rate_limited), wait=_retry_after,
                                          stop=tenacity.stop_after_attempt(self._retries + 1),
                                          sleep=self._sleep, reraise=True)
        try:
            async for attempt in retrying:
                with attempt:
                    if attempt.retry_state.attempt_number > 1 and go_ahead is not None and not await go_ahead():
                        log.info("teams send dropped after a rate limit: the claim is no longer ours")
                        return False
                    try:
                        await self._deliver(stored, messages, picture, accepted, offer)
                    except ErrorResponseException as exc:
                        if _rate_limited(exc):
                            await self._report(stored, to, exc)
                        raise
        except ErrorResponseException as exc:
            status = _status(exc)
            if status in GONE:
                await self._store.mark_unreachable(to)
            log.warning("teams send failed with HTTP %s", status)
            return False
        return True

    async def _report(self, stored: dict[str, Any], to: PersonKey, exc: ErrorResponseException) -> None:
        """A 429 pauses the tenant for every replica (the shared budget), not just this one."""
        tenant = str(stored.get("conversation", {}).get("tenantId") or getattr(to, "workspace_id", ""))
        if self._rate_limited is not None and tenant:
            await self._rate_limited(scope_of(PLATFORM, tenant),
                                     retry_after(getattr(exc.response, "headers", None)))

    async def _deliver(self, stored: dict[str, Any], messages: list[Activity], picture: Picture | None,
                       accepted: Accepted | None, offer: Activity | None = None) -> None:
        """The first card may be retried (after a 429); once Teams has taken it, the send is
        recorded (`accepted`) and later cards, the picture and a file offer are extras that are
        never retried. A file (a review pack) is offered as chat exports are, through file
        consent: accepting makes it again for whoever accepted."""
        reference = reference_from(stored)

        async def callback(context: TurnContext) -> None:
            address_proactive(context, reference)
            first, *rest = messages
            await context.send_activity(first)
            if accepted is not None:
                await accepted()
            if rest:
                try:
                    await context.send_activities(rest)
                except ErrorResponseException:
                    log.warning("teams continuation failed after the first card was delivered")
            if picture is not None:
                try:
                    await context.send_activity(image_message(picture))
                except ErrorResponseException:
                    log.warning("teams picture failed after the message was delivered")
            if offer is not None:
                try:
                    await context.send_activity(offer)
                except ErrorResponseException:
                    log.warning("teams file offer failed after the message was delivered")

        await self._cloud.continue_conversation(reference, callback,
                                                bot_app_id=self._settings.microsoft_app_id or None)

    def learned(self) -> dict[int, tuple[str, dict[str, Any]]]:
        return {}  # Teams references come from the adapter's conversations, never from sending

    async def close(self) -> None:
        """Nothing to release: the database belongs to whoever handed it in."""

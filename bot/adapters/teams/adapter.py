"""The Teams side of a turn: `Incoming` → `coach.handle` → Adaptive Cards, inside Teams' 15 seconds.

teams_bot.py turns activities into `Incoming`; this decides where and when the
reply goes. A reply ready within the deadline is sent in the turn (with a
typing indicator meanwhile); a later one goes out with `continue_conversation`.
Private replies (progress, reflections, data) asked for in a channel or group
chat go to the person's 1:1 chat instead. Nothing here decides what to say.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import Any

import jwt
from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, Attachment, ConversationReference

from bot.adapters.teams.bot import TeamsBot
from bot.adapters.teams.cards import CARD_TYPE, Card, note_card, reflection_form, render_reply
from bot.adapters.teams.contacts import (
    ConversationStore,
    address_proactive,
    is_personal,
    reference_from,
    reference_of,
    user_of,
)
from bot.adapters.teams.destinations import Destinations
from bot.adapters.teams.file_consent import export_offer
from bot.adapters.teams.signing_keys import SigningKeysUnavailable
from bot.adapters.teams.stream import TeamsStream
from bot.background import Backgrounded, BackgroundWork
from bot.coach import Coach, starting_points
from bot.inbox import Held, Inbox, InboxTimes
from bot.messages import Form, Incoming, Reply
from bot.names import ActionId
from bot.ports import EventClaim
from bot.ui_text import ui
from storage.db import Sessions

log = logging.getLogger(__name__)

TYPING_EVERY = 3.0
ACTIVITY = "activity"  # the kind of turn Teams stores in the inbox
NOT_STORED = Held(None)


def card_message(card: Card) -> Activity:
    """A card as a message whose summary (notifications, the chat list) says what the card is."""
    return Activity(type=ActivityTypes.message, summary=str(card.get("fallbackText") or ui("fallback_text")),
                    attachments=[Attachment(content_type=CARD_TYPE, content=card)])


class TeamsAdapter(Backgrounded):
    """The coach, the CloudAdapter and the background deliveries of one Teams bot."""

    def __init__(self, *, coach: Coach, cloud: CloudAdapter, app_id: str = "", deadline: float = 10.0,
                 store: ConversationStore | None = None, claim: EventClaim | None = None,
                 destinations: Destinations | None = None, sessions: Sessions | None = None,
                 inbox_times: InboxTimes | None = None) -> None:
        """With `sessions`, a turn carrying words is stored in the inbox before its request is answered."""
        self.coach = coach
        self.destinations = destinations or Destinations(hosts=())
        self.cloud = cloud
        self.app_id = app_id
        self.deadline = deadline
        self.store = store
        self._claim = claim
        self._background = BackgroundWork(name="teams")
        self.inbox = Inbox(sessions=sessions, platform="teams", background=self._background,
                           times=inbox_times) if sessions is not None else None
        if self.inbox is not None:
            self.inbox.turn(ACTIVITY, self._replay)
        self.bot = TeamsBot(self)
        cloud.on_turn_error = self._on_turn_error

    # --- HTTP -------------------------------------------------------------------
    async def handle_request(self, request: web.Request) -> web.Response:
        """Authenticate and run the turn through the CloudAdapter; bad tokens are 401, bad bodies 400.

        This is `CloudAdapter.process` minus its last step, which serializes an
        invoke response's body a second time and fails on every Action.Execute.
        """
        if "application/json" not in request.headers.get("Content-Type", ""):
            raise web.HTTPUnsupportedMediaType(text="expected application/json")
        try:
            body = await request.json()
            activity = Activity().deserialize(body) if isinstance(body, dict) else None
        except ValueError:
            activity = None
        if activity is None or not activity.type:
            raise web.HTTPBadRequest(text="not a Bot Framework activity")
        if not self.app_id and not self.destinations.service_url(str(activity.service_url or "")):
            # with an app id the token is checked first; the connector factory refuses the URL then
            log.warning("teams request refused: service URL not allowed")
            raise web.HTTPForbidden(text="service URL not allowed")
        try:
            invoke = await self.cloud.process_activity(request.headers.get("Authorization", ""), activity,
                                                       self.bot.on_turn)
        except SigningKeysUnavailable:
            log.warning("teams request not verified: signing keys unavailable")
            raise web.HTTPServiceUnavailable(text="signing keys unavailable, retry") from None
        except (PermissionError, jwt.PyJWTError) as exc:
            log.warning("teams request refused: %s", type(exc).__name__)
            raise web.HTTPUnauthorized() from None
        if invoke is None:
            return web.Response(status=201)
        payload = invoke.body if invoke.body is None or isinstance(invoke.body, dict | list) \
            else serializer_helper(invoke.body)
        return web.json_response(payload, status=invoke.status)

    async def _on_turn_error(self, context: TurnContext, error: Exception) -> None:
        log.error("teams turn failed", exc_info=error)
        if context.activity.type == ActivityTypes.message:
            await self.say(context, ui("teams_error"))

    # --- turns ------------------------------------------------------------------
    async def first_time(self, activity: Activity) -> bool:
        """False when this activity was already handled here or on another replica (a channel retry)."""
        if self._claim is None or not activity.id:
            return True
        return await self._claim(f"{activity.conversation.id}|{activity.id}")

    async def take(self, activity: Activity, incoming: Incoming) -> Held | None:
        """Before the turn is answered: a turn carrying words goes to the inbox (with its retry claim);
        others are only claimed. None when this activity was handled already (a channel retry)."""
        words = incoming.text.strip() or str(incoming.payload.get("text") or "").strip()
        if self.inbox is None or not words or not activity.id:
            return Held(None) if await self.first_time(activity) else None
        user = incoming.user
        stored = {"activity": activity.serialize(), "text": incoming.text, "action": incoming.action,
                  "payload": dict(incoming.payload)}
        return await self.inbox.hold(ACTIVITY, stored, event_key=f"{activity.conversation.id}|{activity.id}",
                                     workspace_id=user.workspace_id, user_id=user.user_id)

    async def _replay(self, stored: dict[str, Any]) -> None:
        """A turn left in the inbox (its replica died or shut down first): answered proactively."""
        activity = Activity().deserialize(stored["activity"])
        user = user_of(activity)
        if user is None:
            return
        incoming = Incoming(user=user, text=str(stored.get("text") or ""), action=str(stored.get("action") or ""),
                            payload=dict(stored.get("payload") or {}),
                            conversation_id=str(activity.conversation.id if activity.conversation else ""),
                            event_id=str(activity.id or ""))
        messages = await self.answer(incoming, activity)
        await self.send(TurnContext.get_conversation_reference(activity), messages)

    async def _done(self, held: Held) -> None:
        if self.inbox is not None:
            await self.inbox.done(held)

    def _failed(self, held: Held) -> None:
        if self.inbox is not None:
            self.inbox.failed(held)

    async def note_conversation(self, activity: Activity) -> None:
        """Remember where this person's 1:1 chat is, so prompts can reach them later."""
        user = user_of(activity)
        if self.store is None or user is None or not is_personal(activity):
            return
        try:
            if await self.store.remember(user, reference_of(activity)):
                log.info("teams conversation reference stored")
        except Exception:  # a reply matters more than the reference; the next message retries
            log.exception("could not store the teams conversation reference")

    async def forget_conversation(self, activity: Activity) -> None:
        user = user_of(activity)
        if self.store is not None and user is not None and is_personal(activity):
            await self.store.forget(user)

    async def say(self, context: TurnContext, text: str) -> None:
        await context.send_activity(card_message(note_card(text)))

    async def welcome(self, context: TurnContext) -> None:
        """A first hello in a new 1:1 chat, with the usual starting points as buttons."""
        reply = Reply(text=ui("teams_welcome"),
                      followups=starting_points())
        await context.send_activities([card_message(c) for c in render_reply(reply)])

    async def ask(self, incoming: Incoming, *, stream: TeamsStream | None = None) -> Reply:
        return await self.coach.handle(incoming, stream=stream)

    async def answer(self, incoming: Incoming, activity: Activity, *,
                     stream: TeamsStream | None = None) -> list[Activity]:
        """The coach's reply as activities: a form card when it wants a form, otherwise answer cards."""
        reply = await self.ask(incoming, stream=stream)
        if incoming.action == ActionId.REFLECT_OPEN:
            form = reply.form or Form(kind="reflection", prefill=dict(incoming.payload))
            messages = [card_message(self.form_card(form))]
        elif reply.form is not None:
            messages = [card_message(self.form_card(reply.form, notice=reply.text))]
        else:
            messages = [card_message(c) for c in render_reply(reply)]
            offer = export_offer(reply, incoming)
            if offer is not None:
                messages.append(offer)
        return await self._privately(reply, activity, messages)

    def form_card(self, form: Form, *, notice: str = "") -> Card:
        return reflection_form(form, self.coach.knowledge.standard, today=date.today(), notice=notice)

    async def _privately(self, reply: Reply, activity: Activity, messages: list[Activity]) -> list[Activity]:
        """Progress, reflections and data go to the person's 1:1 chat, never to a channel or group."""
        if is_personal(activity) or not reply.private:
            return messages
        user = user_of(activity)
        stored = await self.store.lookup(user) if self.store is not None and user is not None else None
        if stored is None:
            return [card_message(note_card(ui("teams_private_only")))]
        self.spawn(self.send(reference_from(stored), messages))
        return [card_message(note_card(ui("teams_private_sent")))]

    async def respond(self, context: TurnContext, incoming: Incoming, held: Held = NOT_STORED) -> None:
        """Typing (or, in a 1:1 chat, the streamed answer) while the coach works; the reply in this turn
        if it is ready in time, else proactively. `held`'s inbox row goes once the reply is sent."""
        stream = TeamsStream(context) if is_personal(context.activity) else None
        work = asyncio.ensure_future(self.answer(incoming, context.activity, stream=stream))
        try:
            answered = await self._in_turn(context, work, stream)
        except asyncio.CancelledError:
            raise
        except Exception:
            self._failed(held)
            raise
        if answered:
            await self._done(held)
        else:
            self.spawn(self._deliver_later(work, TurnContext.get_conversation_reference(context.activity), held))

    async def _in_turn(self, context: TurnContext, work: asyncio.Future[list[Activity]],
                       stream: TeamsStream | None) -> bool:
        """The answer in this turn if it is ready in time (True); else the 'working' note (False)."""
        if await self._wait_typing(context, work, stream=stream):
            messages = work.result()
            if stream is None or not stream.open or not messages:
                await context.send_activities(messages)
                return True
            ending, *rest = stream.final(messages)
            try:
                await context.send_activity(ending)
            except Exception:  # e.g. Teams' two-minute streaming limit: the answer still goes, as plain cards
                log.warning("teams stream could not end with the answer; sent as a new message", exc_info=True)
                rest = messages
            if rest:
                await context.send_activities(rest)
            return True
        # out of time: an open stream ends with the note (never left dangling), and the answer follows
        if stream is None or not await stream.close(ui("teams_working")):
            await context.send_activity(card_message(note_card(ui("teams_working"))))
        return False

    async def _wait_typing(self, context: TurnContext, work: asyncio.Future[Any], *,
                           stream: TeamsStream | None = None) -> bool:
        """Wait up to the deadline, showing (and every few seconds renewing) the typing indicator
        until a stream shows something better."""
        loop = asyncio.get_running_loop()
        until = loop.time() + self.deadline
        typing = getattr(context.activity.conversation, "conversation_type", "") != "channel"  # none in channels
        while not work.done():
            left = until - loop.time()
            if left <= 0:
                return False
            if typing and not (stream is not None and stream.started):
                try:
                    await context.send_activity(Activity(type=ActivityTypes.typing))
                except Exception:  # the indicator is a nicety
                    log.debug("typing indicator failed", exc_info=True)
                    typing = False
            await asyncio.wait({work}, timeout=min(TYPING_EVERY, max(until - loop.time(), 0)))
        return True

    async def respond_invoke(self, context: TurnContext, incoming: Incoming, held: Held = NOT_STORED) -> Card:
        """The card that replaces the one clicked (Action.Execute); late answers follow as a message."""
        work = asyncio.ensure_future(self.answer(incoming, context.activity))
        done, _ = await asyncio.wait({work}, timeout=self.deadline)
        if not done:
            self.spawn(self._deliver_later(work, TurnContext.get_conversation_reference(context.activity), held))
            return note_card(ui("teams_working"))
        messages = work.result()
        first = messages[0].attachments[0].content if messages and messages[0].attachments else None
        if len(messages) > 1:
            await context.send_activities(messages[1:])
        await self._done(held)
        return first if isinstance(first, dict) else note_card(ui("teams_error"))

    async def _deliver_later(self, work: asyncio.Future[list[Activity]], reference: ConversationReference,
                             held: Held = NOT_STORED) -> None:
        try:
            messages = await work
        except Exception:
            log.exception("late teams answer failed")
            messages = [card_message(note_card(ui("teams_error")))]
        try:
            await self.send(reference, messages)
        except Exception:
            self._failed(held)
            raise
        await self._done(held)

    # --- proactive ----------------------------------------------------------------
    async def send(self, reference: ConversationReference, messages: list[Activity]) -> None:
        """Post `messages` into a conversation outside any turn (continue_conversation)."""

        async def deliver(context: TurnContext) -> None:
            address_proactive(context, reference)
            await context.send_activities(messages)

        await self.cloud.continue_conversation(reference, deliver, bot_app_id=self.app_id or None)


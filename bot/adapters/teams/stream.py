"""An answer streamed into a Teams 1:1 chat with the Bot Framework's streaming activities.

An informative update says what the coach is doing while its tools run; the words
follow as streaming updates (typing activities carrying the text so far, at most
one a second, as Teams asks); the final message closes the stream and replaces the
streamed text, whatever it was. As Microsoft's streaming protocol documents it, the
final message is a `message` whose `text` is the answer (after the id check) with a
`streaminfo` entity of `streamType` final and the stream's id and no sequence number;
the reply's card rides on it holding what the text does not: citations and buttons.
If the turn's deadline passes first, `close` ends the stream with the "still working"
note and the answer follows proactively as usual cards. Group chats and channels get
the single final card.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, Attachment, Entity

from bot.adapters.teams.cards import card

log = logging.getLogger(__name__)

UPDATE_SECONDS = 1.0  # Teams throttles streaming updates to about one a second
STREAM_BYTES = 20_000  # Teams refuses messages over ~28 KB: updates stop here and the final message ends it


class StreamInfo(Entity):  # type: ignore[misc]  # botbuilder is untyped
    """The `streaminfo` entity every streaming activity carries."""

    _attribute_map = {
        "type": {"key": "type", "type": "str"},
        "stream_id": {"key": "streamId", "type": "str"},
        "stream_type": {"key": "streamType", "type": "str"},
        "stream_sequence": {"key": "streamSequence", "type": "int"},
    }

    def __init__(self, *, stream_type: str, stream_id: str | None = None, stream_sequence: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(type="streaminfo", **kwargs)
        self.stream_id = stream_id
        self.stream_type = stream_type
        self.stream_sequence = stream_sequence


class TeamsStream:
    """One streamed answer in one turn; `final` turns the reply's first message into the stream's end."""

    def __init__(self, context: TurnContext, *, update_seconds: float = UPDATE_SECONDS) -> None:
        self._context = context
        self._gap = update_seconds
        self.stream_id = ""
        self.text = ""
        self._sequence = 0
        self._sent_at = 0.0
        self._broken = False
        self._closed = False
        self._lock = asyncio.Lock()  # one update at a time, in sequence, and none after the end

    @property
    def started(self) -> bool:
        return bool(self.stream_id)

    @property
    def open(self) -> bool:
        """Started and not ended (even after a failed update, Teams holds it open): the next message ends it."""
        return self.started and not self._closed

    async def status(self, text: str) -> None:
        if not self.text:
            await self._send("informative", text)

    async def token(self, text: str) -> None:
        first = not self.text
        self.text += text
        if len(self.text.encode()) > STREAM_BYTES:
            return
        if first or time.monotonic() - self._sent_at >= self._gap:  # the first words go at once
            await self._send("streaming", self.text)

    async def _send(self, kind: str, text: str) -> None:
        async with self._lock:
            if self._broken or self._closed:
                return
            self._sequence += 1
            info = StreamInfo(stream_type=kind, stream_sequence=self._sequence, stream_id=self.stream_id or None)
            data = {"streamType": kind, "streamSequence": self._sequence,
                    **({"streamId": self.stream_id} if self.stream_id else {})}
            activity = Activity(type=ActivityTypes.typing, text=text, entities=[info], channel_data=data)
            try:
                sent = await self._context.send_activity(activity)
            except Exception:  # a failed update costs the streaming, never the answer
                log.warning("teams streaming update failed; the answer follows as one message", exc_info=True)
                self._broken = True
                return
            self.stream_id = self.stream_id or str(getattr(sent, "id", "") or "")
            self._sent_at = time.monotonic()

    def _ending(self, activity: Activity) -> Activity:
        activity.entities = [*(activity.entities or []), StreamInfo(stream_type="final", stream_id=self.stream_id)]
        activity.channel_data = {**(activity.channel_data or {}), "streamType": "final", "streamId": self.stream_id}
        return activity

    def final(self, messages: list[Activity]) -> list[Activity]:
        """The reply's messages with the first one made the stream's end: the answer's words (the card's
        leading text blocks) become its `text`, and its card keeps the citations and buttons."""
        if not self.open or not messages:
            return messages
        self._closed = True
        first = messages[0]
        words: list[str] = []
        cards = list(first.attachments or [])
        if cards and isinstance(cards[0].content, dict):
            content = cards[0].content
            body = list(content.get("body") or [])
            while body and body[0].get("type") == "TextBlock":
                words.append(str(body.pop(0).get("text", "")))
            rest = [Attachment(content_type=cards[0].content_type, content=card(body, content.get("actions")))] \
                if body or content.get("actions") else []
            cards = rest + cards[1:]
            words = words or [str(content.get("fallbackText") or "")]
        text = "\n\n".join(w for w in words if w) or str(first.text or first.summary or "")
        ending = Activity(type=ActivityTypes.message, text=text, text_format="markdown", summary=first.summary,
                          attachments=cards or None, entities=first.entities, channel_data=first.channel_data)
        return [self._ending(ending), *messages[1:]]

    async def close(self, text: str) -> bool:
        """End the stream now with `text` (the turn's time is up); False when there was no open stream."""
        async with self._lock:
            if not self.open:
                return False
            self._closed = True
            try:
                await self._context.send_activity(self._ending(Activity(type=ActivityTypes.message, text=text)))
            except Exception:
                log.warning("teams stream could not be ended", exc_info=True)
                return False
            return True

"""An answer streamed into a Teams 1:1 chat with the Bot Framework's streaming activities.

An informative update says what the coach is doing while its tools run; the words
follow as streaming updates (typing activities carrying the text so far, at most
one a second, as Teams asks); the final message (the reply's usual card, with its
citations and buttons, after the id check) closes the stream and replaces the
streamed text, whatever it was. Group chats and channels get the single final card.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, Entity

log = logging.getLogger(__name__)

UPDATE_SECONDS = 1.0  # Teams throttles streaming updates to about one a second


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

    @property
    def started(self) -> bool:
        return bool(self.stream_id)

    async def status(self, text: str) -> None:
        if not self.text:
            await self._send("informative", text)

    async def token(self, text: str) -> None:
        first = not self.text
        self.text += text
        if first or time.monotonic() - self._sent_at >= self._gap:  # the first words go at once
            await self._send("streaming", self.text)

    async def _send(self, kind: str, text: str) -> None:
        if self._broken:
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

    def final(self, messages: list[Activity]) -> list[Activity]:
        """The reply's messages with the first one marked as the stream's end (it replaces the streamed text)."""
        if not self.started or self._broken or not messages:
            return messages
        first = messages[0]
        first.entities = [*(first.entities or []), StreamInfo(stream_type="final", stream_id=self.stream_id)]
        first.channel_data = {**(first.channel_data or {}), "streamType": "final", "streamId": self.stream_id}
        return messages

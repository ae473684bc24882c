"""An answer streamed into a Slack thread with chat.startStream / appendStream / stopStream.

The first words start the stream at once (the time to first token is one call);
later words are sent in batches so a long answer is a few calls, not hundreds. While
the agent's tools run, the thread's status line says what it is doing. When the
reply is complete and checked, the stream stops with the citations and buttons
under the streamed words, or, when the checked reply is not the streamed text (a
fallback, or an answer too long for one message), the message is replaced by the
reply rendered as usual and split where Slack needs it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.adapters.slack.blocks import MAX_TEXT, Block, citation_block, render_reply, tail_blocks
from bot.messages import Reply, UserRef

log = logging.getLogger(__name__)

APPEND_CHARS = 120  # words are batched up to this many characters…
APPEND_SECONDS = 0.25  # …or this long, whichever comes first
STREAM_LIMIT = MAX_TEXT  # more than one section holds: the rest arrives with the final, split reply


def inert(text: str) -> str:
    """Model words cannot become Slack mentions or links (<!channel>, <https://…|…>)."""
    return text.replace("<", "\u2039").replace(">", "\u203a")


class SlackStream:
    """One streamed answer in one thread; `finish` completes it with the checked reply."""

    def __init__(self, client: Any, *, channel: str, thread_ts: str, user: UserRef,
                 assistant: bool = False) -> None:
        self._client = client
        self._channel = channel
        self._thread_ts = thread_ts
        self._user = user
        self._assistant = assistant
        self.ts = ""
        self.text = ""
        self._pending = ""
        self._sent_at = 0.0
        self._broken = False

    async def status(self, text: str) -> None:
        if self._assistant and not self.ts:
            try:
                await self._client.assistant_threads_setStatus(channel_id=self._channel, thread_ts=self._thread_ts,
                                                               status=text)
            except SlackApiError as exc:
                log.warning("slack status failed: %s", exc.response.get("error"))

    async def token(self, text: str) -> None:
        self.text += text
        if self._broken or len(self.text) > STREAM_LIMIT:
            return
        self._pending += text
        if not self.ts:
            await self._start()
        elif len(self._pending) >= APPEND_CHARS or time.monotonic() - self._sent_at >= APPEND_SECONDS:
            await self._append()

    async def _start(self) -> None:
        try:
            started = await self._client.chat_startStream(
                channel=self._channel, thread_ts=self._thread_ts, markdown_text=inert(self._pending),
                recipient_team_id=self._user.workspace_id or None, recipient_user_id=self._user.user_id)
        except SlackApiError as exc:
            log.warning("slack stream could not start: %s", exc.response.get("error"))
            self._broken = True
            return
        self.ts = str(started.get("ts") or "")
        self._broken = not self.ts
        self._pending = ""
        self._sent_at = time.monotonic()

    async def _append(self) -> None:
        if not self._pending or not self.ts:
            return
        try:
            await self._client.chat_appendStream(channel=self._channel, ts=self.ts,
                                                 markdown_text=inert(self._pending))
        except SlackApiError as exc:
            log.warning("slack stream append failed: %s", exc.response.get("error"))
            self._broken = True
        self._pending = ""
        self._sent_at = time.monotonic()

    async def finish(self, reply: Reply, *, feedback_id: str = "") -> bool:
        """Complete the streamed message with `reply`; False when nothing was streamed (post as usual)."""
        if not self.ts:
            return False
        kept = not self._broken and len(self.text) <= STREAM_LIMIT and self.text.strip() == reply.text.strip()
        if kept:
            await self._append()
            extra: list[Block] = [citation_block(c) for c in reply.citations]
            extra += tail_blocks(reply, feedback_id=feedback_id)
            if await self._stop(blocks=extra or None):
                return True
        await self._stop(blocks=None)
        await self._replace(reply, feedback_id=feedback_id)
        return True

    async def _stop(self, *, blocks: list[Block] | None) -> bool:
        try:
            await self._client.chat_stopStream(channel=self._channel, ts=self.ts, blocks=blocks)
            return True
        except SlackApiError as exc:
            log.warning("slack stream stop failed: %s", exc.response.get("error"))
            return False

    async def _replace(self, reply: Reply, *, feedback_id: str) -> None:
        """The streamed text gives way to the checked reply: its first page here, the rest below it."""
        messages = render_reply(reply, feedback_id=feedback_id)
        first, rest = messages[0], messages[1:]
        try:
            await self._client.chat_update(channel=self._channel, ts=self.ts, text=first.text, blocks=first.blocks)
            for message in rest:
                await self._client.chat_postMessage(channel=self._channel, thread_ts=self._thread_ts,
                                                    text=message.text, blocks=message.blocks)
        except SlackApiError as exc:
            log.error("slack could not replace a streamed answer: %s", exc.response.get("error"))

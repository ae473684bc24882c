"""What a chat surface offers a turn that streams: a status line while tools run, and the words as they come.

Adapters implement `Stream` (Slack's chat.startStream/appendStream, Teams' streaming
activities, the console's stdout) and pass it to `Coach.handle`. The finished `Reply`
still comes back as usual: the adapter compares it with what it streamed and, after the
id check, attaches citations and buttons, or replaces the streamed text when they differ.
"""

from __future__ import annotations

from typing import Protocol


class Stream(Protocol):
    async def status(self, text: str) -> None:
        """What the coach is doing now ("Looking up S24…"); shown instead of a bare "thinking"."""
        ...

    async def token(self, text: str) -> None:
        """The next piece of the answer as the model writes it."""
        ...


class Recorder:
    """A stream that keeps what it was sent: the console's base and the tests' witness."""

    def __init__(self) -> None:
        self.statuses: list[str] = []
        self.tokens: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self.tokens)

    async def status(self, text: str) -> None:
        self.statuses.append(text)

    async def token(self, text: str) -> None:
        self.tokens.append(text)

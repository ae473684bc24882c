"""Console adapter: plain text in and out; numbered actions stand in for buttons."""

from __future__ import annotations

import asyncio
import getpass
import sys
from typing import TextIO

from bot.coach import Coach
from bot.messages import Action, Incoming, Reply, UserRef
from bot.names import ActionId
from bot.ui_text import ui


def console_user() -> UserRef:
    name = getpass.getuser() or "local"
    return UserRef(platform="console", workspace_id="local", user_id=name, display_name=name)


def console_conversation(user: UserRef) -> str:
    """The terminal is one conversation per local user, so follow-ups carry across `ask` runs."""
    return f"console:{user.user_id}"


def render_plain(reply: Reply, *, streamed: bool = False) -> str:
    """The reply as text; a form the reply asks for becomes a hint on how to type it instead.

    `streamed`: the words are already on screen, so only what follows them is rendered."""
    parts = ["" if streamed else reply.text, ui("console_form_hint") if reply.form is not None else ""]
    if reply.citations:
        quotes = []
        for c in reply.citations:
            duties = ", ".join(str(d) for d in c.duties)
            where = ui("console_citation_duty", duties=duties) if len(c.duties) == 1 else \
                (ui("console_citation_duties", duties=duties) if duties else "")
            quotes.append(f"  {c.id}{where}: \u201c{c.text}\u201d")
        parts.append(ui("console_citations", quotes="\n".join(quotes)))
    return "\n\n".join(p for p in parts if p)


def render_choices(reply: Reply) -> list[Action]:
    """Follow-ups and actions as one numbered list the user can pick from."""
    choices = [Action(label=f, action=ActionId.ASK, payload={"text": f}) for f in reply.followups]
    return list(reply.actions) + choices


class ConsoleStream:
    """Prints the agent's words as they come, after a status line while its tools run.

    The chat prefixes the words with "coach> " and shows the status inline; the one-shot
    `ask` prints bare words on stdout (scripts read it) and its status on `statuses`.
    """

    def __init__(self, out: TextIO, *, prompt: str = "\ncoach> ", statuses: TextIO | None = None) -> None:
        self._out = out
        self._prompt = prompt
        self._statuses = statuses
        self.text = ""

    async def status(self, text: str) -> None:
        if not self.text:
            where = self._statuses or self._out
            where.write(f"\n  ({text}…)" if self._statuses is None else f"({text}…)\n")
            where.flush()

    async def token(self, text: str) -> None:
        if not self.text:
            self._out.write(self._prompt)
        self.text += text
        self._out.write(text)
        self._out.flush()

    def rest(self, reply: Reply) -> str:
        """What to print once the reply is complete: its tail when the streamed words stood, else all of it."""
        if not self.text:
            return self._prompt + render_plain(reply)
        if self.text.strip() == reply.text.strip():
            tail = render_plain(reply, streamed=True)
            return "\n\n" + tail if tail else ""
        return "\n\n" + ui("console_replaced") + (self._prompt or "\n") + render_plain(reply)


class ConsoleChat:
    def __init__(self, *, coach: Coach, user: UserRef | None = None,
                 stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> None:
        self._coach = coach
        self._user = user or console_user()
        self._in = stdin
        self._out = stdout

    def _say(self, text: str) -> None:
        self._out.write(text + "\n")
        self._out.flush()

    async def run(self) -> int:
        self._say(ui("console_start", reference=self._coach.knowledge.standard.reference))
        choices: list[Action] = []
        while True:
            self._out.write("\nyou> ")
            self._out.flush()
            line = await asyncio.to_thread(self._in.readline)
            if not line:
                return 0
            text = line.strip()
            if text.lower() in {"quit", "exit", "bye"}:
                return 0
            if text.isdigit() and 0 < int(text) <= len(choices):
                picked = choices[int(text) - 1]
                incoming = Incoming(user=self._user, action=picked.action, payload=picked.payload,
                                    conversation_id=console_conversation(self._user))
            else:
                incoming = Incoming(user=self._user, text=text,
                                    conversation_id=console_conversation(self._user))
            stream = ConsoleStream(self._out)
            reply = await self._coach.handle(incoming, stream=stream)
            self._say(stream.rest(reply))
            choices = render_choices(reply)
            for n, choice in enumerate(choices, start=1):
                self._say(f"  [{n}] {choice.label}")

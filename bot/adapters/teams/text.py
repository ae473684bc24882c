"""Text across the Teams boundary: Teams markup in, inert card Markdown out.

Inbound, a channel or group-chat message carries the bot's @mention as
`<at>KSB Coach</at>` plus HTML entities; the coach wants the plain words.
Outbound, TextBlocks render a Markdown subset, so anything that may echo user
text (a reflection, a question) has its link syntax and angle brackets
backslash-escaped: a reply can never show a disguised link or smuggle markup.
Mentions cannot be forged from text at all (Teams needs a mention entity).
"""

from __future__ import annotations

import html
import re
from typing import Any

from bot.truncate import truncate

_AT = re.compile(r"<at\b[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"</?(?:p|div|span|br|b|i|strong|em)\b[^>]*>", re.IGNORECASE)
_SPECIAL = re.compile(r"([\\\[\]<>])")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)
_LIST = re.compile(r"^\s*(?:[-*]|\d+\.)\s")


def escape(text: str) -> str:
    """Text a TextBlock shows as written: no `[label](url)` links, no `<tags>`.

    A bare URL may still be shown as a link by the client, but then it shows
    its real address; only a disguised label could mislead, and that is gone.
    """
    return _SPECIAL.sub(r"\\\1", text)


def to_card_markdown(text: str) -> str:
    """The coach's light Markdown (bold, headings, lists) as TextBlock Markdown, escaped first.

    A TextBlock ignores a single newline except inside a Markdown list (where
    Teams wants `\\r`), so other line breaks become paragraph breaks.
    """
    text = _HEADING.sub(lambda m: f"**{m.group(1).strip()}**", escape(text))
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    out = ""
    previous = ""
    for line in lines:
        if not line.strip():
            previous = ""
            continue
        if out:
            out += "\r" if previous and _LIST.match(previous) and _LIST.match(line) else "\n\n"
        out += line
        previous = line
    return out


def plain(text: str) -> str:
    """For fields Teams shows as plain text (titles, fallback): just drop the Markdown bold marks."""
    return _BOLD.sub(lambda m: m.group(1), text)


def from_teams(text: str, *, bot_mention_texts: list[str] | None = None) -> str:
    """A user's message as plain text: our own @mention removed, other mentions kept as names."""
    for mention in bot_mention_texts or []:
        if mention:
            text = text.replace(mention, " ")
    text = _AT.sub(lambda m: m.group(1), text)
    text = _TAGS.sub(" ", text)
    text = html.unescape(text).replace("\xa0", " ")
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def bot_mentions(entities: list[Any] | None, bot_id: str) -> list[str]:
    """The literal `<at>…</at>` texts that mention the bot, read from the activity's mention entities."""
    found: list[str] = []
    for entity in entities or []:
        props = entity if isinstance(entity, dict) else dict(getattr(entity, "additional_properties", {}) or {})
        kind = props.get("type") if isinstance(entity, dict) else getattr(entity, "type", "")
        mentioned = props.get("mentioned") or {}
        if str(kind).lower() == "mention" and isinstance(mentioned, dict) and mentioned.get("id") == bot_id:
            found.append(str(props.get("text") or f"<at>{mentioned.get('name', '')}</at>"))
    return found


limit = truncate

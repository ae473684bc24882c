"""Text across the Slack boundary: Slack markup in, inert text out.

Inbound, Slack sends `&amp; &lt; &gt;` and control sequences (`<@U1>`, `<!here>`,
`<https://x|label>`); the coach wants the plain words. Outbound, anything we
echo (a reflection, a question) must not be able to ping `@channel`, mention
someone or smuggle a disguised link, so `&`, `<`, `>` are escaped as Slack asks
and the broadcast words get a word joiner that stops Slack's automatic parsing.
"""

from __future__ import annotations

import re

from bot.truncate import truncate

_CONTROL = re.compile(r"<([^<>]*)>")
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)
WORD_JOINER = "\u2060"


def escape(text: str) -> str:
    """Text that Slack shows exactly as written: no mentions, no broadcasts, no links."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@" + WORD_JOINER + m.group(1), text)


def to_mrkdwn(text: str) -> str:
    """The coach's light Markdown as Slack mrkdwn, escaped first so user text stays inert."""
    text = escape(text)
    text = _HEADING.sub(lambda m: f"*{m.group(1).strip()}*", text)
    return _BOLD.sub(lambda m: f"*{m.group(1)}*", text)


def _control_to_plain(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):  # user mention
        return f"@{label}" if label else ""
    if target.startswith("#"):  # channel link
        return f"#{label}" if label else ""
    if target.startswith("!"):  # special command: here, channel, subteam, date
        word = target[1:].split("^", 1)[0]
        return label or (f"@{word}" if word in {"here", "channel", "everyone"} else "")
    if target.startswith("mailto:"):
        return label or target.removeprefix("mailto:")
    if label and label != target:
        return f"{label} ({target})"
    return target


def from_slack(text: str, *, bot_user_id: str = "") -> str:
    """A user's Slack message as plain text for the coach; the bot's own mention is dropped."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(\|[^>]*)?>", "", text)
    text = _CONTROL.sub(_control_to_plain, text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.sub(r"[ \t]{2,}", " ", text).strip()


plain_limit = truncate

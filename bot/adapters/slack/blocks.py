"""A `Reply` as Block Kit, always inside Slack's limits.

Slack rejects a whole message when one limit is broken (50 blocks, 3,000
characters of section text, 2,000 of button value, 75 of button label), so
every piece is measured here and split or trimmed before it is sent: a long
answer becomes several messages, never an `invalid_blocks` error.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from dataclasses import dataclass
from typing import Any

from bot.adapters.slack.escape import escape, plain_limit, to_mrkdwn
from bot.messages import Action, Citation, Reply
from bot.names import ActionId, IntentName
from bot.ui_text import ui

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_TEXT = 3000          # section / context text object
MAX_MESSAGE_CHARS = 40_000
MAX_VALUE = 2000         # button value
MAX_LABEL = 75           # button text
BUTTONS_PER_ROW = 5
ACTION_PREFIX = "ksb:"
FEEDBACK_BLOCK = "ksb-feedback"
ANSWER_INTENTS = frozenset({IntentName.QUESTION, IntentName.LOOKUP, IntentName.COMPARE})


@dataclass(frozen=True)
class SlackMessage:
    text: str  # notification / screen-reader fallback
    blocks: list[Block]


def encode_value(action: str, payload: dict[str, Any]) -> str | None:
    """Button value carrying the action and its payload; compressed if long, None if too long."""
    raw = json.dumps({"a": action, "p": payload}, separators=(",", ":"), ensure_ascii=False)
    if len(raw) <= MAX_VALUE:
        return raw
    packed = "z:" + base64.b64encode(zlib.compress(raw.encode("utf-8"), 9)).decode("ascii")
    return packed if len(packed) <= MAX_VALUE else None


def decode_value(value: str) -> tuple[str, dict[str, Any]]:
    if value.startswith("z:"):
        value = zlib.decompress(base64.b64decode(value[2:])).decode("utf-8")
    data = json.loads(value)
    payload = data.get("p")
    return str(data.get("a", "")), payload if isinstance(payload, dict) else {}


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object Slack will not auto-link or auto-mention (`verbatim`)."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text)]}


def _cut(text: str, limit: int) -> str:
    """Cut already-escaped text without leaving half an entity like `&am`."""
    cut = plain_limit(text, limit)
    return re.sub(r"&[a-z]{0,3}…$", "…", cut) if cut != text else cut


def chunks(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Greedy fill on line and word boundaries, so each piece fits one section."""
    pieces: list[str] = []
    current = ""
    for part in re.split(r"(\n+| )", text):
        while len(part) > limit:  # one unbroken run longer than a section
            if current.strip():
                pieces.append(current.strip())
            current = ""
            pieces.append(part[:limit])
            part = part[limit:]
        if len(current) + len(part) > limit:
            if current.strip():
                pieces.append(current.strip())
            current = part
        else:
            current += part
    if current.strip():
        pieces.append(current.strip())
    return pieces


def citation_block(citation: Citation) -> Block:
    duties = ", ".join(str(d) for d in citation.duties)
    where = ui("citation_duty", duties=duties) if len(citation.duties) == 1 else \
        (ui("citation_duties", duties=duties) if duties else "")
    quote = escape(citation.text)
    return context(_cut(f"*{escape(citation.id)}*{where}\n\u201c{quote}\u201d", MAX_TEXT))


def button(action: Action, index: int) -> Block | None:
    value = encode_value(action.action, action.payload)
    if value is None:
        return None
    element: Block = {"type": "button", "action_id": f"{ACTION_PREFIX}{index}",
                      "text": {"type": "plain_text", "text": plain_limit(action.label, MAX_LABEL) or "…",
                               "emoji": True},
                      "value": value}
    if action.style in {"primary", "danger"}:
        element["style"] = action.style
    return element


def button_rows(actions: list[Action], *, start: int = 0, block_id: str = "") -> list[Block]:
    """Rows of at most BUTTONS_PER_ROW buttons; a KSB's Confirm and Remove never split across rows."""
    elements = [b for n, a in enumerate(actions) if (b := button(a, start + n)) is not None]
    units: list[list[Block]] = []
    for element in elements:
        target = _target(element)
        if units and target[1] and _target(units[-1][-1]) == target:
            units[-1].append(element)
        else:
            units.append([element])
    grouped: list[list[Block]] = []
    for unit in units:
        if grouped and len(grouped[-1]) + len(unit) <= BUTTONS_PER_ROW:
            grouped[-1].extend(unit)
        else:
            grouped.append(list(unit))
    rows: list[Block] = []
    for i, row_elements in enumerate(grouped):
        row: Block = {"type": "actions", "elements": row_elements}
        if block_id:
            row["block_id"] = block_id if i == 0 else f"{block_id}-{i}"
        rows.append(row)
    return rows


def reply_actions(reply: Reply) -> list[Action]:
    """Buttons in order: the reply's own actions, an open-form button, then follow-up questions."""
    actions = list(reply.actions)
    if reply.form is not None and not any(a.action == ActionId.REFLECT_OPEN for a in actions):
        actions.append(Action(ui("label_open_form"), ActionId.REFLECT_OPEN, dict(reply.form.prefill),
                              style="primary"))
    actions += [Action(f, ActionId.ASK, {"text": f}) for f in reply.followups]
    return actions


def feedback_row(answer_id: str, cited: list[str]) -> list[Block]:
    votes = [Action(ui("label_helpful"), ActionId.FEEDBACK, {"value": "up", "answer_id": answer_id, "cited": cited}),
             Action(ui("label_not_helpful"), ActionId.FEEDBACK,
                    {"value": "down", "answer_id": answer_id, "cited": cited})]
    return button_rows(votes, start=90, block_id=FEEDBACK_BLOCK)


def content_blocks(reply: Reply) -> list[Block]:
    blocks = [section(piece) for piece in chunks(to_mrkdwn(reply.text))]
    blocks += [citation_block(c) for c in reply.citations]
    return blocks


def tail_blocks(reply: Reply, *, feedback_id: str = "") -> list[Block]:
    tail = button_rows(reply_actions(reply))
    if feedback_id and reply.intent in ANSWER_INTENTS:
        tail += feedback_row(feedback_id, reply.cited_ids)
    return tail


def _size(block: Block) -> int:
    return len(json.dumps(block, ensure_ascii=False))


def fallback_text(reply: Reply) -> str:
    return _cut(escape(reply.text.strip()), MAX_TEXT) or ui("fallback_text")


def render_reply(reply: Reply, *, feedback_id: str = "") -> list[SlackMessage]:
    """One or more messages; buttons ride on the last so they sit under the whole answer."""
    content, tail = content_blocks(reply), tail_blocks(reply, feedback_id=feedback_id)
    tail = tail[: MAX_BLOCKS // 2]
    pages: list[list[Block]] = [[]]
    used = 0
    for block in content:
        if len(pages[-1]) >= MAX_BLOCKS or used + _size(block) > MAX_MESSAGE_CHARS // 2:
            pages.append([])
            used = 0
        pages[-1].append(block)
        used += _size(block)
    if len(pages[-1]) + len(tail) > MAX_BLOCKS:
        pages.append([])
    pages[-1].extend(tail)
    text = fallback_text(reply)
    return [SlackMessage(text=text if n == 0 else "(continued)", blocks=page or [section(text)])
            for n, page in enumerate(pages)]


def render_single(reply: Reply, *, feedback_id: str = "", max_blocks: int = MAX_BLOCKS,
                  head: list[Block] | None = None) -> SlackMessage:
    """Exactly one message (for updates and views): content is trimmed, buttons kept."""
    head = head or []
    tail = tail_blocks(reply, feedback_id=feedback_id)[: max_blocks // 2]
    content = content_blocks(reply)
    room = max_blocks - len(head) - len(tail)
    if len(content) > room:
        content = content[: max(room - 1, 0)] + [context(ui("slack_trimmed"))]
    blocks = head + content + tail
    return SlackMessage(text=fallback_text(reply), blocks=blocks or [section(fallback_text(reply))])


def without_feedback(blocks: list[Block], note: str) -> list[Block]:
    """The same message with its vote buttons replaced by a thank-you line."""
    kept = [b for b in blocks if not str(b.get("block_id", "")).startswith(FEEDBACK_BLOCK)]
    return kept + [context(escape(note))]


def resolve_buttons(blocks: list[Block], clicked: dict[str, Any], note: str) -> list[Block]:
    """The message after a tag click: that KSB's buttons give way to the coach's one-line result.

    Buttons whose payload names the same entry and KSB go; the other suggestions
    keep their buttons, so each tag can be confirmed or removed in turn.
    """
    target = (clicked.get("entry_id"), clicked.get("ksb"))
    kept: list[Block] = []
    noted = False
    for block in blocks:
        if block.get("type") != "actions":
            kept.append(block)
            continue
        if not noted:
            kept.append(context(note))
            noted = True
        elements = [e for e in block.get("elements", []) if _target(e) != target]
        if elements:
            kept.append({**block, "elements": elements, "block_id": _fresh(block, len(kept))})
    if not noted:
        kept.append(context(note))
    return kept[:MAX_BLOCKS]


def _target(element: Block) -> tuple[Any, Any]:
    """The (entry, KSB) a button acts on; (None, None) for buttons that name none."""
    try:
        _, payload = decode_value(str(element.get("value") or ""))
    except (ValueError, KeyError):
        return None, None
    return payload.get("entry_id"), payload.get("ksb")


def _fresh(block: Block, position: int) -> str:
    """Slack asks for a new block_id on each version of a message, unique within it."""
    old = str(block.get("block_id") or f"b{position}")
    stem, _, n = old.rpartition("~")
    return f"{stem}~{int(n) + 1}" if stem and n.isdigit() else f"{old}~1"

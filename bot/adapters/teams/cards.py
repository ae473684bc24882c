"""A `Reply` as Adaptive Cards, and card submissions back into (action, payload).

Every button carries `{"ksb": {"a": action id, "p": payload}}` as its data, so
a click arrives as the coach's own action. Buttons that change the message
they sit on (saving the form, confirming a tag, confirming a deletion) are
`Action.Execute`, whose invoke answer replaces the card in place; clients that
lack it fall back to `Action.Submit`, which arrives as a message with a value.
Text that may echo the user goes through `teams_text.escape`; no card carries
an OpenUrl action, so user text never becomes a link target.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.adapters.teams.text import escape, limit, plain, to_card_markdown
from bot.messages import Action, Citation, Form, Reply
from bot.names import ActionId
from bot.ui_text import ui
from knowledge.model import Standard

Card = dict[str, Any]
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"  # Universal Actions guidance: Action.Execute cards declare 1.5
EXECUTE = frozenset({ActionId.REFLECT_SUBMIT, ActionId.TAG_CONFIRM, ActionId.TAG_REMOVE, ActionId.TAG_ADD,
                     ActionId.DATA_DELETE_CONFIRM, ActionId.PROMPT_SNOOZE, ActionId.PROMPT_SKIP})
MAX_CARD_BYTES = 24_000   # Teams refuses messages over ~28 KB; leave room for the envelope
MAX_BLOCK = 2_000         # characters per TextBlock, so long answers wrap into several
MAX_TITLE = 60
PER_ROW = 3
FORM_INPUTS = {"ksb_text": "text", "ksb_date": "date", "ksb_hours": "hours", "ksb_ksbs": "ksbs"}
_STYLES = {"primary": "positive", "danger": "destructive"}


MAX_FALLBACK = 200


def card(body: list[Card], actions: list[Card] | None = None) -> Card:
    """A card whose fallback text (shown by clients that can't render it) is its first line of text."""
    out: Card = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "msteams": {"width": "Full"},
                 "fallbackText": limit(plain(first_text(body)), MAX_FALLBACK) or ui("fallback_text"), "body": body}
    if actions:
        out["actions"] = actions
    return out


def first_text(items: list[Card]) -> str:
    """The first line of text in a card body, looking inside containers."""
    for item in items:
        text = item.get("text") if item.get("type") == "TextBlock" else first_text(item.get("items") or [])
        if isinstance(text, str) and text.strip():
            return text.strip().splitlines()[0]
    return ""


def text_block(text: str, **extra: Any) -> Card:
    return {"type": "TextBlock", "text": text, "wrap": True, **extra}


def chunks(text: str, size: int = MAX_BLOCK) -> list[str]:
    """Paragraph-sized pieces, never splitting inside a backslash escape."""
    pieces: list[str] = []
    current = ""
    for para in text.split("\n\n"):
        while len(para) > size:
            cut = para.rfind(" ", 0, size)
            cut = cut if cut > size // 2 else size
            while cut > 0 and para[cut - 1] == "\\":
                cut -= 1
            pieces.append(para[:cut])
            para = para[cut:].lstrip()
        if current and len(current) + len(para) + 2 > size:
            pieces.append(current)
            current = para
        else:
            current = f"{current}\n\n{para}" if current else para
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()]


def citation_block(citation: Citation) -> Card:
    duties = ", ".join(str(d) for d in citation.duties)
    where = ui("citation_duty", duties=duties) if len(citation.duties) == 1 else \
        (ui("citation_duties", duties=duties) if duties else "")
    return {"type": "Container", "style": "emphasis", "items": [
        text_block(f"**{escape(citation.id)}**{where}", spacing="None"),
        text_block(f"\u201c{escape(citation.text)}\u201d", isSubtle=True, spacing="Small"),
    ]}


def action(item: Action) -> Card:
    data = {"ksb": {"a": item.action, "p": dict(item.payload)}}
    title = limit(plain(item.label), MAX_TITLE) or "…"
    submit: Card = {"type": "Action.Submit", "title": title, "data": data}
    if item.style in _STYLES:
        submit["style"] = _STYLES[item.style]
    if item.action not in EXECUTE:
        return submit
    return {**submit, "type": "Action.Execute", "verb": item.action, "fallback": submit}


def reply_actions(reply: Reply) -> list[Action]:
    """The reply's own buttons, a form opener when it wants a form, then follow-up questions."""
    actions = list(reply.actions)
    if reply.form is not None and not any(a.action == ActionId.REFLECT_OPEN for a in actions):
        actions.append(Action(ui("label_open_form"), ActionId.REFLECT_OPEN, dict(reply.form.prefill),
                              style="primary"))
    return actions + [Action(f, ActionId.ASK, {"text": f}) for f in reply.followups]


def action_rows(actions: list[Action]) -> list[Card]:
    rows = [actions[i:i + PER_ROW] for i in range(0, len(actions), PER_ROW)]
    return [{"type": "ActionSet", "actions": [action(a) for a in row]} for row in rows]


def _size(item: Card) -> int:
    return len(json.dumps(item, ensure_ascii=False).encode("utf-8"))


def render_reply(reply: Reply) -> list[Card]:
    """One card, or several when the answer is too big for one; buttons ride on the last."""
    content = [text_block(piece) for piece in chunks(to_card_markdown(reply.text))]
    content += [citation_block(c) for c in reply.citations]
    tail = action_rows(reply_actions(reply))
    budget = MAX_CARD_BYTES - sum(_size(t) for t in tail) - 400
    pages: list[list[Card]] = [[]]
    used = 0
    for item in content:
        if pages[-1] and used + _size(item) > budget:
            pages.append([])
            used = 0
        pages[-1].append(item)
        used += _size(item)
    pages[-1].extend(tail)
    return [card(page or [text_block("…")]) for page in pages]


def note_card(text: str) -> Card:
    return card([text_block(to_card_markdown(text))])


def reflection_form(form: Form, standard: Standard, *, today: date, notice: str = "") -> Card:
    """What you did, when, off-the-job hours and the KSBs it evidences (suggestions pre-selected)."""
    prefill = form.prefill
    picked = [str(k) for k in prefill.get("ksbs") or [] if standard.ksb(str(k)) is not None]
    text_input: Card = {"type": "Input.Text", "id": "ksb_text", "label": ui("form_text_label"), "isMultiline": True,
                        "isRequired": True, "maxLength": 4000,
                        "errorMessage": ui("form_text_required"),
                        "placeholder": ui("form_text_placeholder")}
    if prefill.get("text"):
        text_input["value"] = str(prefill["text"])[:4000]
    hours: Card = {"type": "Input.Number", "id": "ksb_hours", "label": ui("form_hours_label"), "min": 0, "max": 24}
    if prefill.get("hours") not in (None, ""):
        hours["value"] = _number(prefill["hours"])
    choices = [{"title": limit(f"{k.id} \u2014 {k.text}", 90), "value": k.id}
               for kind in ("K", "S", "B") for k in standard.of_kind(kind)]
    body: list[Card] = [text_block(ui("form_title_card"), size="Medium")]
    if notice:
        body.append(text_block(to_card_markdown(notice), isSubtle=True))
    body += [
        text_input,
        {"type": "Input.Date", "id": "ksb_date", "label": ui("form_date_label"), "max": today.isoformat(),
         "value": str(prefill.get("date") or today.isoformat())},
        hours,
        {"type": "Input.ChoiceSet", "id": "ksb_ksbs", "label": ui("form_ksbs_label_card"),
         "isMultiSelect": True, "style": "compact", "choices": choices, "value": ",".join(picked)},
    ]
    save = Action(ui("label_save"), ActionId.REFLECT_SUBMIT, {k: v for k, v in prefill.items() if k == "prompt"},
                  style="primary")
    return card(body, [action(save)])


def _number(value: Any) -> float | str:
    try:
        return float(value)
    except (TypeError, ValueError):
        return ""


def decode_submit(value: Any) -> tuple[str, dict[str, Any]] | None:
    """A card's submitted data as (action id, payload); form inputs become the payload's fields."""
    if not isinstance(value, dict):
        return None
    data = value.get("ksb")
    if isinstance(data, str):  # some clients send nested data as a JSON string
        try:
            data = json.loads(data)
        except ValueError:
            return None
    if not isinstance(data, dict) or not isinstance(data.get("a"), str) or not data["a"]:
        return None
    raw = data.get("p")
    payload: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    for key, name in FORM_INPUTS.items():
        if key in value:
            payload[name] = value[key]
    if "text" in payload and isinstance(payload["text"], str):
        payload["text"] = payload["text"].strip()
    if isinstance(payload.get("ksbs"), str):
        payload["ksbs"] = [k for k in payload["ksbs"].replace(",", " ").split() if k]
    if payload.get("hours") in ("", None):
        payload.pop("hours", None)
    if payload.get("date") in ("", None):
        payload.pop("date", None)
    return data["a"], payload

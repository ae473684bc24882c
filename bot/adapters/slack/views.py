"""Slack surfaces that are views, not messages: the App Home tab and the reflection modal.

Both are drawn from what the coach returns (a progress `Reply`, a reflection
`Form`); this module only knows Block Kit's shapes and limits (100 blocks in a
view, 100 options in a select, 75 characters in an option label).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date
from typing import Any

from bot.adapters.slack.blocks import Block, context, render_single, section
from bot.adapters.slack.escape import escape, plain_limit
from bot.messages import Form, Reply
from bot.ui_text import ui
from knowledge.model import KIND_NAMES, Standard

REFLECT_CALLBACK = "ksb:reflect"
MAX_VIEW_BLOCKS = 100
MAX_INPUT_CHARS = 3000


def home_view(*, title: str, sections: list[tuple[str, Reply]], footer: str = "",
              picture: str = "") -> dict[str, Any]:
    """The Home tab: the coverage picture (an uploaded file's id), then one headed part per coach reply."""
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": plain_limit(title, 150)}}]
    if picture:
        blocks.append({"type": "image", "slack_file": {"id": picture}, "alt_text": ui("coverage_alt"),
                       "title": {"type": "plain_text", "text": ui("coverage_title")}})
    share = (MAX_VIEW_BLOCKS - 4) // max(len(sections), 1)
    for heading, reply in sections:
        head = [{"type": "divider"}, section(f"*{escape(heading)}*")]
        blocks += render_single(reply, max_blocks=share, head=head).blocks
    if footer:
        blocks.append(context(escape(footer)))
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def _option(ksb_id: str, text: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": plain_limit(f"{ksb_id} {text}", 75)}, "value": ksb_id}


def ksb_options(standard: Standard) -> list[dict[str, Any]]:
    """KSBs grouped by kind; each group holds at most 100 options, as Slack allows."""
    groups = []
    for kind, name in KIND_NAMES.items():
        ksbs = standard.of_kind(kind)
        if ksbs:
            groups.append({"label": {"type": "plain_text", "text": name.capitalize()},
                           "options": [_option(k.id, k.text) for k in ksbs][:100]})
    return groups


def reflection_modal(*, form: Form, standard: Standard, metadata: dict[str, Any],
                     today: date | None = None) -> dict[str, Any]:
    """The /reflect form: what you did, date, off-the-job hours, KSBs pre-selected."""
    prefill = form.prefill
    text = str(prefill.get("text") or "")[:MAX_INPUT_CHARS]
    text_input: Block = {"type": "plain_text_input", "action_id": "text", "multiline": True,
                         "max_length": MAX_INPUT_CHARS,
                         "placeholder": {"type": "plain_text",
                                         "text": ui("form_text_placeholder")}}
    if text:
        text_input["initial_value"] = text
    picked = [str(k) for k in prefill.get("ksbs") or [] if standard.ksb(str(k)) is not None]
    ksb_select: Block = {"type": "multi_static_select", "action_id": "ksbs",
                         "placeholder": {"type": "plain_text", "text": ui("form_ksbs_placeholder")},
                         "option_groups": ksb_options(standard)}
    if picked:
        ksb_select["initial_options"] = [_option(k, standard.ksb(k).text)  # type: ignore[union-attr]
                                         for k in picked]
    hours: Block = {"type": "number_input", "action_id": "hours", "is_decimal_allowed": True,
                    "min_value": "0", "max_value": "24"}
    if prefill.get("hours") not in (None, ""):
        hours["initial_value"] = str(prefill["hours"])
    work_date = str(prefill.get("date") or (today or date.today()).isoformat())
    return {
        "type": "modal",
        "callback_id": REFLECT_CALLBACK,
        "private_metadata": json.dumps(metadata)[:3000],
        "title": {"type": "plain_text", "text": ui("form_title")},
        "submit": {"type": "plain_text", "text": ui("label_save")},
        "close": {"type": "plain_text", "text": ui("label_cancel")},
        "blocks": [
            {"type": "input", "block_id": "text", "label": {"type": "plain_text", "text": ui("form_text_label")},
             "element": text_input},
            {"type": "input", "block_id": "date", "label": {"type": "plain_text", "text": ui("form_date_label")},
             "element": {"type": "datepicker", "action_id": "date", "initial_date": work_date}},
            {"type": "input", "block_id": "hours", "optional": True,
             "label": {"type": "plain_text", "text": ui("form_hours_label")}, "element": hours},
            {"type": "input", "block_id": "ksbs", "optional": True,
             "label": {"type": "plain_text", "text": ui("form_ksbs_label")}, "element": ksb_select,
             "hint": {"type": "plain_text", "text": ui("form_ksbs_hint")}},
        ],
    }


def reflection_values(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted form as the REFLECT_SUBMIT payload: text, date, hours, ksbs."""
    values = view.get("state", {}).get("values", {})

    def field(block: str) -> dict[str, Any]:
        found = values.get(block, {}).get(block, {})
        return found if isinstance(found, dict) else {}

    payload: dict[str, Any] = {"text": str(field("text").get("value") or "").strip()}
    if field("date").get("selected_date"):
        payload["date"] = field("date")["selected_date"]
    hours = field("hours").get("value")
    if hours not in (None, ""):
        payload["hours"] = float(hours)
    picked = [str(o.get("value")) for o in field("ksbs").get("selected_options") or []]
    if picked:
        payload["ksbs"] = picked
    return payload


def seal(where: dict[str, str], *, owner: str, key: bytes) -> str:
    """A modal's `private_metadata`: where its answer goes, bound to who it was opened for and signed.

    Slack hands `private_metadata` back on submit; signing it means a forged or replayed
    view (another person's, or edited) cannot steer a saved reflection into a channel.
    """
    body = json.dumps({"where": where, "owner": owner}, sort_keys=True)
    mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    return json.dumps({"where": where, "owner": owner, "mac": mac})[:3000]


def unseal(raw: str, *, owner: str, key: bytes) -> dict[str, str]:
    """The `where` sealed for `owner`, or {} (the person's own DM) when it is missing, forged or theirs not."""
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("where"), dict) or data.get("owner") != owner:
        return {}
    body = json.dumps({"where": data["where"], "owner": owner}, sort_keys=True)
    expected = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(str(data.get("mac") or ""), expected):
        return {}
    return {str(k): str(v) for k, v in data["where"].items()}

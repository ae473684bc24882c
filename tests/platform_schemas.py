"""The platforms' own validators, in one place: what Slack and Teams would refuse, as error lines.

The published JSON schemas are vendored in `tests/data/schemas/` (source and
date in the README there), so checks run offline and a schema change is a
reviewed diff. The fakes call these on every payload they receive, so any card
or Block Kit message any test makes is checked, not only the ones a test names.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, Draft6Validator, Draft7Validator
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block, BlockElement
from slack_sdk.models.views import View

SCHEMAS = Path(__file__).resolve().parent / "data" / "schemas"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
_TEXT_OBJECTS = frozenset({"mrkdwn", "plain_text", "image", "rich_text_section", "rich_text_list",
                           "rich_text_preformatted", "rich_text_quote"})


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return loaded


@cache
def _card_validator() -> Draft6Validator:
    """Adaptive Card 1.5, with the Teams `msteams` property allowed on the card (Teams' documented extension)."""
    schema = copy.deepcopy(_load("adaptive-card-1.5.schema.json"))
    schema["definitions"]["AdaptiveCard"]["properties"]["msteams"] = {
        "type": "object", "properties": {"width": {"enum": ["Full"]}}}
    return Draft6Validator(schema)


@cache
def _teams_manifest_validator() -> Draft4Validator:
    return Draft4Validator(_load("teams-manifest-v1.22.schema.json"))


@cache
def _slack_manifest_validator() -> Draft7Validator:
    return Draft7Validator(_load("slack-manifest-1.0.0.schema.json"))


def _errors(validator: Draft4Validator | Draft6Validator | Draft7Validator, instance: Any) -> list[str]:
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message[:300]}"
            for e in validator.iter_errors(instance)]


def adaptive_card_errors(card: Any) -> list[str]:
    """What the Adaptive Card 1.5 schema says is wrong with a top-level card (empty: valid)."""
    errors = _errors(_card_validator(), card)
    if isinstance(card, dict) and card.get("type") != "AdaptiveCard":
        errors.append(f"(top): type is {card.get('type')!r}, not 'AdaptiveCard'")
    if isinstance(card, dict) and not card.get("version"):
        errors.append("(top): a top-level card must declare its version")
    return errors


def activity_card_errors(activity: Any) -> list[str]:
    """Every Adaptive Card attached to a Bot Framework activity (a message or an invoke answer)."""
    if not isinstance(activity, dict):
        return []
    cards = [a.get("content") for a in activity.get("attachments") or []
             if isinstance(a, dict) and a.get("contentType") == CARD_TYPE]
    if activity.get("type") == CARD_TYPE:  # an invoke response: {"statusCode", "type", "value"}
        cards.append(activity.get("value"))
    return [f"card {i}: {error}" for i, card in enumerate(cards) for error in adaptive_card_errors(card)]


def teams_manifest_errors(manifest: Any) -> list[str]:
    return _errors(_teams_manifest_validator(), manifest)


def slack_manifest_errors(manifest: Any) -> list[str]:
    return _errors(_slack_manifest_validator(), manifest)


def _block_errors(raw: Any) -> list[str]:
    try:
        parsed = Block.parse(raw)
        if parsed is None or type(parsed) is Block:
            return [f"unknown block type {raw.get('type') if isinstance(raw, dict) else raw!r}"]
        parsed.validate_json()
        for element in _elements(raw):
            part = BlockElement.parse(element)
            if part is None or type(part) is BlockElement:
                return [f"unknown element type {element.get('type')!r}"]
            part.validate_json()
    except (SlackObjectFormationError, KeyError, TypeError, ValueError) as exc:
        return [f"{raw.get('type') if isinstance(raw, dict) else '?'}: {exc}"]
    return []


def _elements(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """A block's interactive elements (buttons, selects, inputs), each validated on its own too."""
    found = [e for e in raw.get("elements") or [] if isinstance(e, dict) and e.get("type") not in _TEXT_OBJECTS]
    found += [raw[key] for key in ("accessory", "element") if isinstance(raw.get(key), dict)]
    return [e for e in found if e.get("type") != "image"]


def block_kit_errors(blocks: Any) -> list[str]:
    """slack_sdk's Block Kit validation of a message's blocks, block by block."""
    if blocks in (None, "", []):
        return []
    if not isinstance(blocks, list):
        return [f"blocks is {type(blocks).__name__}, not a list"]
    errors = [error for raw in blocks for error in _block_errors(raw)]
    ids = [str(b["block_id"]) for b in blocks if isinstance(b, dict) and b.get("block_id")]
    errors += [f"duplicate block_id {i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    return errors


def view_errors(view: Any) -> list[str]:
    """A modal or App Home view: the view itself and each of its blocks."""
    if not isinstance(view, dict):
        return [f"view is {type(view).__name__}, not an object"]
    errors = block_kit_errors(view.get("blocks"))
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError, ValueError) as exc:
        errors.append(f"view: {exc}")
    return errors

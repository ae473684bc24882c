"""The manifest, the Teams package and every card and Block Kit payload against the platforms' own schemas.

Schemas are the published ones, vendored in `tests/data/schemas/` (see its
README). Each check is also shown failing on a payload the platform would
refuse, so a schema that silently accepts everything can't pass for a check.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.adapters.slack.blocks import render_reply as slack_render_reply
from bot.adapters.slack.blocks import render_single, resolve_buttons
from bot.adapters.slack.views import home_view, reflection_modal
from bot.adapters.teams.adapter import card_message
from bot.adapters.teams.cards import note_card, reflection_form
from bot.adapters.teams.cards import render_reply as teams_render_reply
from bot.adapters.teams.package import package_bytes
from bot.messages import Action, Citation, Form, Reply
from bot.names import ActionId, IntentName
from knowledge.registry import Knowledge
from tests.conftest import make_settings
from tests.platform_schemas import (
    SCHEMAS,
    activity_card_errors,
    adaptive_card_errors,
    block_kit_errors,
    slack_manifest_errors,
    teams_manifest_errors,
    view_errors,
)

MANIFEST = Path(__file__).resolve().parents[1] / "bot" / "adapters" / "slack" / "manifest.yaml"
APP_ID = "6f0b1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"
NEWER_THAN_SCHEMA = ("agent_view",)  # Slack's agent experience (June 2026) is newer than the published schema


def test_the_vendored_schemas_are_there_with_their_sources() -> None:
    readme = (SCHEMAS / "README.md").read_text(encoding="utf-8")
    for name in ("slack-manifest-1.0.0.schema.json", "teams-manifest-v1.22.schema.json",
                 "adaptive-card-1.5.schema.json"):
        assert name in readme and json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def test_the_slack_manifest_passes_slacks_manifest_schema() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    checked = {**manifest, "features": {k: v for k, v in manifest["features"].items() if k not in NEWER_THAN_SCHEMA}}
    assert slack_manifest_errors(checked) == []
    # the agent view has the assistant view's published shape (a description and titled prompts)
    agent = manifest["features"]["agent_view"]
    assert slack_manifest_errors({**checked, "features": {**checked["features"], "assistant_view": {
        "assistant_description": agent.get("agent_description") or agent.get("assistant_description") or "x",
        "suggested_prompts": agent.get("suggested_prompts", [])}}}) == []


def test_the_slack_schema_refuses_what_slack_would() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    too_long = {**manifest, "display_information": {"name": "x" * 36}}
    assert any("display_information" in e for e in slack_manifest_errors(too_long))
    unknown = {**manifest, "features": {**manifest["features"], "not_a_feature": {}}}
    assert slack_manifest_errors(unknown)


def _teams_manifest(tmp_path: Path) -> dict[str, Any]:
    settings = make_settings(tmp_path, microsoft_app_id=APP_ID, microsoft_app_password="s3cret-Value-1",
                             teams_app_website="https://coach.example.org")
    with zipfile.ZipFile(io.BytesIO(package_bytes(settings))) as archive:
        loaded: dict[str, Any] = json.loads(archive.read("manifest.json"))
    return loaded


def test_the_teams_package_manifest_passes_the_v1_22_schema(tmp_path: Path) -> None:
    manifest = _teams_manifest(tmp_path)
    assert manifest["manifestVersion"] == "1.22"
    assert teams_manifest_errors(manifest) == []


def test_the_teams_schema_refuses_what_teams_would(tmp_path: Path) -> None:
    manifest = _teams_manifest(tmp_path)
    assert teams_manifest_errors({**manifest, "id": "not-a-guid"})
    assert teams_manifest_errors({**manifest, "name": {"short": "x" * 31, "full": "x"}})
    assert teams_manifest_errors({k: v for k, v in manifest.items() if k != "developer"})


def _replies() -> dict[str, Reply]:
    """One of each reply shape the coach makes: answers, reflections with tag buttons, the tag
    result, forms, clarifying buttons, team lists, prompts, long text and text with markup."""
    cited = [Citation("S24", "Monitor models in production.", duties=(3,)),
             Citation("K5", "How data drift arises.", duties=(2, 4))]
    tags = [Action(f"{verb} {k}", action, {"entry_id": 7, "ksb": k}, style=style)
            for k in ("S24", "K5", "B3")
            for verb, action, style in (("Confirm", ActionId.TAG_CONFIRM, "primary"),
                                        ("Remove", ActionId.TAG_REMOVE, "danger"))]
    return {
        "answer": Reply(text="**S24** asks you to monitor models.\n\n" + "More detail. " * 30, citations=cited,
                        followups=["How could I evidence S24?", "What counts for K5?"],
                        intent=IntentName.QUESTION,
                        actions=[Action("Save this as a reflection", ActionId.REFLECT_SAVE, {"text": "x"})]),
        "long answer": Reply(text="A paragraph of guidance. " * 600, citations=cited * 10,
                             intent=IntentName.QUESTION, followups=["Next?"]),
        "reflection": Reply(text="Saved entry #7 (2.5 h). I suggest S24, K5 and B3.", citations=cited,
                            actions=tags, intent=IntentName.REFLECT),
        "after a tag click": Reply(text="Confirmed S24 on your reflection #7.", citations=cited,
                                   actions=tags[2:], intent=IntentName.TAGS),
        "form": Reply(text="Tell me a bit more.", intent=IntentName.REFLECT,
                      form=Form(kind="reflection", prefill={"text": "x", "ksbs": ["S24"], "hours": 2})),
        "clarify": Reply(text="Did you mean a question or a reflection?", intent=IntentName.CLARIFY,
                         actions=[Action("A question", ActionId.ROUTE, {"intent": "question", "text": "x"}),
                                  Action("A reflection", ActionId.ROUTE, {"intent": "reflect", "text": "x"})]),
        "team": Reply(text="Your team (2):\n- Priya: 40%\n- Sam: 12%", intent=IntentName.MY_TEAM,
                      actions=[Action(f"Review pack for {n}", ActionId.REVIEW_PACK_FOR, {"apprentice_id": i})
                               for i, n in enumerate(["Priya", "Sam", "Ana", "Bo"], 1)]),
        "weekly prompt": Reply(text="What did you work on this week?", intent=IntentName.WEEKLY_PROMPT,
                               actions=[Action("Log a reflection", ActionId.REFLECT_OPEN, {}),
                                        Action("Snooze", ActionId.PROMPT_SNOOZE, {}),
                                        Action("Skip this week", ActionId.PROMPT_SKIP, {})]),
        "delete": Reply(text="Delete everything?", intent=IntentName.DELETE_DATA,
                        actions=[Action("Delete my data", ActionId.DATA_DELETE_CONFIRM, {}, style="danger")]),
        "markup": Reply(text="<b>x</b> **y** [z](http://e.org) =SUM(A1) <@U1> <!here> & # h", intent="note"),
    }


def test_every_adaptive_card_the_teams_adapter_makes_passes_the_1_5_schema(knowledge: Knowledge) -> None:
    cards = [c for reply in _replies().values() for c in teams_render_reply(reply)]
    cards.append(note_card("Working on it…"))
    form = Form(kind="reflection", prefill={"text": "did x", "ksbs": ["S24", "K5"], "hours": 2.5, "prompt": 3})
    cards.append(reflection_form(form, knowledge.standard, today=date(2026, 12, 3)))
    cards.append(reflection_form(Form(kind="reflection"), knowledge.standard, today=date(2026, 12, 3),
                                 notice="Fill in what you did."))
    assert len(cards) > 12
    for card in cards:
        assert adaptive_card_errors(card) == [], json.dumps(card)[:400]
        assert activity_card_errors(card_message(card).serialize()) == []


def test_the_card_schema_refuses_what_teams_would() -> None:
    good = note_card("hello")
    assert adaptive_card_errors(good) == []
    assert adaptive_card_errors({**good, "body": [{"type": "TextBlok", "text": "x"}]})
    assert adaptive_card_errors({**good, "actions": [{"type": "Action.Execute", "title": "x", "verb": 3}]})
    assert adaptive_card_errors({k: v for k, v in good.items() if k != "version"})
    assert adaptive_card_errors({**good, "msteams": {"width": "Half"}})


def test_every_block_kit_payload_the_slack_adapter_makes_passes_slack_sdk_validation(knowledge: Knowledge) -> None:
    replies = _replies()
    payloads: list[list[dict[str, Any]]] = []
    for reply in replies.values():
        payloads += [m.blocks for m in slack_render_reply(reply, feedback_id="Ev1")]
        single = render_single(reply).blocks
        payloads += [single, resolve_buttons(single, {"entry_id": 7, "ksb": "S24"}, "Confirmed S24")]
    assert len(payloads) > 20
    for blocks in payloads:
        assert block_kit_errors(blocks) == [], json.dumps(blocks)[:400]
    modal = reflection_modal(form=Form(kind="reflection", prefill={"text": "x", "ksbs": ["S24"], "hours": 2}),
                             standard=knowledge.standard, metadata={"channel": "D1"})
    home = home_view(title="KSB Coach", sections=[("Your evidence", replies["reflection"]),
                                                 ("Weekly reflection prompt", replies["weekly prompt"])],
                     footer="hi", picture="F0123")
    assert view_errors(modal) == [] and view_errors(home) == []


@pytest.mark.parametrize("bad", [
    [{"type": "section"}],
    [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
    [{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "x" * 76},
                                       "action_id": "a"}]}],
    [{"type": "divider", "block_id": "b~1"}, {"type": "divider", "block_id": "b~1"}],
])
def test_block_kit_validation_refuses_what_slack_would(bad: list[dict[str, Any]]) -> None:
    assert block_kit_errors(bad)

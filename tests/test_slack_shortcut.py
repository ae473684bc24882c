"""The "Save as reflection" message shortcut, through the real server and the fake Slack API."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlmodel import select

from bot.adapters.slack.shortcut import SAVE_AS_REFLECTION
from bot.names import ActionId
from storage import entries, people, tags
from storage.db import Database
from storage.models import AuditEvent
from tests.test_slack_support import TEAM, USER, SlackHarness, blocks_text, buttons

pytest_plugins = ["tests.test_slack_support"]

MANIFEST = Path(__file__).resolve().parents[1] / "bot" / "adapters" / "slack" / "manifest.yaml"
WRITTEN = ("Today I paired with Sam to set up Evidently dashboards that monitor data drift on our churn "
           "model in production, with an alert when the drift score passes a threshold.")


def shortcut(text: str, *, author: str = "U777", channel: str = "C42") -> dict[str, object]:
    """What Slack sends when USER picks "Save as reflection" on someone's message in a channel."""
    return {"type": "message_action", "callback_id": SAVE_AS_REFLECTION, "message_ts": "1700000900.000900",
            "channel": {"id": channel, "name": "ml-team"},
            "message": {"type": "message", "user": author, "ts": "1700000900.000900", "text": text},
            "response_url": "https://hooks.invalid/x"}


def test_the_manifest_declares_the_message_shortcut() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    [entry] = [s for s in manifest["features"]["shortcuts"] if s["callback_id"] == SAVE_AS_REFLECTION]
    assert entry["type"] == "message" and entry["name"] == "Save as reflection"
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]


async def test_a_message_becomes_my_reflection_with_its_link_and_tags(
        slack: SlackHarness, slack_database: Database) -> None:
    status, _ = await slack.interact(shortcut(WRITTEN))
    assert status == 200
    await slack.settle()
    [saved] = slack.posted()
    assert saved["channel"].startswith("D")  # the clicker's DM, not the channel the message was in
    link = "https://fake.slack.com/archives/C42/p1700000900000900"
    [asked] = slack.posted("chat.getPermalink")
    assert asked["channel"] == "C42" and asked["message_ts"] == "1700000900.000900"
    assert any(a in {ActionId.TAG_CONFIRM, ActionId.TAG_REMOVE} for _, a, _, _ in buttons(saved["blocks"]))
    with slack_database.session() as session:
        person = people.find_person(session, platform="slack", workspace_id=TEAM, user_id=USER)
        assert person is not None and person.id is not None  # saved as the clicker's, not the author's
        assert people.find_person(session, platform="slack", workspace_id=TEAM, user_id="U777") is None
        [entry] = entries.list_entries(session, person_id=person.id)
        assert entry.id is not None and entry.text.startswith("Today I paired with Sam")
        assert link in entry.text
        assert tags.tags_for(session, entry_ids=[entry.id])[entry.id]
        assert session.exec(select(AuditEvent).where(AuditEvent.actor_id == person.id)).all()
    assert "Evidently" in blocks_text(saved["blocks"])


async def test_a_message_without_text_saves_nothing_and_says_why(slack: SlackHarness, slack_database: Database) -> None:
    await slack.interact(shortcut(""))
    await slack.settle()
    [note] = slack.posted()
    assert note["channel"].startswith("D") and "no text" in note["text"]
    with slack_database.session() as session:
        person = people.find_person(session, platform="slack", workspace_id=TEAM, user_id=USER)
        assert person is None or not entries.list_entries(session, person_id=person.id or 0)

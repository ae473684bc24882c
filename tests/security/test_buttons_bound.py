"""Buttons bound to their person: a destructive or personal button clicked by someone else changes nothing."""

from __future__ import annotations

import json
from typing import Any

from bot.messages import Incoming
from bot.names import ActionId, IntentName
from knowledge.registry import Knowledge
from storage.db import SessionFactory
from tests.fakes.keyword_tagger import KeywordTagger
from tests.test_entry_changes import ALICE, BOB, count_entries
from tests.test_reflections import make_coach
from tests.test_slack_interactive import REFLECTION, as_message
from tests.test_slack_support import TEAM, SlackHarness, blocks_text, buttons, message_event
from tests.test_teams_endpoint import stored_entries
from tests.test_teams_support import TeamsHarness, card_actions

pytest_plugins = ["tests.test_teams_support", "tests.test_slack_support"]

NOT_YOURS = "isn't yours"


def clicked_by(user: str, *, value: str, channel: str, message: dict[str, Any] | None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions", "user": {"id": user, "team_id": TEAM}, "channel": {"id": channel},
        "container": {"type": "message", "channel_id": channel, "is_ephemeral": message is None},
        "response_url": "", "actions": [{"type": "button", "action_id": "ksb:0", "value": value}]}
    if message is not None:
        payload["message"] = message
    return payload


async def test_someone_elses_delete_button_erases_nothing_slack(slack: SlackHarness) -> None:
    intruder = "U666"
    await slack.event(message_event("reflect: " + REFLECTION, user=intruder, channel="D2",
                                    ts="1700000200.000200"))
    await slack.event(message_event("delete my data", ts="1700000300.000300"))
    await slack.settle()
    value, message = [(v, m) for m in slack.posted() for _, a, _, v in buttons(m["blocks"])
                      if a == ActionId.DATA_DELETE_CONFIRM][-1]
    slack.fake.calls.clear()
    respond = f"{slack.fake.url}/api/respond"
    payload = clicked_by(intruder, value=value, channel=message["channel"], message=as_message(message))
    payload["response_url"] = respond
    await slack.interact(payload)
    await slack.settle()
    said = json.dumps([c.params for c in slack.fake.calls])
    assert NOT_YOURS in said and "deleted everything" not in said


async def test_someone_elses_tag_button_is_refused_with_a_reason_slack(slack: SlackHarness) -> None:
    await slack.command("/reflect", REFLECTION)
    await slack.settle()
    [saved] = slack.posted()
    value = next(v for _, a, _, v in buttons(saved["blocks"]) if a == ActionId.TAG_CONFIRM)
    slack.fake.calls.clear()
    payload = clicked_by("U666", value=value, channel=saved["channel"], message=as_message(saved))
    payload["response_url"] = f"{slack.fake.url}/api/respond"
    await slack.interact(payload)
    await slack.settle()
    said = json.dumps([c.params for c in slack.fake.calls])
    assert NOT_YOURS in said
    assert "Confirmed" not in blocks_text([b for c in slack.fake.calls for b in c.params.get("blocks") or []
                                           if isinstance(b, dict)])


async def test_someone_elses_delete_button_erases_nothing_teams(teams: TeamsHarness) -> None:
    await teams.post(teams.activity("reflect: this week I trained a churn model and wrote up the evaluation"))
    await teams.post(teams.activity("reflect: I reviewed a colleague's feature pipeline for leakage",
                                    user_id="29:user2", aad_object_id="aad-2", conversation_id="conv2"))
    await teams.post(teams.activity("delete my data"))
    [confirm] = [a for a in card_actions(teams.cards()[-1]) if a["type"] == "Action.Execute"]
    invoke = teams.activity("", activity_type="invoke", user_id="29:user2", aad_object_id="aad-2",
                            conversation_id="19:chan@thread.tacv2;messageid=1", conversation_type="channel",
                            value={"action": {"type": "Action.Execute", "verb": confirm["verb"],
                                              "data": confirm["data"]}, "trigger": "manual"})
    status, body = await teams.post(invoke)
    assert status == 200 and NOT_YOURS in json.dumps(body)
    assert stored_entries(teams, "aad-2") and stored_entries(teams, "aad-1")


async def test_someone_elses_save_this_as_a_reflection_button_saves_nothing(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    """A previewed text's "Save" button, clicked by someone else, must not put those words in their log."""
    coach = make_coach(sessions, knowledge, KeywordTagger(knowledge))
    shown = await coach.handle(Incoming(user=ALICE, text="which KSBs does this entry show: I set up drift "
                                                         "dashboards and alerts for the pricing model"))
    [save] = [a for a in shown.actions if a.action == ActionId.REFLECT_SAVE]
    other = await coach.handle(Incoming(user=BOB, action=save.action, payload=dict(save.payload)))
    assert other.intent == IntentName.NOT_YOURS and count_entries(sessions, BOB) == 0
    own = await coach.handle(Incoming(user=ALICE, action=save.action, payload=dict(save.payload)))
    assert own.intent == "reflect" and count_entries(sessions, ALICE) == 1

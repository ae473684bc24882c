"""Private replies asked for in a shared channel never appear there, on either platform.

`Reply.private` decides it once; each adapter sends such a reply to the
person's 1:1 chat and leaves only a short note where they asked.
"""

from __future__ import annotations

import json

import pytest

from bot.adapters.slack.escape import escape
from bot.messages import Reply
from bot.names import IntentName
from bot.ui_text import ui
from tests.test_slack_support import BOT_USER, SlackHarness, blocks_text
from tests.test_teams_endpoint import mentioned
from tests.test_teams_support import TeamsHarness, card_text

pytest_plugins = ["tests.test_slack_support", "tests.test_teams_support"]

ASKED_IN_A_CHANNEL = (
    ("how am I doing?", "KSBs"),
    ("reflect: this week I set up drift alerts on the churn model and wrote the runbook", "your reflection"),
    ("export my data", "everything I hold"),
)


def test_privacy_is_decided_by_the_reply_itself() -> None:
    assert not Reply(text="S24 says…", intent=IntentName.LOOKUP).private
    assert Reply(text="You have covered…", intent=IntentName.PROGRESS).private
    assert Reply(text="Saved.", intent=IntentName.REFLECT).private
    assert Reply(text="Here is your data.", intent=IntentName.EXPORT_DATA).private


@pytest.mark.parametrize(("text", "shown"), ASKED_IN_A_CHANNEL)
async def test_slack_sends_private_replies_to_the_dm_with_a_note_in_the_thread(
        slack: SlackHarness, text: str, shown: str) -> None:
    ts = "1700000400.000400"
    event = {"type": "app_mention", "channel": "C9", "user": "U1", "ts": ts, "text": f"<@{BOT_USER}> {text}",
             "team": "T1"}
    assert await slack.event(event) == 200
    await slack.settle()
    in_channel = [p for p in slack.posted() if p["channel"] == "C9"]
    in_dm = [p for p in slack.posted() if p["channel"].startswith("D")]
    assert [(p["thread_ts"], p["text"]) for p in in_channel] == [(ts, escape(ui("slack_private_sent")))]
    assert in_dm and any(shown.lower() in blocks_text(p["blocks"]).lower() for p in in_dm)
    uploads = [c.params for c in slack.fake.calls_to("files.completeUploadExternal")]
    assert all(u.get("channel_id") != "C9" for u in uploads)


async def test_slack_answers_about_the_standard_stay_in_the_channel_thread(slack: SlackHarness) -> None:
    event = {"type": "app_mention", "channel": "C9", "user": "U1", "ts": "1700000500.000500",
             "text": f"<@{BOT_USER}> what counts for S24?", "team": "T1"}
    await slack.event(event)
    await slack.settle()
    [post] = slack.posted()
    assert post["channel"] == "C9" and "S24" in blocks_text(post["blocks"])


@pytest.mark.parametrize(("text", "shown"), ASKED_IN_A_CHANNEL)
async def test_teams_sends_private_replies_to_the_personal_chat(teams: TeamsHarness, text: str, shown: str) -> None:
    await teams.post(teams.activity("hello"))  # the 1:1 chat the bot can reach
    teams.fake.clear()
    channel = "19:chan@thread.tacv2;messageid=1900"
    await teams.post(mentioned(teams.activity(f"<at>KSB Coach</at> {text}", conversation_type="channel",
                                              conversation_id=channel)))
    await teams.settle()
    in_channel = [card_text(c) for c in teams.cards(channel)]
    assert len(in_channel) == 1 and json.dumps(ui("teams_private_sent"))[1:-1] in in_channel[0]
    personal = " ".join(card_text(c) for c in teams.cards("conv1")) + json.dumps(teams.messages("conv1"))
    assert shown.lower() in personal.lower()

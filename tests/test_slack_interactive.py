"""Slash commands, buttons, the reflection modal and App Home, through the real server."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlmodel import select

from bot.adapters.slack.blocks import FEEDBACK_BLOCK
from bot.adapters.slack.views import REFLECT_CALLBACK
from bot.names import ActionId
from storage import entries, people, tags
from storage.db import Database
from storage.models import AnswerFeedback, EntryTag
from tests.test_slack_support import (
    TEAM,
    USER,
    SlackHarness,
    blocks_text,
    buttons,
    message_event,
    visible_text,
)

pytest_plugins = ["tests.test_slack_support"]  # the `slack` and `fake_slack` fixtures

REFLECTION = ("This week I set up Evidently dashboards to monitor data drift and model drift on our "
              "churn model in production, and added alerts when the drift score passes a threshold.")


def my_tags(slack_database: Database) -> dict[str, str]:
    with slack_database.session() as session:
        person = people.find_person(session, platform="slack", workspace_id=TEAM, user_id=USER)
        assert person is not None and person.id is not None
        [entry] = entries.list_entries(session, person_id=person.id)
        assert entry.id is not None
        return {t.ksb_id: t.source for t in tags.tags_for(session, entry_ids=[entry.id])[entry.id]}


def as_message(post: dict[str, Any], ts: str = "1700000500.000500") -> dict[str, Any]:
    blocks = post["blocks"]
    return {"type": "message", "ts": ts, "text": post.get("text", ""), "user": "UBOT", "bot_id": "BBOT",
            "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks}


async def test_slash_ksb_answers_privately_in_place(slack: SlackHarness) -> None:
    status, body = await slack.command("/ksb", "S24")
    assert status == 200 and body == ""
    await slack.settle()
    [answer] = slack.posted("respond")
    assert answer["response_type"] == "ephemeral" and "*S24*" in blocks_text(answer["blocks"])
    assert slack.posted() == []  # nothing posted where others can see it


async def test_reflect_saves_the_entry_and_its_tag_buttons_change_its_tags(
        slack: SlackHarness, slack_database: Database) -> None:
    status, _ = await slack.command("/reflect", REFLECTION)
    assert status == 200
    await slack.settle()
    [saved] = slack.posted()
    assert saved["channel"].startswith("D")  # the user's own DM, not the channel it was typed in
    suggested = my_tags(slack_database)
    assert suggested and set(suggested.values()) == {"suggested"}
    choices = {(action, payload["ksb"]): value for _, action, payload, value in buttons(saved["blocks"])
               if action in {ActionId.TAG_CONFIRM, ActionId.TAG_REMOVE}}
    first, *rest = sorted(suggested)
    assert (ActionId.TAG_CONFIRM, first) in choices and (ActionId.TAG_REMOVE, first) in choices

    message = as_message(saved)
    await slack.click(choices[(ActionId.TAG_CONFIRM, first)], message=message, channel=saved["channel"])
    await slack.settle()
    assert my_tags(slack_database)[first] == "confirmed"
    [update] = slack.posted("chat.update")
    assert update["ts"] == message["ts"]
    left = {(a, p.get("ksb")) for _, a, p, _ in buttons(update["blocks"])}
    assert (ActionId.TAG_CONFIRM, first) not in left and (ActionId.TAG_REMOVE, first) not in left
    assert all((ActionId.TAG_CONFIRM, k) in left for k in rest)
    assert f"Confirmed {first}" in blocks_text(update["blocks"])

    if rest:
        await slack.click(choices[(ActionId.TAG_REMOVE, rest[0])], message=as_message(update), channel=saved["channel"])
        await slack.settle()
        assert my_tags(slack_database)[rest[0]] == "removed"


async def test_reflect_without_text_opens_the_form_and_saving_it_logs_the_entry(
        slack: SlackHarness, slack_database: Database) -> None:
    status, _ = await slack.command("/reflect")
    assert status == 200
    await slack.settle()
    [opened] = slack.posted("views.open")
    view = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    assert view["callback_id"] == REFLECT_CALLBACK and opened["trigger_id"].startswith("trig-")
    assert [b["block_id"] for b in view["blocks"]] == ["text", "date", "hours", "ksbs"]

    empty = submission(view, text="", day=date.today(), hours=None, ksbs=[])
    status, body = await slack.interact(empty)
    assert status == 200 and json.loads(body)["response_action"] == "errors"

    status, _ = await slack.interact(submission(view, text=REFLECTION, day=date.today(), hours="2.5",
                                                ksbs=["S24"]))
    assert status == 200
    await slack.settle()
    [saved] = slack.posted()
    assert saved["channel"].startswith("D") and "2.5 h" in blocks_text(saved["blocks"])
    assert my_tags(slack_database)["S24"] == "confirmed"


def submission(view: dict[str, Any], *, text: str, day: date, hours: str | None,
               ksbs: list[str]) -> dict[str, Any]:
    values = {"text": {"text": {"type": "plain_text_input", "value": text}},
              "date": {"date": {"type": "datepicker", "selected_date": day.isoformat()}},
              "hours": {"hours": {"type": "number_input", "value": hours}},
              "ksbs": {"ksbs": {"type": "multi_static_select",
                                "selected_options": [{"value": k} for k in ksbs]}}}
    return {"type": "view_submission",
            "view": {**view, "id": "V123", "state": {"values": values}}}


async def test_user_text_echoed_back_cannot_ping_or_link(slack: SlackHarness) -> None:
    """A reflection dated in the future is refused and echoed back: the echo must be inert."""
    status, _ = await slack.command("/reflect")
    await slack.settle()
    view = slack.posted("views.open")[0]["view"]
    view = json.loads(view) if isinstance(view, str) else view
    hostile = "<!channel> <!here> @everyone see <https://evil.example|our wiki> and <@U999> " + REFLECTION
    await slack.interact(submission(view, text=hostile, day=date.today() + timedelta(days=3), hours=None,
                                    ksbs=[]))
    await slack.settle()
    [echo] = slack.posted()
    shown = visible_text(echo["blocks"]) + echo["text"]
    for live in ("<!channel>", "<!here>", "<https://", "<@U999>", "@everyone"):
        assert live not in shown
    assert "&lt;!channel&gt;" in shown and "&lt;https://evil.example|our wiki&gt;" in shown


async def test_feedback_is_stored_and_the_vote_buttons_say_thanks(
        slack: SlackHarness, slack_database: Database) -> None:
    await slack.event(message_event("what counts for S24?"), event_id="EvFEEDBACK")
    await slack.settle()
    [answer] = slack.posted()
    [up] = [value for label, action, payload, value in buttons(answer["blocks"])
            if action == ActionId.FEEDBACK and payload["value"] == "up"]
    await slack.click(up, message=as_message(answer))
    await slack.settle()
    with slack_database.session() as session:
        [row] = session.exec(select(AnswerFeedback)).all()
    assert row.value == "up" and row.answer_id == "EvFEEDBACK" and row.cited_ids == ["S24"]
    [update] = slack.posted("chat.update")
    assert FEEDBACK_BLOCK not in blocks_text(update["blocks"]) and "*S24*" in blocks_text(update["blocks"])


async def test_a_follow_up_button_answers_in_the_same_thread(slack: SlackHarness) -> None:
    await slack.event(message_event("what counts for S24?", ts="1700000600.000600"))
    await slack.settle()
    [answer] = slack.posted()
    [follow] = [value for label, action, _, value in buttons(answer["blocks"])
                if action == ActionId.ASK and label == "How could I evidence S24?"]
    await slack.click(follow, message=as_message(answer, ts="1700000601.000601") | {
        "thread_ts": "1700000600.000600"})
    await slack.settle()
    second = slack.posted()[-1]
    assert len(slack.posted()) == 2 and second["thread_ts"] == "1700000600.000600"


def validated_view(published: dict[str, Any]) -> dict[str, Any]:
    """The published view, after slack_sdk's own Block Kit models parsed and validated every part."""
    view: dict[str, Any] = json.loads(published["view"]) if isinstance(published["view"], str) else published["view"]
    for raw in view["blocks"]:
        parsed = Block.parse(raw)
        assert parsed is not None and type(parsed) is not Block, raw["type"]  # a known block type
        parsed.validate_json()
    View(**view).validate_json()
    return view


async def test_app_home_shows_coverage_waiting_suggestions_latest_entries_and_a_log_button(
        slack: SlackHarness, slack_database: Database) -> None:
    await slack.command("/reflect", REFLECTION)
    await slack.settle()
    waiting = sorted(my_tags(slack_database))
    event = {"type": "app_home_opened", "user": USER, "channel": "D1", "tab": "home",
             "event_ts": "1700000700.000700"}
    assert await slack.event(event) == 200
    await slack.settle()
    [published] = slack.posted("views.publish")
    view = validated_view(published)
    assert published["user_id"] == USER and view["type"] == "home" and len(view["blocks"]) <= 100
    [image] = [b for b in view["blocks"] if b["type"] == "image"]
    [upload] = slack.posted("files.completeUploadExternal")
    files = json.loads(upload["files"]) if isinstance(upload["files"], str) else upload["files"]
    assert image["slack_file"]["id"] == files[0]["id"] and "channel_id" not in upload  # shared nowhere
    assert next(iter(slack.fake.uploads.values())).startswith(b"\x89PNG")
    shown = blocks_text(view["blocks"])
    assert "Suggestions waiting for you" in shown and "Weekly reflection prompt" in shown
    assert "Evidently dashboards" in shown  # the latest entry
    found = {(a, p.get("ksb")): v for _, a, p, v in buttons(view["blocks"])}
    assert all((ActionId.TAG_CONFIRM, k) in found and (ActionId.TAG_REMOVE, k) in found for k in waiting)
    assert (ActionId.REFLECT_OPEN, None) in found

    await slack.click(found[(ActionId.TAG_CONFIRM, waiting[0])], message=None,
                      container={"type": "view", "view_id": "V1"})
    await slack.settle()
    assert my_tags(slack_database)[waiting[0]] == "confirmed"
    again = validated_view(slack.posted("views.publish")[-1])
    left = {(a, p.get("ksb")) for _, a, p, _ in buttons(again["blocks"])}
    assert (ActionId.TAG_CONFIRM, waiting[0]) not in left
    assert len(slack.posted("files.completeUploadExternal")) == 2  # the picture changed: a new upload


async def test_app_home_buttons_say_which_entry_they_change(slack: SlackHarness) -> None:
    """Two entries suggesting the same KSBs: each button names its entry, as the waiting list does."""
    await slack.command("/reflect", REFLECTION)
    await slack.command("/reflect", "Also: " + REFLECTION)
    await slack.settle()
    await slack.event({"type": "app_home_opened", "user": USER, "channel": "D1", "tab": "home",
                       "event_ts": "1700000700.000700"})
    await slack.settle()
    view = validated_view(slack.posted("views.publish")[-1])
    tag_buttons = [(label, p) for label, a, p, _ in buttons(view["blocks"])
                   if a in (ActionId.TAG_CONFIRM, ActionId.TAG_REMOVE)]
    assert len({p["entry_id"] for _, p in tag_buttons}) == 2
    shared = {p["ksb"] for _, p in tag_buttons if p["entry_id"] == tag_buttons[0][1]["entry_id"]} & \
        {p["ksb"] for _, p in tag_buttons if p["entry_id"] != tag_buttons[0][1]["entry_id"]}
    assert shared  # the same KSB waits on both entries
    labels = [label for label, _ in tag_buttons]
    assert len(set(labels)) == len(labels)  # no two buttons look alike
    listed = "\n".join(b["text"]["text"] for b in view["blocks"] if b["type"] == "section")
    for label, payload in tag_buttons:
        assert label.endswith(f"#{payload['entry_id']}") and payload["ksb"] in label
        assert f"#{payload['entry_id']}" in listed  # the entry the label names is listed with its text


async def test_tag_rows_are_per_person(slack: SlackHarness, slack_database: Database) -> None:
    """Another user's click on my tag buttons changes nothing of mine."""
    await slack.command("/reflect", REFLECTION)
    await slack.settle()
    [saved] = slack.posted()
    before = my_tags(slack_database)
    [(value, ksb)] = [(v, p["ksb"]) for _, a, p, v in buttons(saved["blocks"]) if a == ActionId.TAG_CONFIRM][:1]
    payload = {"type": "block_actions", "user": {"id": "U666", "team_id": TEAM},
               "channel": {"id": saved["channel"]}, "message": as_message(saved),
               "container": {"type": "message", "channel_id": saved["channel"]},
               "actions": [{"type": "button", "action_id": "ksb:0", "value": value}]}
    await slack.interact(payload)
    await slack.settle()
    assert my_tags(slack_database) == before
    with slack_database.session() as session:
        assert session.exec(select(EntryTag).where(EntryTag.ksb_id == ksb)).one().source == "suggested"


async def test_slash_progress_shows_coverage_privately(slack: SlackHarness) -> None:
    status, _ = await slack.command("/progress")
    assert status == 200
    await slack.settle()
    [answer] = slack.posted("respond")
    assert answer["response_type"] == "ephemeral" and "65 KSBs" in visible_text(answer["blocks"])

"""Buttons bound to their person: a destructive or personal button clicked by someone else changes nothing."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlmodel import select

from bot.adapters.slack.blocks import decode_value, encode_value
from bot.adapters.teams.sender import TeamsSender
from bot.messages import Incoming
from bot.names import ActionId, IntentName
from bot.ownership import OWNER
from bot.scheduler.clock import FixedClock
from bot.scheduler.senders import RoutingSender
from bot.scheduler.tick import Scheduler
from knowledge.registry import Knowledge
from storage import audit, people
from storage.db import Database, SessionFactory
from storage.models import AuditEvent, Person
from tests.fakes.keyword_tagger import KeywordTagger
from tests.test_entry_changes import ALICE, BOB, count_entries
from tests.test_reflections import make_coach
from tests.test_schedule_support import add_person, setting, slack_scheduler, utc
from tests.test_slack_interactive import REFLECTION, as_message
from tests.test_slack_support import TEAM, USER, SlackHarness, blocks_text, buttons, message_event
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
    slack.fake.clear()
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
    slack.fake.clear()
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
    invoke = execute_teams(teams, confirm["verb"], confirm["data"], user_id="29:user2", aad_object_id="aad-2",
                           conversation_id="19:chan@thread.tacv2;messageid=1", conversation_type="channel")
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


PROMPT_DUE = utc(2026, 12, 4, 15, 1)  # a Friday, 15:01 in London: the default weekly prompt is due
CHANNEL_INVOKE = {"user_id": "29:user2", "aad_object_id": "aad-2",
                  "conversation_id": "19:chan@thread.tacv2;messageid=1", "conversation_type": "channel"}


def person_id(database: Database, user_id: str) -> int | None:
    with database.session() as session:
        found = session.exec(select(Person).where(Person.user_id == user_id)).first()
        return None if found is None else found.id


def skips(database: Database) -> list[AuditEvent]:
    with database.session() as session:
        return audit.events_by_action(session, action="prompt.skipped")


async def slack_click(slack: SlackHarness, user: str, value: str, message: dict[str, Any]) -> str:
    """`user` clicks a button of `message` in its channel; everything the bot then said, as JSON."""
    slack.fake.clear()
    payload = clicked_by(user, value=value, channel=message["channel"], message=as_message(message))
    payload["response_url"] = f"{slack.fake.url}/api/respond"
    await slack.interact(payload)
    await slack.settle()
    return json.dumps([c.params for c in slack.fake.calls])


async def test_someone_elses_weekly_prompt_buttons_change_nothing_slack(
        slack: SlackHarness, slack_database: Database, knowledge: Knowledge) -> None:
    """The scheduler's prompt carries its person: a Snooze or Skip clicked by anyone else snoozes nobody."""
    ada = add_person(slack_database.session, USER)
    report = await slack_scheduler(slack_database.session, knowledge, slack.fake, FixedClock(PROMPT_DUE)).tick()
    assert report.prompts.sent == 1
    [prompt] = [m for m in slack.posted() if any(a == ActionId.PROMPT_SNOOZE for _, a, _, _ in buttons(m["blocks"]))]
    value = {a: v for _, a, _, v in buttons(prompt["blocks"])}
    for action in (ActionId.PROMPT_SNOOZE, ActionId.PROMPT_SKIP):
        said = await slack_click(slack, "U666", value[action], prompt)
        assert NOT_YOURS in said and "Snoozed" not in said and "skipped" not in said
    intruder = person_id(slack_database, "U666")
    assert intruder is None or setting(slack_database.session, intruder) is None
    assert skips(slack_database) == []
    said = await slack_click(slack, USER, value[ActionId.PROMPT_SNOOZE], prompt)
    own = setting(slack_database.session, ada)
    assert "Snoozed" in said and own is not None and own.snoozed_until is not None


async def weekly_prompt_verbs_teams(teams: TeamsHarness, knowledge: Knowledge) -> dict[str, dict[str, Any]]:
    """The scheduler sends aad-1 her weekly prompt; its card's Action.Execute buttons by verb."""
    sender = TeamsSender(settings=teams.settings, database=teams.database)
    scheduler = Scheduler(sessions=teams.database.session, knowledge=knowledge, clock=FixedClock(PROMPT_DUE),
                          sender=RoutingSender({"teams": sender}))
    assert (await scheduler.tick()).prompts.sent == 1
    [prompt] = [c for c in teams.cards() if "Snooze" in json.dumps(c)]
    return {a["verb"]: a for a in card_actions(prompt) if a["type"] == "Action.Execute"}


def execute_teams(teams: TeamsHarness, action: str, data: dict[str, Any], **who: str) -> dict[str, Any]:
    """The invoke Teams sends when a card's Action.Execute button is clicked."""
    return teams.activity("", activity_type="invoke", **who, value={
        "action": {"type": "Action.Execute", "verb": action, "data": data}, "trigger": "manual"})


async def test_someone_elses_weekly_prompt_buttons_change_nothing_teams(
        teams: TeamsHarness, knowledge: Knowledge) -> None:
    await teams.post(teams.activity("hello"))  # aad-1 talks to the bot: enrolled, with a chat to prompt in
    verbs = await weekly_prompt_verbs_teams(teams, knowledge)

    def clicked(action: str, **who: str) -> dict[str, Any]:
        return execute_teams(teams, action, verbs[action]["data"], **who)

    for action in (ActionId.PROMPT_SNOOZE, ActionId.PROMPT_SKIP):
        status, body = await teams.post(clicked(action, **CHANNEL_INVOKE))
        assert status == 200 and NOT_YOURS in json.dumps(body) and "Snoozed" not in json.dumps(body)
    intruder = person_id(teams.database, "aad-2")
    assert intruder is None or setting(teams.database.session, intruder) is None
    assert skips(teams.database) == []
    _, body = await teams.post(clicked(ActionId.PROMPT_SNOOZE))
    own = setting(teams.database.session, person_id(teams.database, "aad-1") or 0)
    assert "Snoozed" in json.dumps(body) and own is not None and own.snoozed_until is not None


def managed_team(database: Database, *, platform: str, manager: str, co_manager: str) -> None:
    """An apprentice with two managers: each may see her pack, but only through their own buttons."""
    workspace = "T1" if platform == "slack" else "tenant-1"
    with database.session() as session:
        found = [people.ensure_person(session, platform=platform, workspace_id=workspace, user_id=user,
                                      display_name=name, standard_ref="ST1398", today=date(2026, 9, 1))
                 for user, name in ((manager, "Mo"), (co_manager, "Cy"), ("U-PRIYA", "Priya"))]
        session.commit()
        *managers, priya = [p.id for p in found if p.id is not None]
        for manager_id in managers:
            people.set_role(session, person_id=manager_id, role="manager")
            people.link(session, manager_id=manager_id, apprentice_id=priya)
        session.commit()


async def review_pack_button_slack(slack: SlackHarness, slack_database: Database) -> tuple[str, dict[str, Any]]:
    """Mo's "my team" reply, and the value of its Review pack button for Priya."""
    managed_team(slack_database, platform="slack", manager="UMO", co_manager="UCY")
    await slack.event(message_event("my team", user="UMO", channel="D7"))
    await slack.settle()
    [(value, message)] = [(v, m) for m in slack.posted() for _, a, _, v in buttons(m["blocks"])
                          if a == ActionId.REVIEW_PACK_FOR]
    return value, message


async def test_someone_elses_review_pack_button_sends_no_pack_slack(
        slack: SlackHarness, slack_database: Database) -> None:
    value, message = await review_pack_button_slack(slack, slack_database)
    said = await slack_click(slack, "UCY", value, message)
    assert NOT_YOURS in said and slack.fake.uploads == {}
    said = await slack_click(slack, "UMO", value, message)
    assert NOT_YOURS not in said and len(slack.fake.uploads) == 1  # her manager's own click still works


async def test_someone_elses_review_pack_button_sends_no_pack_teams(teams: TeamsHarness) -> None:
    managed_team(teams.database, platform="teams", manager="aad-1", co_manager="aad-2")
    await teams.post(teams.activity("my team"))
    [button] = [a for c in teams.cards() for a in card_actions(c) if "Review pack" in a.get("title", "")]
    before = len(teams.messages())
    await teams.post(teams.activity("", value=button["data"], **CHANNEL_INVOKE))
    await teams.settle()
    said = json.dumps(teams.messages()[before:])
    assert NOT_YOURS in said and "file.consent" not in said
    before = len(teams.messages())
    await teams.post(teams.activity("", value=button["data"]))
    await teams.settle()
    said = json.dumps(teams.messages()[before:])
    assert NOT_YOURS not in said and "file.consent" in said


def sent_unbound_slack(value: str) -> str:
    """The same button as it was sent before Snooze, Skip and the review pack were bound: no owner."""
    action, payload = decode_value(value)
    assert payload.pop(OWNER)  # today's button carries one: taking it away makes yesterday's
    return encode_value(action, payload) or ""


def sent_unbound_teams(data: dict[str, Any]) -> dict[str, Any]:
    button: dict[str, Any] = json.loads(json.dumps(data))
    assert button["ksb"]["p"].pop(OWNER)
    return button


async def test_a_weekly_prompt_sent_before_binding_acts_for_whoever_clicks_it_slack(
        slack: SlackHarness, slack_database: Database, knowledge: Knowledge) -> None:
    """Its Snooze and Skip carry no owner: each clicker snoozes or skips only their own prompts."""
    ada = add_person(slack_database.session, USER)
    await slack_scheduler(slack_database.session, knowledge, slack.fake, FixedClock(PROMPT_DUE)).tick()
    [prompt] = [m for m in slack.posted() if any(a == ActionId.PROMPT_SNOOZE for _, a, _, _ in buttons(m["blocks"]))]
    value = {a: v for _, a, _, v in buttons(prompt["blocks"])}
    old = {action: sent_unbound_slack(value[action]) for action in (ActionId.PROMPT_SNOOZE, ActionId.PROMPT_SKIP)}
    said = await slack_click(slack, USER, old[ActionId.PROMPT_SKIP], prompt)
    assert NOT_YOURS not in said and "skipped" in said
    assert [e.actor_id for e in skips(slack_database)] == [ada]
    said = await slack_click(slack, "U666", old[ActionId.PROMPT_SNOOZE], prompt)
    assert NOT_YOURS not in said and "Snoozed" in said
    intruder, own = person_id(slack_database, "U666"), setting(slack_database.session, ada)
    snoozed = setting(slack_database.session, intruder or 0)
    assert snoozed is not None and snoozed.snoozed_until is not None  # the clicker's own prompt
    assert own is None or own.snoozed_until is None  # not the person it was sent to
    said = await slack_click(slack, "U666", value[ActionId.PROMPT_SKIP], prompt)  # today's: still bound
    assert NOT_YOURS in said and len(skips(slack_database)) == 1


async def test_a_weekly_prompt_sent_before_binding_acts_for_whoever_clicks_it_teams(
        teams: TeamsHarness, knowledge: Knowledge) -> None:
    await teams.post(teams.activity("hello"))
    verbs = await weekly_prompt_verbs_teams(teams, knowledge)

    def clicked(action: str, data: dict[str, Any], **who: str) -> dict[str, Any]:
        return execute_teams(teams, action, data, **who)

    old = {action: sent_unbound_teams(verbs[action]["data"])
           for action in (ActionId.PROMPT_SNOOZE, ActionId.PROMPT_SKIP)}
    _, body = await teams.post(clicked(ActionId.PROMPT_SKIP, old[ActionId.PROMPT_SKIP]))
    ada = person_id(teams.database, "aad-1")
    assert NOT_YOURS not in json.dumps(body) and "skipped" in json.dumps(body)
    assert [e.actor_id for e in skips(teams.database)] == [ada]
    await teams.post(teams.activity("hello", user_id="29:user2", aad_object_id="aad-2", conversation_id="conv2"))
    _, body = await teams.post(clicked(ActionId.PROMPT_SNOOZE, old[ActionId.PROMPT_SNOOZE], **CHANNEL_INVOKE))
    await teams.settle()
    assert NOT_YOURS not in json.dumps(body) and "Snoozed" in json.dumps(teams.cards("conv2"))  # sent privately
    snoozed = setting(teams.database.session, person_id(teams.database, "aad-2") or 0)
    own = setting(teams.database.session, ada or 0)
    assert snoozed is not None and snoozed.snoozed_until is not None
    assert own is None or own.snoozed_until is None
    _, body = await teams.post(clicked(ActionId.PROMPT_SKIP, verbs[ActionId.PROMPT_SKIP]["data"],
                                            **CHANNEL_INVOKE))
    assert NOT_YOURS in json.dumps(body) and len(skips(teams.database)) == 1


async def test_a_review_pack_button_sent_before_binding_gives_each_clicker_only_what_they_may_see_slack(
        slack: SlackHarness, slack_database: Database) -> None:
    value, message = await review_pack_button_slack(slack, slack_database)
    old = sent_unbound_slack(value)
    said = await slack_click(slack, "U666", old, message)  # no manager of hers: her pack is not theirs to see
    assert NOT_YOURS not in said and slack.fake.uploads == {}
    said = await slack_click(slack, "UMO", old, message)
    assert NOT_YOURS not in said and len(slack.fake.uploads) == 1
    said = await slack_click(slack, "UCY", value, message)  # today's button, someone else's: still refused
    assert NOT_YOURS in said and len(slack.fake.uploads) == 1


async def test_a_review_pack_button_sent_before_binding_gives_each_clicker_only_what_they_may_see_teams(
        teams: TeamsHarness) -> None:
    managed_team(teams.database, platform="teams", manager="aad-1", co_manager="aad-2")
    await teams.post(teams.activity("my team"))
    [button] = [a for c in teams.cards() for a in card_actions(c) if "Review pack" in a.get("title", "")]
    old = sent_unbound_teams(button["data"])

    async def click(data: dict[str, Any], **who: str) -> str:
        before = len(teams.messages())
        await teams.post(teams.activity("", value=data, **who))
        await teams.settle()
        return json.dumps(teams.messages()[before:])

    stranger = {"user_id": "29:user3", "aad_object_id": "aad-3", "conversation_id": "conv3"}
    said = await click(old, **stranger)
    assert NOT_YOURS not in said and "file.consent" not in said
    said = await click(old)
    assert NOT_YOURS not in said and "file.consent" in said
    said = await click(button["data"], **CHANNEL_INVOKE)
    assert NOT_YOURS in said and "file.consent" not in said


async def test_an_ownerless_save_or_delete_button_is_still_refused(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    """Only Snooze, Skip and the review pack were sent unbound before: an ownerless Save would put someone
    else's pasted words in the clicker's log, an ownerless delete erase the clicker's data from a channel."""
    coach = make_coach(sessions, knowledge, KeywordTagger(knowledge))
    shown = await coach.handle(Incoming(user=ALICE, text="which KSBs does this entry show: I set up drift "
                                                         "dashboards and alerts for the pricing model"))
    [save] = [a for a in shown.actions if a.action == ActionId.REFLECT_SAVE]
    stripped = {k: v for k, v in save.payload.items() if k != OWNER}
    other = await coach.handle(Incoming(user=BOB, action=save.action, payload=stripped))
    assert other.intent == IntentName.NOT_YOURS and count_entries(sessions, BOB) == 0
    erase = await coach.handle(Incoming(user=BOB, action=ActionId.DATA_DELETE_CONFIRM, payload={}))
    assert erase.intent == IntentName.NOT_YOURS

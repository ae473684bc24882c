"""Proactive Teams messages: references kept in the database, reached after a restart, skipped when gone."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from bot.adapters.teams.sender import TeamsSender
from bot.messages import Action, Reply, UserRef
from bot.names import ActionId
from bot.ports import Address, Picture
from bot.search.retrieval import HybridRetriever
from bot.wiring import make_coach
from tests.conftest import make_settings
from tests.fakes import FakeBotConnector
from tests.test_teams_support import (
    TeamsHarness,
    card_text,
    start,
)

pytest_plugins = ["tests.test_teams_support"]  # the `teams` and `fake_connector` fixtures

ME = UserRef(platform="teams", workspace_id="tenant-1", user_id="aad-1")


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "#1F6F5C").save(buffer, format="PNG")
    return buffer.getvalue()


def prompt() -> Reply:
    return Reply(text="Time for this week's reflection: what did you do for **S24**?",
                 actions=[Action("Skip", ActionId.PROMPT_SKIP, {"week": "2025-W10"})])


async def test_a_proactive_message_reaches_a_stored_conversation_after_a_restart(
        tmp_path: Path, retriever: HybridRetriever, fake_connector: FakeBotConnector) -> None:
    settings = make_settings(tmp_path, teams_dev_unauthenticated=True)
    first = await start(settings, make_coach(settings, retriever=retriever), fake_connector)
    await first.post(first.activity("hello"))
    await first.close()
    fake_connector.clear()

    second = await start(settings, make_coach(settings, retriever=retriever), fake_connector)  # same database
    sender = TeamsSender(settings=settings, database=second.database)
    try:
        assert await sender.send(to=ME, reply=prompt())
        [card] = second.cards("conv1")
        assert "this week's reflection" in card_text(card) and "Skip" in card_text(card)
        assert fake_connector.calls_named("send_to_conversation")  # a new message, not a reply to an old one
    finally:
        await sender.close()
        await second.close()


async def test_a_picture_follows_the_message_inline(teams: TeamsHarness) -> None:
    await teams.post(teams.activity("hello"))
    teams.fake.clear()
    sender = TeamsSender(settings=teams.settings, database=teams.database)
    try:
        picture = Picture(png(), "coverage.png", "Coverage this week", "Bar chart of KSB coverage")
        assert await sender.send(to=Address(1, "teams", "tenant-1", "aad-1"), reply=prompt(), picture=picture)
    finally:
        await sender.close()
    image = teams.messages("conv1")[-1]
    [attachment] = image["attachments"]
    assert attachment["contentType"] == "image/png" and attachment["name"] == "coverage.png"
    assert attachment["contentUrl"].startswith("data:image/png;base64,")


async def test_installing_stores_the_reference_and_says_hello(teams: TeamsHarness) -> None:
    update = teams.activity("", activity_type="conversationUpdate", conversation_id="a:new-chat")
    update["membersAdded"] = [{"id": "28:bot"}]
    await teams.post(update)
    assert "KSB Coach" in card_text(teams.cards("a:new-chat")[0])
    sender = TeamsSender(settings=teams.settings, database=teams.database)
    try:
        assert await sender.send(to=ME, reply=prompt())
        assert teams.cards("a:new-chat")[-1] != teams.cards("a:new-chat")[0]
    finally:
        await sender.close()


async def test_an_uninstalled_person_is_skipped(teams: TeamsHarness) -> None:
    await teams.post(teams.activity("hello"))
    removal = teams.activity("", activity_type="installationUpdate")
    removal["action"] = "remove"
    await teams.post(removal)
    teams.fake.clear()
    sender = TeamsSender(settings=teams.settings, database=teams.database)
    try:
        assert not await sender.send(to=ME, reply=prompt())
        assert teams.fake.calls == []
        await teams.post(teams.activity("I'm back"))  # talking again makes them reachable again
        assert await sender.send(to=ME, reply=prompt())
    finally:
        await sender.close()


async def test_channel_conversations_are_never_a_persons_reference(teams: TeamsHarness) -> None:
    await teams.post(teams.activity("what counts for S1?", conversation_type="channel",
                                    conversation_id="19:chan@thread.tacv2"))
    sender = TeamsSender(settings=teams.settings, database=teams.database)
    try:
        assert not await sender.send(to=ME, reply=prompt())
    finally:
        await sender.close()


async def test_rate_limits_are_waited_out_and_a_blocked_bot_is_retired(teams: TeamsHarness) -> None:
    await teams.post(teams.activity("hello"))
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    sender = TeamsSender(settings=teams.settings, database=teams.database, sleep=sleep)
    try:
        teams.fake.rate_limit("send_to_conversation", times=2, retry_after=3)
        assert await sender.send(to=ME, reply=prompt())
        assert waits == [3.0, 3.0]
        teams.fake.fail("send_to_conversation", status=403, code="ConversationBlockedByUser")
        assert not await sender.send(to=ME, reply=prompt())
        teams.fake.clear()
        assert not await sender.send(to=ME, reply=prompt())  # retired: not even tried
        assert teams.fake.calls == []
    finally:
        await sender.close()

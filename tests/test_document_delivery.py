"""Portfolio and review packs reach the person as PDF files in their own 1:1 chat, on Slack
(an upload into the DM) and on Teams (file consent, then the bytes made again for whoever
accepts, from the reply's own recipe)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.teams.file_consent import CONSENT_TYPE, remake
from bot.messages import Incoming, Reply, UserRef
from bot.names import ActionId
from tests.test_slack_support import SlackHarness, message_event
from tests.test_teams_exports import FakeOneDrive, accept, attachments
from tests.test_teams_support import TeamsHarness

pytest_plugins = ["tests.test_slack_support", "tests.test_teams_support"]


@pytest.fixture
async def onedrive() -> AsyncIterator[FakeOneDrive]:
    async with FakeOneDrive() as fake:
        yield fake


async def test_slack_uploads_the_portfolio_pdf_into_the_dm(slack: SlackHarness) -> None:
    assert await slack.event(message_event("export my portfolio")) == 200
    await slack.settle()
    fake = slack.fake
    [complete] = fake.calls_to("files.completeUploadExternal")
    [opened] = fake.calls_to("conversations.open")  # the person's own DM, not where they asked
    assert str(complete.params.get("channel_id")).startswith("D") and opened.params["users"]
    [data] = fake.uploads.values()
    assert data.startswith(b"%PDF-")


async def test_teams_offers_the_pdf_and_uploads_it_on_accept(teams: TeamsHarness,
                                                             onedrive: FakeOneDrive) -> None:
    await teams.post(teams.activity("export my portfolio"))
    [offer] = attachments(teams, CONSENT_TYPE, "conv1")
    assert offer["name"].endswith(".pdf") and offer["content"]["sizeInBytes"] > 1000
    assert offer["content"]["acceptContext"] == {"intent": "portfolio", "text": "export my portfolio",
                                                 "for": "teams:aad-1"}  # only its person may accept it
    status, _ = await teams.post(accept(teams, offer, onedrive.url + "/upload/s1"))
    assert status == 200
    [put] = onedrive.calls_named("upload")
    assert put.raw.startswith(b"%PDF-")


def test_a_managers_pack_is_remade_from_its_recipe_not_the_managers_words() -> None:
    user = UserRef(platform="teams", workspace_id="t", user_id="u")
    redo = {"action": ActionId.REVIEW_PACK_FOR.value, "payload": {"apprentice_id": 7}}
    reply = Reply(text="", intent="review_pack",
                  metadata={"export": {"filename": "r.pdf", "content": b"%PDF-", "redo": redo}})
    assert remake(reply, Incoming(user=user, text="my team")) == {
        "intent": "review.pack", "text": "", "payload": {"apprentice_id": 7}}
    plain = Reply(text="", intent="portfolio", metadata={"export": {"content": "x"}})
    assert remake(plain, Incoming(user=user, text="export my portfolio")) == {
        "intent": "portfolio", "text": "export my portfolio"}

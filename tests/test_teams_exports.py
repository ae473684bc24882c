"""Data rights on Teams: exports as a file in the 1:1 chat (never in a channel), and deletion."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from bot.adapters.teams.file_consent import CONSENT_TYPE, INFO_TYPE
from bot.adapters.teams.sender import TeamsSender
from bot.messages import Reply, UserRef
from tests.fakes.base import FakeServer
from tests.test_teams_support import TeamsHarness, card_actions

pytest_plugins = ["tests.test_teams_support"]  # the `teams` and `fake_connector` fixtures


class FakeOneDrive(FakeServer):
    """The upload session Teams opens in the user's OneDrive when they accept a file."""

    def setup_routes(self, app: web.Application) -> None:
        app.router.add_put("/upload/{session}", self._put, name="upload")

    async def _put(self, request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"id": "file-1"}, status=201)


@pytest.fixture
async def onedrive() -> AsyncIterator[FakeOneDrive]:
    async with FakeOneDrive() as fake:
        yield fake


def attachments(harness: TeamsHarness, content_type: str, conversation_id: str | None = None) -> list[dict[str, Any]]:
    return [a for m in harness.messages(conversation_id) for a in m.get("attachments") or []
            if a.get("contentType") == content_type]


def accept(harness: TeamsHarness, offer: dict[str, Any], upload_url: str) -> dict[str, Any]:
    invoke = harness.activity("", activity_type="invoke", value={
        "type": "fileUpload", "action": "accept", "context": offer["content"]["acceptContext"],
        "uploadInfo": {"name": offer["name"], "uploadUrl": upload_url, "contentUrl": "https://onedrive.example/f",
                       "uniqueId": "unique-1", "fileType": "json"}})
    invoke["name"] = "fileConsent/invoke"
    return invoke


async def test_export_is_offered_as_a_file_and_uploaded_on_accept(teams: TeamsHarness,
                                                                  onedrive: FakeOneDrive) -> None:
    await teams.post(teams.activity("reflect: this week I built a drift dashboard with Evidently for our model"))
    await teams.settle()  # under load the reflection's reply (which quotes it) may come late, proactively
    before = len(teams.fake.activities())
    await teams.post(teams.activity("export my data"))
    await teams.settle()
    [offer] = attachments(teams, CONSENT_TYPE, "conv1")
    assert offer["name"].endswith(".json") and offer["content"]["sizeInBytes"] > 0
    assert offer["name"] in offer["content"]["description"]  # the offer names the file it saves
    assert "drift dashboard" not in json.dumps(teams.fake.activities()[before:])  # the data never went out inline
    status, _ = await teams.post(accept(teams, offer, onedrive.url + "/upload/s1"))
    assert status == 200
    [put] = onedrive.calls_named("upload")
    size = len(put.raw)
    assert b"drift dashboard" in put.raw and put.headers["Content-Range"] == f"bytes 0-{size - 1}/{size}"
    [info] = attachments(teams, INFO_TYPE, "conv1")
    assert info["content"]["uniqueId"] == "unique-1" and info["contentUrl"] == "https://onedrive.example/f"


async def test_export_asked_in_a_channel_is_offered_in_the_personal_chat(teams: TeamsHarness) -> None:
    await teams.post(teams.activity("hello"))
    channel = "19:chan@thread.tacv2;messageid=1900"
    await teams.post(teams.activity("<at>KSB Coach</at> export my data", conversation_type="channel",
                                    conversation_id=channel))
    await teams.settle()
    assert not attachments(teams, CONSENT_TYPE, channel)
    assert attachments(teams, CONSENT_TYPE, "conv1")


async def test_a_declined_file_gets_a_short_answer(teams: TeamsHarness) -> None:
    decline = teams.activity("", activity_type="invoke", value={"type": "fileUpload", "action": "decline",
                                                               "context": {"intent": "export_data"}})
    decline["name"] = "fileConsent/invoke"
    status, _ = await teams.post(decline)
    assert status == 200 and "no file" in json.dumps(teams.cards())


async def test_delete_my_data_asks_then_erases_everything_including_the_reference(teams: TeamsHarness) -> None:
    await teams.post(teams.activity("reflect: this week I trained a churn model and wrote up the evaluation"))
    await teams.post(teams.activity("delete my data"))
    [confirm] = [a for a in card_actions(teams.cards()[-1]) if a["type"] == "Action.Execute"]
    assert confirm["style"] == "destructive"
    invoke = teams.activity("", activity_type="invoke", value={
        "action": {"type": "Action.Execute", "verb": confirm["verb"], "data": confirm["data"]}, "trigger": "manual"})
    status, body = await teams.post(invoke)
    assert status == 200 and "deleted everything" in json.dumps(body["value"])
    sender = TeamsSender(settings=teams.settings, database=teams.database)
    try:
        me = UserRef(platform="teams", workspace_id="tenant-1", user_id="aad-1")
        assert not await sender.send(to=me, reply=Reply(text="Weekly prompt"))
    finally:
        await sender.close()

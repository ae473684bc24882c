"""Nothing mounted that is not configured: the Teams endpoint, where it calls out to, what it accepts."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.search.retrieval import HybridRetriever
from bot.wiring import make_coach
from tests.conftest import make_settings
from tests.fakes import FakeBotConnector
from tests.test_teams_endpoint import stored_entries
from tests.test_teams_exports import FakeOneDrive
from tests.test_teams_support import TeamsHarness, card_actions, start

pytest_plugins = ["tests.test_teams_support"]  # the `teams` and `fake_connector` fixtures


def public_address() -> str:
    """This machine's non-loopback IPv4 address (the route a packet to the outside would take)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.200", 9))
            address = str(probe.getsockname()[0])
        except OSError:
            address = ""
    if not address or address.startswith("127."):
        pytest.skip("no non-loopback address on this machine")
    return address


@pytest.fixture
async def outsider_connector() -> AsyncIterator[FakeBotConnector]:
    """A connector on a non-loopback address: where an attacker's serviceUrl would point."""
    async with FakeBotConnector(host=public_address()) as fake:
        yield fake


async def test_a_deployment_without_teams_has_no_teams_endpoint(tmp_path: Path, retriever: HybridRetriever,
                                                                fake_connector: FakeBotConnector) -> None:
    settings = make_settings(tmp_path)  # no MICROSOFT_APP_ID, no development flag
    harness = await start(settings, make_coach(settings, retriever=retriever), fake_connector)
    try:
        status, _ = await harness.post(harness.activity("reflect: I built a drift monitor for our churn model"))
        assert status == 404
        assert fake_connector.calls == []
    finally:
        await harness.close()


def test_the_unauthenticated_development_flag_refuses_a_public_host(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="TEAMS_DEV_UNAUTHENTICATED"):
        make_settings(tmp_path, teams_dev_unauthenticated=True, host="0.0.0.0")
    assert make_settings(tmp_path, teams_dev_unauthenticated=True, host="127.0.0.1").teams_dev_unauthenticated


async def test_replies_never_go_to_a_service_url_outside_the_allowed_hosts(
        teams: TeamsHarness, outsider_connector: FakeBotConnector) -> None:
    activity = teams.activity("what counts for S24?")
    activity["serviceUrl"] = outsider_connector.url
    status, _ = await teams.post(activity)
    await teams.settle()
    assert status in {400, 403}
    assert outsider_connector.calls == []


async def test_an_export_is_never_uploaded_over_plain_http_to_a_public_host(teams: TeamsHarness) -> None:
    async with FakeOneDrive(host=public_address()) as onedrive:
        await teams.post(teams.activity("reflect: this week I built a drift dashboard with Evidently for our model"))
        await teams.post(teams.activity("export my data"))
        [offer] = [a for m in teams.messages("conv1") for a in m.get("attachments") or []
                   if a.get("contentType") == "application/vnd.microsoft.teams.card.file.consent"]
        invoke = teams.activity("", activity_type="invoke", value={
            "type": "fileUpload", "action": "accept", "context": offer["content"]["acceptContext"],
            "uploadInfo": {"name": offer["name"], "uploadUrl": onedrive.url + "/upload/s1",
                           "contentUrl": "https://onedrive.example/f", "uniqueId": "u-1", "fileType": "json"}})
        invoke["name"] = "fileConsent/invoke"
        await teams.post(invoke)
        assert onedrive.calls == []


async def test_a_file_consent_answer_cannot_run_an_action_that_is_not_an_export(teams: TeamsHarness) -> None:
    await teams.post(teams.activity("reflect: this week I trained a churn model and wrote up the evaluation"))
    await teams.post(teams.activity("delete my data"))
    [confirm] = [a for a in card_actions(teams.cards()[-1]) if a["type"] == "Action.Execute"]
    forged = teams.activity("", activity_type="invoke", value={
        "type": "fileUpload", "action": "accept", "context": {"intent": confirm["verb"]},
        "uploadInfo": {"name": "x.json", "uploadUrl": "https://onedrive.example/upload/s1",
                       "contentUrl": "https://onedrive.example/f", "uniqueId": "u-1", "fileType": "json"}})
    forged["name"] = "fileConsent/invoke"
    await teams.post(forged)
    await teams.post(teams.activity("how am I doing?"))
    assert "deleted everything" not in json.dumps(teams.cards())
    assert any("churn model" in text for text in stored_entries(teams))


async def test_unknown_actions_do_not_become_metric_labels(teams: TeamsHarness) -> None:
    for n in range(5):
        await teams.post(teams.activity("", value={"ksb": {"a": f"made-up-{n}", "p": {}}}))
    await teams.settle()
    async with aiohttp.ClientSession() as http, http.get(teams.base + "/metrics") as response:
        exposition = await response.text()
    assert "made-up-" not in exposition
    assert 'intent="other"' in exposition

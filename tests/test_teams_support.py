"""The Teams test harness (the real server on 127.0.0.1, the fake connector), plus card and text checks."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.adapters.teams.adapter import card_message
from bot.adapters.teams.app import ADAPTER_KEY, TeamsAdapter
from bot.adapters.teams.cards import CARD_TYPE, decode_submit, note_card, reflection_form, render_reply
from bot.adapters.teams.text import escape, from_teams, to_card_markdown
from bot.coach import Coach
from bot.config import Settings
from bot.messages import Action, Citation, Form, Reply
from bot.names import ActionId
from bot.search.retrieval import HybridRetriever
from bot.server import build_app
from bot.wiring import make_coach, open_settings_database, platform_mounts
from knowledge.registry import Knowledge
from storage.db import Database
from tests.conftest import make_settings
from tests.fakes import FakeBotConnector, make_activity
from tests.platform_schemas import activity_card_errors


@dataclass
class TeamsHarness:
    """One running app: post Activities to /api/messages, read what the bot sent to the connector."""

    base: str
    app: web.Application
    runner: web.AppRunner
    fake: FakeBotConnector
    coach: Coach
    settings: Settings
    database: Database

    @property
    def adapter(self) -> TeamsAdapter:
        return self.app[ADAPTER_KEY]

    def activity(self, text: str = "", **kwargs: Any) -> dict[str, Any]:
        return make_activity(text, service_url=self.fake.url, **kwargs)

    async def post(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, Any]:
        async with aiohttp.ClientSession() as http, \
                http.post(self.base + "/api/messages", json=activity, headers=headers) as response:
            body = await response.text()
            answer = json.loads(body) if body.startswith("{") else body
            assert activity_card_errors(answer) == []  # an invoke's card answer, against the 1.5 schema
            return response.status, answer

    async def settle(self) -> None:
        await self.adapter.drain(timeout=30)

    def messages(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        return [a for a in self.fake.activities(conversation_id) if a.get("type") == "message"]

    def cards(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        return [att["content"] for m in self.messages(conversation_id) for att in m.get("attachments") or []
                if att.get("contentType") == CARD_TYPE]

    async def close(self) -> None:
        await self.runner.cleanup()
        self.database.dispose()


async def start(settings: Settings, coach: Coach, fake: FakeBotConnector) -> TeamsHarness:
    """build_app with the configured mounts (Teams is always one of them) on 127.0.0.1:0."""
    database = open_settings_database(settings)
    app = await build_app(settings=settings, coach=coach, mounts=platform_mounts(settings, database=database))
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return TeamsHarness(f"http://127.0.0.1:{runner.addresses[0][1]}", app, runner, fake, coach, settings, database)


@pytest.fixture
async def fake_connector() -> AsyncIterator[FakeBotConnector]:
    async with FakeBotConnector() as fake:
        yield fake
        assert fake.refused == []  # every card any test made passed the Adaptive Card 1.5 schema


@pytest.fixture
async def teams(tmp_path: Path, retriever: HybridRetriever,
                fake_connector: FakeBotConnector) -> AsyncIterator[TeamsHarness]:
    """Unauthenticated (the development flag), real coach with storage, SQLite under tmp_path."""
    settings = make_settings(tmp_path, teams_dev_unauthenticated=True)
    harness = await start(settings, make_coach(settings, retriever=retriever), fake_connector)
    yield harness
    await harness.close()


def card_text(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False)


def card_actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = list(card.get("actions") or [])
    for item in card.get("body") or []:
        if item.get("type") == "ActionSet":
            found += item["actions"]
    return found


# --- cards and text, without a server ---------------------------------------------------------------

def test_user_text_cannot_become_a_link_or_markup() -> None:
    reply = Reply(text="Saved: see [my portfolio](https://evil.example/x) <at>Boss</at> <img src=x>")
    [card] = render_reply(reply)
    shown = card["body"][0]["text"]
    assert "[my portfolio](" not in shown and "\\[my portfolio\\](https://evil.example/x)" in shown
    assert re.search(r"(?<!\\)[<>]", shown) is None and "\\<at\\>" in shown  # every bracket escaped
    assert "OpenUrl" not in card_text(card)


def test_headings_become_bold_and_lines_stay_apart() -> None:
    assert to_card_markdown("# Title\nline one\nline two") == "**Title**\n\nline one\n\nline two"
    assert escape("a\\b") == "a\\\\b"


def test_mention_text_is_stripped_and_entities_decoded() -> None:
    text = from_teams("<at>KSB Coach</at> what counts for&nbsp;S24? cc <at>Sam Jones</at>",
                      bot_mention_texts=["<at>KSB Coach</at>"])
    assert text == "what counts for S24? cc Sam Jones"


def test_citations_quote_the_standard_and_buttons_carry_actions(knowledge: Knowledge) -> None:
    s24 = knowledge.standard.ksb("S24")
    assert s24 is not None
    reply = Reply(text="About S24", citations=[Citation("S24", s24.text, (6,))],
                  actions=[Action("Confirm S24", ActionId.TAG_CONFIRM, {"entry_id": 3, "ksb": "S24"}, style="primary")],
                  followups=["How could I evidence S24?"])
    [card] = render_reply(reply)
    assert json.dumps(escape(s24.text))[1:-1] in card_text(card)
    confirm, ask = card_actions(card)
    assert confirm["type"] == "Action.Execute" and confirm["verb"] == ActionId.TAG_CONFIRM
    assert confirm["fallback"]["type"] == "Action.Submit" and confirm["style"] == "positive"
    assert decode_submit(confirm["data"]) == (ActionId.TAG_CONFIRM, {"entry_id": 3, "ksb": "S24"})
    assert ask["type"] == "Action.Submit" and ask["title"] == "How could I evidence S24?"


def test_cards_declare_1_5_with_a_fallback_and_messages_carry_a_summary() -> None:
    reply = Reply(text="**S24** is about *drift*\n\nMore detail", followups=["Next?"])
    [card] = render_reply(reply)
    assert card["version"] == "1.5"
    assert card["fallbackText"] == "S24 is about *drift*"
    assert card_message(card).summary == card["fallbackText"]
    assert note_card("")["fallbackText"] == "KSB Coach"


def test_a_long_answer_is_split_across_cards_with_buttons_on_the_last() -> None:
    reply = Reply(text="\n\n".join(f"Paragraph {n} " + "word " * 300 for n in range(30)), followups=["Next?"])
    cards = render_reply(reply)
    assert len(cards) > 1 and all(len(card_text(c).encode()) < 28_000 for c in cards)
    assert not card_actions(cards[0]) and card_actions(cards[-1])


def test_reflection_form_preselects_suggestions_and_decodes_inputs(knowledge: Knowledge) -> None:
    form = Form("reflection", {"text": "I built a <b>drift</b> monitor", "ksbs": ["S24", "S99"], "hours": 2})
    card = reflection_form(form, knowledge.standard, today=date(2025, 3, 14))
    inputs = {item["id"]: item for item in card["body"] if "id" in item}
    assert inputs["ksb_ksbs"]["value"] == "S24" and inputs["ksb_ksbs"]["isMultiSelect"]
    assert inputs["ksb_text"]["value"] == "I built a <b>drift</b> monitor"  # an input's value, not markup
    assert inputs["ksb_date"]["max"] == "2025-03-14" and inputs["ksb_hours"]["value"] == 2.0
    [save] = card_actions(card)
    submitted = {**save["data"], "ksb_text": "  Did things  ", "ksb_date": "2025-03-10", "ksb_hours": "",
                 "ksb_ksbs": "S24,K1"}
    assert decode_submit(submitted) == (ActionId.REFLECT_SUBMIT, {"text": "Did things", "date": "2025-03-10",
                                                         "ksbs": ["S24", "K1"]})
    assert decode_submit({"text": "hello"}) is None and decode_submit("x") is None


def test_settings_without_app_id_are_unauthenticated(tmp_path: Path) -> None:
    assert not make_settings(tmp_path).teams_authenticated
    with pytest.raises(ValueError, match="MICROSOFT_APP_PASSWORD"):
        make_settings(tmp_path, microsoft_app_id="6f0b1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b")
    with pytest.raises(ValueError, match="MICROSOFT_APP_TENANT_ID"):
        make_settings(tmp_path, microsoft_app_id="6f0b1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b",
                      microsoft_app_password="s3cret-Value-1", microsoft_app_type="SingleTenant")
    msi = make_settings(tmp_path, microsoft_app_id="6f0b1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b",
                        microsoft_app_type="UserAssignedMSI", microsoft_app_tenant_id="t-1")
    assert msi.teams_authenticated


async def test_activity_helper_matches_the_harness(teams: TeamsHarness) -> None:
    assert teams.activity("hi")["serviceUrl"] == teams.fake.url

"""Chat: "prepare my review", a manager's "my team" and "review pack for NAME", and the rule
that a manager sees only the apprentices linked to them, and never their words."""

from __future__ import annotations

import pytest

from bot.coach import Coach
from bot.coaching.authz import Actor, Forbidden, check_team
from bot.coaching.manager_team import TeamService
from bot.intents import classify
from bot.messages import Incoming, UserRef
from bot.names import ActionId, IntentName
from bot.ownership import OWNER, owner_of
from knowledge.registry import Knowledge
from storage import people
from storage.db import SessionFactory
from tests.documents_support import TODAY, add_apprentice, pdf_pages
from tests.fakes.keyword_tagger import KeywordTagger
from tests.test_reflections import ALICE, make_coach

MO = UserRef(platform="slack", workspace_id="T1", user_id="UMO", display_name="Mo")


@pytest.mark.parametrize(("text", "name", "rest"), [
    ("prepare my review", IntentName.REVIEW_PACK, "prepare my review"),
    ("get my progress review pack", IntentName.REVIEW_PACK, "get my progress review pack"),
    ("review pack for Priya Patel", IntentName.REVIEW_FOR, "Priya Patel"),
    ("prepare the review for 'Sam'?", IntentName.REVIEW_FOR, "Sam"),
    ("my team", IntentName.MY_TEAM, "my team"),
    ("show me my apprentices", IntentName.MY_TEAM, "show me my apprentices"),
])
def test_review_and_team_intents(text: str, name: str, rest: str) -> None:
    assert classify(text).name == name and classify(text).text == rest


def test_questions_about_reviews_are_not_review_requests() -> None:
    # asking about the review rule is a programme question (the 12-week fact), not a request for a pack
    assert classify("how often is a progress review?").name == IntentName.PROGRAMME


def _team(sessions: SessionFactory) -> tuple[int, int, int, int]:
    """Mo manages Alice and Priya; Sam is linked to another manager."""
    alice = add_apprentice(sessions)
    priya = add_apprentice(sessions, user_id="UPRIYA", name="Priya Patel", rows=())
    sam = add_apprentice(sessions, user_id="USAM", name="Sam Lee", rows=())
    mo = add_apprentice(sessions, user_id="UMO", name="Mo", rows=())
    other = add_apprentice(sessions, user_id="UOTHER", name="Other Manager", rows=())
    with sessions() as session:
        for manager in (mo, other):
            people.set_role(session, person_id=manager, role="manager")
        people.link(session, manager_id=mo, apprentice_id=alice)
        people.link(session, manager_id=mo, apprentice_id=priya)
        people.link(session, manager_id=other, apprentice_id=sam)
        session.commit()
    return alice, priya, sam, mo


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(pdf_pages(pdf)).split())


def _coach(sessions: SessionFactory, knowledge: Knowledge) -> Coach:
    return make_coach(sessions, knowledge, KeywordTagger(knowledge))


async def test_apprentice_gets_their_own_pack_as_a_file(sessions: SessionFactory,
                                                        knowledge: Knowledge) -> None:
    add_apprentice(sessions)
    reply = await _coach(sessions, knowledge).handle(Incoming(user=ALICE, text="prepare my review"))
    assert reply.intent == IntentName.REVIEW_PACK
    export = reply.metadata["export"]
    assert export["filename"] == "review-st1398-2026-11-20.pdf" and "redo" not in export
    assert "Set up drift dashboards in Evidently." in _text(export["content"])
    assert "2025-09-01 to 2026-11-20" in reply.text and "7.5 off-the-job hours" in reply.text


async def test_my_team_lists_only_linked_apprentices_with_a_button_each(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    alice, priya, _sam, _mo = _team(sessions)
    reply = await _coach(sessions, knowledge).handle(Incoming(user=MO, text="my team"))
    assert reply.intent == IntentName.MY_TEAM and reply.metadata["team"] == [alice, priya]
    assert "Sam" not in reply.text
    assert "• Alice: 3 of 65 KSBs (4.6%); 7.5 of" in reply.text and "last entry 2026-06-20" in reply.text
    assert "• Priya Patel: 0 of 65 KSBs" in reply.text and "last entry none yet" in reply.text
    assert "next review due 2025-11-24" in reply.text  # 12 weeks after the 2025-09-01 start
    assert [(a.action, a.payload) for a in reply.actions] == [
        (ActionId.REVIEW_PACK_FOR, {"apprentice_id": alice, OWNER: owner_of(MO)}),
        (ActionId.REVIEW_PACK_FOR, {"apprentice_id": priya, OWNER: owner_of(MO)})]  # bound to the manager


async def test_manager_pack_from_the_button_has_no_entry_text(sessions: SessionFactory,
                                                              knowledge: Knowledge) -> None:
    alice, _priya, sam, _mo = _team(sessions)
    coach = _coach(sessions, knowledge)
    reply = await coach.handle(Incoming(user=MO, action=ActionId.REVIEW_PACK_FOR,
                                        payload={"apprentice_id": alice, OWNER: owner_of(MO)}))
    assert reply.metadata["export"]["redo"] == {"action": ActionId.REVIEW_PACK_FOR,
                                                "payload": {"apprentice_id": alice}}
    content = _text(reply.metadata["export"]["content"])
    assert "PROGRESS REVIEW PACK" in content.upper() and "manager's copy" in content
    assert "Set up drift dashboards" not in content and "S24" in content
    assert "not Alice's own words" in reply.text
    refused = await coach.handle(Incoming(user=MO, action=ActionId.REVIEW_PACK_FOR,
                                          payload={"apprentice_id": sam, OWNER: owner_of(MO)}))
    assert refused.intent == "forbidden" and "export" not in refused.metadata


async def test_review_pack_for_a_name_finds_only_the_managers_own(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    _team(sessions)
    coach = _coach(sessions, knowledge)
    found = await coach.handle(Incoming(user=MO, text="review pack for priya"))
    assert found.metadata["export"]["filename"].startswith("review-st1398-")
    assert "Priya Patel" in found.text
    missing = await coach.handle(Incoming(user=MO, text="review pack for Sam Lee"))
    assert "None of the apprentices linked to you is called “Sam Lee”" in missing.text
    assert "export" not in missing.metadata
    apprentice = await coach.handle(Incoming(user=ALICE, text="my team"))
    assert apprentice.intent == "forbidden"


def test_only_managers_have_a_team(sessions: SessionFactory, knowledge: Knowledge) -> None:
    alice, _priya, _sam, mo = _team(sessions)
    with pytest.raises(Forbidden):
        check_team(Actor(alice))
    service = TeamService(session_factory=sessions, knowledge=knowledge)
    assert [m.person_id for m in service.members(actor=Actor(mo, "manager"), today=TODAY)] == [
        alice, _priya]
    with pytest.raises(Forbidden):
        service.find(actor=Actor(alice), name="Priya")

"""Authorization: the forbidden paths are refused, the allowed ones work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from bot.admin import Admin
from bot.coaching.authz import Actor, Forbidden
from bot.coaching.data_rights import DataRights
from bot.coaching.entry_changes import EntryChanges
from bot.coaching.progress import ProgressService
from bot.coaching.reflections import Reflections
from bot.documents.portfolio_service import PortfolioService
from bot.messages import Incoming, UserRef
from bot.names import ActionId
from bot.ownership import OWNER, owner_of
from knowledge.registry import Knowledge
from storage import entries, people, tags
from storage.db import SessionFactory
from tests.fakes.keyword_tagger import KeywordTagger
from tests.test_reflections import make_coach

TODAY = date(2026, 11, 20)


@dataclass(frozen=True)
class Team:
    alice: Actor  # apprentice, managed by mo
    bob: Actor  # apprentice, managed by nia
    mo: Actor
    nia: Actor
    admin: Actor
    alice_entry: int


def _actor(sessions: SessionFactory, user_id: str, role: str = "apprentice") -> Actor:
    with sessions() as session:
        person = people.ensure_person(session, platform="slack", workspace_id="T1",
                                      user_id=user_id, standard_ref="ST1398", today=TODAY)
        assert person.id
        people.set_role(session, person_id=person.id, role=role)
        session.commit()
        return Actor(person.id, role)


@pytest.fixture
def team(sessions: SessionFactory) -> Team:
    alice, bob = _actor(sessions, "UA"), _actor(sessions, "UB")
    mo, nia = _actor(sessions, "UM", "manager"), _actor(sessions, "UN", "manager")
    admin = _actor(sessions, "UX", "admin")
    Admin(session_factory=sessions).link(actor=admin, manager_id=mo.id, apprentice_id=alice.id)
    Admin(session_factory=sessions).link(actor=admin, manager_id=nia.id, apprentice_id=bob.id)
    with sessions() as session:
        entry = entries.add_entry(session, person_id=alice.id, text="Alice's private entry",
                                  work_date=TODAY)
        assert entry.id
        tags.set_tag(session, entry_id=entry.id, ksb_id="S24", source="suggested")
        session.commit()
    return Team(alice, bob, mo, nia, admin, entry.id)


def test_apprentice_cannot_read_another_apprentices_log(sessions: SessionFactory,
                                                        knowledge: Knowledge, team: Team) -> None:
    service = Reflections(session_factory=sessions, knowledge=knowledge,
                          tagger=KeywordTagger(knowledge))
    assert len(service.entries(actor=team.alice, person_id=team.alice.id)) == 1
    with pytest.raises(Forbidden):
        service.entries(actor=team.bob, person_id=team.alice.id)
    with pytest.raises(Forbidden):
        PortfolioService(session_factory=sessions, knowledge=knowledge).build(
            actor=team.bob, person_id=team.alice.id, today=TODAY)
    with pytest.raises(Forbidden):
        ProgressService(session_factory=sessions, knowledge=knowledge).for_person(
            actor=team.bob, apprentice_id=team.alice.id)


async def test_apprentice_cannot_tag_another_apprentices_entry(
        sessions: SessionFactory, knowledge: Knowledge, team: Team) -> None:
    service = EntryChanges(session_factory=sessions, standard=knowledge.standard)
    with pytest.raises(Forbidden):
        await service.tags(actor=team.bob, entry_id=team.alice_entry, ids=["S24"], source="confirmed")
    coach = make_coach(sessions, knowledge, KeywordTagger(knowledge))
    bob = UserRef("slack", "T1", "UB")  # a button bound to himself, naming Alice's entry
    reply = await coach.handle(Incoming(user=bob, action=ActionId.TAG_CONFIRM,
                                        payload={"entry_id": team.alice_entry, "ksb": "S24", OWNER: owner_of(bob)}))
    assert reply.intent == "forbidden" and "only" in reply.text
    with sessions() as session:
        tag = tags.get_tag(session, entry_id=team.alice_entry, ksb_id="S24")
        assert tag is not None and tag.source == "suggested"


def test_manager_sees_only_their_own_apprentices_summaries(
        sessions: SessionFactory, knowledge: Knowledge, team: Team) -> None:
    progress = ProgressService(session_factory=sessions, knowledge=knowledge)
    assert progress.for_person(actor=team.mo, apprentice_id=team.alice.id).person_id == team.alice.id
    with pytest.raises(Forbidden):
        progress.for_person(actor=team.nia, apprentice_id=team.alice.id)
    # a summary, never the entries themselves
    with pytest.raises(Forbidden):
        Reflections(session_factory=sessions, knowledge=knowledge,
                    tagger=KeywordTagger(knowledge)).entries(actor=team.mo, person_id=team.alice.id)
    with pytest.raises(Forbidden):
        PortfolioService(session_factory=sessions, knowledge=knowledge).build(
            actor=team.mo, person_id=team.alice.id, today=TODAY)


def test_link_must_be_to_a_manager(sessions: SessionFactory, team: Team) -> None:
    with pytest.raises(ValueError):
        Admin(session_factory=sessions).link(actor=team.admin, manager_id=team.bob.id,
                                             apprentice_id=team.alice.id)


def test_only_an_admin_changes_links_enrolments_and_roles(sessions: SessionFactory,
                                                          team: Team) -> None:
    admin = Admin(session_factory=sessions)
    for who in (team.alice, team.mo):
        with pytest.raises(Forbidden):
            admin.link(actor=who, manager_id=team.mo.id, apprentice_id=team.bob.id)
        with pytest.raises(Forbidden):
            admin.unlink(actor=who, manager_id=team.mo.id, apprentice_id=team.alice.id)
        with pytest.raises(Forbidden):
            admin.set_enrolment(actor=who, person_id=team.alice.id, standard_ref="ST1398",
                                start_date=TODAY, planned_epa_date=date(2027, 11, 20),
                                weekly_hours=30, otj_target_hours=10)
        with pytest.raises(Forbidden):
            admin.set_role(actor=who, person_id=who.id, role="admin")
    with sessions() as session:
        assert people.is_linked(session, manager_id=team.mo.id, apprentice_id=team.alice.id)
        assert not people.is_linked(session, manager_id=team.mo.id, apprentice_id=team.bob.id)
    assert admin.unlink(actor=team.admin, manager_id=team.mo.id, apprentice_id=team.alice.id)
    admin.set_enrolment(actor=team.admin, person_id=team.alice.id, standard_ref="ST1398",
                        start_date=TODAY, planned_epa_date=date(2027, 11, 20), weekly_hours=20)


def test_admin_does_not_read_logs_and_nobody_exports_for_others(
        sessions: SessionFactory, knowledge: Knowledge, team: Team) -> None:
    with pytest.raises(Forbidden):
        Reflections(session_factory=sessions, knowledge=knowledge,
                    tagger=KeywordTagger(knowledge)).entries(actor=team.admin,
                                                             person_id=team.alice.id)
    rights = DataRights(session_factory=sessions)
    for who in (team.admin, team.mo, team.bob):
        with pytest.raises(Forbidden):
            rights.export(actor=who, person_id=team.alice.id)
        with pytest.raises(Forbidden):
            rights.delete(actor=who, person_id=team.alice.id, confirmed=True)

"""Reviews recorded from chat: agreed actions and the parties' comments stored, and the next pack
opening with them; a manager records only for their own apprentices; bad input changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from bot.coaching.review_phrases import BadReviewRecord, read_review
from bot.intents import classify
from bot.messages import Incoming
from bot.names import IntentName
from knowledge.registry import Knowledge
from storage import reviews
from storage.db import SessionFactory
from tests.documents_support import TODAY, add_apprentice
from tests.test_reflections import ALICE
from tests.test_team import MO, _coach, _team, _text


def test_a_review_message_reads_into_its_parts() -> None:
    notes = read_review("record my review\nheld: 2026-11-18\nagreed: write up the drift runbook; "
                        "shadow the on-call rota\ndone: #3, 4\napprentice: going well\n"
                        "employer: more client work | provider: check EPA dates", today=TODAY)
    assert notes is not None and notes.name == "" and notes.held_on == date(2026, 11, 18)
    assert notes.actions == ("write up the drift runbook", "shadow the on-call rota")
    assert notes.done == (3, 4) and not notes.all_done
    assert notes.comments == {"apprentice": "going well", "employer": "more client work",
                              "provider": "check EPA dates"}
    plain = read_review("Record the review for Priya Patel: present the model card; done: all", today=TODAY)
    assert plain is not None and plain.name == "Priya Patel"
    assert plain.actions == ("present the model card",) and plain.all_done
    assert read_review("record my review", today=TODAY).empty  # type: ignore[union-attr]
    assert read_review("how do I record my hours?", today=TODAY) is None
    with pytest.raises(BadReviewRecord):
        read_review("record my review | held: the day after never | agreed: x", today=TODAY)


@pytest.mark.parametrize("text", ["record my review: agreed: x", "Record review for Sam: x",
                                  "record my progress review\nagreed: x"])
def test_recording_is_its_own_intent(text: str) -> None:
    assert classify(text).name == IntentName.REVIEW_RECORD


async def test_a_review_recorded_in_chat_opens_the_next_pack(sessions: SessionFactory,
                                                             knowledge: Knowledge) -> None:
    add_apprentice(sessions)
    coach = _coach(sessions, knowledge)
    how = await coach.handle(Incoming(user=ALICE, text="record my review"))
    assert how.intent == IntentName.REVIEW_RECORD and "agreed:" in how.text
    reply = await coach.handle(Incoming(user=ALICE, text=(
        "record my review\nheld: 2026-11-18\nagreed: write up the drift runbook; <b>shadow</b> the on-call rota\n"
        "apprentice: dashboards went well\nemployer: wants a demo to the risk team")))
    assert reply.intent == IntentName.REVIEW_RECORD and reply.private
    assert "2026-11-18" in reply.text and "2 agreed actions" in reply.text
    assert "write up the drift runbook; <b>shadow</b> the on-call rota" in reply.text
    with sessions() as session:
        stored = reviews.latest_review(session, person_id=1)
        assert stored is not None and stored.held_on == date(2026, 11, 18)
        assert stored.apprentice_comment == "dashboards went well" and stored.provider_comment == ""
        actions = reviews.actions_for(session, review_id=stored.id or 0)
    assert [a.text for a in actions] == ["write up the drift runbook", "<b>shadow</b> the on-call rota"]
    pack = await coach.handle(Incoming(user=ALICE, text="prepare my review"))
    content = _text(pack.metadata["export"]["content"])
    assert "Last time you agreed to" in content and "write up the drift runbook" in content
    assert "<b>shadow</b> the on-call rota" in content  # markup stays text in the PDF
    assert "wants a demo to the risk team" in content
    assert "It opens with the 2 actions agreed at the review on 2026-11-18" in pack.text
    # the next review marks one done; the pack after it shows when
    first = actions[0].id
    done = await coach.handle(Incoming(user=ALICE, text=f"record my review | agreed: demo to risk | done: #{first}"))
    assert f"#{first}" in done.text
    with sessions() as session:
        assert reviews.actions_for(session, review_id=stored.id or 0)[0].done_on == TODAY


async def test_bad_review_records_get_one_line_and_change_nothing(sessions: SessionFactory,
                                                                 knowledge: Knowledge) -> None:
    add_apprentice(sessions)
    coach = _coach(sessions, knowledge)
    future = await coach.handle(Incoming(user=ALICE, text="record my review | held: 2027-01-05 | agreed: x"))
    unreadable = await coach.handle(Incoming(user=ALICE, text="record my review | held: someday | agreed: x"))
    for reply in (future, unreadable):
        assert reply.text.startswith("I didn't record that review:") and len(reply.text.splitlines()) == 1
    with sessions() as session:
        assert reviews.latest_review(session, person_id=1) is None


async def test_a_manager_records_only_for_their_own_apprentices(sessions: SessionFactory,
                                                                knowledge: Knowledge) -> None:
    alice, _priya, sam, _mo = _team(sessions)
    coach = _coach(sessions, knowledge)
    ok = await coach.handle(Incoming(user=MO, text="record review for Alice: agreed: pair on the drift alerts"))
    assert "Alice's progress review" in ok.text
    refused = await coach.handle(Incoming(user=MO, text="record review for Sam Lee: agreed: anything"))
    assert "None of the apprentices linked to you is called “Sam Lee”" in refused.text
    with sessions() as session:
        assert reviews.latest_review(session, person_id=alice) is not None
        assert reviews.latest_review(session, person_id=sam) is None

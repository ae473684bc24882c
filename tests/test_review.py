"""Progress review packs: the period since the last review, its figures from the record, the
agreed actions carried into the next pack, a manager's copy without entry text, bad periods."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.coaching.authz import Actor, Forbidden
from bot.commands import review_args
from bot.documents.review_doc import BadPeriod
from bot.documents.review_service import ReviewService
from knowledge.registry import Knowledge
from storage import people
from storage.db import SessionFactory
from tests.conftest import make_settings
from tests.documents_support import START, TODAY, TRICKY, add_apprentice, pdf_pages
from tests.fakes.keyword_tagger import ScriptedComposer


def _manager(sessions: SessionFactory, apprentice: int | None, user_id: str = "UMO") -> int:
    pid = add_apprentice(sessions, user_id=user_id, name="Mo Manager", rows=())
    with sessions() as session:
        people.set_role(session, person_id=pid, role="manager")
        if apprentice is not None:
            people.link(session, manager_id=pid, apprentice_id=apprentice)
        session.commit()
    return pid


@pytest.fixture
def service(sessions: SessionFactory, knowledge: Knowledge) -> ReviewService:
    return ReviewService(session_factory=sessions, knowledge=knowledge)


async def test_first_pack_covers_the_start_to_today_from_the_record(
        service: ReviewService, sessions: SessionFactory) -> None:
    pid = add_apprentice(sessions)
    pack = await service.pack(actor=Actor(pid), person_id=pid, today=TODAY)
    assert (pack.period.start, pack.period.end) == (START, TODAY)
    assert pack.last_review is None and pack.private
    assert pack.hours_in_period == pack.progress.hours_logged == 7.5
    assert [n.ksb_id for n in pack.newly] == ["S10", "S24", "B1"]
    assert len(pack.without) == 62 and "K1" in {k.id for k in pack.without}  # suggested only
    assert len(pack.ideas) == 3 and pack.summary.source == "grounded"
    assert any(line.startswith("S24, evidenced in 2 reflections") and "“" in line
               for line in pack.summary.went_well)
    assert pack.next_due == START + timedelta(weeks=12)


async def test_a_recorded_review_starts_the_next_period_and_asks_about_its_actions(
        service: ReviewService, sessions: SessionFactory) -> None:
    pid = add_apprentice(sessions)
    held = date(2026, 5, 1)
    first = service.record(actor=Actor(pid), person_id=pid, held_on=held, today=TODAY,
                           actions=["Evidence K1 with the options paper", "  ", "Log hours weekly"])
    assert (first.period_start, first.period_end) == (START, held)
    pack = await service.pack(actor=Actor(pid), person_id=pid, today=TODAY)
    assert pack.period.start == held and pack.last_review is not None
    assert [a.text for a in pack.last_review.actions] == ["Evidence K1 with the options paper",
                                                         "Log hours weekly"]
    assert [e.work_date for e in pack.entries] == [date(2026, 5, 9), date(2026, 6, 1),
                                                   date(2026, 6, 20)]
    assert pack.hours_in_period == 3.5 and [n.ksb_id for n in pack.newly] == ["B1"]
    assert pack.next_due == held + timedelta(weeks=12)
    html = (await service.pack_file(actor=Actor(pid), person_id=pid, fmt="html", today=TODAY))[1]
    assert "Last time you agreed to" in html.text and "Evidence K1 with the options paper" in html.text
    assert "☐ yes" in html.text
    done = pack.last_review.actions[0].id
    assert done is not None
    service.record(actor=Actor(pid), person_id=pid, held_on=TODAY, today=TODAY, actions=[],
                   done=[done])
    again = await service.pack(actor=Actor(pid), person_id=pid, today=TODAY)
    assert again.period.start == TODAY and again.last_review is not None
    assert again.last_review.actions == ()
    with sessions() as session:
        from storage import reviews

        assert [a.done_on for a in reviews.actions_for(session, review_id=first.id or 0)] == [
            TODAY, None]


async def test_manager_copy_has_figures_but_no_entry_text(service: ReviewService,
                                                          sessions: SessionFactory) -> None:
    pid = add_apprentice(sessions)
    mo = _manager(sessions, pid)
    pack, file = await service.pack_file(actor=Actor(mo, role="manager"), person_id=pid,
                                         fmt="pdf", today=TODAY)
    assert not pack.private and pack.hours_in_period == 7.5
    text = " ".join(" ".join(pdf_pages(file.content)).split())
    assert "manager's copy" in text and "S24" in text
    assert "Set up drift dashboards" not in text and "HYPERLINK" not in text
    own = await service.pack_file(actor=Actor(pid), person_id=pid, fmt="pdf", today=TODAY)
    own_text = " ".join(" ".join(pdf_pages(own[1].content)).split())
    assert "Set up drift dashboards in Evidently." in own_text
    assert TRICKY.split(" [")[0] in own_text  # markup and formulas stay text
    assert "Comments" in own_text and "Agreed actions" in own_text
    md = (await service.pack_file(actor=Actor(pid), person_id=pid, fmt="md", today=TODAY))[1].text
    assert r"\<script\>" in md and "<script>" not in md


async def test_only_the_apprentice_and_their_own_manager_get_a_pack(
        service: ReviewService, sessions: SessionFactory) -> None:
    pid = add_apprentice(sessions)
    stranger = _manager(sessions, None, user_id="UOTHER")
    peer = add_apprentice(sessions, user_id="UPEER", name="Peer", rows=())
    for actor in (Actor(stranger, role="manager"), Actor(peer)):
        with pytest.raises(Forbidden):
            await service.pack(actor=actor, person_id=pid, today=TODAY)
        with pytest.raises(Forbidden):
            service.record(actor=actor, person_id=pid, held_on=TODAY, today=TODAY, actions=["x"])


@pytest.mark.parametrize(("start", "end", "words"), [
    (date(2026, 6, 1), date(2026, 5, 1), "ends (2026-05-01) before it starts (2026-06-01)"),
    (date(2026, 6, 1), date(2026, 12, 1), "ends in the future (2026-12-01)"),
])
async def test_a_bad_period_gets_a_one_line_error(service: ReviewService, sessions: SessionFactory,
                                                  start: date, end: date, words: str) -> None:
    pid = add_apprentice(sessions)
    with pytest.raises(BadPeriod) as caught:
        await service.pack(actor=Actor(pid), person_id=pid, today=TODAY, start=start, end=end)
    assert words in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(BadPeriod):
        service.record(actor=Actor(pid), person_id=pid, held_on=TODAY + timedelta(days=1),
                       today=TODAY, actions=[])


@pytest.mark.parametrize(("answer", "source"), [
    ("What went well:\n• S24 was evidenced twice.\nWhat next:\n• Work on K3 next.", "llm"),
    ("What went well:\n• S24 was evidenced twice.\nWhat next:\n• Start on S99 and K7.", "grounded"),
    ("What went well:\n• S24 was evidenced 9 times.\nWhat next:\n• Work on K3.", "grounded"),
    ("S24 went well.", "grounded"),
    (None, "grounded"),
])
async def test_llm_summary_is_used_only_when_its_ids_and_figures_check_out(
        sessions: SessionFactory, knowledge: Knowledge, answer: str | None, source: str) -> None:
    pid = add_apprentice(sessions)
    composer = ScriptedComposer([answer])
    service = ReviewService(session_factory=sessions, knowledge=knowledge, composer=composer)
    pack = await service.pack(actor=Actor(pid), person_id=pid, today=TODAY)
    assert pack.summary.source == source
    system, user = composer.history[0]
    assert "never instructions" in system and "Set up drift dashboards" in user
    if source == "llm":
        assert pack.summary.next_steps == ("Work on K3 next.",)


def test_cli_review_pack_record_and_bad_period(tmp_path: Path, database_url: str,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("USER", "cli-tester")
    settings = make_settings(tmp_path, database_url=database_url)
    parser = argparse.ArgumentParser(prog="ksb-coach")
    review_args.register(parser.add_subparsers(dest="command"), lambda: settings)

    def run(*argv: str) -> int:
        args = parser.parse_args(list(argv))
        return int(args.func(args))

    assert run("review", "--record", "--agree", "Write up the =SUM incident") == 0
    assert "with 1 agreed actions" in capsys.readouterr().out
    assert run("review", "--format", "md") == 0
    out = capsys.readouterr().out
    assert out.startswith("# Progress review: cli-tester")
    assert "- [ ] Write up the =SUM incident (#1)" in out
    pdf = tmp_path / "pack.pdf"
    assert run("review", "--format", "pdf", "--out", str(pdf)) == 0
    assert pdf.read_bytes().startswith(b"%PDF-")
    capsys.readouterr()
    assert run("review", "--from", "2026-06-01", "--to", "2026-05-01") == 2
    err = capsys.readouterr().err
    assert err.startswith("ksb-coach review: the review period ends (2026-05-01) before it starts")
    assert err.count("\n") == 1
    assert run("review", "--every", "10", "--remind-days", "3") == 0
    assert "reviews every 10 weeks, reminded 3 days before (on)" in capsys.readouterr().out
    assert run("review", "--reminders", "off") == 0
    assert "reviews every 10 weeks, reminded 3 days before (off)" in capsys.readouterr().out
    assert run("review", "--every", "0") == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_review_cycle_is_set_per_enrolment_by_the_apprentice_or_an_admin(
        service: ReviewService, sessions: SessionFactory) -> None:
    pid = add_apprentice(sessions)
    mo = _manager(sessions, pid)
    assert service.configure(actor=Actor(pid), person_id=pid, interval_weeks=8).interval_weeks == 8
    with pytest.raises(Forbidden):
        service.configure(actor=Actor(mo, role="manager"), person_id=pid, enabled=False)
    admin = service.configure(actor=Actor(mo, role="admin"), person_id=pid, enabled=False)
    assert (admin.interval_weeks, admin.remind_days_before, admin.enabled) == (8, 7, False)

"""The EPA portfolio in Markdown, CSV and HTML: every KSB, confirmed entries quoted and dated."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from bot.authz import Actor
from bot.messages import Incoming
from bot.portfolio import PortfolioService
from knowledge.registry import Knowledge
from storage import entries, people, tags
from storage.db import SessionFactory
from tests.fakes.keyword_tagger import KeywordTagger
from tests.test_reflections import ALICE, make_coach

TODAY = date(2026, 11, 20)
TRICKY = "=HYPERLINK(\"http://x\") <script>alert(1)</script> & more"


def _seed(sessions: SessionFactory) -> int:
    with sessions() as session:
        person = people.ensure_person(session, platform="slack", workspace_id="T1",
                                      user_id="UALICE", display_name="Alice",
                                      standard_ref="ST1398", today=date(2025, 11, 20))
        assert person.id
        rows = [("Set up drift dashboards in Evidently.", date(2026, 3, 2), 4.0,
                 {"S24": "confirmed", "S10": "confirmed"}),
                ("Rebuilt the drift alerts after an incident.", date(2026, 5, 9), 2.5,
                 {"S24": "confirmed", "K1": "suggested"}),
                (TRICKY, date(2026, 6, 1), 1.0, {"B1": "confirmed", "K2": "removed"})]
        for text, day, hours, ksb_tags in rows:
            entry = entries.add_entry(session, person_id=person.id, text=text, work_date=day,
                                      otj_hours=hours)
            assert entry.id
            for ksb, source in ksb_tags.items():
                tags.set_tag(session, entry_id=entry.id, ksb_id=ksb, source=source)
        session.commit()
        return person.id


@pytest.fixture
def service(sessions: SessionFactory, knowledge: Knowledge) -> PortfolioService:
    return PortfolioService(session_factory=sessions, knowledge=knowledge)


def test_markdown_lists_every_ksb_with_dated_quotes(service: PortfolioService,
                                                    sessions: SessionFactory) -> None:
    pid = _seed(sessions)
    portfolio, md = service.export(actor=Actor(pid), person_id=pid, fmt="md", today=TODAY)
    assert md.startswith("# Portfolio: ST1398 Machine Learning Engineer (level 6)")
    assert "Apprentice: Alice · Generated: 2026-11-20" in md
    assert "Coverage: 3 of 65 KSBs have confirmed evidence (4.6%)" in md
    assert "Off-the-job hours: 7.5 of 418" in md
    assert md.count("\n## ") == 65
    s24 = md.split("## S24:")[1].split("\n## ")[0]
    assert s24.index("**2026-03-02**") < s24.index("**2026-05-09**")
    assert "> Set up drift dashboards in Evidently." in s24
    k1 = md.split("## K1:")[1].split("\n## ")[0]
    assert "No confirmed evidence yet." in k1  # a suggestion is not evidence
    assert "No confirmed evidence yet." in md.split("## K2:")[1].split("\n## ")[0]
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert [k.id for k in portfolio.ksbs if k.evidence] == ["S10", "S24", "B1"]


def test_csv_has_rows_per_evidence_and_totals(service: PortfolioService,
                                              sessions: SessionFactory) -> None:
    pid = _seed(sessions)
    _, text = service.export(actor=Actor(pid), person_id=pid, fmt="csv", today=TODAY)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["ksb_id", "ksb_text", "entry_id", "work_date", "otj_hours", "entry_text"]
    s24 = [r for r in rows if r and r[0] == "S24"]
    assert [r[3] for r in s24] == ["2026-03-02", "2026-05-09"]
    b1 = next(r for r in rows if r and r[0] == "B1")
    assert b1[5].startswith("'=HYPERLINK")  # no live formula when opened in a spreadsheet
    k1 = next(r for r in rows if r and r[0] == "K1")
    assert k1[2:] == ["", "", "", ""]
    totals = {r[1]: r[2] for r in rows if r and r[0] == "TOTAL"}
    assert totals == {"covered_ksbs": "3", "total_ksbs": "65", "coverage_percent": "4.6",
                      "otj_hours_logged": "7.5", "otj_hours_target": "418"}


def test_html_is_escaped(service: PortfolioService, sessions: SessionFactory) -> None:
    pid = _seed(sessions)
    _, page = service.export(actor=Actor(pid), person_id=pid, fmt="html", today=TODAY)
    assert page.startswith("<!doctype html>")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<h2>S24: " in page and "<blockquote>Set up drift dashboards" in page
    with pytest.raises(ValueError):
        service.export(actor=Actor(pid), person_id=pid, fmt="pdf")


async def test_portfolio_reply_carries_the_export(sessions: SessionFactory,
                                                  knowledge: Knowledge) -> None:
    coach = make_coach(sessions, knowledge, KeywordTagger(knowledge))
    reply = await coach.handle(Incoming(user=ALICE, text="export my portfolio"))
    assert reply.intent == "portfolio"
    export = reply.metadata["export"]
    assert export["format"] == "md" and export["filename"] == "portfolio-st1398-2026-11-20.md"
    assert export["content"] in reply.text

"""The assessor's portfolio: every KSB by duty, only confirmed evidence, totals that add up,
user text inert in every format, and a PDF that is A4, numbered and never cuts a row."""

from __future__ import annotations

import csv
import io
import re

import pytest

from bot.coaching.authz import Actor, Forbidden
from bot.documents.portfolio_doc import PortfolioDoc
from bot.documents.portfolio_service import PortfolioService
from bot.messages import Incoming
from knowledge.registry import Knowledge
from storage.db import SessionFactory
from tests.documents_support import (
    ENTRIES,
    TODAY,
    add_apprentice,
    pdf_pages,
    pdf_sizes,
    split_rows,
)
from tests.fakes.keyword_tagger import KeywordTagger
from tests.test_reflections import ALICE, make_coach

A4 = (595.28, 841.89)


@pytest.fixture
def service(sessions: SessionFactory, knowledge: Knowledge) -> PortfolioService:
    return PortfolioService(session_factory=sessions, knowledge=knowledge)


def _doc(service: PortfolioService, pid: int) -> PortfolioDoc:
    return service.build(actor=Actor(pid), person_id=pid, today=TODAY)[0]


def test_matrix_lists_every_ksb_by_duty_in_the_standards_order(
        service: PortfolioService, sessions: SessionFactory, knowledge: Knowledge) -> None:
    doc = _doc(service, add_apprentice(sessions))
    standard = knowledge.standard
    assert [d.number for d in doc.duties] == [d.number for d in standard.duties]
    for duty, source in zip(doc.duties, standard.duties, strict=True):
        assert tuple(r.ksb_id for r in duty.rows) == source.ksb_ids
    assert {r.ksb_id for d in doc.duties for r in d.rows} == {k.id for k in standard.ksbs}
    s24 = next(r for d in doc.duties for r in d.rows if r.ksb_id == "S24")
    assert [e.work_date.isoformat() for e in s24.evidence] == ["2026-03-02", "2026-05-09"]


def test_suggested_tags_are_never_counted_as_evidence(service: PortfolioService,
                                                      sessions: SessionFactory) -> None:
    doc = _doc(service, add_apprentice(sessions))
    evidenced = {r.ksb_id for d in doc.duties for r in d.rows if r.evidence}
    assert evidenced == {"S10", "S24", "B1"}
    assert doc.progress.covered == 3
    second = doc.entries[1]
    assert second.confirmed == ("S24",) and second.suggested == ("K1",)
    assert all("K2" not in e.confirmed + e.suggested for e in doc.entries)  # removed
    _, page = service.export(actor=Actor(doc.progress.person_id), person_id=doc.progress.person_id,
                             fmt="html", today=TODAY)
    k1_row = re.search(r'<td class="id">K1</td>.*?</tr>', page.text, re.S)
    assert k1_row and "no confirmed evidence yet" in k1_row.group(0)
    assert "suggested, not yet confirmed: K1" in page.text


def test_hours_and_running_totals_equal_the_sum_of_entries(service: PortfolioService,
                                                           sessions: SessionFactory) -> None:
    pid = add_apprentice(sessions)
    doc = _doc(service, pid)
    total = sum(hours for _, _, hours, _ in ENTRIES)
    assert doc.hours_total == doc.progress.hours_logged == total == 7.5
    assert [line.running_total for line in doc.otj] == [4.0, 6.5, 7.5]  # the 0 h entry is not a line
    _, file = service.export(actor=Actor(pid), person_id=pid, fmt="csv", today=TODAY)
    rows = list(csv.DictReader(io.StringIO(file.text)))
    assert sum(float(r["otj_hours"]) for r in rows if r["section"] == "entry") == total
    summary = {r["text"]: r["value"] for r in rows if r["section"] == "summary"}
    assert summary["otj_hours_logged"] == "7.5" and summary["covered_ksbs"] == "3"
    matrix_ids = {r["ksb_id"] for r in rows if r["section"] == "matrix"}
    assert len(matrix_ids) == 65


def test_entry_text_stays_text_in_every_format(service: PortfolioService,
                                               sessions: SessionFactory) -> None:
    pid = add_apprentice(sessions)
    files = {fmt: service.export(actor=Actor(pid), person_id=pid, fmt=fmt, today=TODAY)[1]
             for fmt in ("html", "md", "csv", "pdf")}
    html = files["html"].text
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = files["md"].text
    assert "<script>" not in md and r"\<script\>" in md and r"\*\*bold\*\*" in md
    assert r"\[link\](http://y)" in md and "\n> \\=HYPERLINK" in md
    cells = [c for row in csv.reader(io.StringIO(files["csv"].text)) for c in row]
    assert any(c.startswith("'=HYPERLINK") for c in cells)
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    text = " ".join(" ".join(pdf_pages(files["pdf"].content)).split())
    assert '=HYPERLINK("http://x") <script>alert(1)</script> **bold** [link](http://y)' in text


def test_pdf_is_a4_with_numbered_pages_and_no_row_split(service: PortfolioService,
                                                        sessions: SessionFactory) -> None:
    pid = add_apprentice(sessions)
    doc, pdf = service.export(actor=Actor(pid), person_id=pid, fmt="pdf", today=TODAY)
    assert pdf.filename == "portfolio-st1398-2026-11-20.pdf"
    pages = pdf_pages(pdf.content)
    assert len(pages) >= 6  # cover, summary, matrix (several), reflections, log
    assert all(size == pytest.approx(A4, abs=0.5) for size in pdf_sizes(pdf.content))
    assert all(f"Page {n} of {len(pages)}" in page for n, page in enumerate(pages, 1))
    cover = pages[0]
    for words in ("Alice", "ST1398 Machine Learning Engineer", "1.0 (in development)",
                  "2025-09-01", "2026-03-02 to 2026-06-20", "Generated", "2026-11-20",
                  "with 65 KSBs"):
        assert words in cover
    assert "Off-the-job training log" in pages[-1]
    _, html = service.export(actor=Actor(pid), person_id=pid, fmt="html", today=TODAY)
    assert split_rows(html.text) == []
    anchors = set(re.findall(r'id="(entry-\d+)"', html.text))
    links = set(re.findall(r'href="#(entry-\d+)"', html.text))
    assert links <= anchors and len(links) == 3  # the unconfirmed 0 h entry is linked from nowhere
    assert len(anchors) == len(doc.entries) == 4


def test_an_apprentice_without_entries_is_told_what_to_do_next(
        service: PortfolioService, sessions: SessionFactory) -> None:
    pid = add_apprentice(sessions, rows=())
    doc, html = service.export(actor=Actor(pid), person_id=pid, fmt="html", today=TODAY)
    assert not doc.entries and doc.hours_total == 0
    assert "No reflections yet." in html.text and "log a reflection" in html.text
    assert 'id="matrix"' not in html.text and "<td class=\"id\">K1</td>" not in html.text
    md = service.export(actor=Actor(pid), person_id=pid, fmt="md", today=TODAY)[1].text
    assert "No reflections yet." in md and "## Evidence matrix" not in md
    pages = pdf_pages(service.export(actor=Actor(pid), person_id=pid, fmt="pdf",
                                     today=TODAY)[1].content)
    assert len(pages) <= 3 and "No reflections yet." in pages[1]


def test_only_the_apprentice_builds_their_portfolio(service: PortfolioService,
                                                    sessions: SessionFactory) -> None:
    pid = add_apprentice(sessions)
    other = add_apprentice(sessions, user_id="UBOB", name="Bob", rows=())
    with pytest.raises(Forbidden):
        service.export(actor=Actor(other, role="manager"), person_id=pid, fmt="md", today=TODAY)
    with pytest.raises(ValueError, match="unknown format"):
        service.export(actor=Actor(pid), person_id=pid, fmt="docx", today=TODAY)


async def test_chat_reply_attaches_the_portfolio(sessions: SessionFactory,
                                                 knowledge: Knowledge) -> None:
    coach = make_coach(sessions, knowledge, KeywordTagger(knowledge))
    reply = await coach.handle(Incoming(user=ALICE, text="export my portfolio"))
    assert reply.intent == "portfolio"
    export = reply.metadata["export"]
    assert export["filename"] == "portfolio-st1398-2026-11-20.pdf"
    assert isinstance(export["content"], bytes) and export["content"].startswith(b"%PDF-")
    assert "No reflections yet." in " ".join(pdf_pages(export["content"]))
    assert "portfolio-st1398-2026-11-20.pdf" in reply.text and "0 reflections" in reply.text

"""A long document printed chapter by chapter in worker processes is the document printed whole:
the same pages with the same text, numbered against the joined total, and every in-document
link landing on the same page as in the whole."""

from __future__ import annotations

import io
import os
import re
from concurrent.futures.process import BrokenProcessPool
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from bot.coaching.authz import Actor
from bot.documents import pdf
from bot.documents.pdf import Split, html_to_pdf
from bot.documents.portfolio_service import PortfolioService
from knowledge.registry import Knowledge
from storage.db import SessionFactory
from tests.documents_support import TODAY, add_apprentice

KSBS = ("K1", "K2", "S10", "S24", "B1", "K24", "S26")
ROWS = tuple((f"Week {n}: built and reviewed the feature pipeline for the churn model, wrote the "
              f"tests and a runbook entry, and walked the team through the drift alerts. " * (1 + n % 3),
              date(2025, 10, 1) + timedelta(days=4 * n), float(1 + n % 5),
              {KSBS[n % len(KSBS)]: "confirmed", KSBS[(n + 3) % len(KSBS)]: "suggested"})
             for n in range(40))
PAGE_NUMBER = re.compile(r"Page (\d+) of (\d+)")


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _links(pdf: bytes) -> list[tuple[int, tuple[int, ...], int | None]]:
    """(page, area, target page) of every in-document link, however its target is written."""
    reader = PdfReader(io.BytesIO(pdf))
    named = reader.named_destinations
    found: list[tuple[int, tuple[int, ...], int | None]] = []
    for number, page in enumerate(reader.pages):
        for ref in page.get("/Annots") or []:
            link = ref.get_object()
            dest = link.get("/Dest")
            if dest is None:
                continue
            target = (reader.get_destination_page_number(named[str(dest)]) if isinstance(dest, str)
                      else reader.get_page_number(dest[0].indirect_reference))
            x1, y1, x2, y2 = (round(float(v)) for v in link["/Rect"])
            found.append((number, (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)), target))
    return sorted(found)


def test_chapters_printed_apart_join_into_the_whole_document(sessions: SessionFactory,
                                                             knowledge: Knowledge) -> None:
    pid = add_apprentice(sessions, rows=ROWS)
    html = PortfolioService(session_factory=sessions, knowledge=knowledge).export(
        actor=Actor(pid), person_id=pid, fmt="html", today=TODAY)[1].text
    whole = html_to_pdf(html, split_from=len(html) + 1)
    joined = html_to_pdf(html, split_from=0)
    whole_pages, joined_pages = _pages(whole), _pages(joined)
    assert len(joined_pages) == len(whole_pages) >= 8
    for number, (a, b) in enumerate(zip(whole_pages, joined_pages, strict=True), 1):
        assert PAGE_NUMBER.findall(b) == [(str(number), str(len(whole_pages)))]
        assert " ".join(PAGE_NUMBER.sub("", a).split()) == " ".join(PAGE_NUMBER.sub("", b).split())
    links = _links(joined)
    assert len(links) > 40 and links == _links(whole)
    assert any((target or 0) > page + 1 for page, _, target in links)  # matrix to reflections, chapters apart


CHAPTERS = ('<html><head><style>section.chapter { break-before: page }</style></head>'
            '<body class="x"><h1>Cover</h1><p>&lt;section class="chapter"&gt; typed by someone</p>'
            '<section class="chapter" id="a">A</section><section class="chapter" id="b">B</section>'
            "</body></html>")


def test_a_dead_worker_costs_a_slower_document_not_an_error() -> None:
    pool = pdf._POOL.get()
    with pytest.raises(BrokenProcessPool):
        pool.submit(os._exit, 1).result()
    printed_here = [" ".join(text.split()) for text in _pages(html_to_pdf(CHAPTERS, split_from=0))]
    assert printed_here == ['Cover <section class="chapter"> typed by someone', "A", "B"]
    assert pdf._POOL.get() is not pool
    assert len(_pages(html_to_pdf(CHAPTERS, split_from=0))) == 3


def test_a_document_is_cut_only_before_its_chapters() -> None:
    split = Split.of(CHAPTERS)
    assert split is not None and len(split.bodies) == 3
    assert split.bodies[0].startswith("<h1>Cover") and "typed by someone" in split.bodies[0]
    assert split.part(1).startswith("<html><head><style>section.chapter { break-before: page }</style><style>@page")
    assert split.part(1).endswith('<section class="chapter" id="a">A</section></body></html>')
    assert Split.of("<html><body><p>one chapter</p></body></html>") is None
    assert Split.of('<body><section class="chapter">only</section></body>') is None

"""Seeding and PDF inspection shared by the portfolio and review tests."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date

from pypdf import PdfReader

from storage import entries, people, tags
from storage.db import SessionFactory
from storage.enrolments import set_enrolment

START = date(2025, 9, 1)
TODAY = date(2026, 11, 20)
TRICKY = ("=HYPERLINK(\"http://x\") <script>alert(1)</script> **bold** [link](http://y) "
          "# heading & more")
ENTRIES = (  # text, day, hours, tags
    ("Set up drift dashboards in Evidently.", date(2026, 3, 2), 4.0,
     {"S24": "confirmed", "S10": "confirmed"}),
    ("Rebuilt the drift alerts after an incident.", date(2026, 5, 9), 2.5,
     {"S24": "confirmed", "K1": "suggested"}),
    (TRICKY, date(2026, 6, 1), 1.0, {"B1": "confirmed", "K2": "removed"}),
    ("Read about feature stores; no hours claimed.", date(2026, 6, 20), 0.0,
     {"K5": "suggested"}),
)


def add_apprentice(sessions: SessionFactory, *, user_id: str = "UALICE", name: str = "Alice",
                   rows: tuple[tuple[str, date, float, dict[str, str]], ...] = ENTRIES) -> int:
    with sessions() as session:
        person = people.ensure_person(session, platform="slack", workspace_id="T1",
                                      user_id=user_id, display_name=name,
                                      standard_ref="ST1398", today=START)
        assert person.id is not None
        set_enrolment(session, person_id=person.id, standard_ref="ST1398", start_date=START,
                      planned_epa_date=date(2027, 9, 1))
        for text, day, hours, ksb_tags in rows:
            entry = entries.add_entry(session, person_id=person.id, text=text, work_date=day,
                                      otj_hours=hours)
            assert entry.id is not None
            for ksb, source in ksb_tags.items():
                tags.set_tag(session, entry_id=entry.id, ksb_id=ksb, source=source)
        session.commit()
        return person.id


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page, as an assessor's PDF reader extracts it."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def pdf_sizes(content: bytes) -> Iterator[tuple[float, float]]:
    for page in PdfReader(io.BytesIO(content)).pages:
        yield float(page.mediabox.width), float(page.mediabox.height)


def split_rows(html: str) -> list[str]:
    """Table rows that WeasyPrint laid out across two pages (there should be none)."""
    from weasyprint import HTML

    seen: dict[int, int] = {}
    split: list[str] = []
    for number, page in enumerate(HTML(string=html).render().pages):
        groups = [b for b in page._page_box.descendants()
                  if type(b).__name__ == "TableRowGroupBox" and not b.is_header]
        for row in (r for group in groups for r in group.children):
            key = id(row.element)
            if key in seen and seen[key] != number:
                split.append("".join(row.element.itertext())[:60])
            seen[key] = number
    return split

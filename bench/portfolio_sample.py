"""A sample apprentice for the portfolio and review benchmarks and the example documents.

Entries reuse the held-out reflections (apprentices' own words) in weekly
order: their `must` KSBs confirmed, their `may` KSBs left as suggestions,
2 to 7 off-the-job hours each. One entry carries HTML, Markdown and a
spreadsheet formula, so every example shows such text staying text.
"""

from __future__ import annotations

from datetime import date, timedelta

from bench.eval_data import HELDOUT_REFLECTIONS, load_jsonl
from storage import entries, people, tags
from storage.db import SessionFactory
from storage.enrolments import set_enrolment

START = date(2025, 9, 1)
TRICKY = ("=SUM(A1:A9) <b>bold?</b> **not bold** [a link](http://example.org) # not a heading "
          "— wrote the data-quality checks for the claims feed & documented them.")


def seed_apprentice(sessions: SessionFactory, *, entries_wanted: int, name: str = "Priya Patel",
                    user_id: str = "UPRIYA", start: date = START) -> int:
    """Create the apprentice (enrolled at `start`) with `entries_wanted` tagged entries."""
    rows = load_jsonl(HELDOUT_REFLECTIONS)
    with sessions() as session:
        person = people.ensure_person(session, platform="slack", workspace_id="TDEMO",
                                      user_id=user_id, display_name=name, standard_ref="ST1398",
                                      today=start)
        assert person.id is not None
        set_enrolment(session, person_id=person.id, standard_ref="ST1398", start_date=start,
                      planned_epa_date=start + timedelta(days=730), weekly_hours=37.5)
        step = max(1, 450 // max(entries_wanted, 1))
        for n in range(entries_wanted):
            row = rows[n % len(rows)]
            text = TRICKY if n == 3 else str(row["text"])
            entry = entries.add_entry(session, person_id=person.id, text=text,
                                      work_date=start + timedelta(days=3 + n * step),
                                      otj_hours=float(2 + (n * 5) % 6), status="ok")
            assert entry.id is not None
            for ksb in row.get("must", []):
                tags.set_tag(session, entry_id=entry.id, ksb_id=ksb, source="confirmed")
            for ksb in row.get("may", []):
                if ksb not in row.get("must", []):
                    tags.set_tag(session, entry_id=entry.id, ksb_id=ksb, source="suggested")
        session.commit()
        return person.id

"""The end-point assessment portfolio: every KSB with the confirmed entries that evidence it.

Entry text is the apprentice's own and is escaped for each format (HTML
escaping, Markdown without raw HTML, CSV without spreadsheet formulas).
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from bot.coaching.authz import Actor, check_own_entries
from bot.coaching.progress import Progress, ProgressService
from bot.coaching.reflections import EntryView
from bot.prompt_files import render
from knowledge.registry import Knowledge
from storage import entries, people, tags
from storage.db import SessionFactory


@dataclass(frozen=True)
class Evidence:
    entry_id: int
    work_date: date
    hours: float
    text: str


@dataclass(frozen=True)
class PortfolioKsb:
    id: str
    text: str
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True)
class Portfolio:
    reference: str
    title: str
    level: int
    apprentice: str
    generated: date
    ksbs: tuple[PortfolioKsb, ...]
    progress: Progress


def build_portfolio(*, knowledge: Knowledge, progress: Progress, views: Sequence[EntryView],
                    apprentice: str, generated: date) -> Portfolio:
    confirmed: dict[str, list[Evidence]] = {}
    for view in sorted(views, key=lambda v: (v.entry.work_date, v.entry.id or 0)):
        e = view.entry
        for ksb_id in view.ids("confirmed"):
            confirmed.setdefault(ksb_id, []).append(
                Evidence(e.id or 0, e.work_date, e.otj_hours, e.text))
    standard = knowledge.standard
    return Portfolio(
        reference=standard.reference, title=standard.title, level=standard.level,
        apprentice=apprentice, generated=generated, progress=progress,
        ksbs=tuple(PortfolioKsb(k.id, k.text, tuple(confirmed.get(k.id, ())))
                   for k in standard.ksbs),
    )


def _header(p: Portfolio) -> str:
    pr = p.progress
    return render("portfolio_header.md", reference=p.reference, title=p.title, level=str(p.level),
                  apprentice=p.apprentice, generated=p.generated.isoformat(),
                  covered=str(pr.covered), total=str(pr.total), coverage=f"{pr.coverage:g}",
                  hours_logged=f"{pr.hours_logged:g}", hours_target=f"{pr.otj.hours:g}")


def _md_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_markdown(p: Portfolio) -> str:
    parts = [_header(p)]
    for ksb in p.ksbs:
        parts.append(f"## {ksb.id}: {ksb.text}")
        if not ksb.evidence:
            parts.append(f"_{render('portfolio_none.md')}_")
        for ev in ksb.evidence:
            quoted = "\n".join(f"> {line}" if line else ">" for line in _md_text(ev.text).splitlines())
            parts.append(f"**{ev.work_date.isoformat()}** (entry {ev.entry_id}, {ev.hours:g} h)\n\n"
                         f"{quoted}")
    return "\n\n".join(parts) + "\n"


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas in user text (CSV injection)."""
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def to_csv(p: Portfolio) -> str:
    """One row per (KSB, confirmed entry); KSBs without evidence get one empty row; totals last."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ksb_id", "ksb_text", "entry_id", "work_date", "otj_hours", "entry_text"])
    for ksb in p.ksbs:
        if not ksb.evidence:
            writer.writerow([ksb.id, ksb.text, "", "", "", ""])
        for ev in ksb.evidence:
            writer.writerow([ksb.id, ksb.text, ev.entry_id, ev.work_date.isoformat(),
                             f"{ev.hours:g}", _cell(ev.text)])
    pr = p.progress
    writer.writerow([])
    for name, value in (("covered_ksbs", pr.covered), ("total_ksbs", pr.total),
                        ("coverage_percent", pr.coverage), ("otj_hours_logged", pr.hours_logged),
                        ("otj_hours_target", pr.otj.hours)):
        writer.writerow(["TOTAL", name, f"{value:g}", "", "", ""])
    return out.getvalue()


def to_html(p: Portfolio) -> str:
    e = html.escape
    body = [f"<p>{e(line)}</p>" for line in _header(p).splitlines()[1:] if line.strip()]
    for ksb in p.ksbs:
        body.append(f"<h2>{e(ksb.id)}: {e(ksb.text)}</h2>")
        if not ksb.evidence:
            body.append(f"<p><em>{e(render('portfolio_none.md'))}</em></p>")
        for ev in ksb.evidence:
            body.append(f"<p><strong>{ev.work_date.isoformat()}</strong> (entry {ev.entry_id}, "
                        f"{ev.hours:g} h)</p><blockquote>{e(ev.text)}</blockquote>")
    title = e(f"{p.reference} {p.title}")
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}"
            f"</title></head>\n<body>\n<h1>{e(_header(p).splitlines()[0].lstrip('# '))}</h1>\n"
            + "\n".join(body) + "\n</body></html>\n")


FORMATS: dict[str, Callable[[Portfolio], str]] = {"md": to_markdown, "csv": to_csv,
                                                  "html": to_html}


class PortfolioService:
    def __init__(self, *, session_factory: SessionFactory, knowledge: Knowledge) -> None:
        self._sessions = session_factory
        self._knowledge = knowledge
        self._progress = ProgressService(session_factory=session_factory, knowledge=knowledge)

    def build(self, *, actor: Actor, person_id: int, today: date | None = None) -> Portfolio:
        """Entry text is in it, so only its author may build it (not a manager)."""
        check_own_entries(actor, owner_id=person_id)
        today = today or date.today()
        progress = self._progress.for_person(actor=actor, apprentice_id=person_id, today=today)
        with self._sessions() as session:
            person = people.get_person(session, person_id=person_id)
            rows = entries.list_entries(session, person_id=person_id, newest_first=False)
            found = tags.tags_for(session, entry_ids=[r.id for r in rows if r.id is not None])
        views = [EntryView(r, tuple(found.get(r.id or 0, ()))) for r in rows]
        name = (person.display_name or person.user_id) if person else ""
        return build_portfolio(knowledge=self._knowledge, progress=progress, views=views,
                               apprentice=name, generated=today)

    def export(self, *, actor: Actor, person_id: int, fmt: str = "md",
               today: date | None = None) -> tuple[Portfolio, str]:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        portfolio = self.build(actor=actor, person_id=person_id, today=today)
        return portfolio, FORMATS[fmt](portfolio)

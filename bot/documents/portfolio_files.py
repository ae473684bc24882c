"""The portfolio in each format: HTML (the master), PDF (that HTML, printed), Markdown and CSV."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from bot.documents.files import DocumentFile, csv_text
from bot.documents.formats import PORTFOLIO_FORMATS as FORMATS
from bot.documents.pdf import html_to_pdf
from bot.documents.portfolio_doc import PortfolioDoc
from bot.documents.render import render_template

CSV_HEADER = ("section", "duty", "ksb_id", "ksb_text", "entry_id", "work_date", "otj_hours",
              "running_total", "confirmed", "not_yet_confirmed", "text", "value")


def portfolio_html(doc: PortfolioDoc, *, otj_rule: str) -> str:
    return render_template("portfolio.html", doc=doc, otj_rule=otj_rule)


def portfolio_markdown(doc: PortfolioDoc, *, otj_rule: str) -> str:
    return render_template("portfolio.md", doc=doc, otj_rule=otj_rule)


def _csv_rows(doc: PortfolioDoc) -> Iterator[tuple[object, ...]]:
    """One table in sections: matrix (KSB × confirmed entry), entries, off-the-job log, summary."""
    for duty in doc.duties:
        for row in duty.rows:
            for e in row.evidence or (None,):
                yield ("matrix", duty.number or "", row.ksb_id, row.text,
                       e.id if e else "", e.work_date.isoformat() if e else "", "", "", "", "", "", "")
    for e in doc.entries:
        yield ("entry", "", "", "", e.id, e.work_date.isoformat(), e.hours, "",
               " ".join(e.confirmed), " ".join(e.suggested), e.text, "")
    for line in doc.otj:
        yield ("otj", "", "", "", line.entry.id, line.entry.work_date.isoformat(), line.entry.hours,
               line.running_total, "", "", line.entry.activity, "")
    p = doc.progress
    for name, value in (("covered_ksbs", p.covered), ("total_ksbs", p.total),
                        ("coverage_percent", p.coverage), ("otj_hours_logged", p.hours_logged),
                        ("otj_hours_target", p.otj.hours),
                        ("otj_hours_expected_by_now", doc.expected_by_now)):
        yield ("summary", "", "", "", "", "", "", "", "", "", name, float(value))


def portfolio_csv(doc: PortfolioDoc) -> str:
    return csv_text(CSV_HEADER, _csv_rows(doc))


def portfolio_file(doc: PortfolioDoc, fmt: str, *, otj_rule: str) -> DocumentFile:
    makers: dict[str, Callable[[], str | bytes]] = {
        "html": lambda: portfolio_html(doc, otj_rule=otj_rule),
        "pdf": lambda: html_to_pdf(portfolio_html(doc, otj_rule=otj_rule)),
        "md": lambda: portfolio_markdown(doc, otj_rule=otj_rule),
        "csv": lambda: portfolio_csv(doc),
    }
    if fmt not in makers:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return DocumentFile.of(doc.filename_stem, fmt, makers[fmt]())

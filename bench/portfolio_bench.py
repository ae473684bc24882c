"""Portfolio and review pack rendering for an apprentice with 300 entries (aim: PDF under 5 s).

In-process on a temp SQLite file, the sample apprentice from `portfolio_sample`.
The first PDF in a process also pays WeasyPrint's import and font set-up, and
starting the worker processes that print a long document's chapters at once
(bot/documents/pdf.py); a server pays that once, so it is printed apart. The
portfolio is printed in one process too, to compare under the same load. Prints
wall and CPU seconds (CPU of this process only: the workers' share is not in
it, so wall is the figure to read); never gates anything.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from bench.portfolio_sample import seed_apprentice
from bot.coaching.authz import Actor
from bot.config import Settings
from bot.documents.files import DocumentFile
from bot.documents.pdf import html_to_pdf, warm_up, workers
from bot.documents.portfolio_service import PortfolioService
from bot.documents.review_service import ReviewService
from bot.wiring import load_knowledge
from storage.db import open_database

ENTRIES = 300
RUNS = 3
TODAY = date(2027, 8, 1)


def timed(make: Callable[[], DocumentFile], runs: int = RUNS) -> tuple[float, float, DocumentFile]:
    """Median wall and CPU seconds over `runs`, and the last file made."""
    walls: list[float] = []
    cpus: list[float] = []
    file: DocumentFile | None = None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        file = make()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    assert file is not None
    return statistics.median(walls), statistics.median(cpus), file


def pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def main() -> None:
    knowledge = load_knowledge(Settings.model_validate({}))
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            pid = seed_apprentice(db.session, entries_wanted=ENTRIES)
            actor = Actor(pid)
            portfolio = PortfolioService(session_factory=db.session, knowledge=knowledge)
            reviews = ReviewService(session_factory=db.session, knowledge=knowledge)
            start = time.perf_counter()
            warm_up()
            warm = time.perf_counter() - start

            def export(fmt: str) -> DocumentFile:
                return portfolio.export(actor=actor, person_id=pid, fmt=fmt, today=TODAY)[1]

            def review(fmt: str) -> DocumentFile:
                return asyncio.run(reviews.pack_file(actor=actor, person_id=pid, fmt=fmt,
                                                     today=TODAY))[1]

            rows = [(f"portfolio {fmt}", timed(lambda fmt=fmt: export(fmt)))  # type: ignore[misc]
                    for fmt in ("csv", "md", "html", "pdf")]
            rows += [(f"review pack {fmt}", timed(lambda fmt=fmt: review(fmt)))  # type: ignore[misc]
                     for fmt in ("html", "pdf")]
            html = export("html").text
            rows.append(("portfolio pdf, one process (for comparison)",
                         timed(lambda: DocumentFile.of("one", "pdf", html_to_pdf(html, split_from=len(html) + 1)))))
        finally:
            db.dispose()
    print(f"== documents for one apprentice with {ENTRIES} entries (median of {RUNS}) ==")
    print(f"{f'WeasyPrint set-up, here and in {workers()} workers':<44} {warm:6.2f} s")
    for name, (wall, cpu, file) in rows:
        extra = f"  {pages(file.content)} pages" if file.media_type == "application/pdf" else ""
        print(f"{name:<44} {wall:6.2f} s wall  {cpu:6.2f} s cpu here  {len(file.content) / 1024:7.0f} KiB{extra}")


if __name__ == "__main__":
    main()

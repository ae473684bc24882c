"""Write the example documents in docs/examples/ and a PNG of their first pages, to look at.

    .venv/bin/python -m bench.document_examples [--out docs/examples] [--pages 3]

A sample apprentice (30 reflections from the held-out set, one with markup and a
formula in it) with one earlier review on record, rendered as the portfolio
(HTML, PDF) and the review pack (the apprentice's PDF and HTML, and the
manager's PDF). The PNGs come from poppler's `pdftoppm` (Debian: poppler-utils);
without it the PDFs are still written and the PNG step says what to install.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

from bench.portfolio_sample import seed_apprentice
from bot.coaching.authz import Actor
from bot.config import Settings
from bot.documents.portfolio_service import PortfolioService
from bot.documents.review_service import ReviewService
from bot.wiring import load_knowledge
from storage import people, reviews
from storage.db import SessionFactory, open_database

TODAY = date(2026, 11, 20)
HELD = date(2026, 8, 28)
ENTRIES = 30


def _manager(sessions: SessionFactory, apprentice: int) -> int:
    with sessions() as session:
        manager = people.ensure_person(session, platform="slack", workspace_id="TDEMO",
                                       user_id="UMANAGER", display_name="Sam Okafor",
                                       standard_ref="ST1398", today=TODAY)
        assert manager.id is not None
        people.set_role(session, person_id=manager.id, role="manager")
        people.link(session, manager_id=manager.id, apprentice_id=apprentice)
        session.commit()
        return manager.id


def write_examples(out: Path, pages: int) -> list[Path]:
    knowledge = load_knowledge(Settings.model_validate({}))
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'examples.db'}")
        try:
            pid = seed_apprentice(db.session, entries_wanted=ENTRIES)
            manager = _manager(db.session, pid)
            service = ReviewService(session_factory=db.session, knowledge=knowledge)
            review = service.record(actor=Actor(pid), person_id=pid, held_on=HELD, today=TODAY,
                                    actions=["Write up the model card for the churn model (S26)",
                                             "Log off-the-job hours every Friday",
                                             "Shadow the data protection officer for a DPIA (K24)"],
                                    comments={"apprentice": "Monitoring work went well; I want more time on MLOps.",
                                              "employer": "Priya now owns the churn model's weekly checks.",
                                              "provider": "On track for hours; evidence for duty 5 is thin."})
            with db.session() as session:
                first = reviews.actions_for(session, review_id=review.id or 0)[1]
                reviews.mark_done(session, person_id=pid, action_ids=[first.id or 0], on=TODAY)
                session.commit()
            portfolio = PortfolioService(session_factory=db.session, knowledge=knowledge)
            for fmt in ("html", "pdf"):
                file = portfolio.export(actor=Actor(pid), person_id=pid, fmt=fmt, today=TODAY)[1]
                written.append(_write(out / f"portfolio.{fmt}", file.content))
            for who, actor, fmts in (("review-pack", Actor(pid), ("html", "pdf")),
                                     ("review-pack-manager", Actor(manager, "manager"), ("pdf",))):
                for fmt in fmts:
                    file = asyncio.run(service.pack_file(actor=actor, person_id=pid, fmt=fmt,
                                                         today=TODAY))[1]
                    written.append(_write(out / f"{who}.{fmt}", file.content))
        finally:
            db.dispose()
    for pdf in [p for p in written if p.suffix == ".pdf"]:
        written += to_png(pdf, pages)
    return written


def _write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def to_png(pdf: Path, pages: int, dpi: int = 60) -> list[Path]:
    """The first `pages` pages as PNGs beside the PDF (`name-1.png`, ...)."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        print("pdftoppm not found: apt-get install poppler-utils to get the PNGs")
        return []
    for old in pdf.parent.glob(f"{pdf.stem}-*.png"):
        old.unlink()
    subprocess.run([tool, "-png", "-r", str(dpi), "-f", "1", "-l", str(pages), str(pdf),
                    str(pdf.with_suffix(""))], check=True)
    return sorted(pdf.parent.glob(f"{pdf.stem}-*.png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--out", type=Path, default=Path("docs/examples"))
    parser.add_argument("--pages", type=int, default=3)
    args = parser.parse_args()
    for path in write_examples(args.out, args.pages):
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()

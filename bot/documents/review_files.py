"""The review pack in each format: HTML (the master), PDF (that HTML, printed) and Markdown."""

from __future__ import annotations

from collections.abc import Callable

from bot.coaching.otj import rule_in_words
from bot.documents.files import DocumentFile
from bot.documents.formats import REVIEW_FORMATS
from bot.documents.pdf import html_to_pdf
from bot.documents.render import render_template
from bot.documents.review_doc import ReviewPack
from knowledge.model import Standard


def _context(pack: ReviewPack, standard: Standard) -> dict[str, object]:
    def ksb_text(ksb_id: str) -> str:
        ksb = standard.ksb(ksb_id)
        return ksb.text if ksb else ""

    return {"pack": pack, "otj_rule": rule_in_words(pack.progress.otj),
            "ksb_text": ksb_text}


def review_file(pack: ReviewPack, fmt: str, standard: Standard) -> DocumentFile:
    context = _context(pack, standard)
    makers: dict[str, Callable[[], str | bytes]] = {
        "html": lambda: render_template("review.html", **context),
        "pdf": lambda: html_to_pdf(render_template("review.html", **context)),
        "md": lambda: render_template("review.md", **context),
    }
    if fmt not in makers:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(REVIEW_FORMATS)}")
    return DocumentFile.of(pack.filename_stem, fmt, makers[fmt]())

"""One PDF from parts printed apart: pages in order, in-document links, page margins laid under.

The parts come from `pdf.py`'s worker processes, each a run of whole pages.
A link whose target is in another part cannot be resolved by the process that
printed it, so parts are printed without their internal links and report
them, and their anchors, instead; here every internal link is written again
against the joined page numbers. Page numbers ("Page 3 of 53") need the
total, so the parts are printed without margin boxes and `margins(total)`
prints those boxes alone, one page each, which go under each joined page, as
a page's margin boxes sit under its content.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Rect = tuple[float, float, float, float]


@dataclass(frozen=True)
class Part:
    """A run of printed pages; positions are PDF points from the page's bottom-left."""

    pdf: bytes
    pages: int
    links: tuple[tuple[int, str, Rect], ...]  # (page in this part, anchor name, area)
    anchors: dict[str, tuple[int, float, float]]  # first occurrence: (page in this part, x, y)


def join_parts(parts: Sequence[Part], margins: Callable[[int], Callable[[], bytes]]) -> bytes:
    """`margins(total)` starts printing the margin boxes and returns a wait for them."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import Link
    from pypdf.generic import Fit

    margin_pdf = margins(sum(part.pages for part in parts))
    writer = PdfWriter()
    anchors: dict[str, tuple[int, float, float]] = {}
    links: list[tuple[int, str, Rect]] = []
    for part in parts:
        offset = len(writer.pages)
        writer.append(PdfReader(io.BytesIO(part.pdf)))
        for name, (page, x, y) in part.anchors.items():
            anchors.setdefault(name, (page + offset, x, y))
        links += [(page + offset, target, rect) for page, target, rect in part.links]
    for page, target, rect in links:
        if target in anchors:
            to, x, y = anchors[target]
            writer.add_annotation(page, Link(rect=rect, target_page_index=to,
                                             fit=Fit.xyz(x, y, 0), border=[0, 0, 0]))
    under = PdfReader(io.BytesIO(margin_pdf())).pages
    if len(under) != len(writer.pages):
        raise ValueError(f"margin boxes for {len(under)} pages, not {len(writer.pages)}")
    for joined, margin in zip(writer.pages, under, strict=True):
        joined.merge_page(margin, over=False)
        joined.compress_content_streams()
    first = PdfReader(io.BytesIO(parts[0].pdf)).metadata
    if first:
        writer.add_metadata(dict(first))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()

"""PDF from the document's own HTML, with WeasyPrint (Pango for text layout).

WeasyPrint needs Pango and fonts from the system (Debian: libpango-1.0-0,
libpangoft2-1.0-0, fonts-dejavu-core, fonts-dejavu-extra for the condensed
face, and libharfbuzz-subset0, without which it subsets fonts with fontTools,
slower); it is imported only when a PDF is asked for, so everything else runs
without them. Documents embed their
pictures as data: URIs, so the fetcher allows nothing else: entry text can
never make the renderer reach a file or the network.

WeasyPrint lays a document out on one core: about 5 s for a 300-entry
portfolio. A long document's chapters (`<section class="chapter">`, each
opening a page) lay out alike alone, so they are printed in worker processes
at once and their pages joined (`pdf_join`), with page numbers and
in-document links across chapters kept. The workers start from a fork server
that has WeasyPrint imported, once per process, and are kept.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import re
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from bot.documents.pdf_join import Part, join_parts

SPLIT_FROM = 60_000  # characters of HTML; a shorter document prints faster in one process
CSS_PX_TO_PT = 0.75
_BODY = re.compile(r"<body[^>]*>")
_CHAPTER = re.compile(r'<section class="chapter"')
_MARGIN_BOXES = ("top-left-corner", "top-left", "top-center", "top-right", "top-right-corner",
                 "bottom-left-corner", "bottom-left", "bottom-center", "bottom-right",
                 "bottom-right-corner", "left-top", "left-middle", "left-bottom", "right-top",
                 "right-middle", "right-bottom")
_NO_MARGIN_BOXES = ("<style>@page { "
                    + " ".join(f"@{box} {{ content: none }}" for box in _MARGIN_BOXES) + " }</style>")


def html_to_pdf(html: str, *, split_from: int = SPLIT_FROM) -> bytes:
    """A4 and page numbers come from the HTML's own `@page` rules."""
    split = Split.of(html) if len(html) >= split_from and workers() > 1 else None
    if split is None:
        return _print(html)
    pool = _POOL.get()
    order = sorted(range(len(split.bodies)), key=lambda i: -len(split.bodies[i]))
    try:
        futures = {i: pool.submit(print_part, split.part(i)) for i in order}
        parts = [futures[i].result() for i in range(len(split.bodies))]
        return join_parts(parts, lambda pages: pool.submit(_print, split.margins(pages)).result)
    except BrokenProcessPool:  # a worker died (killed, out of memory): print here, start afresh
        _POOL.discard(pool)
        return _print(html)


def warm_up() -> None:
    """Pay WeasyPrint's import and font set-up, here and in the workers, before a first document."""
    _print("<p>warm-up</p>")
    if workers() > 1:
        list(_POOL.get().map(_print, ["<p>warm-up</p>"] * workers()))


@dataclass(frozen=True)
class Split:
    """A document cut before each chapter: the parts share its head and close like it."""

    head: str  # up to and including <body ...>
    bodies: tuple[str, ...]
    tail: str  # from </body>

    @classmethod
    def of(cls, html: str) -> Split | None:
        body, end = _BODY.search(html), html.rfind("</body>")
        if body is None or end < body.end():
            return None
        inner = html[body.end():end]
        cuts = [0, *(m.start() for m in _CHAPTER.finditer(inner) if m.start() > 0), len(inner)]
        if len(cuts) < 3:
            return None
        return cls(html[:body.end()], tuple(inner[a:b] for a, b in itertools.pairwise(cuts)),
                   html[end:])

    def part(self, index: int) -> str:
        """A chapter alone, without the page's margin boxes (`margins` prints them)."""
        return self.head.replace("</head>", _NO_MARGIN_BOXES + "</head>", 1) + self.bodies[index] + self.tail

    def margins(self, pages: int) -> str:
        """`pages` empty pages: only the margin boxes show, numbered as in the whole.

        The total is written in (`counter(pages)` would make WeasyPrint lay the pages out twice).
        """
        head = self.head.replace("counter(pages)", f'"{pages}"')
        return head + '<div style="break-before: page"></div>' * pages + self.tail


def print_part(html: str) -> Part:
    """Print in a worker; internal links are left to `join_parts`, which knows every anchor."""
    from weasyprint import HTML

    document = HTML(string=html, url_fetcher=_fetcher()).render()
    links: list[tuple[int, str, tuple[float, float, float, float]]] = []
    anchors: dict[str, tuple[int, float, float]] = {}
    for number, page in enumerate(document.pages):
        height = page.height
        for name, point in page.anchors.items():
            anchors.setdefault(name, (number, point[0] * CSS_PX_TO_PT, (height - point[1]) * CSS_PX_TO_PT))
        for kind, target, (x1, y1, x2, y2), _box in page.links:
            if kind == "internal":
                links.append((number, target, (x1 * CSS_PX_TO_PT, (height - y2) * CSS_PX_TO_PT,
                                               x2 * CSS_PX_TO_PT, (height - y1) * CSS_PX_TO_PT)))
        page.links[:] = [link for link in page.links if link[0] != "internal"]
    pdf = document.write_pdf()
    assert pdf is not None
    return Part(bytes(pdf), len(document.pages), tuple(links), anchors)


def _print(html: str) -> bytes:
    from weasyprint import HTML

    pdf = HTML(string=html, url_fetcher=_fetcher()).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def _fetcher() -> object:
    from weasyprint import URLFetcher

    return URLFetcher(allowed_protocols={"data"})


def workers() -> int:
    """Processes that print chapters at once: one per core this process may use, at most 4."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(usable or 1, 4)


class _Pool:
    """The worker processes: started on first use, kept, and started again if one died."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["weasyprint", "bot.documents.pdf"])
                self._executor = ProcessPoolExecutor(max_workers=workers(), mp_context=context)
            return self._executor

    def discard(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)


_POOL = _Pool()

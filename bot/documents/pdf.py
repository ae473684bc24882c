"""PDF from the document's own HTML, with WeasyPrint (Pango for text layout).

WeasyPrint needs Pango and fonts from the system (Debian: libpango-1.0-0,
libpangoft2-1.0-0, fonts-dejavu-core); it is imported only when a PDF is
asked for, so everything else runs without them. Documents embed their
pictures as data: URIs, so the fetcher allows nothing else: entry text can
never make the renderer reach a file or the network.
"""

from __future__ import annotations


def html_to_pdf(html: str) -> bytes:
    """A4 and page numbers come from the HTML's own `@page` rules."""
    from weasyprint import HTML, URLFetcher

    pdf = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
    assert pdf is not None
    return bytes(pdf)

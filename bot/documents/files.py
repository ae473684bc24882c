"""A rendered document as a file: name, bytes and media type, ready to attach or write."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHAT_DOCUMENT_FORMAT = "pdf"  # what chat delivers: an assessor or a review meeting reads it
MEDIA_TYPES = {"html": "text/html", "pdf": "application/pdf", "md": "text/markdown",
               "csv": "text/csv"}


@dataclass(frozen=True)
class DocumentFile:
    filename: str
    content: bytes
    media_type: str

    @classmethod
    def of(cls, stem: str, fmt: str, content: str | bytes) -> DocumentFile:
        data = content.encode("utf-8") if isinstance(content, str) else content
        return cls(f"{stem}.{fmt}", data, MEDIA_TYPES[fmt])

    @property
    def text(self) -> str:
        """The content as text (PDF excepted), e.g. to print to a terminal."""
        return self.content.decode("utf-8")


def cell(value: object) -> str:
    """Spreadsheet-inert text: a leading formula character gets a quote (CSV injection)."""
    text = value if isinstance(value, str) else "" if value is None else f"{value:g}" \
        if isinstance(value, float) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()


def export_metadata(file: DocumentFile, *, redo: dict[str, Any] | None = None) -> dict[str, Any]:
    """What adapters read to deliver a document as a file in the person's own 1:1 chat.

    Text formats travel as text, a PDF as bytes. `redo` ({"action", "payload"}) says how to
    make it again where a platform asks first and delivers later (Teams' file consent).
    """
    content: str | bytes = file.content if file.media_type == "application/pdf" else file.text
    found: dict[str, Any] = {"format": file.filename.rsplit(".", 1)[-1], "filename": file.filename,
                             "content": content}
    if redo:
        found["redo"] = redo
    return found

"""The documents a standard's index holds: each KSB's wording and guidance views, and each duty.

Plain data, no vector store: the shipped-vector writer, the staleness test and the
index all enumerate documents the same way without importing Chroma or LangChain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from knowledge.guidance import KsbGuidance
from knowledge.registry import Knowledge

ACTIVITY = "activity"  # the group of typical logged activities; matched against reflections only


@dataclass(frozen=True)
class IndexDocument:
    id: str
    text: str
    metadata: dict[str, Any]

    @property
    def key(self) -> str:
        return text_key(self.text)


def text_key(text: str) -> str:
    """A vector depends only on its text (for one embedder), so its text's hash keys it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _ksb_views(ksb_id: str, kind_name: str, text: str, guide: KsbGuidance | None) -> Iterator[tuple[str, str]]:
    yield "text", f"{ksb_id} ({kind_name}): {text}"
    if guide is None:
        return
    if guide.explanation:
        yield "explanation", guide.explanation
    for n, example in enumerate(guide.evidence):
        yield f"evidence{n}", example
    if guide.keywords:
        yield "keywords", ", ".join(guide.keywords)
    for n, activity in enumerate(guide.activities):
        yield f"{ACTIVITY}{n}", activity


def index_documents(knowledge: Knowledge) -> list[IndexDocument]:
    docs: list[IndexDocument] = []
    for ksb in knowledge.standard.ksbs:
        guide = knowledge.guidance.for_ksb(ksb.id)
        for view, text in _ksb_views(ksb.id, ksb.kind_name, ksb.text, guide):
            group = ACTIVITY if view.startswith(ACTIVITY) else "ksb"
            docs.append(IndexDocument(f"{ksb.id}:{view}", text,
                                      {"ksb": ksb.id, "duty": 0, "view": view, "group": group}))
    for duty in knowledge.standard.duties:
        summary = knowledge.guidance.duties.get(duty.number, "")
        content = f"Duty {duty.number}: {duty.text} {summary}".strip()
        docs.append(IndexDocument(f"D{duty.number}:duty", content,
                                  {"ksb": "", "duty": duty.number, "view": "duty", "group": "duty"}))
    return docs


def inputs_hash(docs: list[IndexDocument]) -> str:
    """Over the set of texts embedded: equal sets need no new vector."""
    return hashlib.sha256("\n".join(sorted({d.key for d in docs})).encode("ascii")).hexdigest()

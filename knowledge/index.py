"""The vector index: KSBs, duties and guidance in a Chroma collection via langchain-chroma.

Building is keyed by a content hash of standard + guidance + embedder, so an
unchanged input never re-embeds; a changed one rebuilds the collection.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from knowledge.guidance import KsbGuidance
from knowledge.registry import Knowledge

INDEX_SCHEMA = "4"
BATCH = 32
ACTIVITY = "activity"  # the group of typical logged activities; matched against reflections only


@dataclass(frozen=True)
class ChromaTarget:
    """Where the collection lives: an embedded path, or a server host."""

    path: Path | None = None
    host: str = ""
    port: int = 8000
    ssl: bool = False

    def client(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if self.host:
            return chromadb.HttpClient(
                host=self.host, port=self.port, ssl=self.ssl, settings=chroma_settings
            )
        assert self.path is not None
        self.path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(self.path), settings=chroma_settings)


def content_hash(knowledge: Knowledge, embedder_name: str) -> str:
    """Over what is embedded: the standard's text and the parsed guidance (bundled or added)."""
    guidance = knowledge.guidance
    parts = [
        INDEX_SCHEMA,
        embedder_name,
        knowledge.source_text,
        json.dumps({k: [g.explanation, g.evidence, g.keywords, g.activities] for k, g in guidance.ksbs.items()}),
        json.dumps(guidance.duties),
    ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


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


def documents(knowledge: Knowledge) -> list[Document]:
    docs: list[Document] = []
    for ksb in knowledge.standard.ksbs:
        guide = knowledge.guidance.for_ksb(ksb.id)
        for view, text in _ksb_views(ksb.id, ksb.kind_name, ksb.text, guide):
            group = ACTIVITY if view.startswith(ACTIVITY) else "ksb"
            metadata = {"ksb": ksb.id, "duty": 0, "view": view, "group": group}
            docs.append(Document(page_content=text, metadata=metadata))
    for duty in knowledge.standard.duties:
        summary = knowledge.guidance.duties.get(duty.number, "")
        content = f"Duty {duty.number}: {duty.text} {summary}".strip()
        docs.append(Document(page_content=content, metadata={"ksb": "", "duty": duty.number,
                                                                 "view": "duty", "group": "duty"}))
    return docs


class KsbIndex:
    """Owns one standard's Chroma collection; `vectorstore` is the langchain Chroma over it."""

    def __init__(self, *, knowledge: Knowledge, embeddings: Embeddings, embedder_name: str,
                 target: ChromaTarget, collection_prefix: str = "ksb") -> None:
        from langchain_chroma import Chroma

        self.knowledge = knowledge
        self._embeddings = embeddings
        self._matrix: tuple[list[dict[str, Any]], Any] | None = None
        self.digest = content_hash(knowledge, embedder_name)
        self._client = target.client()
        self._name = f"{collection_prefix}_{knowledge.standard.slug}"
        self.vectorstore = Chroma(
            client=self._client,
            collection_name=self._name,
            embedding_function=embeddings,
            collection_metadata={"hnsw:space": "cosine"},
        )

    def _stored_digest(self) -> str:
        collection = self._client.get_collection(self._name)
        return str((collection.metadata or {}).get("content_hash", ""))

    def is_current(self) -> bool:
        try:
            return self._stored_digest() == self.digest and self.vectorstore._collection.count() > 0
        except Exception:
            return False

    def build(self, *, force: bool = False, progress: Callable[[int, int], None] | None = None) -> bool:
        """Embed everything unless the stored hash matches; True when it (re)built."""
        if not force and self.is_current():
            return False
        self.vectorstore.reset_collection()
        self._matrix = None
        docs = documents(self.knowledge)
        for start in range(0, len(docs), BATCH):
            batch = docs[start : start + BATCH]
            ids = [f"{d.metadata['ksb'] or 'D' + str(d.metadata['duty'])}:{d.metadata['view']}" for d in batch]
            self.vectorstore.add_documents(batch, ids=ids)
            if progress is not None:
                progress(min(start + BATCH, len(docs)), len(docs))
        self._client.get_collection(self._name).modify(metadata={"content_hash": self.digest})
        return True

    def search(self, query: str, k: int) -> list[tuple[Document, float]]:
        """Nearest documents with cosine similarity (1 - cosine distance), typical activities left out.

        Activities are written like reflections, not questions; matched against
        questions they let chatty off-topic text ("tell me a joke about models")
        clear the on-topic floor.
        """
        where: dict[str, Any] = {"group": {"$ne": ACTIVITY}}
        hits = self.vectorstore.similarity_search_with_score(query, k=k, filter=where)
        return [(doc, 1.0 - float(distance)) for doc, distance in hits]

    def scan(self, query: str) -> list[tuple[dict[str, Any], float]]:
        """Exact cosine similarity of `query` to every document, as (metadata, similarity).

        Scoring a reflection needs every KSB's similarity, not the nearest k, so
        the collection's vectors are read once and compared in memory (well
        under a millisecond for a standard's thousand documents, against tens
        of milliseconds for a Chroma query returning them all).
        """
        import numpy as np

        if self._matrix is None:
            got = self._client.get_collection(self._name).get(include=["embeddings", "metadatas"])
            vectors = np.asarray(got["embeddings"], dtype=np.float32)
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            self._matrix = ([dict(m or {}) for m in got["metadatas"]], vectors)
        metadatas, vectors = self._matrix
        q = np.asarray(self._embeddings.embed_query(query), dtype=np.float32)
        sims = vectors @ (q / max(float(np.linalg.norm(q)), 1e-12))
        return list(zip(metadatas, map(float, sims), strict=True))

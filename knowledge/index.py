"""The vector index: KSBs, duties and guidance in a Chroma collection via langchain-chroma.

Building is keyed by a hash of exactly what the collection holds, so an
unchanged input never rebuilds. A rebuild embeds only texts that have no vector
yet: vectors come from the package's shipped file (`knowledge/shipped.py`) and
from the collection being replaced, when the same embedder made them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from knowledge.documents import ACTIVITY, IndexDocument, index_documents, text_key
from knowledge.registry import Knowledge
from knowledge.shipped import REGENERATE, ShippedVectorsError, read_shipped

log = logging.getLogger(__name__)

INDEX_SCHEMA = "5"
EMBED_BATCH = 32
LOAD_BATCH = 256
Progress = Callable[[str, int, int], None]
"""Told (what is happening, done, total) as a build goes; the CLI draws it as a progress bar."""


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


def content_hash(docs: list[IndexDocument], embedder_name: str) -> str:
    """Over exactly what the collection holds: each document's id, text and metadata, and the embedder."""
    rows = [[d.id, d.key, d.metadata] for d in docs]
    parts = [INDEX_SCHEMA, embedder_name, json.dumps(rows, sort_keys=True)]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


class KsbIndex:
    """Owns one standard's Chroma collection; `vectorstore` is the langchain Chroma over it."""

    def __init__(self, *, knowledge: Knowledge, embeddings: Embeddings, embedder_name: str,
                 target: ChromaTarget, collection_prefix: str = "ksb", shipped: Path | None = None) -> None:
        from langchain_chroma import Chroma

        self.knowledge = knowledge
        self._embeddings = embeddings
        self._embedder_name = embedder_name
        self._shipped = shipped
        self._matrix: tuple[list[dict[str, Any]], Any] | None = None
        self._docs = index_documents(knowledge)
        self.digest = content_hash(self._docs, embedder_name)
        self._client = target.client()
        self._name = f"{collection_prefix}_{knowledge.standard.slug}"
        self.vectorstore = Chroma(
            client=self._client,
            collection_name=self._name,
            embedding_function=embeddings,
            collection_metadata={"hnsw:space": "cosine"},
        )

    def _stored_metadata(self) -> dict[str, Any]:
        return dict(self._client.get_collection(self._name).metadata or {})

    def is_current(self) -> bool:
        try:
            stored = self._stored_metadata().get("content_hash")
            return stored == self.digest and self.vectorstore._collection.count() > 0
        except Exception:
            return False

    def build(self, *, force: bool = False, progress: Progress | None = None) -> bool:
        """Make the collection current unless it is; True when it (re)built.

        `force` re-embeds every text, trusting no stored or shipped vector.
        """
        if not force and self.is_current():
            return False
        report = progress or (lambda _what, _done, _total: None)
        vectors = {} if force else {**self._shipped_vectors(), **self._collection_vectors()}
        missing = sorted({d.text for d in self._docs if d.key not in vectors})
        vectors.update(self._embed(missing, report))
        self.vectorstore.reset_collection()
        self._matrix = None
        collection = self._client.get_collection(self._name)
        what = f"Loading {len(self._docs):,} vectors into the index"
        for start in range(0, len(self._docs), LOAD_BATCH):
            batch = self._docs[start : start + LOAD_BATCH]
            collection.add(ids=[d.id for d in batch], documents=[d.text for d in batch],
                           metadatas=[d.metadata for d in batch], embeddings=[vectors[d.key] for d in batch])
            report(what, min(start + LOAD_BATCH, len(self._docs)), len(self._docs))
        collection.modify(metadata={"content_hash": self.digest, "embedder": self._embedder_name})
        return True

    def _embed(self, texts: list[str], report: Progress) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        what = f"Embedding {len(texts):,} documents with {self._embedder_name}"
        for start in range(0, len(texts), EMBED_BATCH):
            batch = texts[start : start + EMBED_BATCH]
            out.update(zip(map(text_key, batch), self._embeddings.embed_documents(batch), strict=True))
            report(what, min(start + EMBED_BATCH, len(texts)), len(texts))
        return out

    def _shipped_vectors(self) -> dict[str, list[float]]:
        if self._shipped is None:
            return {}
        try:
            shipped = read_shipped(self._shipped)
        except ShippedVectorsError as exc:
            log.warning("Shipped vectors not used: %s; embedding instead (developers: %s).", exc, REGENERATE)
            return {}
        if shipped.embedder != self._embedder_name:
            log.warning("Shipped vectors were made by %s, not %s; embedding instead.",
                        shipped.embedder, self._embedder_name)
            return {}
        return shipped.lookup([d.key for d in self._docs])

    def _collection_vectors(self) -> dict[str, list[float]]:
        """Vectors of the collection about to be replaced, when the same embedder made them."""
        try:
            if self._stored_metadata().get("embedder") != self._embedder_name:
                return {}
            got = self._client.get_collection(self._name).get(include=["embeddings", "documents"])
        except Exception:
            return {}
        return {text_key(text): [float(x) for x in vector]
                for text, vector in zip(got["documents"] or [], got["embeddings"], strict=True)
                if text is not None}

    def stored_vectors(self) -> dict[str, list[float]]:
        """Every stored document's vector by text key: what a shipped file holds once the index is current."""
        return self._collection_vectors()

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
        if self._matrix is None:
            got = self._client.get_collection(self._name).get(include=["embeddings", "metadatas"])
            vectors = np.asarray(got["embeddings"], dtype=np.float32)
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            self._matrix = ([dict(m or {}) for m in got["metadatas"]], vectors)
        metadatas, vectors = self._matrix
        q = np.asarray(self._embeddings.embed_query(query), dtype=np.float32)
        sims = vectors @ (q / max(float(np.linalg.norm(q)), 1e-12))
        return list(zip(metadatas, map(float, sims), strict=True))

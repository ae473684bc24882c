"""The vector index: KSBs, duties and guidance, stored in a Chroma collection, searched exactly in memory.

Building is keyed by a hash of exactly what the collection holds, so an
unchanged input never rebuilds. A rebuild embeds only texts that have no vector
yet: vectors come from the package's shipped file (`knowledge/shipped.py`) and
from the collection being replaced, when the same embedder made them.

Nothing heavy happens until a search needs vectors: an answer found by an
explicit id never imports Chroma, numpy or the embedder. Those imports, deferred
on purpose, live in this module only (`_open`, `ChromaTarget.client`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from knowledge.documents import ACTIVITY, IndexDocument, index_documents, text_key
from knowledge.registry import Knowledge

if TYPE_CHECKING:
    from knowledge.shipped import Matrix

log = logging.getLogger(__name__)

INDEX_SCHEMA = "5"
EMBED_BATCH = 32
LOAD_BATCH = 256
Progress = Callable[[str, int, int], None]
"""Told (what is happening, done, total) as a build goes; the CLI draws it as a progress bar."""


class Embedder(Protocol):
    """Passage and query embeddings (the shape of langchain's `Embeddings`, without importing it)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


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
    """Owns one standard's Chroma collection; opens it, and builds it when stale, on first use.

    `progress` is told about a build that a search sets off, so a command that
    needs the index and finds none says what it is doing instead of going quiet.
    """

    def __init__(self, *, knowledge: Knowledge, embeddings: Embedder, embedder_name: str,
                 target: ChromaTarget, collection_prefix: str = "ksb", shipped: Path | None = None,
                 progress: Progress | None = None) -> None:
        self.knowledge = knowledge
        self._embeddings = embeddings
        self._embedder_name = embedder_name
        self._target = target
        self._shipped = shipped
        self._progress = progress
        self._docs = index_documents(knowledge)
        self.digest = content_hash(self._docs, embedder_name)
        self._name = f"{collection_prefix}_{knowledge.standard.slug}"
        self._lock = threading.RLock()
        self._client: Any = None
        self._matrix: tuple[list[IndexDocument], Matrix] | None = None

    @property
    def embeddings(self) -> Embedder:
        """The embedder, shared with intent routing so a message is embedded once (its query cache)."""
        return self._embeddings

    @property
    def embedder_name(self) -> str:
        return self._embedder_name

    def _collection(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._target.client()
            return self._client.get_or_create_collection(self._name, metadata={"hnsw:space": "cosine"})

    def _stored_metadata(self) -> dict[str, Any]:
        return dict(self._collection().metadata or {})

    def count(self) -> int:
        return int(self._collection().count())

    def is_current(self) -> bool:
        try:
            return self._stored_metadata().get("content_hash") == self.digest and self.count() > 0
        except Exception:
            return False

    def build(self, *, force: bool = False, progress: Progress | None = None) -> bool:
        """Make the collection current unless it is; True when it (re)built.

        `force` re-embeds every text, trusting no stored or shipped vector.
        """
        with self._lock:
            if not force and self.is_current():
                return False
            self._rebuild(force=force, report=progress or self._progress or (lambda _what, _done, _total: None))
            return True

    def _rebuild(self, *, force: bool, report: Progress) -> None:
        self._drop_snapshots()
        vectors = {} if force else {**self._shipped_vectors(), **self._collection_vectors()}
        missing = sorted({d.text for d in self._docs if d.key not in vectors})
        vectors.update(self._embed(missing, report))
        self._collection()
        self._client.delete_collection(self._name)
        self._matrix = None
        collection = self._collection()
        what = f"Loading {len(self._docs):,} vectors into the index"
        for start in range(0, len(self._docs), LOAD_BATCH):
            batch = self._docs[start : start + LOAD_BATCH]
            collection.add(ids=[d.id for d in batch], documents=[d.text for d in batch],
                           metadatas=[d.metadata for d in batch], embeddings=[vectors[d.key] for d in batch])
            report(what, min(start + LOAD_BATCH, len(self._docs)), len(self._docs))
        collection.modify(metadata={"content_hash": self.digest, "embedder": self._embedder_name})

    def _embed(self, texts: list[str], report: Progress) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        what = f"Embedding {len(texts):,} documents with {self._embedder_name}"
        for start in range(0, len(texts), EMBED_BATCH):
            batch = texts[start : start + EMBED_BATCH]
            out.update(zip(map(text_key, batch), self._embeddings.embed_documents(batch), strict=True))
            report(what, min(start + EMBED_BATCH, len(texts)), len(texts))
        return out

    def _shipped_vectors(self) -> dict[str, list[float]]:
        from knowledge.shipped import shipped_lookup

        return shipped_lookup(self._shipped, embedder=self._embedder_name, keys=[d.key for d in self._docs])

    def _collection_vectors(self) -> dict[str, list[float]]:
        """Vectors of the collection about to be replaced, when the same embedder made them."""
        try:
            if self._stored_metadata().get("embedder") != self._embedder_name:
                return {}
            got = self._collection().get(include=["embeddings", "documents"])
        except Exception:
            return {}
        return {text_key(text): [float(x) for x in vector]
                for text, vector in zip(got["documents"] or [], got["embeddings"], strict=True)
                if text is not None}

    def stored_vectors(self) -> dict[str, list[float]]:
        """Every stored document's vector by text key: what a shipped file holds once the index is current."""
        return self._collection_vectors()

    def _loaded(self) -> tuple[list[IndexDocument], Matrix]:
        """Every document and its unit vector, read once.

        From the local snapshot of exactly this content when there is one (numpy
        only: a cold free-text answer skips importing Chroma, about a second),
        else from the collection, built first when stale, then snapshotted.
        """
        with self._lock:
            if self._matrix is None:
                vectors = self._read_snapshot()
                if vectors is None:
                    vectors = self._read_collection()
                    self._write_snapshot(vectors)
                self._matrix = (self._docs, vectors)
            return self._matrix

    def _read_collection(self) -> Matrix:
        from knowledge.similarity import unit_rows

        self.build()
        got = self._collection().get(include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
        return unit_rows([by_id[d.id] for d in self._docs])

    def _snapshot(self) -> Path | None:
        """Named by the content hash, inside the embedded Chroma directory (gone with it); none for a server."""
        path = self._target.path
        return None if path is None else path / f"{self._name}-{self.digest[:16]}.npy"

    def _read_snapshot(self) -> Matrix | None:
        import numpy as np

        snapshot = self._snapshot()
        if snapshot is None or not snapshot.exists():
            return None
        try:
            vectors = np.load(snapshot, allow_pickle=False)
        except (OSError, ValueError):
            return None
        return vectors if vectors.shape[0] == len(self._docs) and vectors.dtype == np.float32 else None

    def _write_snapshot(self, vectors: Matrix) -> None:
        import numpy as np

        snapshot = self._snapshot()
        if snapshot is None:
            return
        self._drop_snapshots()
        partial = snapshot.with_name(snapshot.name + ".partial")
        with partial.open("wb") as out:
            np.save(out, vectors, allow_pickle=False)
        os.replace(partial, snapshot)

    def _drop_snapshots(self) -> None:
        if self._target.path is not None:
            for old in self._target.path.glob(f"{self._name}-*.npy"):
                old.unlink(missing_ok=True)

    def _similarities(self, query: str) -> tuple[list[IndexDocument], list[float]]:
        from knowledge.similarity import cosine

        docs, vectors = self._loaded()
        return docs, [float(x) for x in cosine(vectors, self._embeddings.embed_query(query))]

    def search(self, query: str, k: int) -> list[tuple[IndexDocument, float]]:
        """The k nearest documents by cosine similarity, typical activities left out.

        Activities are written like reflections, not questions; matched against
        questions they let chatty off-topic text ("tell me a joke about models")
        clear the on-topic floor.
        """
        docs, sims = self._similarities(query)
        ranked = sorted((n for n, d in enumerate(docs) if d.metadata.get("group") != ACTIVITY),
                        key=lambda n: sims[n], reverse=True)
        return [(docs[n], sims[n]) for n in ranked[:k]]

    def scan(self, query: str) -> list[tuple[dict[str, Any], float]]:
        """Exact cosine similarity of `query` to every document, as (metadata, similarity).

        A standard holds about a thousand documents: reading their vectors once
        and comparing in memory takes well under a millisecond, exact, where a
        Chroma query returning them all takes tens of milliseconds.
        """
        docs, sims = self._similarities(query)
        return [(d.metadata, s) for d, s in zip(docs, sims, strict=True)]

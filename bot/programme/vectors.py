"""Query-mode vectors of the programme answers' views, embedded once and kept beside the KSB index.

Views are questions ("how often are reviews?"), so they are embedded the way
questions are (e5's query mode) and compared question to question. Embedding
them takes seconds, so the vectors live in their own Chroma collection keyed by
a content hash: every later process (and every replica of a Chroma server)
reads them instead of embedding again.
"""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING, Any

from knowledge.index import ChromaTarget, Embedder

if TYPE_CHECKING:
    from knowledge.shipped import Matrix

SCHEMA = "1"


def _digest(texts: list[str], embedder_name: str) -> str:
    return hashlib.sha256("\x1f".join([SCHEMA, embedder_name, *texts]).encode("utf-8")).hexdigest()


def _normalised(rows: Any) -> Matrix:
    import numpy as np  # deferred: a question that names a KSB id never needs it

    matrix = np.asarray(rows, dtype=np.float32)
    return np.asarray(matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12))


class ViewVectors:
    """The matrix of `texts` (one row each, unit length), from the store when current, else embedded and stored."""

    def __init__(self, *, texts: list[str], embeddings: Embedder, embedder_name: str,
                 target: ChromaTarget | None, collection: str) -> None:
        self._texts = texts
        self._embeddings = embeddings
        self._target = target
        self._collection = collection
        self._digest = _digest(texts, embedder_name)
        self._matrix: Matrix | None = None
        self._lock = threading.Lock()

    def matrix(self) -> Matrix:
        with self._lock:
            if self._matrix is None:
                self._matrix = self._stored() if self._target is not None else None
                if self._matrix is None:
                    self._matrix = _normalised([self._embeddings.embed_query(t) for t in self._texts])
                    if self._target is not None:
                        self._store(self._matrix)
            return self._matrix

    def query(self, text: str) -> Matrix:
        """Cosine similarity of `text` to every view."""
        import numpy as np

        q = np.asarray(self._embeddings.embed_query(text), dtype=np.float32)
        return np.asarray(self.matrix() @ (q / max(float(np.linalg.norm(q)), 1e-12)))

    def _stored(self) -> Matrix | None:
        assert self._target is not None
        client = self._target.client()
        try:
            collection = client.get_collection(self._collection)
        except Exception:  # noqa: BLE001 - chroma raises different types for a missing collection
            return None
        if (collection.metadata or {}).get("content_hash") != self._digest:
            return None
        got = collection.get(include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
        rows = [by_id.get(str(n)) for n in range(len(self._texts))]
        if any(row is None for row in rows):
            return None
        return _normalised(rows)

    def _store(self, matrix: Matrix) -> None:
        assert self._target is not None
        client = self._target.client()
        try:
            client.delete_collection(self._collection)
        except Exception:  # noqa: BLE001, S110 - nothing to delete yet
            pass
        collection = client.create_collection(self._collection, metadata={"content_hash": self._digest})
        collection.add(ids=[str(n) for n in range(len(self._texts))], embeddings=matrix.tolist(),
                       documents=list(self._texts))

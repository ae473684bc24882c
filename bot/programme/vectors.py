"""Query-mode vectors of the programme answers' views: shipped with the package, kept beside the KSB index.

Views are questions ("how often are reviews?"), so they are embedded the way
questions are (e5's query mode) and compared question to question. Embedding
them all takes seconds, so they ship in `knowledge/vectors/programme.npz`
(written by `ksb-coach index --write-shipped`), keyed by each view's text hash;
a view without a shipped vector (an edited fact) is embedded on its own. The
result is kept in its own Chroma collection under a content hash, so a later
process (or another replica of a Chroma server) reads it back.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.documents import text_key
from knowledge.index import ChromaTarget, Embedder
from knowledge.registry import VECTORS_DIR

if TYPE_CHECKING:
    from knowledge.shipped import Matrix

SCHEMA = "2"
SHIPPED = VECTORS_DIR / "programme.npz"


def view_key(text: str) -> str:
    """A view's vector is a query vector: the prefix keeps its key apart from a passage vector of the same text."""
    return text_key(f"query: {text}")


def keys_hash(keys: list[str]) -> str:
    """The shipped file's `inputs`: over the set of views it holds."""
    return hashlib.sha256("\n".join(sorted(keys)).encode("ascii")).hexdigest()


def _digest(texts: list[str], embedder_name: str) -> str:
    return hashlib.sha256("\x1f".join([SCHEMA, embedder_name, *texts]).encode("utf-8")).hexdigest()


class ViewVectors:
    """The matrix of `texts`, one unit-length row each."""

    def __init__(self, *, texts: list[str], embeddings: Embedder, embedder_name: str,
                 target: ChromaTarget | None, collection: str, shipped: Path | None = None) -> None:
        self._texts = texts
        self._embeddings = embeddings
        self._embedder_name = embedder_name
        self._target = target
        self._collection = collection
        self._shipped = shipped
        self._digest = _digest(texts, embedder_name)
        self._matrix: Matrix | None = None
        self._lock = threading.Lock()

    def matrix(self) -> Matrix:
        with self._lock:
            if self._matrix is None:
                self._matrix = self._load()
            return self._matrix

    def _load(self) -> Matrix:
        """Shipped vectors when they cover every view (no Chroma, no embedding); else stored; else embedded."""
        from knowledge.similarity import unit_rows

        known = self._shipped_vectors()
        if all(view_key(t) in known for t in self._texts):
            return unit_rows([known[view_key(t)] for t in self._texts])
        stored = self._stored() if self._target is not None else None
        if stored is not None:
            return stored
        matrix = unit_rows([known.get(view_key(t)) or self._embeddings.embed_query(t) for t in self._texts])
        if self._target is not None:
            self._store(matrix)
        return matrix

    def by_key(self) -> dict[str, list[float]]:
        """Every view's vector under its key, for writing the shipped file."""
        return {view_key(t): [float(x) for x in row] for t, row in zip(self._texts, self.matrix(), strict=True)}

    def query(self, text: str) -> Matrix:
        """Cosine similarity of `text` to every view."""
        from knowledge.similarity import cosine  # deferred: a question that names a KSB id never needs numpy

        return cosine(self.matrix(), self._embeddings.embed_query(text))

    def _shipped_vectors(self) -> dict[str, list[float]]:
        from knowledge.shipped import shipped_lookup

        return shipped_lookup(self._shipped, embedder=self._embedder_name, keys=[view_key(t) for t in self._texts])

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
        from knowledge.similarity import unit_rows

        return unit_rows(rows)

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

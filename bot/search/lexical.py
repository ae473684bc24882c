"""BM25 over short KSB documents: bm25s scores, PyStemmer's Snowball English stemmer stems.

Only the tokenizer is ours. The stopwords are NLTK's English list as bm25s ships it (which,
unlike longer lists, keeps "system", "test", "value"), adjusted by knowledge/stopwords.yaml:
two words kept ("taught myself") and the words apprentices wrap questions in added ("pls",
"ksb", "show me", contractions typed without apostrophes).
bm25s, and numpy under it, load on the first score, so a reply to an explicit id never
pays for them (see bot/wiring.py's list of deferred imports).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from functools import cached_property
from typing import TYPE_CHECKING

import Stemmer

from knowledge.stopwords import stopwords

if TYPE_CHECKING:
    import bm25s

_TOKEN = re.compile(r"[a-z0-9]+")
_STEMMER = Stemmer.Stemmer("english")
STOPWORDS = stopwords()


def tokens(text: str) -> list[str]:
    """Lower-cased words, stopwords and single letters dropped, Snowball-stemmed."""
    words = [t for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS and len(t) > 1]
    stems: list[str] = _STEMMER.stemWords(words)
    return stems


def all_words(text: str) -> list[str]:
    """Every lower-cased word, stemmed, stopwords kept: for phrases whose small words carry the
    meaning ("owned up", "made the call"), which `tokens` would shrink to one word."""
    stems: list[str] = _STEMMER.stemWords(_TOKEN.findall(text.lower()))
    return stems


class Bm25:
    """Okapi BM25 (Lucene's idf, k1=1.2, b=0.5 by default); `score` returns raw scores per document key.

    bm25s leaves out Okapi's constant (k1 + 1) factor; it is put back so scores keep the
    scale the fitted fusion constants (`lexical_half`) were fitted on.
    """

    def __init__(self, docs: dict[str, str], *, k1: float = 1.2, b: float = 0.5) -> None:
        self._k1, self._b = k1, b
        self._keys = list(docs)
        self._docs = [tokens(text) for text in docs.values()]

    @cached_property
    def _index(self) -> bm25s.BM25:
        import bm25s  # numpy under it: only for a search, never for an explicit id

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets itself to DEBUG on import
        index = bm25s.BM25(method="lucene", k1=self._k1, b=self._b, dtype="float64")
        index.index(self._docs, show_progress=False)
        return index

    @cached_property
    def idf(self) -> dict[str, float]:
        """Each known term's Lucene idf, from how many documents the index holds it in."""
        n = len(self._docs)
        if not any(self._docs):  # nothing to index (bm25s would divide by an average length of 0)
            return {}
        indptr = self._index.scores["indptr"]
        vocab: dict[str, int] = self._index.vocab_dict
        return {term: math.log(1 + (n - df + 0.5) / (df + 0.5))
                for term, column in vocab.items() if term and (df := int(indptr[column + 1] - indptr[column]))}

    def score(self, query_tokens: Iterable[str]) -> dict[str, float]:
        terms = [t for t in dict.fromkeys(query_tokens) if t in self.idf]
        if not terms:
            return {}
        raw = self._index.get_scores(terms)
        return {key: float(s) * (self._k1 + 1) for key, s in zip(self._keys, raw, strict=True) if s}

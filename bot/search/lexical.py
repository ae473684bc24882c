"""BM25 over short KSB documents: bm25s scores, PyStemmer's Snowball English stemmer stems.

Only the tokenizer and the stopword list are ours: the list is tuned for how apprentices
type (contractions without apostrophes, "pls", "ksb", "show me") and keeps words the kept
lists drop although they carry meaning in this standard ("system", "test", "value").
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

if TYPE_CHECKING:
    import bm25s

_TOKEN = re.compile(r"[a-z0-9]+")
_STEMMER = Stemmer.Stemmer("english")
STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be been being both but by can
    could did do does doing done for from get got had has have having he her here hers him his how i
    if im in into is it its just me more most my no nor not now of off on once one only or other our
    out over own pls please same she should so some such than that the their them then there these
    they this those through to too under until up very was we were what whats when where which while
    who whom why will with would you your ive id ill dont didnt cant isnt really actually thing stuff
    ksb ksbs kind show need needs want know mean means covers cover about relate related relates
    standard like lot loads bit""".split()
)


def tokens(text: str) -> list[str]:
    """Lower-cased words, stopwords and single letters dropped, Snowball-stemmed."""
    words = [t for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS and len(t) > 1]
    stems: list[str] = _STEMMER.stemWords(words)
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

    def known_terms(self, query_tokens: Iterable[str]) -> list[str]:
        return [t for t in query_tokens if t in self.idf]

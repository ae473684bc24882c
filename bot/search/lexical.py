"""A small BM25 over short KSB documents, with a tokenizer tuned for how apprentices type."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

_TOKEN = re.compile(r"[a-z0-9]+")
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
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ness", "ment", "ments", "ers", "er",
             "ed", "es", "ly", "s")


def stem(token: str) -> str:
    """Crude suffix stripping; a trailing 'e' goes too, so 'scope' and 'scoped' meet."""
    for suffix in _SUFFIXES:
        if len(token) > len(suffix) + 3 and token.endswith(suffix):
            token = token[: -len(suffix)]
            break
    return token[:-1] if len(token) > 4 and token.endswith("e") else token


def tokens(text: str) -> list[str]:
    return [stem(t) for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS and len(t) > 1]


class Bm25:
    """Okapi BM25; `score` returns raw scores per document key."""

    def __init__(self, docs: dict[str, str], *, k1: float = 1.2, b: float = 0.5) -> None:
        self._k1, self._b = k1, b
        self._tf = {key: Counter(tokens(text)) for key, text in docs.items()}
        self._len = {key: sum(tf.values()) for key, tf in self._tf.items()}
        self._avg = sum(self._len.values()) / max(len(self._len), 1)
        df: Counter[str] = Counter()
        for tf in self._tf.values():
            df.update(tf.keys())
        n = len(self._tf)
        self.idf = {term: math.log(1 + (n - d + 0.5) / (d + 0.5)) for term, d in df.items()}

    def score(self, query_tokens: Iterable[str]) -> dict[str, float]:
        terms = [t for t in dict.fromkeys(query_tokens) if t in self.idf]
        scores: dict[str, float] = {}
        for key, tf in self._tf.items():
            total = 0.0
            norm = self._k1 * (1 - self._b + self._b * self._len[key] / self._avg)
            for term in terms:
                freq = tf.get(term, 0)
                if freq:
                    total += self.idf[term] * freq * (self._k1 + 1) / (freq + norm)
            if total:
                scores[key] = total
        return scores

    def known_terms(self, query_tokens: Iterable[str]) -> list[str]:
        return [t for t in query_tokens if t in self.idf]

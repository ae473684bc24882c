"""Read an entry the way its author meant it: shorthand expanded, misspelt words corrected.

Apprentices type fast ("deployd the new modle thru the cd pipline", "DPIA w/ the DPO"),
and neither BM25 nor the embedder forgives that. Shorthand comes from a glossary kept
as data; a word the standard and its guidance never use is replaced by the closest
word they do use (Damerau-Levenshtein through rapidfuzz), when one is close enough
for the word's length (symspellpy). A real English word (symspellpy's frequency
dictionary) is never "corrected" into a standard word: "fire drill" stays a fire drill.
Each word keeps what the author wrote, so reasons quote it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files

from symspellpy import SymSpell, Verbosity

_WORD = re.compile(r"[a-z0-9][a-z0-9'’]*")


@dataclass(frozen=True)
class Word:
    """One word or shorthand as written, and what the tagger reads instead ("" when unchanged)."""

    written: str
    read: str = ""

    @property
    def text(self) -> str:
        return self.read or self.written


def _shorthand_pattern(keys: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(keys, key=len, reverse=True)
    if not ordered:
        return None
    alternatives = "|".join(re.escape(k) for k in ordered)
    return re.compile(rf"(?<![\w/&])(?:{alternatives})(?![\w/&])", re.IGNORECASE)


def english_words() -> frozenset[str]:
    """The words of symspellpy's English frequency dictionary (82,765 words, shipped in its wheel)."""
    text = files("symspellpy").joinpath("frequency_dictionary_en_82_765.txt").read_text(encoding="utf-8")
    return frozenset(line.split(" ", 1)[0] for line in text.splitlines() if line)


class Reader:
    """Expands shorthand and corrects spelling against a vocabulary."""

    def __init__(self, *, glossary: Mapping[str, str], corpus: Iterable[str], english: Collection[str] = (),
                 min_length: int = 4) -> None:
        self._glossary = dict(glossary)
        self._pattern = _shorthand_pattern(self._glossary)
        counts: Counter[str] = Counter()
        for text in corpus:
            counts.update(_WORD.findall(text.lower()))
        for expansion in self._glossary.values():
            counts.update(_WORD.findall(expansion.lower()))
        self._counts = counts
        self._english = english
        self._speller = SymSpell(max_dictionary_edit_distance=2)
        for word, count in counts.items():
            if len(word) >= min_length - 1 and word.isalpha():
                self._speller.create_dictionary_entry(word, count)
        self._min_length = min_length
        self._memo: dict[str, str] = {}

    def correct(self, word: str) -> str:
        """The vocabulary word meant by `word`, or `word` itself when it is known or nothing is close."""
        lower = word.lower()
        if (lower in self._counts or lower in self._english or len(lower) < self._min_length
                or not lower.isalpha()):
            return lower
        if lower not in self._memo:
            limit = 1 if len(lower) < 8 else 2
            found = self._speller.lookup(lower, Verbosity.CLOSEST, max_edit_distance=limit)
            self._memo[lower] = found[0].term if found else lower
        return self._memo[lower]

    def words(self, text: str) -> list[Word]:
        """The entry as words, each with its reading; shorthand spans several words."""
        out: list[Word] = []
        position = 0
        spans = list(self._pattern.finditer(text)) if self._pattern else []
        for match in [*spans, None]:
            end = match.start() if match else len(text)
            for raw in _WORD.findall(text[position:end].lower()):
                fixed = self.correct(raw)
                out.append(Word(raw, fixed if fixed != raw else ""))
            if match:
                written = match.group(0)
                out.append(Word(written, f"{written.lower()} {self._glossary[written.lower()]}"))
                position = match.end()
        return out

    def read(self, text: str) -> str:
        """The entry as the tagger reads it."""
        return " ".join(w.text for w in self.words(text))

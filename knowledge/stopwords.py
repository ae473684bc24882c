"""Words dropped before lexical matching: NLTK's English list as bm25s ships it, adjusted by data.

knowledge/stopwords.yaml keeps a few of NLTK's words that carry meaning here and adds the
words apprentices wrap questions in. bm25s's package imports numpy, which a reply to an
explicit id never needs; its stopword module is plain data, so it is read on its own.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

ADJUSTMENTS_PATH = Path(__file__).parent / "stopwords.yaml"


def nltk_english() -> frozenset[str]:
    """`bm25s.stopwords.STOPWORDS_EN_PLUS` (NLTK's English list), without importing bm25s itself."""
    package = importlib.util.find_spec("bm25s")
    if package is None or not package.submodule_search_locations:
        raise ModuleNotFoundError("bm25s is not installed")
    path = Path(next(iter(package.submodule_search_locations))) / "stopwords.py"
    spec = importlib.util.spec_from_file_location("bm25s_stopword_lists", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return frozenset(module.STOPWORDS_EN_PLUS)


def stopwords(path: Path = ADJUSTMENTS_PATH) -> frozenset[str]:
    """NLTK's list without the file's `keep` words, with its `chat` words, all lower-cased."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}

    def words(key: str) -> frozenset[str]:
        return frozenset(str(word).strip().lower() for word in raw.get(key) or [])

    return (nltk_english() - words("keep")) | words("chat")

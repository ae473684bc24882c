"""Small real Taggers and a scripted Composer for the storage-backed tests.

They implement the ports (`bot.ports.Tagger`, `bot.ports.Composer`) rather than
patching anything, so the code under test runs exactly as in production.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from bot.ports import Composition, TagSuggestion
from bot.search.retrieval import Retrieval
from knowledge.registry import Knowledge


class KeywordTagger:
    """Suggests KSBs whose guidance keywords appear in the text: crude, but deterministic."""

    def __init__(self, knowledge: Knowledge) -> None:
        self._keywords = {ksb_id: [k.lower() for k in g.keywords]
                          for ksb_id, g in knowledge.guidance.ksbs.items()}
        self._order = [k.id for k in knowledge.standard.ksbs]
        self.calls: list[str] = []

    def suggest(self, text: str, *, top: int = 3) -> list[TagSuggestion]:
        self.calls.append(text)
        lowered = text.lower()
        found: list[TagSuggestion] = []
        for ksb_id in self._order:
            hits = [k for k in self._keywords.get(ksb_id, []) if len(k) > 3 and k in lowered]
            if hits:
                found.append(TagSuggestion(ksb_id, round(min(1.0, 0.4 + 0.2 * len(hits)), 2),
                                           f"mentions \u201c{hits[0]}\u201d"))
        found.sort(key=lambda s: -s.confidence)
        return found[:top]


class FixedTagger:
    """Always suggests the same tags (including, if asked, ids the standard lacks)."""

    def __init__(self, suggestions: list[TagSuggestion]) -> None:
        self._suggestions = suggestions

    def suggest(self, text: str, *, top: int = 3) -> list[TagSuggestion]:
        return list(self._suggestions[:top])


class RaisingTagger:
    """Dies mid-way through tagging."""

    def __init__(self) -> None:
        self.calls = 0

    def suggest(self, text: str, *, top: int = 3) -> list[TagSuggestion]:
        self.calls += 1
        raise RuntimeError("tagger crashed mid-way")


class BlockingTagger:
    """Blocks until released (or `limit` seconds): a tagger that overruns its timeout."""

    def __init__(self, limit: float = 10.0) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self._limit = limit

    def suggest(self, text: str, *, top: int = 3) -> list[TagSuggestion]:
        self.started.set()
        self.release.wait(self._limit)
        return [TagSuggestion("S1", 0.9, "too late")]


class ObservingTagger:
    """Runs `observe(text)` when called: lets a test look at the database mid-tagging."""

    def __init__(self, observe: Callable[[str], None], inner: KeywordTagger) -> None:
        self._observe = observe
        self._inner = inner

    def suggest(self, text: str, *, top: int = 3) -> list[TagSuggestion]:
        self._observe(text)
        return self._inner.suggest(text, top=top)


class ScriptedComposer:
    """A Composer whose `complete` answers come from a queue; records every prompt."""

    def __init__(self, answers: list[str | None] | None = None, *, delay: float = 0.0) -> None:
        self._answers: deque[str | None] = deque(answers or [])
        self.delay = delay
        self.history: list[tuple[str, str]] = []

    async def answer(self, *, question: str, retrieval: Retrieval,
                     knowledge: Knowledge) -> Composition:
        return Composition(text="", cited=[])

    async def complete(self, *, system: str, user: str) -> str | None:
        import asyncio

        self.history.append((system, user))
        if self.delay:
            await asyncio.sleep(self.delay)
        return self._answers.popleft() if self._answers else None

"""Storage latency: save an entry, and compute progress, for an apprentice with 500 entries.

In-process on a temp SQLite file; the tagger is a constant stand-in so only
storage and progress are measured (tagging has its own benchmark). Prints
p50/p95; never gates anything (the aim is p95 < 50 ms).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path

from bot.coaching.authz import Actor
from bot.coaching.evidence import suggest_evidence
from bot.coaching.progress import ProgressService
from bot.coaching.reflections import Reflections
from bot.config import Settings
from bot.handlers.progress_replies import EVIDENCE_WINDOW
from bot.ports import TagSuggestion
from bot.wiring import load_knowledge
from knowledge.registry import Knowledge
from storage import entries, people, tags
from storage.db import Database, open_database

ENTRIES = 500
RUNS = 200
TODAY = date(2026, 11, 20)


class ConstantTagger:
    def __init__(self, ids: list[str]) -> None:
        self._suggestions = [TagSuggestion(i, 0.7, "bench") for i in ids]

    def suggest(self, text: str, *, top: int = 3) -> list[TagSuggestion]:
        return self._suggestions[:top]


def seed(db: Database, knowledge: Knowledge) -> Actor:
    ids = [k.id for k in knowledge.standard.ksbs]
    with db.session() as session:
        person = people.ensure_person(session, platform="console", workspace_id="bench",
                                      user_id="apprentice", standard_ref="ST1398",
                                      today=TODAY - timedelta(days=400))
        assert person.id is not None
        for i in range(ENTRIES):
            entry = entries.add_entry(session, person_id=person.id,
                                      text=f"Entry {i}: worked on pipelines, models and reviews.",
                                      work_date=TODAY - timedelta(days=i % 400), otj_hours=1.5,
                                      status="ok")
            assert entry.id is not None
            for j, source in enumerate(("confirmed", "suggested", "suggested")):
                tags.set_tag(session, entry_id=entry.id, ksb_id=ids[(i * 3 + j) % 50],
                             source=source, confidence=0.6, reason="bench")
        session.commit()
        return Actor.of(person)


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return statistics.median(samples), cuts[94]


def timed(fn: Callable[[], Awaitable[object]], runs: int = RUNS) -> tuple[float, float]:
    async def go() -> list[float]:
        out = []
        for _ in range(runs):
            start = time.perf_counter()
            await fn()
            out.append((time.perf_counter() - start) * 1000)
        return out

    return percentiles(asyncio.run(go()))


def main() -> None:
    knowledge = load_knowledge(Settings.model_validate({}))
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            actor = seed(db, knowledge)
            reflections = Reflections(session_factory=db.session, knowledge=knowledge,
                                      tagger=ConstantTagger(["S24", "S10", "K2"]))
            progress = ProgressService(session_factory=db.session, knowledge=knowledge)

            async def save() -> object:
                return await reflections.record(actor=actor, text="Bench reflection text.",
                                                work_date=TODAY, hours=1.0)

            async def compute() -> object:
                return await progress.for_person_async(actor=actor, apprentice_id=actor.id,
                                                       today=TODAY)

            async def full_reply() -> object:
                p = await progress.for_person_async(actor=actor, apprentice_id=actor.id,
                                                    today=TODAY)
                views = await asyncio.to_thread(reflections.entries, actor=actor,
                                                person_id=actor.id, limit=EVIDENCE_WINDOW)
                return await suggest_evidence(knowledge=knowledge,
                                              weak_ids=[k.id for k in p.weakest], entries=views)

            rows = [("save entry (commit + tag + store)", timed(save)),
                    (f"compute progress ({ENTRIES}+ entries)", timed(compute)),
                    ("progress reply incl. evidence ideas", timed(full_reply, runs=100))]
        finally:
            db.dispose()
    print(f"== storage on SQLite, one apprentice with {ENTRIES} entries ==")
    for name, (p50, p95) in rows:
        print(f"{name:<40} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms")


if __name__ == "__main__":
    main()

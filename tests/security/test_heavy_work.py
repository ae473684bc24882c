"""Heavy work is bounded, fair and cancellable: one person's long submissions don't hold up anyone else.

Six long reflections from one person used to start six tagging threads at once, each
running on after its timeout; another person's "how am I doing?" then took 44 s. The
tagger here takes a fixed time in small steps and calls `checkpoint()` between them, as
the real one does between activities, so the test reads queueing and cancellation
from the order of events, not from a stopwatch.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bot.coach import Coach
from bot.handlers import storage_handlers
from bot.messages import Incoming, Reply, UserRef
from bot.ports import TagSuggestion
from bot.work_pool import Cancelled, PoolFull, WorkPool, checkpoint
from knowledge.registry import Knowledge
from storage.db import SessionFactory
from tests.fakes.keyword_tagger import ScriptedComposer
from tests.test_reflections import TODAY, NoRetriever

HEAVY = UserRef(platform="slack", workspace_id="T1", user_id="UHEAVY", display_name="Heavy")
OTHER = UserRef(platform="slack", workspace_id="T1", user_id="UOTHER", display_name="Other")
STEPS, STEP = 40, 0.05  # two seconds of tagging per entry, in checkpointed steps
TIMEOUT = 5.0
LONG = "I set up drift monitoring for the pricing model and wrote the runbook for it. " * 40


class SteppingTagger:
    """Tags in STEPS steps, checking for cancellation between them; records what ran, and how many at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.started: list[str] = []
        self.finished: list[str] = []
        self.stopped: list[str] = []

    def suggest(self, text: str, *, top: int = 3) -> list[TagSuggestion]:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.started.append(text)
        try:
            for _ in range(STEPS):
                checkpoint()
                time.sleep(STEP)
            with self.lock:
                self.finished.append(text)
            return [TagSuggestion("S24", 0.9, "drift monitoring")]
        except Cancelled:
            with self.lock:
                self.stopped.append(text)
            raise
        finally:
            with self.lock:
                self.running -= 1


async def test_long_submissions_queue_fairly_and_stop_when_nobody_waits(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    tagger = SteppingTagger()
    handlers = storage_handlers(session_factory=sessions, knowledge=knowledge, tagger=tagger,
                                composer=ScriptedComposer(), tagging_timeout=TIMEOUT, today=lambda: TODAY,
                                pool=WorkPool(workers=1, per_owner=4))
    coach = Coach(knowledge=knowledge, retriever=NoRetriever(), composer=ScriptedComposer(), handlers=handlers)
    heavy = [asyncio.create_task(coach.handle(Incoming(user=HEAVY, text=f"reflect: entry {i}. {LONG}")))
             for i in range(6)]
    while not tagger.started:  # the first long entry is being tagged
        await asyncio.sleep(0.01)
    other_entry = asyncio.create_task(coach.handle(Incoming(
        user=OTHER, text="reflect: other person. Wrote unit tests for the feature pipeline.")))
    progress: Reply = await coach.handle(Incoming(user=OTHER, text="how am I doing?"))
    heavy_done_when_answered = sum(t.done() for t in heavy)
    replies = await asyncio.gather(*heavy, other_entry)
    for _ in range(600):  # let any job still running reach its next checkpoint
        if tagger.running == 0:
            break
        await asyncio.sleep(0.05)

    assert progress.intent == "progress"
    assert heavy_done_when_answered < len(heavy)  # answered while the long ones were still queued
    assert tagger.most == 1  # bounded: one tagging at a time, not one thread per submission
    # fair: the other person's entry is tagged next, not after the heavy sender's backlog
    assert tagger.started[0].startswith("entry ") and tagger.started[1].startswith("other person")
    tagged = [r for r in replies if r.metadata.get("tagging_status") == "ok"]
    # cancellable: nothing finished tagging for a caller who had stopped waiting
    assert len(tagger.finished) == len(tagged)
    assert len(tagger.started) < len(heavy) + 1  # timed-out queued entries never started
    assert all(r.metadata.get("entry_id") for r in replies)  # every entry was saved regardless


async def test_a_full_queue_is_refused_at_once() -> None:
    pool = WorkPool(workers=1, per_owner=1, max_queued=2)
    gate = threading.Event()
    first = asyncio.create_task(pool.run_for("a", gate.wait, 30))
    while pool.running == 0:
        await asyncio.sleep(0.01)
    queued = asyncio.create_task(pool.run_for("a", lambda: "a2"))
    await asyncio.sleep(0.05)
    with pytest.raises(PoolFull):  # a second waiting job for one person
        await pool.run_for("a", lambda: "a3")
    other = asyncio.create_task(pool.run_for("b", lambda: "b1"))
    await asyncio.sleep(0.05)
    with pytest.raises(PoolFull):  # two waiting in all
        await pool.run_for("c", lambda: "c1")
    gate.set()
    assert await first is True
    assert await other == "b1" and await queued == "a2"


class GatedTagger:
    """Tags only once the test opens the gate: a sender whose work never ends until we say so."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.started: list[str] = []

    def suggest(self, text: str, *, top: int = 3) -> list[TagSuggestion]:
        self.started.append(text)
        while not self.gate.wait(STEP):
            checkpoint()
        return [TagSuggestion("S24", 0.9, "drift monitoring")]


async def test_a_slow_senders_work_never_holds_up_anyone_elses_answer(
        sessions: SessionFactory, knowledge: Knowledge) -> None:
    """Others' answers don't wait on a slow sender at all (so not for a second either): the slow sender's
    tagging is held shut until after they are answered, and holding it shut stalls nobody else."""
    tagger = GatedTagger()
    handlers = storage_handlers(session_factory=sessions, knowledge=knowledge, tagger=tagger,
                                composer=ScriptedComposer(), tagging_timeout=60.0, today=lambda: TODAY,
                                pool=WorkPool(workers=2, per_owner=8))
    coach = Coach(knowledge=knowledge, retriever=NoRetriever(), composer=ScriptedComposer(), handlers=handlers)
    slow = [asyncio.create_task(coach.handle(Incoming(user=HEAVY, text=f"reflect: entry {i}. {LONG}")))
            for i in range(8)]
    while len(tagger.started) < 2:  # both workers are busy with the slow sender's entries
        await asyncio.sleep(0.01)
    try:
        answers = await asyncio.wait_for(asyncio.gather(  # a guard against a hang, not a timing
            *(coach.handle(Incoming(user=OTHER, text="how am I doing?")) for _ in range(3))), timeout=60)
        assert not any(t.done() for t in slow)  # answered while every slow entry still waited on the gate
        assert [a.intent for a in answers] == ["progress"] * 3
    finally:
        tagger.gate.set()
    assert all(r.metadata.get("entry_id") for r in await asyncio.gather(*slow))

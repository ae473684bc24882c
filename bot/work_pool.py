"""Heavy CPU work (tagging) on a few threads, with a fair, bounded queue, and cancellable.

Why: each reflection's tagging embeds every sentence. Run on the default thread pool,
six long submissions from one person meant six threads fighting two cores for the GIL,
and a tagging that timed out kept running, so another person's "how am I doing?" took
44 s. Here:

- at most `workers` jobs run at once; the rest wait in a queue;
- the queue is fair: the next job is the oldest of whoever has had the fewest jobs
  started, so one sender's backlog delays someone else by at most the job running now;
- it is bounded: over `per_owner` waiting jobs for one person, or `max_queued` in all,
  `run` raises `PoolFull` at once (the caller degrades: the entry stays pending);
- it is cancellable: a waiting job whose caller gave up (a timeout, a cancelled task)
  is dropped unrun, and a running one stops at its next `checkpoint()` (the tagger
  calls it between sentences) by raising `Cancelled`.

Interactive work (routing, question retrieval) stays on the coach's own small
executor, so it never queues behind this. Database work has its own pool (storage).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

_current = threading.local()


class PoolFull(RuntimeError):
    """Too much heavy work is already waiting (for this person, or in all)."""


class Cancelled(Exception):  # noqa: N818 - it names what happened to the job
    """Raised inside a running job at a checkpoint after its caller stopped waiting."""


def checkpoint() -> None:
    """Stop here if the job running on this thread was cancelled; a no-op outside the pool."""
    job: _Job | None = getattr(_current, "job", None)
    if job is not None and job.cancelled.is_set():
        raise Cancelled


@dataclass(eq=False)
class _Job:
    owner: str
    call: Callable[[], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    cancelled: threading.Event = field(default_factory=threading.Event)


class WorkPool:
    """A fixed number of worker threads fed from per-owner queues (see the module docstring)."""

    def __init__(self, *, workers: int = 1, max_queued: int = 64, per_owner: int = 4,
                 name: str = "heavy") -> None:
        self.workers = workers
        self.max_queued = max_queued
        self.per_owner = per_owner
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._queues: OrderedDict[str, deque[_Job]] = OrderedDict()
        self._started: Counter[str] = Counter()  # jobs started per owner since the pool was last idle
        self._running = 0
        self._active: set[_Job] = set()

    @property
    def running(self) -> int:
        with self._lock:
            return self._running

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(*args, **kwargs)` on a worker; pass the person as `owner=` through `run_for`."""
        return await self.run_for("", fn, *args, **kwargs)

    async def run_for(self, owner: str, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Like `run`, queued fairly under `owner` (a person's id); PoolFull when too much waits."""
        loop = asyncio.get_running_loop()
        job = _Job(owner, functools.partial(fn, *args, **kwargs), loop, loop.create_future())
        with self._lock:
            waiting = self._queues.get(owner)
            if waiting is not None and len(waiting) >= self.per_owner:
                raise PoolFull(f"{len(waiting)} jobs already waiting for this person")
            if sum(len(q) for q in self._queues.values()) >= self.max_queued:
                raise PoolFull("the heavy-work queue is full")
            self._queues.setdefault(owner, deque()).append(job)
            self._dispatch()
        try:
            return await job.future  # type: ignore[no-any-return]
        except asyncio.CancelledError:
            self._cancel(job)
            raise

    def _cancel(self, job: _Job) -> None:
        job.cancelled.set()
        with self._lock:
            waiting = self._queues.get(job.owner)
            if waiting is not None and job in waiting:
                waiting.remove(job)
                if not waiting:
                    del self._queues[job.owner]

    def _dispatch(self) -> None:
        """Start queued jobs while workers are free: the least-served owner's oldest first."""
        while self._running < self.workers and self._queues:
            owner = min(self._queues, key=lambda o: self._started[o])  # ties: first queued
            waiting = self._queues[owner]
            job = waiting.popleft()
            if not waiting:
                del self._queues[owner]
            self._started[owner] += 1
            self._running += 1
            self._active.add(job)
            self._executor.submit(self._work, job)

    def _work(self, job: _Job) -> None:
        _current.job = job
        try:
            if job.cancelled.is_set():
                raise Cancelled
            outcome: tuple[Any, BaseException | None] = (job.call(), None)
        except BaseException as exc:  # handed to the awaiting coroutine, whatever it is
            outcome = (None, exc)
        finally:
            _current.job = None
            with self._lock:
                self._running -= 1
                self._active.discard(job)
                if not self._running and not self._queues:
                    self._started.clear()
                self._dispatch()
        try:
            job.loop.call_soon_threadsafe(_settle, job.future, *outcome)
        except RuntimeError:  # the caller's loop is closed: nobody is waiting any more
            pass

    def shutdown(self, *, wait: bool = False) -> None:
        """Cancel what waits and what runs (at its next checkpoint); with `wait`, until its threads have ended.

        The coach runs it when `serve` stops (`Coach.close`), so no worker outlives the server."""
        with self._lock:
            waiting = [j for q in self._queues.values() for j in q]
            self._queues.clear()
            running = list(self._active)
        for job in running:
            job.cancelled.set()
        for job in waiting:
            job.cancelled.set()
            try:
                job.loop.call_soon_threadsafe(_settle, job.future, None, Cancelled())
            except RuntimeError:  # that loop is closed already
                pass
        self._executor.shutdown(wait=wait, cancel_futures=True)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)

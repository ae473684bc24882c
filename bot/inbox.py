"""Acked words are durable: each platform turn that carries a person's words is stored before the ack.

`accept` writes the turn (its kind and the platform's own payload) to the `inbox` table on the
database's pool, under a deadline short enough for the platform's ack, then runs it in the
background. An answered turn's row is deleted. While a turn is worked on, this process holds a
lease on its row and renews it every sweep; a row whose lease runs out (the replica died, or
handed it back at shutdown) is claimed by the periodic sweep of any replica and replayed
through the same handler. Replay is at-least-once; the event's key is what makes it safe:
the event is claimed in processed_event with the row (platform retries are not stored twice),
and every write a turn makes is made once per event key (a reflection, a review, a feedback vote,
an audit row, a kept conversation turn: each row stores the key under a unique index). A replayed
turn runs marked as one (`bot.replay`), so the turn limiter neither refuses nor counts it again.

When the database cannot take the row in time, the turn runs from memory as it did before the
inbox: the coach then tells the person the database is unreachable and gives their words back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.background import BackgroundWork
from bot.config import Settings
from bot.replay import replaying_turn
from storage import inbox_rows as store
from storage.db import Sessions
from storage.models import InboxItem

log = logging.getLogger(__name__)

TurnHandler = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class InboxTimes:
    """`lease`: how long a replica's claim holds without renewal; `sweep`: how often each replica
    renews its leases and looks for expired rows; `write`: the deadline of the write before the ack."""

    lease: float = 30.0
    sweep: float = 5.0
    write: float = 2.5
    max_attempts: int = 5
    batch: int = 16


@dataclass(frozen=True)
class Held:
    """A turn taken in: its inbox row, or None when the database could not take it (run from memory)."""

    row: int | None


def inbox_times(settings: Settings) -> InboxTimes:
    """INBOX_LEASE, INBOX_SWEEP_INTERVAL and INBOX_WRITE_TIMEOUT from the settings."""
    return InboxTimes(lease=settings.inbox_lease, sweep=settings.inbox_sweep_interval,
                      write=settings.inbox_write_timeout)


def holder_name() -> str:
    """This process, as the holder of its leases: unique even for replicas sharing a host."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Inbox:
    """One platform's durable intake: store before the ack, run, delete; sweep and replay what was left."""

    def __init__(self, *, sessions: Sessions, platform: str, background: BackgroundWork,
                 times: InboxTimes | None = None) -> None:
        self._sessions = sessions
        self.platform = platform
        self._background = background
        self.times = times or InboxTimes()
        self.holder = holder_name()
        self._turns: dict[str, TurnHandler] = {}
        self._held: set[int] = set()  # rows this process is working on: their leases are renewed
        self._unfinished: set[int] = set()  # answered, but the delete failed: retried each sweep
        self._stop = asyncio.Event()
        self._sweeper: asyncio.Task[None] | None = None

    def turn(self, kind: str, handler: TurnHandler) -> None:
        """Register how a stored `kind` is run (first time and replay alike)."""
        self._turns[kind] = handler

    async def accept(self, kind: str, payload: dict[str, Any], *, event_key: str, workspace_id: str,
                     user_id: str) -> bool:
        """Store, then run in the background; False when the event was seen before (a platform retry)."""
        held = await self.hold(kind, payload, event_key=event_key, workspace_id=workspace_id, user_id=user_id)
        if held is None:
            return False
        self._background.spawn(self._work(held, kind, self._turns[kind], payload))
        return True

    async def hold(self, kind: str, payload: dict[str, Any], *, event_key: str, workspace_id: str,
                   user_id: str) -> Held | None:
        """Store the turn, leased to this process; None when the event was seen before. The caller
        runs it and then says `done` (or `failed`); Teams does, answering inside its request."""
        lease_until = _now() + timedelta(seconds=self.times.lease)
        try:
            row = await self._sessions.run_within(
                self.times.write, self._put, kind=kind, event_key=event_key, workspace_id=workspace_id,
                user_id=user_id, payload=payload, lease_until=lease_until)
        except SQLAlchemyError as exc:
            log.warning("inbox write failed (%s); this %s turn runs from memory", type(exc).__name__, kind)
            return Held(None)
        if row is None:
            log.info("%s event %s already received; skipping the retry", self.platform, event_key)
            return None
        self._held.add(row)
        return Held(row)

    async def done(self, held: Held) -> None:
        """Answered: the row goes."""
        if held.row is not None:
            self._held.discard(held.row)
            await self._finish({held.row})

    def failed(self, held: Held) -> None:
        """The platform failed us: the row is no longer renewed, so a sweep tries it again once its lease ends."""
        if held.row is not None:
            self._held.discard(held.row)

    def _put(self, **values: Any) -> int | None:
        with self._sessions() as session:
            row = store.put(session, platform=self.platform, holder=self.holder, **values)
            session.commit()
            return row

    async def _work(self, held: Held, kind: str, handler: TurnHandler, payload: dict[str, Any], *,
                    replay: bool = False) -> None:
        """Run the turn (a `replay` marked as one); then its row goes. Cancelled (shutdown), the row stays
        held and is handed back.

        The coach turns its own failures into a reply, so what escapes a handler is the platform
        failing us (a timeout, a connection refused): the row's lease is left to run out, and the
        turn is tried again by a sweep (up to `max_attempts`).
        """
        try:
            with replaying_turn() if replay else contextlib.nullcontext():
                await handler(payload)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s %s turn failed; tried again when its lease runs out", self.platform, kind)
            self.failed(held)
            return
        await self.done(held)

    async def _finish(self, rows: set[int]) -> None:
        try:
            await self._sessions.run(self._delete, rows)
        except SQLAlchemyError as exc:
            log.warning("could not delete %d answered inbox row(s) (%s); retried next sweep",
                        len(rows), type(exc).__name__)
            self._unfinished |= rows
            return
        self._unfinished -= rows

    def _delete(self, rows: set[int]) -> None:
        with self._sessions() as session:
            store.finish(session, ids=rows)
            session.commit()

    # --- the sweep -----------------------------------------------------------
    async def sweep(self) -> int:
        """Renew this process's leases and replay up to a batch of expired rows; how many it took."""
        if self._unfinished:
            await self._finish(set(self._unfinished))
        room = max(0, self.times.batch - len(self._held))
        claimed = await self._sessions.run(self._claim, set(self._held), room)
        taken = 0
        for item in claimed:
            assert item.id is not None
            handler = self._turns.get(item.kind)
            if handler is None or item.attempts > self.times.max_attempts:
                log.error("inbox row %s (%s %s) given up after %d attempt(s)", item.id, self.platform,
                          item.kind, item.attempts)
                await self._finish({item.id})
                continue
            log.warning("replaying a %s %s turn acked earlier (attempt %d)", self.platform, item.kind,
                        item.attempts)
            self._held.add(item.id)
            self._background.spawn(self._work(Held(item.id), item.kind, handler, dict(item.payload), replay=True))
            taken += 1
        return taken

    def _claim(self, held: set[int], room: int) -> list[InboxItem]:
        now = _now()
        lease_until = now + timedelta(seconds=self.times.lease)
        with self._sessions() as session:
            store.renew(session, ids=held, holder=self.holder, lease_until=lease_until)
            claimed = store.claim_expired(session, platforms=[self.platform], holder=self.holder, now=now,
                                          lease_until=lease_until, limit=room) if room else []
            session.commit()
            return claimed

    async def _sweeping(self) -> None:
        every = min(self.times.sweep, self.times.lease / 3)
        while not self._stop.is_set():
            try:
                await self.sweep()
            except Exception as exc:  # noqa: BLE001 - the loop outlives any one sweep
                log.warning("inbox sweep failed (%s: %s); next in %g s", type(exc).__name__, exc, every)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), every)

    def start(self) -> None:
        """Sweep now (rows left by a crash or handed back at shutdown) and every `sweep` seconds."""
        if self._sweeper is None:
            self._stop.clear()
            self._sweeper = asyncio.get_running_loop().create_task(self._sweeping(), name=f"{self.platform} inbox")

    async def on_startup(self, _app: Any) -> None:
        """`start`, as an aiohttp start-up hook."""
        self.start()

    async def shut_down(self, drain: Callable[[float], Awaitable[None]], timeout: float) -> None:
        """The shutdown order: stop sweeping, let answers in progress finish for `timeout`, hand back the rest."""
        await self.stop()
        await drain(timeout)
        await self.hand_back()

    async def stop(self) -> None:
        """Stop sweeping (before the drain, so nothing new is taken on)."""
        self._stop.set()
        if self._sweeper is not None:
            await self._sweeper
            self._sweeper = None

    async def hand_back(self) -> int:
        """After the drain: rows still held (their turn was cancelled or never started) are released
        for any replica to take at once; how many."""
        held = set(self._held)
        if not held:
            return 0
        try:
            released = await self._sessions.run(self._release, held)
        except SQLAlchemyError as exc:
            log.warning("could not hand back %d inbox row(s) (%s); taken again when their lease ends",
                        len(held), type(exc).__name__)
            return 0
        self._held -= held
        log.warning("handed back %d unanswered %s turn(s) for another replica or the next start",
                    released, self.platform)
        return released

    def _release(self, rows: set[int]) -> int:
        with self._sessions() as session:
            released = store.release(session, ids=rows, holder=self.holder, now=_now())
            session.commit()
            return released

    @property
    def held(self) -> int:
        return len(self._held)


def _now() -> datetime:
    return datetime.now(UTC)

"""The check before every try at a claimed send: the first try, and each retry after a 429.

The workspace's shared budget has room (bot/scheduler/budget.py), and the claim is still this
process's and unsent (one fenced UPDATE that also restarts its lease, `storage.schedule.hold`).
A sender asks again after a rate limit's wait (the `GoAhead` port), so a claim another replica
took over meanwhile is never sent twice.
"""

from __future__ import annotations

from collections.abc import Container

from bot.scheduler.budget import SendBudget
from bot.scheduler.clock import Clock
from storage import schedule as claims
from storage.db import SessionFactory
from storage.schedule import Claim


class ClaimCheck:
    """A `GoAhead` for one claimed send; `lost` tells a dropped send from a failed one."""

    def __init__(self, *, sessions: SessionFactory, clock: Clock, claim: Claim, scope: str,
                 budget: SendBudget | None = None, held: Container[int] | None = None) -> None:
        self._sessions = sessions
        self._clock = clock
        self._claim = claim
        self._scope = scope
        self._budget = budget
        self._held = held  # the batch's claims whose lease renewal still succeeds
        self.lost = False

    async def __call__(self) -> bool:
        if self._budget is not None:
            await self._budget.acquire(self._scope)
        self.lost = ((self._held is not None and self._claim.id not in self._held)
                     or not await self._sessions.run(self._hold))
        return not self.lost

    def _hold(self) -> bool:
        with self._sessions() as session:
            return bool(claims.hold(session, claims=[self._claim], now=self._clock.now()))

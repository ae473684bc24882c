"""The fake Slack API as the scale harness needs it: slow, throttleable, and counting what it accepted.

`FakeSlackAPI` records every request on arrival, including ones it answers
with a 429. A duplicate is a second message Slack *accepted* for the same DM,
so this fake also keeps the accepted `chat.postMessage` calls, noted when the
answer is produced, after the simulated network and server time. Each replica
sends with its own bot token, so the accepted posts also tell which replica
sent what.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from tests.fakes.base import parse_body
from tests.fakes.slack_api import FakeSlackAPI

POST = "chat.postMessage"


@dataclass(frozen=True)
class Accepted:
    channel: str
    token: str
    at: float = field(default_factory=time.time)  # when the answer was produced


class ScaleSlackAPI(FakeSlackAPI):
    """Accepts any token; holds each post `latency` seconds before accepting it."""

    def __init__(self, *, latency: float = 0.05) -> None:
        super().__init__(token=None)
        self.latency = latency
        self._accepted: list[Accepted] = []
        self._changed = threading.Condition()
        self.frozen: set[str] = set()  # tokens whose posts are held, never answered (until shutdown)

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if method == POST and self.latency:
            await self.pause(self.latency)  # cut short only when the fake shuts down
        # a frozen replica's posts are held on the wire: neither accepted nor refused
        while method == POST and token in self.frozen and not self._closing.is_set():
            await self.pause(0.05)
        response = await super()._api(request)
        if method == POST:
            body = parse_body(request.content_type, await request.read())
            channel = str(body.get("channel", "")) if isinstance(body, dict) else ""
            with self._changed:
                self._accepted.append(Accepted(channel, token))
                self._changed.notify_all()
        return response

    def throttle(self, *, times: int, retry_after: int) -> None:
        """The next `times` posts get a 429 asking the sender to wait `retry_after` seconds."""
        self.rate_limit(POST, times=times, retry_after=retry_after)

    def reset(self) -> None:
        """Forget calls, accepted posts and queued faults: the next scenario starts clean."""
        with self._lock:
            self._calls.clear()
            self._faults.clear()
            self.frozen.clear()
        with self._changed:
            self._accepted.clear()

    @property
    def accepted(self) -> list[Accepted]:
        with self._changed:
            return list(self._accepted)

    def by_channel(self) -> Counter[str]:
        return Counter(a.channel for a in self.accepted)

    def by_token(self) -> Counter[str]:
        return Counter(a.token for a in self.accepted)

    def wait_until(self, check: Callable[[list[Accepted]], bool], timeout: float) -> bool:
        """Block until `check(accepted)` holds or `timeout` passes; True when it held."""
        with self._changed:
            return self._changed.wait_for(lambda: check(list(self._accepted)), timeout)


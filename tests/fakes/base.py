"""Shared machinery for the fake external APIs used by tests and benchmarks.

Each fake is a real aiohttp server on 127.0.0.1, so client libraries exercise their
real HTTP stacks (retries, timeouts, SSE parsing) rather than a mocked transport.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

Predicate = Callable[[list["RecordedCall"]], bool]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class RecordedCall:
    """One request as the fake saw it; frozen so tests can't rewrite history."""

    name: str
    method: str
    path: str
    headers: Mapping[str, str]  # case-insensitive, as HTTP headers are
    query: dict[str, str]
    body: Any
    raw: bytes
    match_info: dict[str, str] = field(default_factory=dict)
    timestamp: float = field(default_factory=time.time)

    @property
    def params(self) -> dict[str, Any]:
        """Query and body merged, the way APIs like Slack accept either."""
        merged: dict[str, Any] = dict(self.query)
        if isinstance(self.body, dict):
            merged.update(self.body)
        return merged

    @property
    def bearer(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else None


@dataclass(frozen=True)
class Fault:
    """A canned failure answered instead of the real handler (rate limits, outages)."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> web.Response:
        return web.json_response(self.body, status=self.status, headers=self.headers)


def parse_body(content_type: str, raw: bytes) -> Any:
    """Decode leniently: a fake must record even malformed requests so tests can see them."""
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if content_type.endswith("json"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    if content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(text, keep_blank_values=True))
    return text


class FakeServer:
    """Start/stop, request recording and fault injection shared by every fake."""

    def __init__(self, *, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self._lock = threading.Condition(threading.RLock())
        self._calls: list[RecordedCall] = []
        self._faults: dict[str, list[Fault]] = {}
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closing = asyncio.Event()

    # --- subclass hooks -------------------------------------------------
    def setup_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def call_name(self, request: web.Request) -> str:
        """Names let tests and faults target an operation rather than a raw path."""
        return request.match_info.route.name or f"{request.method} {request.path}"

    # --- recording ------------------------------------------------------
    @property
    def calls(self) -> list[RecordedCall]:
        with self._lock:
            return list(self._calls)

    def calls_named(self, name: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.name == name]

    def clear(self) -> None:
        """Forget calls (not queued faults) so a test can assert on one phase at a time."""
        with self._lock:
            self._calls.clear()

    def inject(self, name: str, fault: Fault, *, times: int = 1) -> None:
        """Queue a fault for the next `times` calls named `name` ("*" matches any)."""
        with self._lock:
            self._faults.setdefault(name, []).extend([fault] * times)

    def _pop_fault(self, name: str) -> Fault | None:
        with self._lock:
            for key in (name, "*"):
                queue = self._faults.get(key)
                if queue:
                    return queue.pop(0)
        return None

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        raw = await request.read()
        call = RecordedCall(
            name=self.call_name(request),
            method=request.method,
            path=request.path,
            headers=CIMultiDictProxy(CIMultiDict(request.headers)),
            query=dict(request.query),
            body=parse_body(request.content_type, raw),
            raw=raw,
            match_info=dict(request.match_info),
        )
        with self._lock:
            self._calls.append(call)
            self._lock.notify_all()
        fault = self._pop_fault(call.name)
        return fault.response() if fault else await handler(request)

    async def wait_for(self, predicate: Predicate, timeout: float = 5.0) -> list[RecordedCall]:
        """Poll instead of sleeping blindly; the server shares this loop so we must yield."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.calls
            if predicate(calls):
                return calls
            if time.monotonic() >= deadline:
                raise TimeoutError(f"predicate not met within {timeout}s; saw {len(calls)} calls")
            await asyncio.sleep(0.01)

    def wait_for_sync(self, predicate: Predicate, timeout: float = 5.0) -> list[RecordedCall]:
        """Blocking variant for threaded mode; never call it from the server's own loop."""
        with self._lock:
            if not self._lock.wait_for(lambda: predicate(list(self._calls)), timeout):
                raise TimeoutError(
                    f"predicate not met within {timeout}s; saw {len(self._calls)} calls"
                )
            return list(self._calls)

    async def pause(self, seconds: float) -> None:
        """Sleep that ends early on shutdown, so slow replies never stall runner cleanup."""
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except TimeoutError:
            pass

    async def held(self, gate: asyncio.Event) -> None:
        """Wait for a test to open `gate`, or for shutdown."""
        closing = asyncio.ensure_future(self._closing.wait())
        opened = asyncio.ensure_future(gate.wait())
        await asyncio.wait({closing, opened}, return_when=asyncio.FIRST_COMPLETED)
        for waiter in (closing, opened):
            waiter.cancel()

    # --- lifecycle ------------------------------------------------------
    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return f"http://{self.host}:{self.port}"

    async def start(self) -> Self:
        self._closing = asyncio.Event()
        app = web.Application(middlewares=[self._record], client_max_size=64 * 1024**2)
        self.setup_routes(app)
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await runner.setup()
        await web.TCPSite(runner, self.host, 0).start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None
        self.port = 0

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def start_in_thread(self, timeout: float = 10.0) -> Self:
        """Own loop in a daemon thread, for sync code, subprocesses and benchmarks."""
        if self._thread is not None:
            raise RuntimeError("already running in a thread")
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # surfaced to the starting thread below
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        thread = threading.Thread(target=run, name=f"{type(self).__name__}-loop", daemon=True)
        thread.start()
        if not ready.wait(timeout) or failure:
            thread.join(timeout)
            raise RuntimeError(f"{type(self).__name__} failed to start") from (
                failure[0] if failure else None
            )
        self._loop, self._thread = loop, thread
        return self

    def stop_thread(self, timeout: float = 10.0) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._loop = self._thread = None

    @contextmanager
    def threaded(self) -> Iterator[Self]:
        self.start_in_thread()
        try:
            yield self
        finally:
            self.stop_thread()

"""A TCP proxy the ops tests put between the bot and PostgreSQL to stage outages.

Modes: `forward` (a healthy database), `refuse` (accept and hang up at once,
like a restarting server), `blackhole` (accept and never answer, like a
network partition). Switching away from `forward` cuts live connections, so
pooled connections break as they would in a real outage. It runs on its own
loop in a thread so blocking database drivers and subprocesses can use it.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from types import TracebackType
from typing import Literal, Self

Mode = Literal["forward", "refuse", "blackhole"]


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode: Mode = "forward"
        self.port = 0
        self.blackholed = threading.Semaphore(0)  # released once per connection held silent
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def start(self) -> Self:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    def set_mode(self, mode: Mode, *, cut: bool = True) -> None:
        """Switch; `cut=False` leaves live connections open (a stall: a black-hole drops their bytes)."""
        asyncio.run_coroutine_threadsafe(self._set_mode(mode, cut), self._loop).result(10)

    async def _set_mode(self, mode: Mode, cut: bool = True) -> None:
        self.mode = mode
        if mode != "forward" and cut:
            for writer in list(self._writers):
                writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            if self.mode == "refuse":
                return
            if self.mode == "blackhole":
                self.blackholed.release()
                while await reader.read(65536):
                    pass
                return
            up_reader, up_writer = await asyncio.open_connection(*self.target)
            self._writers.add(up_writer)
            try:
                await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
            finally:
                self._writers.discard(up_writer)
                up_writer.close()
        except OSError:
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if self.mode == "blackhole":
                    continue  # a stalled live connection: bytes go nowhere, nothing comes back
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    def stop(self) -> None:
        async def close() -> None:
            await self._set_mode("refuse")
            if self._server is not None:
                self._server.close()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _echo_server() -> tuple[socket.socket, int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            while data := conn.recv(1024):
                conn.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    return server, int(server.getsockname()[1])


def test_proxy_forwards_then_cuts_and_holds() -> None:
    server, port = _echo_server()
    with server, TcpProxy("127.0.0.1", port) as proxy:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as conn:
            conn.sendall(b"ping")
            assert conn.recv(4) == b"ping"
            proxy.set_mode("refuse")
            assert conn.recv(4) == b""  # the live connection was cut
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as conn:
            assert conn.recv(4) == b""  # refused: hung up at once
        proxy.set_mode("blackhole")
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=0.2) as conn:
            conn.sendall(b"hello")
            assert proxy.blackholed.acquire(timeout=5)
            try:
                conn.recv(4)
                raise AssertionError("a blackhole must not answer")
            except TimeoutError:
                pass

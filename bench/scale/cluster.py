"""Real processes for the scale harness: a PostgreSQL schema, a Chroma server, the fake Slack API
and N `ksb-coach serve` replicas, each started, watched and stopped (or killed) from here.

Everything is bounded in time and torn down on exit: the replicas and Chroma
are killed if still running, and the schema is dropped. PostgreSQL comes from
BENCH_POSTGRES_URL, else KSB_TEST_POSTGRES_URL, else the local test database.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import psycopg

from bench.scale.fake_slack import ScaleSlackAPI
from bot.config import Settings
from storage.db import upgrade

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
START_TIMEOUT = 240.0  # a replica loads the standard, the embedder and the index: slow on a busy box
SIGNING_SECRET = "scale-signing-secret"


def postgres_base() -> str:
    return (os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("KSB_TEST_POSTGRES_URL")
            or "postgresql://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**values: str) -> dict[str, str]:
    """This process's environment minus every KSB setting, plus `values`."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env.update(values)
    return env


def get(url: str, timeout: float = 10.0) -> int:
    """The HTTP status of a GET (0 when nothing answers)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, urllib.error.URLError):
        return 0


class LogTail:
    """Keeps a process's output in a file and remembers the port its 'listening' line names."""

    def __init__(self, stream: IO[str], path: Path) -> None:
        self.path = path
        self.port = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        with self.path.open("w") as out:
            for line in stream:
                out.write(line)
                out.flush()
                if not self.port and "listening on http://" in line:
                    self.port = int(line.split("listening on http://", 1)[1].split(":", 1)[1]
                                    .split()[0].strip('",'))
                    self._ready.set()
        self._ready.set()

    def wait_port(self, timeout: float) -> int:
        self._ready.wait(timeout)
        return self.port

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.path.read_text().splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Replica:
    """One `ksb-coach serve`; `token` is its own Slack bot token, so the fake can tell replicas apart."""

    name: str
    token: str
    process: subprocess.Popen[str]
    log: LogTail
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: a crash, no clean-up, no flush: what the exactly-once claims must survive."""
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self, timeout: float = 30.0) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Cluster:
    """What a scenario works with; made by `cluster()`, which also tears it all down."""

    database_url: str
    chroma_port: int
    slack: ScaleSlackAPI
    work: Path
    replicas: list[Replica] = field(default_factory=list)
    chroma: subprocess.Popen[str] | None = None

    def env(self, name: str, token: str, **extra: str) -> dict[str, str]:
        data = self.work / name
        data.mkdir(exist_ok=True)
        values = {
            "DATABASE_URL": self.database_url, "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(self.chroma_port),
            "DATA_DIR": str(data), "SLACK_BOT_TOKEN": token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.slack.url + "/api/", "LOG_LEVEL": "WARNING", "LOG_FORMAT": "text"}
        values.update(extra)
        return clean_env(**values)

    def command(self, *args: str, timeout: float = 600.0, **extra: str) -> subprocess.CompletedProcess[str]:
        """A one-shot `ksb-coach` command against this cluster (e.g. `index`)."""
        return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=self.env("cli", "xoxb-cli", **extra),
                              cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)

    def start_replicas(self, count: int, **extra: str) -> list[Replica]:
        """Start `count` replicas at once and wait until each answers /readyz with 200."""
        started: list[Replica] = []
        for i in range(len(self.replicas), len(self.replicas) + count):
            name, token = f"r{i}", f"xoxb-scale-r{i}"
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--port", "0"], cwd=ROOT,
                env=self.env(name, token, **extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True)
            assert process.stdout is not None
            started.append(Replica(name, token, process, LogTail(process.stdout, self.work / f"{name}.log")))
        self.replicas.extend(started)
        deadline = time.monotonic() + START_TIMEOUT
        for replica in started:
            replica.port = replica.log.wait_port(max(deadline - time.monotonic(), 1.0))
            if not replica.port:
                raise RuntimeError(f"replica {replica.name} did not start:\n{replica.log.tail()}")
            while get(replica.url + "/readyz") != 200:
                if time.monotonic() > deadline or not replica.alive():
                    raise RuntimeError(f"replica {replica.name} never became ready:\n{replica.log.tail()}")
                time.sleep(0.5)
        return started

    def stop_replicas(self) -> None:
        for replica in self.replicas:
            replica.stop()
        self.replicas.clear()

    def sql(self, statement: str, params: Mapping[str, object] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement in the cluster's schema (seeding and counting, never the code under test)."""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cursor = conn.execute(statement, params)
            return list(cursor.fetchall()) if cursor.description else []


def _wait_chroma(port: int, process: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chroma run exited with {process.returncode}")
        if any(get(f"http://127.0.0.1:{port}/api/{v}/heartbeat", timeout=2) == 200 for v in ("v2", "v1")):
            return
        time.sleep(0.5)
    raise RuntimeError(f"chroma run did not answer on port {port} within {timeout:.0f}s")


@contextmanager
def cluster(*, slack_latency: float = 0.05, index: bool = True) -> Iterator[Cluster]:
    """A fresh schema, a Chroma server with the index built into it, and the fake Slack API.

    Replicas are started by the scenario (`start_replicas`), with the settings it needs.
    """
    base = postgres_base()
    schema = f"scale_{uuid.uuid4().hex[:10]}"
    url = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"
    work = Path(tempfile.mkdtemp(prefix="ksb-scale-"))
    with ExitStack() as stack:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')

        def drop() -> None:
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

        stack.callback(drop)
        stack.callback(shutil.rmtree, work, True)
        keep = os.environ.get("SCALE_KEEP_LOGS")  # a folder to copy the replicas' logs into at the end
        if keep:
            stack.callback(lambda: [shutil.copy(log, Path(keep)) for log in work.glob("*.log")])
        upgrade(url)
        port = free_port()
        chroma = subprocess.Popen([str(BIN / "chroma"), "run", "--path", str(work / "chroma-server"),
                                   "--host", "127.0.0.1", "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)

        def stop_chroma() -> None:
            if chroma.poll() is None:
                chroma.terminate()
                try:
                    chroma.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    chroma.kill()
                    chroma.wait()

        stack.callback(stop_chroma)
        _wait_chroma(port, chroma, 120.0)
        slack = stack.enter_context(ScaleSlackAPI(latency=slack_latency).threaded())
        found = Cluster(database_url=url, chroma_port=port, slack=slack, work=work, chroma=chroma)
        stack.callback(found.stop_replicas)
        if index:
            built = found.command("index")
            if built.returncode != 0:
                raise RuntimeError(f"ksb-coach index failed:\n{built.stderr[-2000:]}")
        yield found

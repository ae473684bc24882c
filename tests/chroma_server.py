"""A real Chroma server (`chroma run`, shipped with the chromadb package) for tests and benchmarks."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.test_ops_proxy import closed_port


def chroma_binary() -> str:
    """`chroma` beside this interpreter (the project's virtualenv), else on PATH; "" when absent."""
    beside = Path(sys.executable).with_name("chroma")
    return str(beside) if beside.exists() else shutil.which("chroma") or ""


class ChromaServer:
    """`chroma run` on a free loopback port with its data under `path`; stopped (SIGTERM) on exit."""

    def __init__(self, path: Path, port: int = 0) -> None:
        self.path = path
        self.port = port or closed_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._log = path.parent / f"chroma-{self.port}.log"

    def start(self, timeout: float = 120.0) -> Self:
        binary = chroma_binary()
        if not binary:
            raise RuntimeError("no `chroma` executable (pip install chromadb)")
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(  # noqa: S603 - our own virtualenv's binary
                [binary, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"chroma run exited: {self._log.read_text(errors='replace')[-500:]}")
            try:
                with urllib.request.urlopen(  # noqa: S310 - loopback
                        f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=2):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"chroma run did not answer within {timeout:g}s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(30)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

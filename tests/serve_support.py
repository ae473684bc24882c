"""`ksb-coach serve` as a real process for the ops tests, with Slack requests signed as Slack signs them.

The process's log is read for as long as it runs (a full pipe would stall the server);
requests are plain blocking HTTP, so tests can fire them from threads in bursts.
No test here.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from types import TracebackType
from typing import Any, Self

from tests.test_ops_shutdown import START_TIMEOUT, clean_env
from tests.test_slack_support import SECRET, TEAM, signed

SLACK_ENV = {"SLACK_BOT_TOKEN": "xoxb-1-test-bot-token", "SLACK_SIGNING_SECRET": SECRET}


class Serve:
    """One `ksb-coach serve --port 0` process; its JSON log lines are kept in `log`."""

    def __init__(self, **env: str) -> None:
        self.env = clean_env(LOG_FORMAT="json", LOG_LEVEL="INFO", **env)
        self.log: list[dict[str, Any]] = []
        self.port = 0
        self.process: subprocess.Popen[str] | None = None
        self._listening = threading.Event()

    def start(self, timeout: float = START_TIMEOUT) -> Self:
        self.process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", "0"],
                                        env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True)
        threading.Thread(target=self._read, daemon=True).start()
        if not self._listening.wait(timeout):
            self.kill()
            raise AssertionError(f"server did not start; log: {self.log[-5:]}")
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            try:
                record = json.loads(line)
            except ValueError:
                record = {"msg": line.rstrip()}
            self.log.append(record)
            if "port" in record and "listening" in str(record.get("msg")):
                self.port = int(record["port"])
                self._listening.set()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """kill -9: no drain, no clean-up, nothing flushed."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(60)

    def terminate(self, timeout: float = 120) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.kill()


def post(url: str, body: bytes, headers: dict[str, str], timeout: float = 30) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def slack_event(base: str, event_id: str, text: str, *, user: str, channel: str = "D1") -> int:
    """A signed Events API delivery of a DM `text` from `user`; the HTTP status of the ack."""
    ts = f"{time.time():.6f}"
    body = json.dumps({"token": "legacy", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
                       "event_id": event_id, "event_time": int(time.time()),
                       "event": {"type": "message", "channel": channel, "channel_type": "im", "user": user,
                                 "text": text, "ts": ts, "event_ts": ts, "team": TEAM}})
    headers = {"Content-Type": "application/json", **signed(body)}
    return post(base + "/slack/events", body.encode(), headers)

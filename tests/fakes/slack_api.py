"""The Slack Web API as slack_sdk's AsyncWebClient(base_url=fake.url + "/api/") sees it.

Canned answers carry the fields our bot actually reads (ts, channel ids, view ids,
user time zones), so adapter code runs unmodified against it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.fakes.base import FakeServer, Fault, RecordedCall, parse_body
from tests.platform_schemas import block_kit_errors, view_errors

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T1"

Answer = Callable[[dict[str, Any]], dict[str, Any]]


def _decoded(value: Any) -> Any:
    """Form-encoded calls carry nested objects (view, files, blocks) as JSON strings."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeSlackAPI(FakeServer):
    """Answers any /api/<method> with ok:true and records merged params per call."""

    def __init__(self, *, token: str | None = None, host: str = "127.0.0.1") -> None:
        super().__init__(host=host)
        self.token = token
        self.uploads: dict[str, bytes] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self._seq = itertools.count(1)
        self.refused: list[tuple[str, list[str]]] = []
        self._holds: dict[str, threading.Event] = {}  # (method, errors): payloads Slack would refuse
        self._answers: dict[str, Answer] = {
            "chat.postMessage": self._post_message,
            "chat.update": self._update_message,
            "chat.postEphemeral": self._post_ephemeral,
            # the streaming methods (bolt's assistant surface): start answers a message ts, like a post
            "chat.startStream": self._post_message,
            "chat.appendStream": lambda p: {"channel": p.get("channel"), "ts": p.get("ts")},
            "chat.stopStream": lambda p: {"channel": p.get("channel"), "ts": p.get("ts"),
                                          "message": {"ts": p.get("ts"), "blocks": _decoded(p.get("blocks", []))}},
            "views.publish": self._view,
            "views.open": self._view,
            "views.update": self._view,
            "views.push": self._view,
            "conversations.open": self._open_dm,
            "chat.getPermalink": lambda p: {"channel": p.get("channel"), "permalink":
                                            f"https://fake.slack.com/archives/{p.get('channel')}/"
                                            f"p{str(p.get('message_ts', '')).replace('.', '')}"},
            "users.info": self._user_info,
            "auth.test": lambda _p: {"url": "https://fake.slack.com/", "team": "Fake Team",
                                     "user": "ksb-coach", "team_id": TEAM_ID,
                                     "user_id": BOT_USER_ID, "bot_id": BOT_ID,
                                     "is_enterprise_install": False},
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    # --- test controls --------------------------------------------------
    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        body = {"ok": False, "error": "ratelimited"}
        self.inject(method, Fault(429, body, {"Retry-After": str(retry_after)}), times=times)

    def fail(self, method: str, error: str = "channel_not_found", *, times: int = 1) -> None:
        """Slack reports most failures as HTTP 200 with ok:false."""
        self.inject(method, Fault(200, {"ok": False, "error": error}), times=times)

    def hold(self, method: str) -> Callable[[], None]:
        """Calls to `method` are recorded and then not answered until the returned `release()` (any
        thread) or shutdown; other methods are answered meanwhile. For a platform that has our
        request but whose answer we die waiting for."""
        released = threading.Event()
        with self._lock:
            self._holds[method] = released

        def release() -> None:
            released.set()

        return release

    def set_user(self, user_id: str, **fields: Any) -> None:
        with self._lock:
            self.users[user_id] = fields

    def calls_to(self, method: str) -> list[RecordedCall]:
        return self.calls_named(method)

    def call_name(self, request: web.Request) -> str:
        if "method" in request.match_info:
            return request.match_info["method"]
        return super().call_name(request)

    # --- server -----------------------------------------------------------
    def setup_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload, name="upload")

    def _next_ts(self) -> str:
        micros = 1_700_000_000_000_000 + next(self._seq) * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    async def _api(self, request: web.Request) -> web.Response:
        params: dict[str, Any] = dict(request.query)
        body = parse_body(request.content_type, await request.read())
        if isinstance(body, dict):
            params.update(body)
        if self.token is not None:
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if self.token not in (token, params.get("token")):
                return web.json_response({"ok": False, "error": "invalid_auth"})
        method = request.match_info["method"]
        errors = self._payload_errors(method, params)
        if errors:  # as Slack does: the call fails and nothing is posted
            with self._lock:
                self.refused.append((method, errors))
            return web.json_response({"ok": False, "error": "invalid_blocks" if method.startswith("chat.")
                                      else "invalid_arguments", "response_metadata": {"messages": errors}})
        held = self._holds.get(method)
        while held is not None and not held.is_set() and not self._closing.is_set():
            await self.pause(0.05)
        answer = self._answers.get(method)
        with self._lock:
            extra = answer(params) if answer else {}
        return web.json_response({"ok": True, **extra})

    @staticmethod
    def _payload_errors(method: str, params: dict[str, Any]) -> list[str]:
        """slack_sdk's Block Kit validation of what a message or view call carries."""
        if method.startswith("views.") and "view" in params:
            return view_errors(_decoded(params["view"]))
        if method.startswith("chat.") and "blocks" in params:
            return block_kit_errors(_decoded(params["blocks"]))
        return []

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        with self._lock:
            self.uploads[request.match_info["file_id"]] = data
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    # --- canned answers (called under the lock) --------------------------
    def _message(self, params: dict[str, Any], ts: str) -> dict[str, Any]:
        msg = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts,
               "text": params.get("text", ""), "blocks": _decoded(params.get("blocks", []))}
        if params.get("thread_ts"):
            msg["thread_ts"] = params["thread_ts"]
        return msg

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        return {"channel": params.get("channel"), "ts": ts, "message": self._message(params, ts)}

    def _update_message(self, params: dict[str, Any]) -> dict[str, Any]:
        ts = str(params.get("ts") or self._next_ts())
        return {"channel": params.get("channel"), "ts": ts, "text": params.get("text", ""),
                "message": self._message(params, ts)}

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        return {"channel": params.get("channel"), "message_ts": ts, "ts": ts,
                "message": self._message(params, ts)}

    def _view(self, params: dict[str, Any]) -> dict[str, Any]:
        view = _decoded(params.get("view")) or {}
        view_id = str(params.get("view_id") or f"V{next(self._seq):08d}")
        return {"view": {**view, "id": view_id, "team_id": TEAM_ID, "app_id": "A1",
                         "bot_id": BOT_ID, "hash": f"{next(self._seq)}.fakehash"}}

    def _open_dm(self, params: dict[str, Any]) -> dict[str, Any]:
        users = str(params.get("users", ""))
        suffix = hashlib.sha1(users.encode()).hexdigest()[:8].upper()
        return {"channel": {"id": f"D{suffix}"}}

    def _user_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user", "U1"))
        fields = {"real_name": "Test User", "tz": "Europe/London",
                  "tz_label": "Greenwich Mean Time", "tz_offset": 0,
                  "email": f"{user_id.lower()}@example.com", **self.users.get(user_id, {})}
        profile = {"real_name": fields["real_name"], "display_name": fields["real_name"],
                   "email": fields.pop("email")}
        return {"user": {"id": user_id, "team_id": TEAM_ID, "name": user_id.lower(),
                         "is_bot": False, "deleted": False, **fields, "profile": profile}}

    def _upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._seq):08d}"
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        files = _decoded(params.get("files")) or []
        return {"files": [
            {"id": f["id"], "title": f.get("title"), "name": f.get("title"),
             "size": len(self.uploads.get(f["id"], b"")),
             "permalink": f"https://fake.slack.com/files/{f['id']}"}
            for f in files
        ]}

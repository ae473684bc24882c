"""An OpenAI-compatible server with scripted replies.

Tests point the real `openai` / `langchain_openai` clients at it, so request shape,
SSE parsing, timeouts and error mapping are exercised exactly as in production.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import math
import struct
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.base import FakeServer, parse_body


@dataclass(frozen=True)
class ToolCall:
    """One function call the model asks for; `arguments` as the model wrote it (JSON text, or a dict)."""

    name: str
    arguments: str | dict[str, Any] = "{}"
    id: str = ""

    def wire(self, index: int) -> dict[str, Any]:
        args = self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)
        return {"index": index, "id": self.id or f"call_{uuid.uuid4().hex[:12]}", "type": "function",
                "function": {"name": self.name, "arguments": args}}


@dataclass(frozen=True)
class ToolCalls:
    """An assistant turn that calls tools (several at once: parallel calls), with optional text before."""

    calls: tuple[ToolCall, ...]
    content: str = ""

    @classmethod
    def of(cls, *calls: ToolCall, content: str = "") -> ToolCalls:
        return cls(tuple(calls), content)


@dataclass(frozen=True)
class Chunks:
    """A streamed answer cut exactly here, `gap` seconds apart (plain responses join them).

    `gate`: the parts after the first wait until the test sets it, so a test can look at a
    client while it holds only the first words (never by timing).
    """

    parts: tuple[str, ...]
    gap: float = 0.0
    gate: asyncio.Event | None = field(default=None, compare=False)

    @property
    def text(self) -> str:
        return "".join(self.parts)


Content = str | ToolCalls | Chunks


@dataclass(frozen=True)
class Delay:
    """Answer late, to drive client timeouts (a long one is a hang) or to stand for a model's own time."""

    seconds: float
    content: Content = "delayed reply"


def hang() -> Delay:
    """A model that never answers within any timeout a test would set."""
    return Delay(600.0)


@dataclass(frozen=True)
class Status:
    """Answer with an HTTP error; the default body mimics OpenAI's error envelope."""

    code: int
    body: Any = None

    def response(self) -> web.Response:
        body = self.body
        if body is None:
            kind = "server_error" if self.code >= 500 else "invalid_request_error"
            body = {"error": {"message": f"fake error {self.code}", "type": kind,
                              "param": None, "code": None}}
        if isinstance(body, str):
            return web.Response(status=self.code, text=body)
        return web.json_response(body, status=self.code)


@dataclass(frozen=True)
class Garbage:
    """A 200 whose body is not JSON, like a misbehaving proxy in front of the API."""

    text: str = "<html><body>Bad gateway</body></html>"
    content_type: str = "application/json"


Reply = str | ToolCalls | Chunks | Delay | Status | Garbage


def fake_embedding(text: str, dimensions: int = 16) -> list[float]:
    """Deterministic unit vector so similarity tests are repeatable without a model."""
    values: list[float] = []
    counter = 0
    while len(values) < dimensions:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        values.extend((b - 127.5) / 127.5 for b in digest)
        counter += 1
    vec = values[:dimensions]
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]


def _tokens(text: str) -> int:
    return max(1, len(text.split()))


def _split(content: str, parts: int = 3) -> list[str]:
    """Cut into a few deltas at word boundaries so clients must reassemble."""
    words = content.split(" ")
    n = min(parts, len(words))
    cuts = [round(i * len(words) / n) for i in range(n + 1)]
    chunks = [" ".join(words[a:b]) for a, b in itertools.pairwise(cuts)]
    return [c + " " for c in chunks[:-1]] + chunks[-1:]


class FakeOpenAI(FakeServer):
    """Chat completions (plain and streamed), embeddings and model listing."""

    def __init__(
        self,
        *,
        default_reply: str = "This is a fake reply.",
        models: tuple[str, ...] = ("gpt-4o-mini", "text-embedding-3-small"),
        api_key: str | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__(host=host)
        self.default_reply = default_reply
        self.models = models
        self.api_key = api_key
        self._script: deque[Reply] = deque()

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Chat request bodies, so tests can assert on what reached the prompt."""
        calls = sorted(self.calls_named("chat.completions") + self.calls_named("azure.chat.completions"),
                       key=lambda c: c.timestamp)
        return [c.body for c in calls if isinstance(c.body, dict)]

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._script.popleft() if self._script else self.default_reply

    def setup_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._chat, name="chat.completions")
        # Azure OpenAI's shape of the same call (the deployment names the model)
        app.router.add_post("/openai/deployments/{deployment}/chat/completions", self._chat,
                            name="azure.chat.completions")
        app.router.add_post("/v1/embeddings", self._embeddings, name="embeddings")
        app.router.add_get("/v1/models", self._models, name="models")

    def _unauthorized(self, request: web.Request) -> web.Response | None:
        if self.api_key is None or request.headers.get("Authorization") == f"Bearer {self.api_key}" \
                or request.headers.get("api-key") == self.api_key:
            return None
        return Status(401, {"error": {"message": "Incorrect API key provided", "type":
                                      "invalid_request_error", "param": None,
                                      "code": "invalid_api_key"}}).response()

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        if denied := self._unauthorized(request):
            return denied
        body = parse_body(request.content_type, await request.read())
        if not isinstance(body, dict):
            return Status(400).response()
        reply = self._next_reply()
        if isinstance(reply, Delay):
            await self.pause(reply.seconds)
            reply = reply.content
        if isinstance(reply, Status):
            return reply.response()
        if isinstance(reply, Garbage):
            return web.Response(text=reply.text, content_type=reply.content_type)
        model = str(body.get("model", self.models[0]))
        prompt = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
        said = reply if isinstance(reply, str) else reply.text if isinstance(reply, Chunks) else \
            reply.content + json.dumps([c.wire(0)["function"] for c in reply.calls])
        usage = {
            "prompt_tokens": _tokens(prompt),
            "completion_tokens": _tokens(said),
            "total_tokens": _tokens(prompt) + _tokens(said),
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0,
                                          "rejected_prediction_tokens": 0},
        }
        head = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "created": int(time.time()),
                "model": model, "service_tier": "default", "system_fingerprint": "fp_fake"}
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return await self._stream(request, head, reply, usage if include_usage else None)
        message: dict[str, Any] = {"role": "assistant", "content": said, "refusal": None,
                                   "annotations": []}
        finish = "stop"
        if isinstance(reply, ToolCalls):
            message["content"] = reply.content or None
            message["tool_calls"] = [{k: v for k, v in c.wire(i).items() if k != "index"}
                                     for i, c in enumerate(reply.calls)]
            finish = "tool_calls"
        return web.json_response({
            **head, "object": "chat.completion",
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": finish}],
            "usage": usage,
        })

    async def _stream(self, request: web.Request, head: dict[str, Any], content: Content,
                      usage: dict[str, Any] | None) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})
        await resp.prepare(request)

        def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return {**head, "object": "chat.completion.chunk", "choices": [choice],
                    "usage": None}

        gap = content.gap if isinstance(content, Chunks) else 0.0
        events = [chunk({"role": "assistant", "content": "", "refusal": None}, None)]
        if isinstance(content, ToolCalls):
            events += [chunk({"content": part}, None) for part in _split(content.content)
                       if content.content]
            for i, call in enumerate(content.calls):
                wire = call.wire(i)
                args = wire["function"]["arguments"]
                half = len(args) // 2  # arguments arrive in pieces the client must join
                events.append(chunk({"tool_calls": [{**wire, "function": {
                    "name": call.name, "arguments": args[:half]}}]}, None))
                events.append(chunk({"tool_calls": [{"index": i, "function": {
                    "arguments": args[half:]}}]}, None))
            events.append(chunk({}, "tool_calls"))
        else:
            parts = content.parts if isinstance(content, Chunks) else _split(content)
            events += [chunk({"content": part}, None) for part in parts]
            events.append(chunk({}, "stop"))
        if usage is not None:
            events.append({**head, "object": "chat.completion.chunk", "choices": [],
                           "usage": usage})
        gate = content.gate if isinstance(content, Chunks) else None
        for n, event in enumerate(events):
            if gap and 1 < n < len(events) - 1:
                await self.pause(gap)
            if gate is not None and n == 2:
                await self.held(gate)
            await resp.write(f"data: {json.dumps(event)}\n\n".encode())
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp

    async def _embeddings(self, request: web.Request) -> web.Response:
        if denied := self._unauthorized(request):
            return denied
        body = parse_body(request.content_type, await request.read())
        if not isinstance(body, dict):
            return Status(400).response()
        inputs = body.get("input", [])
        if isinstance(inputs, str) or (inputs and isinstance(inputs[0], int)):
            inputs = [inputs]
        dims = int(body.get("dimensions") or 16)
        as_b64 = body.get("encoding_format") == "base64"
        data = []
        for i, item in enumerate(inputs):
            vec = fake_embedding(item if isinstance(item, str) else json.dumps(item), dims)
            emb: Any = vec
            if as_b64:
                emb = base64.b64encode(struct.pack(f"<{dims}f", *vec)).decode()
            data.append({"object": "embedding", "index": i, "embedding": emb})
        tokens = sum(_tokens(str(item)) for item in inputs)
        return web.json_response({
            "object": "list", "data": data, "model": body.get("model", self.models[-1]),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        })

    async def _models(self, request: web.Request) -> web.Response:
        if denied := self._unauthorized(request):
            return denied
        return web.json_response({"object": "list", "data": [
            {"id": m, "object": "model", "created": 1700000000, "owned_by": "ksb-fake"}
            for m in self.models
        ]})

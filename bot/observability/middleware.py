"""The aiohttp middleware every request passes through: event id, metrics, one access line.

It sits outside every adapter's handler, so requests are counted by platform
and outcome even for routes this package does not own (/slack/events,
/api/messages), and every log line a handler writes carries the request's
event id. The id comes from X-Request-Id when a proxy set a sane one.
"""

from __future__ import annotations

import logging
import re
import time

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.observability.logging_json import event_context
from bot.observability.metrics import Metrics

log = logging.getLogger("bot.http")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{6,64}$")
PLATFORM_PREFIXES = (("/slack/", "slack"), ("/api/messages", "teams"))
OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def platform_of(path: str) -> str:
    for prefix, platform in PLATFORM_PREFIXES:
        if path.startswith(prefix):
            return platform
    return "ops" if path in OPS_PATHS else "other"


def make_middleware(metrics: Metrics) -> Middleware:
    """Counts and times each request; an exception is counted as a 500 and re-raised."""

    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        incoming_id = request.headers.get("X-Request-Id", "")
        platform = platform_of(request.path)
        status = 500
        start = time.perf_counter()
        metrics.in_flight.inc()
        with event_context(incoming_id if _SAFE_ID.match(incoming_id) else None) as event_id:
            try:
                response = await handler(request)
                status = response.status
                if not response.prepared:
                    response.headers["X-Request-Id"] = event_id
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            except Exception:
                metrics.error("http")
                log.exception("request failed", extra={"path": request.path})
                raise
            finally:
                seconds = time.perf_counter() - start
                metrics.in_flight.dec()
                metrics.request_done(platform=platform, status=status, seconds=seconds)
                if platform != "ops":
                    log.info("request", extra={"method": request.method, "path": request.path,
                                               "status": status, "platform": platform,
                                               "seconds": round(seconds, 4)})

    return observe

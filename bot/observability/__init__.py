"""Operations: metrics, structured logs and the HTTP middleware that ties them to requests.

Modules that want to count something take a `Metrics` in their constructor, or
read it from the web app with `app[METRICS_KEY]` inside their mount function.
"""

from __future__ import annotations

from aiohttp import web

from bot.observability.metrics import Metrics

METRICS_KEY = web.AppKey("metrics", Metrics)

__all__ = ["METRICS_KEY", "Metrics"]

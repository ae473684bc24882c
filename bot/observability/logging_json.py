"""Structured JSON logs on stdout, with an event id per request and secrets redacted.

Why this shape: a container platform collects stdout and indexes JSON fields,
so one object per line with `event_id` lets an operator follow one Slack event
or Teams turn across modules. Two rules protect users: the text of messages
and reflections is only logged when LOG_CONTENT=true (pass it as
`extra={"content": text}` and the formatter keeps or drops it), and secret
setting values or token-looking strings never reach the output, whoever logs them.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, Any

import pythonjsonlogger.json
from pydantic import SecretStr

from bot.config import Settings

EVENT_ID: contextvars.ContextVar[str] = contextvars.ContextVar("ksb_event_id", default="")
CONTENT_FIELDS = frozenset({"content", "text", "reflection", "message_text", "user_text"})
REDACTED = "[REDACTED]"
# Third-party loggers held at LIBRARY_LOG_LEVEL: at INFO, httpx logs each Chroma call and alembic two
# lines per /readyz probe, burying the service's own lines.
LIBRARIES = ("httpx", "httpcore", "alembic", "chromadb", "urllib3", "openai", "botbuilder", "msrest",
             "msal", "slack_sdk", "slack_bolt", "asyncio", "sqlalchemy", "posthog", "backoff")
_TOKENS = re.compile(
    r"\bxox[abposre]-[A-Za-z0-9-]{6,}"            # Slack bot/user/app tokens
    r"|\bxapp-[A-Za-z0-9-]{6,}"                  # Slack app-level tokens
    r"|\bsk-[A-Za-z0-9_-]{12,}"                  # OpenAI-style keys
    r"|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"  # JWTs (Bot Framework)
    r"|(?<=Bearer )[A-Za-z0-9._~+/=-]{12,}"
)
_URL_PASSWORD = re.compile(r"(?<=://)([^:/@\s]+):([^@\s]+)@")
# SQLAlchemy errors quote the statement's bound values: a failed INSERT carries the reflection.
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\n|\s*\(Background|$)", re.S)
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def new_event_id() -> str:
    return uuid.uuid4().hex[:16]


@contextmanager
def event_context(event_id: str | None = None) -> Iterator[str]:
    """Binds an event id to every log line emitted inside the block (tasks inherit it)."""
    value = event_id or new_event_id()
    token = EVENT_ID.set(value)
    try:
        yield value
    finally:
        EVENT_ID.reset(token)


def secret_values(settings: Settings) -> set[str]:
    """Values of secret settings: SecretStr fields and anything named like a credential."""
    values: set[str] = set()
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            values.add(value.get_secret_value())
        elif isinstance(value, str) and re.search(r"token|secret|password|api_key", name):
            values.add(value)
    match = _URL_PASSWORD.search(settings.database_url)
    if match:
        values.add(match.group(2))
    return {v for v in values if len(v) >= 6}


class Redactor:
    """Replaces known secret values and token-looking strings with [REDACTED].

    Unless content logging is on, it also hides the bound values SQLAlchemy
    prints in its errors, which would otherwise put user text in the logs.
    """

    def __init__(self, secrets: Iterable[str] = (), *, log_content: bool = False) -> None:
        ordered = sorted(set(secrets), key=len, reverse=True)
        self._secrets = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self._log_content = log_content

    def __call__(self, text: str) -> str:
        if not self._log_content:
            text = _SQL_PARAMETERS.sub("[parameters: hidden]", text)
        if self._secrets is not None:
            text = self._secrets.sub(REDACTED, text)
        text = _TOKENS.sub(REDACTED, text)
        return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}:{REDACTED}@", text)


class NoPlatformPayloads(logging.Filter):
    """At DEBUG the Slack SDK and bolt log whole request and response bodies, people's words included;
    without LOG_CONTENT those records are dropped (their warnings and errors still pass)."""

    PREFIXES = ("slack_sdk", "slack_bolt")

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG or not record.name.startswith(self.PREFIXES)


class RedactingFilter(logging.Filter):
    """A handler filter, so third-party loggers are covered too, not only ours."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redact = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, self.redact(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        record.exc_info = None  # formatters print the redacted exc_text, never the raw traceback again
        return True


class JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """python-json-logger, one object per line: ts, level, logger, msg, event_id and any `extra`
    fields; content fields become their length unless LOG_CONTENT is on."""

    def __init__(self, *, log_content: bool = False) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s",
                         rename_fields={"asctime": "ts", "levelname": "level", "name": "logger",
                                        "message": "msg", "exc_info": "exc"},
                         json_default=str, json_ensure_ascii=False)
        self.log_content = log_content

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord,
                   message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        event_id = log_data.pop("event_id", "") or EVENT_ID.get()
        if event_id:
            log_data["event_id"] = event_id
        if not self.log_content:
            for key in CONTENT_FIELDS & log_data.keys():
                value = log_data.pop(key)
                log_data[f"{key}_chars"] = len(value) if isinstance(value, str) else None


class TextFormatter(logging.Formatter):
    """Human-readable lines for a terminal; `extra` fields (so any content) are not printed."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        event_id = EVENT_ID.get()
        return f"{line} [{event_id}]" if event_id else line


def configure_logging(settings: Settings, *, stream: IO[str] | None = None) -> logging.Handler:
    """Replace the root handlers with one stdout handler; returns it (tests read it)."""
    handler = logging.StreamHandler(stream or sys.stdout)
    fmt: logging.Formatter
    if settings.log_format == "json":
        fmt = JsonFormatter(log_content=settings.log_content)
    else:
        fmt = TextFormatter()
    handler.setFormatter(fmt)
    redactor = Redactor(secret_values(settings), log_content=settings.log_content)
    if not settings.log_content:
        handler.addFilter(NoPlatformPayloads())
    handler.addFilter(RedactingFilter(redactor))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # the middleware logs requests
    library_level = "DEBUG" if settings.log_level == "DEBUG" else settings.library_log_level  # debugging: all
    for library in LIBRARIES:
        logging.getLogger(library).setLevel(library_level)
    return handler

"""Structured logs: one JSON object per line, an event id, no content, no secrets."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.observability.logging_json import (
    REDACTED,
    Redactor,
    configure_logging,
    event_context,
    secret_values,
)
from tests.conftest import make_settings


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def capture(tmp_path: Path, **settings: object) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(make_settings(tmp_path, **settings), stream=stream)
    return stream


@pytest.mark.usefixtures("restore_root")
def test_json_lines_carry_the_event_id(tmp_path: Path) -> None:
    stream = capture(tmp_path)
    log = logging.getLogger("bot.test")
    with event_context("evt-123456"):
        log.info("answered", extra={"intent": "question", "seconds": 0.25})
    log.info("outside")
    first, second = lines(stream)
    assert first["event_id"] == "evt-123456" and first["intent"] == "question"
    assert first["seconds"] == 0.25 and first["level"] == "INFO" and first["logger"] == "bot.test"
    assert "event_id" not in second


@pytest.mark.usefixtures("restore_root")
def test_message_text_is_dropped_unless_log_content(tmp_path: Path) -> None:
    reflection = "This week I set up Evidently dashboards for the churn model"
    stream = capture(tmp_path)
    logging.getLogger("bot.test").info("saved", extra={"content": reflection})
    assert reflection not in stream.getvalue()
    assert lines(stream)[0]["content_chars"] == len(reflection)

    stream = capture(tmp_path, log_content=True)
    logging.getLogger("bot.test").info("saved", extra={"content": reflection})
    assert lines(stream)[0]["content"] == reflection


@pytest.mark.usefixtures("restore_root")
def test_secret_settings_and_token_shapes_are_redacted(tmp_path: Path) -> None:
    key = "sk-proj-abcdefghijklmnopqrstuvwxyz012345"
    stream = capture(tmp_path, openai_api_key=key,
                     database_url="postgresql://ksb:hunter2-long-pw@db:5432/ksb")
    log = logging.getLogger("httpx")  # a third-party logger: the filter sits on the handler
    log.warning("calling with %s", key)
    log.warning("slack said xoxb-1234-5678-AbCdEfGhIj and xapp-1-A0-123-abcdef")
    log.warning("db at postgresql://ksb:hunter2-long-pw@db:5432/ksb", extra={"token": key})
    log.warning("header Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMTIz")
    out = stream.getvalue()
    for leaked in (key, "xoxb-1234", "xapp-1-A0", "hunter2-long-pw", "eyJhbGciOiJIUzI1NiJ9"):
        assert leaked not in out
    assert out.count(REDACTED) >= 5


@pytest.mark.usefixtures("restore_root")
def test_exceptions_are_logged_redacted(tmp_path: Path) -> None:
    stream = capture(tmp_path)
    try:
        raise RuntimeError("auth failed for xoxb-9999-8888-ZyXwVuTsRq")
    except RuntimeError:
        logging.getLogger("bot.test").exception("boom")
    record = lines(stream)[0]
    assert "RuntimeError" in str(record["exc"]) and "xoxb-9999" not in str(record["exc"])


def test_secret_values_include_url_passwords_and_skip_short_values(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, openai_api_key="abc",
                             database_url="postgresql://u:longpassword@h/db")
    assert secret_values(settings) == {"longpassword"}


def test_redactor_leaves_ordinary_text_alone() -> None:
    text = "What counts for S24? I asked about sk-learn pipelines and task-based work."
    assert Redactor(["zzzzzzzz"])(text) == text


@pytest.mark.usefixtures("restore_root")
def test_text_format_for_terminals(tmp_path: Path) -> None:
    stream = capture(tmp_path, log_format="text")
    logging.getLogger("bot.test").warning("plain %s", "line", extra={"content": "private words"})
    out = stream.getvalue()
    assert "WARNING bot.test: plain line" in out and "private words" not in out


@pytest.mark.usefixtures("restore_root")
def test_sql_errors_do_not_leak_bound_user_text(tmp_path: Path) -> None:
    import sqlalchemy as sa

    reflection = "I retrained the fraud model after drift alerts"
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    stream = capture(tmp_path)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("INSERT INTO missing (text) VALUES (:t)"), {"t": reflection})
    except sa.exc.OperationalError:
        logging.getLogger("bot.handlers").exception("database failure")
    finally:
        engine.dispose()
    out = stream.getvalue()
    assert "no such table" in out and reflection not in out and "[parameters: hidden]" in out


@pytest.fixture
def restore_libraries() -> Iterator[None]:
    from bot.observability.logging_json import LIBRARIES

    levels = {name: logging.getLogger(name).level for name in LIBRARIES}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("restore_root", "restore_libraries")
@pytest.mark.parametrize("library_level", ["WARNING", "INFO"])
def test_third_party_libraries_log_at_warning_by_default(tmp_path: Path, library_level: str) -> None:
    """One httpx INFO line per Chroma call and two Alembic lines per /readyz probe buried the service's own."""
    stream = capture(tmp_path, library_log_level=library_level)
    for name in ("httpx", "alembic.runtime.migration", "chromadb.api", "urllib3.connectionpool"):
        logging.getLogger(name).info("library chatter")
        logging.getLogger(name).warning("library trouble")
    logging.getLogger("bot.test").info("our own line")
    messages = [str(line["msg"]) for line in lines(stream)]
    assert "our own line" in messages and messages.count("library trouble") == 4
    assert messages.count("library chatter") == (4 if library_level == "INFO" else 0)

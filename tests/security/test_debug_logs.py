"""At DEBUG, the Slack SDK's request bodies (people's words) stay out of the logs unless LOG_CONTENT=true."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from bot.observability.logging_json import configure_logging
from tests.conftest import make_settings

WORDS = "this week I argued with my manager about the churn model"


def logged(tmp_path: Path, *, log_content: bool) -> str:
    stream = io.StringIO()
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    try:
        configure_logging(make_settings(tmp_path, log_level="DEBUG", log_content=log_content), stream=stream)
        logging.getLogger("slack_sdk.web.async_base_client").debug(
            "Sending a request - url: https://slack.com/api/chat.postMessage, body: {'text': '%s'}", WORDS)
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in before:
            root.addHandler(handler)
        root.setLevel(level)
    return stream.getvalue()


def test_slack_sdk_debug_bodies_are_not_logged_without_log_content(tmp_path: Path) -> None:
    assert WORDS not in logged(tmp_path, log_content=False)
    assert WORDS in logged(tmp_path, log_content=True)

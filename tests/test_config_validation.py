"""Bad configuration fails at start-up with one clear line (exit 2), not a traceback later."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings, describe_config_error
from tests.conftest import make_settings


def error_line(tmp_path: Path, **values: object) -> str:
    with pytest.raises(ValidationError) as caught:
        make_settings(tmp_path, **values)
    return describe_config_error(caught.value)


@pytest.mark.parametrize("url", ["nonsense", "://", "postgresql//missing-colon"])
def test_unparsable_database_url(tmp_path: Path, url: str) -> None:
    assert "DATABASE_URL is not a database URL" in error_line(tmp_path, database_url=url)


def test_database_must_be_sqlite_or_postgresql(tmp_path: Path) -> None:
    assert "SQLite or PostgreSQL, not 'mysql'" in error_line(tmp_path, database_url="mysql://u@h/db")


@pytest.mark.parametrize("url", ["", "sqlite:///tmp/x.db", "postgresql://postgres@127.0.0.1:5432/test",
                                 "postgresql+psycopg://u:p@db.internal/ksb"])
def test_good_database_urls(tmp_path: Path, url: str) -> None:
    assert make_settings(tmp_path, database_url=url).database_url == url


def test_slack_token_without_signing_secret(tmp_path: Path) -> None:
    if "slack_bot_token" not in Settings.model_fields:
        pytest.skip("the Slack settings block is not in this checkout")
    line = error_line(tmp_path, slack_bot_token="xoxb-1-2-abcdef")
    assert line == ("bad configuration: SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is not; "
                    "set both or neither")
    make_settings(tmp_path, slack_bot_token="xoxb-1-2-abcdef", slack_signing_secret="s3cr3t-value")


def test_placeholder_secrets_are_refused(tmp_path: Path) -> None:
    assert "OPENAI_API_KEY looks like a placeholder" in error_line(tmp_path, openai_api_key="changeme")
    assert "placeholder" in error_line(tmp_path, openai_api_key="sk-your-key-here")


def test_unknown_log_level(tmp_path: Path) -> None:
    assert "LOG_LEVEL must be" in error_line(tmp_path, log_level="LOUD")


def test_error_line_names_the_setting_for_field_errors(tmp_path: Path) -> None:
    assert error_line(tmp_path, port=0).startswith("bad configuration: PORT: ")


def cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k.upper() not in Settings.model_fields.keys()
             and k.lower() not in Settings.model_fields}
    clean.update({"DATA_DIR": str(tmp_path)}, **env)
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=clean, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    result = cli(tmp_path, "serve", DATABASE_URL="not a url")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["ksb-coach: bad configuration: DATABASE_URL is not a database URL "
                     "(expected sqlite:///path or postgresql://user:password@host:5432/db)"]


def test_cli_error_never_echoes_a_secret(tmp_path: Path) -> None:
    if "slack_bot_token" not in Settings.model_fields:
        pytest.skip("the Slack settings block is not in this checkout")
    token = "xoxb-111-222-SuperSecretValue"
    result = cli(tmp_path, "serve", SLACK_BOT_TOKEN=token)
    assert result.returncode == 2 and "SLACK_SIGNING_SECRET" in result.stderr
    assert token not in result.stderr + result.stdout

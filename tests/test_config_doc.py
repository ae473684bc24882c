"""docs/configuration.md documents every setting, generated from the fields' descriptions."""

from __future__ import annotations

from bot.config import Settings
from bot.observability import config_doc


def test_every_setting_has_a_description() -> None:
    assert config_doc.undocumented() == []


def test_configuration_doc_is_up_to_date() -> None:
    current = config_doc.DOC.read_text("utf-8")
    assert current == config_doc.render(current), (
        "docs/configuration.md is out of date: run `python -m bot.observability.config_doc`")


def test_every_setting_is_in_the_table() -> None:
    table = config_doc.table()
    for name in Settings.model_fields:
        assert f"| `{name.upper()}` |" in table


def test_secrets_are_marked_and_defaults_shown() -> None:
    table = config_doc.table()
    assert "| `OPENAI_API_KEY` | (empty) |" in table and "(secret) |" in table
    assert "| `LOG_FORMAT` | `json` |" in table

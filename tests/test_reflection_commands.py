"""`ksb-coach reflect | log | progress | export | db` against a real database."""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.commands import reflection_args, reflection_commands
from knowledge.registry import Knowledge
from storage.db import head_revisions, is_current
from tests.conftest import make_settings
from tests.fakes.keyword_tagger import KeywordTagger

DRIFT = "This week I set up drift monitoring dashboards and wrote the on-call runbook."
Run = Callable[..., int]


@pytest.fixture
def run(tmp_path: Path, database_url: str, knowledge: Knowledge,
        monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("USER", "cli-tester")
    settings = make_settings(tmp_path, database_url=database_url)
    parser = argparse.ArgumentParser(prog="ksb-coach")
    sub = parser.add_subparsers(dest="command")
    reflection_args.register(sub, lambda: settings, tagger_factory=lambda _s: KeywordTagger(knowledge))

    def invoke(*argv: str, stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        args = parser.parse_args(list(argv))
        return int(args.func(args))

    return invoke


def test_db_upgrade_and_status(run: Run, database_url: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert run("db", "status") == 1
    assert "needs `ksb-coach db upgrade`" in capsys.readouterr().out
    assert run("db", "upgrade") == 0
    assert f"database at {', '.join(sorted(head_revisions()))}" in capsys.readouterr().out
    assert is_current(database_url)
    assert run("db", "status") == 0


def test_reflect_log_progress_export(run: Run, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert run("reflect", DRIFT, "--date", "2026-01-05", "--hours", "2") == 0
    out = capsys.readouterr().out
    assert "Saved your reflection for Mon, 2026-01-05 (2 h" in out and "• S24" in out
    assert "From the standard:" in out
    assert run("reflect", "-", stdin="Another week of meetings and emails mostly.") == 0
    assert "What did you do" in capsys.readouterr().out

    assert run("log") == 0
    log = capsys.readouterr().out
    assert "#1  2026-01-05  2 h  [ok]  S10? S24? S28?" in log and "drift monitoring" in log

    assert run("progress") == 0
    assert "0 of 65 KSBs" in capsys.readouterr().out

    out_file = tmp_path / "portfolio.html"
    assert run("export", "--format", "html", "--out", str(out_file)) == 0
    assert out_file.read_text().startswith("<!doctype html>")
    assert run("export", "--format", "csv") == 0
    assert capsys.readouterr().out.startswith("section,duty,ksb_id,ksb_text,")
    pdf = tmp_path / "portfolio.pdf"
    assert run("export", "--format", "pdf", "--out", str(pdf)) == 0
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_bad_input_gets_a_message_not_a_traceback(run: Run,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert run("reflect", "   ") == 2
    assert "empty text" in capsys.readouterr().err
    assert run("reflect", DRIFT, "--date", "last tuesday") == 2
    assert capsys.readouterr().err.startswith("ksb-coach reflect: Invalid isoformat")


def test_local_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER", "sam")
    user = reflection_commands.local_user()
    assert (user.platform, user.workspace_id, user.user_id) == ("console", "local", "sam")


def test_tags_on_any_entry_and_log_pending(run: Run, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert run("log", "--pending") == 0
    assert "No entries have suggestions waiting" in capsys.readouterr().out
    assert run("reflect", DRIFT, "--date", "2026-01-05", "--hours", "2") == 0
    assert run("reflect", "Another week of meetings and emails mostly.", "--date", "2026-01-06") == 0
    capsys.readouterr()
    assert run("log", "--pending") == 0
    pending = capsys.readouterr().out
    assert "#1  2026-01-05" in pending and "#2" not in pending

    assert run("tags", "confirm", "1", "S24") == 0
    out = capsys.readouterr().out
    assert "Confirmed S24 on entry #1" in out and "S10 and S28" in out
    assert run("tags", "remove", "1", "s10") == 0
    assert run("tags", "add", "1", "K25", "B1") == 0
    assert "Added K25 and B1 to entry #1" in capsys.readouterr().out
    assert run("tags", "confirm", "1", "all") == 0
    capsys.readouterr()
    assert run("log") == 0
    assert "#1  2026-01-05  2 h  [ok]  S24✓ S28✓ K25✓ B1✓" in capsys.readouterr().out
    assert run("log", "--pending") == 0
    assert "#1" not in capsys.readouterr().out

    for argv, problem in ((("tags", "confirm", "1", "S99"), "ST1398 has no S99"),
                          (("tags", "confirm", "404", "S5"), "you have no entry #404"),
                          (("tags", "add", "1", "all"), "'add' needs KSB ids")):
        assert run(*argv) == 2
        assert problem in capsys.readouterr().err
    monkeypatch.setenv("USER", "someone-else")
    assert run("tags", "remove", "1", "S24") == 2
    assert "only see and change your own" in capsys.readouterr().err
    monkeypatch.setenv("USER", "cli-tester")
    assert run("log") == 0
    assert "S24✓ S28✓ K25✓ B1✓" in capsys.readouterr().out


def test_reflect_reads_hours_from_the_text_unless_given(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("reflect", "Paired for 90 mins on the drift monitoring alerts.", "--date", "2026-01-05") == 0
    assert "2026-01-05 (1.5 h off the job)" in capsys.readouterr().out
    assert run("reflect", "Paired for 90 mins on the drift alerts.", "--date", "2026-01-05", "--hours", "1") == 0
    assert "2026-01-05 (1 h off the job)" in capsys.readouterr().out


def test_an_entry_that_is_not_prose_is_saved_with_a_one_line_hint(run: Run,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    trace = 'Traceback (most recent call last):\n  File "train.py", line 9, in <module>\nValueError: bad shape'
    assert run("reflect", "\U0001f389\U0001f680", "--date", "2026-01-05", "--hours", "1") == 0
    assert "only emoji, so there is nothing to tag" in capsys.readouterr().out
    assert run("reflect", "-", "--date", "2026-01-06", "--hours", "1", stdin=trace) == 0
    assert "looks like an error trace" in capsys.readouterr().out
    assert run("log") == 0
    log = capsys.readouterr().out
    assert "2026-01-05" in log and "2026-01-06" in log

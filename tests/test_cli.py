"""The CLI as a user runs it: a fresh process, real index, exit codes and JSON Lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.search.retrieval import HybridRetriever

FIXTURE = Path(__file__).parent / "data" / "mini_standard.json"


def run(index_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SLACK_", "MICROSOFT_"))}
    env["DATA_DIR"] = str(index_dir)
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=120, check=False)


@pytest.fixture
def index(index_dir: Path, retriever: HybridRetriever) -> Path:
    """The session index, already built by the retriever fixture."""
    return index_dir


def test_search_json_lines_contract(index: Path) -> None:
    lines = "\n".join([json.dumps({"id": "a", "text": "what counts for S24?"}),
                       json.dumps({"text": "a vegan lasagne recipe"})])
    result = run(index, "search", "--top", "3", "-", stdin=lines)
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["id"] == "a" and first["query"] == "what counts for S24?"
    assert first["results"][0]["id"] == "S24" and isinstance(first["results"][0]["score"], float)
    assert second == {"id": None, "query": "a vegan lasagne recipe", "results": []}


def test_search_reports_bad_lines_and_keeps_going(index: Path) -> None:
    lines = "not json\n" + json.dumps({"text": ""}) + "\n" + json.dumps({"text": "k24"}) + "\n"
    result = run(index, "search", "--json", "-", stdin=lines)
    assert result.returncode == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [bool(o.get("error")) for o in out] == [True, True, False]
    assert out[2]["results"][0]["id"] == "K24"
    assert "line 1: not valid JSON" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "empty text"), ("x" * 50_000, "too long"), ("hello\x07there", "control characters")],
)
def test_ask_rejects_bad_input_clearly(index: Path, text: str, message: str) -> None:
    result = run(index, "ask", text)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_ask_answers_from_the_standard(index: Path) -> None:
    result = run(index, "ask", "--json", "what counts for S24?")
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)
    assert reply["cited"] == ["S24"] and reply["metadata"]["composer"] == "grounded"


async def test_ask_prints_the_models_words_as_they_come(index: Path) -> None:
    import asyncio

    from tests.fakes import Chunks, FakeOpenAI, ToolCall, ToolCalls

    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SLACK_", "MICROSOFT_"))}
    gate = asyncio.Event()
    async with FakeOpenAI() as fake:
        fake.script(ToolCalls.of(ToolCall("ksb_lookup", {"ids": ["S24"]})),
                    Chunks(("S24 asks you to ", "watch for data drift."), gate=gate))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "ask", "what counts for S24?",
            env={**env, "DATA_DIR": str(index), "OPENAI_BASE_URL": f"{fake.url}/v1", "LLM_TIMEOUT": "60"},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        assert process.stdout is not None and process.stderr is not None
        first = await asyncio.wait_for(process.stdout.read(len("S24 asks you to ")), 90)
        assert first == b"S24 asks you to "  # on screen while the model still holds the rest
        assert process.returncode is None
        gate.set()
        rest, errors = await asyncio.wait_for(asyncio.gather(process.stdout.read(), process.stderr.read()), 90)
        assert await process.wait() == 0, errors
    shown = (first + rest).decode()
    assert shown.startswith("S24 asks you to watch for data drift.\n\nFrom the standard:")
    assert shown.count("watch for data drift") == 1 and "S24" in shown.split("From the standard:")[1]
    assert "(Looking up the standard…)" in errors.decode()


def test_standards_add(tmp_path: Path) -> None:
    result = run(tmp_path, "standards", "add", str(FIXTURE))
    assert result.returncode == 0 and "ST9999" in result.stdout
    assert "ST9999" in run(tmp_path, "standards", "list").stdout
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    failed = run(tmp_path, "standards", "add", str(bad))
    assert failed.returncode == 2 and "not valid JSON" in failed.stderr


def test_run_picks_console_chat_unless_a_platform_is_configured(tmp_path: Path) -> None:
    from bot.commands.run_command import platform_configured
    from tests.conftest import make_settings

    assert not platform_configured(make_settings(tmp_path))
    assert platform_configured(make_settings(tmp_path, slack_bot_token="xoxb-1-abc", slack_signing_secret="s3cr3t"))
    assert platform_configured(make_settings(tmp_path, microsoft_app_id="app", microsoft_app_password="pw"))


def test_chat_session_in_a_terminal(index: Path, tmp_path: Path) -> None:
    result = run(index, "chat", stdin="what counts for S24?\n2\nquit\n")
    assert result.returncode == 0, result.stderr
    assert "S24 (skill, duty 6)" in result.stdout and "[1]" in result.stdout


def test_tag_json_lines_contract(index: Path) -> None:
    lines = "\n".join([
        json.dumps({"id": 1, "text": "added data drift monitoring with population stability alerts to the live "
                                     "pricing model and a runbook for when it fires"}),
        json.dumps({"id": 2, "text": "annual leave all week, caught up on emails"}),
    ])
    result = run(index, "tag", "--top", "3", "-", stdin=lines)
    assert result.returncode == 0, result.stderr
    drift, leave = (json.loads(line) for line in result.stdout.splitlines())
    assert drift["id"] == 1 and "S24" in [r["id"] for r in drift["results"]]
    assert all(set(r) == {"id", "score", "reason"} and r["reason"] for r in drift["results"])
    assert leave == {"id": 2, "query": "annual leave all week, caught up on emails", "results": []}
    assert run(index, "tag", "").returncode == 2


def test_tag_gives_a_one_line_hint_for_entries_that_are_not_prose(index: Path) -> None:
    trace = 'Traceback (most recent call last):\n  File "train.py", line 3, in <module>\nKeyError: \'label\''
    lines = "\n".join(json.dumps({"id": n, "text": t}) for n, t in enumerate(
        ["\U0001f389\U0001f680", "https://github.com/org/repo/pull/12", trace,
         "def train(x):\n    model = fit(x)\n    return model"]))
    result = run(index, "tag", "--top", "6", "--json", "-", stdin=lines)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["results"] for o in out] == [[], [], [], []]
    hints = [o["hint"] for o in out]
    assert ["emoji" in hints[0], "link" in hints[1], "trace" in hints[2], "code" in hints[3]] == [True] * 4
    assert all("\n" not in h for h in hints)
    plain = run(index, "tag", "\U0001f389\U0001f680\U0001f525")
    assert plain.returncode == 0 and plain.stdout.strip() == hints[0]
    prose = run(index, "tag", "annual leave all week, caught up on emails")
    assert prose.stdout.strip().startswith("No confident tags")

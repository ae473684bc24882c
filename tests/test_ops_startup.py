"""Start-up through an outage: retried with back-off and one line per try, started once the dependency is back;
pending tagging retried on a schedule. Real PostgreSQL and `chroma run` behind a TCP proxy we can cut."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.coaching.reflections import Reflections
from bot.periodic import every
from bot.search.retrieval import HybridRetriever
from bot.search.tagging import RetrievalTagger
from bot.startup import DependencyDown, wait_for
from knowledge.guidance import Guidance
from knowledge.index import ChromaTarget
from knowledge.json_loader import load_standard_json
from knowledge.registry import Knowledge
from storage import entries
from storage.db import Database, open_database
from storage.models import Person
from tests.chroma_server import ChromaServer, chroma_binary
from tests.test_index_versions import MINI_STANDARD, QUERY, replica
from tests.test_ops_proxy import TcpProxy, closed_port


def proxied(url: str, port: int) -> str:
    return url.replace("127.0.0.1:5432", f"127.0.0.1:{port}")


def test_postgres_down_at_start_is_waited_for(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the outage is staged on PostgreSQL")
    with TcpProxy("127.0.0.1", 5432) as proxy:
        proxy.set_mode("refuse")
        failed: list[float] = []

        def sleep(seconds: float) -> None:
            failed.append(seconds)  # no real waiting: the proxy comes back after the second failed try
            if len(failed) == 2:
                proxy.set_mode("forward")

        caplog.set_level(logging.WARNING, logger="bot.startup")
        database = wait_for("PostgreSQL", lambda: open_database(proxied(database_url, proxy.port)),
                            within=300, sleep=sleep)
        try:
            assert database.is_current()
        finally:
            database.dispose()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.startup"]
    assert len(lines) >= 2 and all(line.startswith("PostgreSQL unreachable (") for line in lines)
    assert not any(r.exc_info for r in caplog.records)


def test_gives_up_with_one_line_after_the_wait(tmp_path: Path) -> None:
    mini = Knowledge(standard=load_standard_json(MINI_STANDARD), guidance=Guidance(), source_text="")
    down = replica(mini, ChromaTarget(host="127.0.0.1", port=closed_port()), tmp_path)
    with pytest.raises(DependencyDown, match=r"^Chroma still unreachable after 0\.5 s \(\w+\)"):
        wait_for("Chroma", down.load, within=0.5, first_wait=0.05)


def test_anything_but_an_outage_fails_at_once() -> None:
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        raise RuntimeError("a bug, not an outage")

    with pytest.raises(RuntimeError):
        wait_for("Chroma", broken, within=60)
    assert calls == [1]


@pytest.mark.skipif(not chroma_binary(), reason="no `chroma` executable")
def test_serve_waits_for_chroma_then_starts(tmp_path: Path) -> None:
    """The real `serve` process: Chroma down at start → one line per try, no traceback; listening once it is up."""
    with ChromaServer(tmp_path / "chroma") as server, TcpProxy("127.0.0.1", server.port) as proxy:
        proxy.set_mode("refuse")
        env = {"DATA_DIR": str(tmp_path / "data"), "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(proxy.port),
               "LOG_FORMAT": "text", "SCHEDULER": "false", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
        process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", "0"], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert process.stdout is not None
        lines: list[str] = []
        try:
            for line in process.stdout:
                lines.append(line)
                if "Chroma unreachable" in line and sum("Chroma unreachable" in x for x in lines) == 2:
                    proxy.set_mode("forward")
                if "listening on" in line:
                    break
        finally:
            process.terminate()
            process.wait(60)
        output = "".join(lines)
        assert "listening on" in output, output[-3000:]
        assert "Traceback" not in output and output.count("Chroma unreachable") >= 2


def test_serve_gives_up_with_one_line(tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path / "data"), "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(closed_port()),
           "STARTUP_WAIT": "1", "LOG_FORMAT": "text", "SCHEDULER": "false", "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "serve", "--port", "0"], env=env, capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]  # one line
    assert "Chroma still unreachable after 1 s" in done.stderr


async def test_pending_reflections_are_retagged_on_a_schedule(database: Database,
                                                              retriever: HybridRetriever) -> None:
    with database.session() as session:
        person = Person(platform="slack", workspace_id="T1", user_id="U1", display_name="Ada")
        session.add(person)
        session.commit()
        entry = entries.add_entry(session, person_id=person.id or 0, text=QUERY + " with Evidently dashboards",
                                  work_date=date.today(), otj_hours=1.0, status="pending")
        session.commit()
        entry_id = entry.id
    reflections = Reflections(session_factory=database.session, knowledge=retriever.index.knowledge,
                              tagger=RetrievalTagger(retriever=retriever), timeout=120)
    done = asyncio.Event()

    async def retag() -> None:
        if await reflections.retag_pending():
            done.set()

    async with every(0.05, retag, name="retag")(None):
        await asyncio.wait_for(done.wait(), 300)
    with database.session() as session:
        assert entries.pending_entries(session) == []
        stored = session.get(type(entry), entry_id)
        assert stored is not None and stored.tagging_status == "ok"

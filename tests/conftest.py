"""Shared fixtures: one real index per test session, real settings per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.retrieval import HybridRetriever
from bot.wiring import make_retriever


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings isolated from the developer's environment and `.env`."""
    values: dict[str, object] = {"data_dir": data_dir, "openai_api_key": "", "openai_base_url": ""}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("index")


@pytest.fixture(scope="session")
def retriever(index_dir: Path) -> HybridRetriever:
    """The real local embedder and a real embedded Chroma, built once for the session."""
    return make_retriever(make_settings(index_dir))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)

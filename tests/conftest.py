"""Shared fixtures: one real index per test session, real settings per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.search.retrieval import HybridRetriever
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


# --- storage fixtures: every storage test runs on SQLite and, when reachable, PostgreSQL ---

import os  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from urllib.parse import quote  # noqa: E402

import psycopg  # noqa: E402

from knowledge.registry import Knowledge, StandardRegistry  # noqa: E402
from storage.db import Database, SessionFactory, open_database  # noqa: E402

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _postgres_base_url() -> str:
    return os.environ.get("KSB_TEST_POSTGRES_URL", POSTGRES_URL)


def _postgres_problem(url: str) -> str:
    """'' when PostgreSQL answers, else why not."""
    try:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"),
                             connect_timeout=3):
            return ""
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@pytest.fixture(scope="session")
def postgres_problem() -> str:
    return _postgres_problem(_postgres_base_url())


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path,
                 postgres_problem: str) -> Iterator[str]:
    """An empty database: a temp SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    if postgres_problem:
        message = f"PostgreSQL unreachable at {_postgres_base_url()}: {postgres_problem}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    base = _postgres_base_url().replace("postgresql+psycopg://", "postgresql://")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated database (through Alembic, as production does); disposed afterwards."""
    db = open_database(database_url)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def sessions(database: Database) -> SessionFactory:
    return database.session


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return StandardRegistry(added_dir=Path("/nonexistent-ksb-coach-standards")).load("ST1398")

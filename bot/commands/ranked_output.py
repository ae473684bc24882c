"""The JSON Lines contract shared by `search` and `tag`: one `{"id", "query", "results"}` per input.

Benchmarks and scripts rely on this shape, so both commands go through here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from bot.commands.input_checks import BadInput, check_text
from bot.ui_text import ui

EXIT_BAD_INPUT = 2
Rank = Callable[[str, int], list[dict[str, Any]]]  # (text, top) -> [{"id", "score", ...}]
Hint = Callable[[str], str]  # text -> why nothing can be ranked and what to write instead, "" when ranked normally


def _no_hint(_text: str) -> str:
    return ""


def add_arguments(parser: argparse.ArgumentParser, *, what: str) -> None:
    parser.add_argument("text", nargs="?", default="-", help=f"the {what}, or - to read JSON Lines from stdin "
                        '(objects with "text" and optional "id")')
    parser.add_argument("--top", type=int, default=5 if what == "text" else 3, help="how many results at most")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace, *, make_rank: Callable[[], Rank], describe: Callable[[dict[str, Any]], str],
        empty: str, hint: Hint = _no_hint) -> int:
    """Validate first (no index is loaded for bad input), then rank one text or a stream.

    A text that is not prose (only emoji, a link, code, a trace) is answered with
    `hint`'s one line instead of `empty`, and in JSON as a "hint" field.
    """
    if args.top < 1:
        print(ui("cli_top_too_small"), file=sys.stderr)
        return EXIT_BAD_INPUT
    text = ""
    if args.text != "-":
        try:
            text = check_text(args.text)
        except BadInput as exc:
            print(f"ksb-coach: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    rank = make_rank()
    if args.text == "-":
        return _stream(rank, args.top, hint)
    results = rank(text, args.top)
    note = "" if results else hint(text)
    if args.json:
        print(json.dumps({"id": None, "query": text, "results": results, **({"hint": note} if note else {})}))
    elif not results:
        print(note or empty)
    else:
        for r in results:
            print(f"{r['id']:>4}  {r['score']:.2f}  {describe(r)}")
    return 0


def _stream(rank: Rank, top: int, hint: Hint) -> int:
    failures = 0
    for number, raw in enumerate(sys.stdin, start=1):
        if not raw.strip():
            continue
        item_id: Any = None
        try:
            item = json.loads(raw)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise BadInput('each line must be a JSON object with a "text" string')
            item_id = item.get("id")
            text = check_text(item["text"])
            line: dict[str, Any] = {"id": item_id, "query": text, "results": rank(text, top)}
            if not line["results"] and (note := hint(text)):
                line["hint"] = note
        except (json.JSONDecodeError, BadInput) as exc:
            failures += 1
            message = "not valid JSON" if isinstance(exc, json.JSONDecodeError) else str(exc)
            print(f"ksb-coach: line {number}: {message}", file=sys.stderr)
            line = {"id": item_id, "query": None, "results": [], "error": message}
        print(json.dumps(line), flush=True)
    return 1 if failures else 0

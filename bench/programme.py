"""Programme questions: does the right fact come first, and do KSB questions stay with the KSBs?

Figures: hit@1 and hit@3 of the expected fact on our own questions (dev, and a
held-out set kept aside from tuning); on the shared KSB development questions,
the share the programme matcher would wrongly claim (score at or above its
floor); on the shared `programme` scenarios, the share whose best answer
carries every phrase the scenario checks.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from bench.eval_data import load_jsonl
from bot.config import Settings
from bot.programme.matching import ProgrammeAnswers
from bot.wiring import make_programme

DATA = Path(__file__).resolve().parent / "data"
SETS = ("programme_questions_dev.jsonl", "programme_questions_heldout.jsonl")


def hit_rates(answers: ProgrammeAnswers, rows: list[dict[str, str]], *, verbose: bool) -> tuple[float, float]:
    first = top3 = 0
    for row in rows:
        ranked = [a.id for a, score in answers.ranked(row["text"])[:3] if score >= answers.tuning.min_score]
        first += bool(ranked) and ranked[0] == row["expect"]
        top3 += row["expect"] in ranked
        if verbose and (not ranked or ranked[0] != row["expect"]):
            print(f"  miss {row['id']}: {row['text']!r} expect={row['expect']} got={ranked}")
    return first / len(rows), top3 / len(rows)


def claimed_ksb_questions(answers: ProgrammeAnswers, *, verbose: bool) -> tuple[int, int]:
    rows = [q for q in load_jsonl("dev_questions.jsonl") if q.get("expect")]
    claimed = 0
    for q in rows:
        best, score = answers.match(q["text"])
        if best is not None:
            claimed += 1
            if verbose:
                print(f"  claimed {q['id']}: {q['text']!r} -> {best.id} {score:.2f}")
    return claimed, len(rows)


def scenario_answers(answers: ProgrammeAnswers, *, verbose: bool) -> tuple[int, int]:
    scenarios = [s for s in load_jsonl("dev_conversations.jsonl") if s.get("kind") == "programme"]
    passed = 0
    for sc in scenarios:
        best, score = answers.match(sc["turns"][-1])
        text = best.text if best else ""
        ok = all(re.search(rx, text, re.I) for rx in sc.get("text_all", [])) and len(text) <= sc.get("max_chars", 1500)
        passed += ok
        if verbose and not ok:
            print(f"  fail {sc['id']}: {sc['turns'][-1]!r} -> {best.id if best else None} {score:.2f}")
    return passed, len(scenarios)


def main(verbose: bool = False) -> None:
    answers = make_programme(Settings())
    print(f"== programme answers ({len(answers.answers)} facts) ==")
    for name in SETS:
        rows = load_jsonl(DATA / name)
        hit1, hit3 = hit_rates(answers, rows, verbose=verbose)
        print(f"{name:36} n={len(rows):3}  hit@1={hit1:.2f}  hit@3={hit3:.2f}")
    claimed, total = claimed_ksb_questions(answers, verbose=verbose)
    print(f"{'KSB dev questions claimed':36} {claimed}/{total} = {claimed / total:.2f}")
    passed, total = scenario_answers(answers, verbose=verbose)
    print(f"{'programme scenarios answered':36} {passed}/{total} = {passed / total:.2f}")


if __name__ == "__main__":
    main(verbose="-v" in sys.argv)

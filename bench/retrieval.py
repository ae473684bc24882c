"""Retrieval quality on the development questions: hit@1, hit@3, MRR by kind; duties; refusals."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from bench.eval_data import DATA_DIR, load_jsonl
from bot.config import Settings
from bot.search.retrieval import HybridRetriever
from bot.wiring import make_retriever

# Everyday descriptions of work whose KSB uses a formal verb (re-engineer, coordinate, negotiate):
# the first set may be tuned on, the held-out one never.
PARAPHRASE_SETS = (DATA_DIR / "questions_paraphrase.jsonl", DATA_DIR / "questions_paraphrase_heldout.jsonl")


def evaluate(retriever: HybridRetriever, *, verbose: bool = False,
             questions: str | Path = "dev_questions.jsonl") -> dict[str, dict[str, float]]:
    rows: dict[str, list[dict[str, float]]] = defaultdict(list)
    for q in load_jsonl(questions):
        result = retriever.retrieve(q["text"], top=10)
        ids = result.ids
        expect = q["expect"]
        kind = q["kind"]
        if kind == "duty":
            got = set(ids)
            rows[kind].append({"complete": float(set(expect) <= got), "share": len(set(expect) & got) / len(expect)})
        elif not expect:
            rows[kind].append({"refused": float(not ids)})
        else:
            rank = next((n for n, i in enumerate(ids, 1) if i in expect), 0)
            rows[kind].append({"hit@1": float(rank == 1), "hit@3": float(0 < rank <= 3),
                               "mrr": 1.0 / rank if rank else 0.0})
        if verbose:
            print(f"{q['id']:5} {kind:11} expect={expect[:3]} got={ids[:5]} {q['text'][:60]}")
    return {kind: {m: sum(r[m] for r in rs) / len(rs) for m in rs[0]} | {"n": len(rs)}
            for kind, rs in rows.items()}


def main(verbose: bool = False) -> None:
    retriever = make_retriever(Settings())
    for questions in ("dev_questions.jsonl", *PARAPHRASE_SETS):
        print(f"== retrieval on {Path(questions).name} ==")
        for kind, metrics in evaluate(retriever, verbose=verbose, questions=questions).items():
            figures = "  ".join(f"{m}={v:.2f}" if m != "n" else f"n={int(v)}" for m, v in metrics.items())
            print(f"{kind:12} {figures}")


if __name__ == "__main__":
    import sys

    main(verbose="-v" in sys.argv)

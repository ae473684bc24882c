"""Tagging quality: must-recall@3, precision@3 and no-evidence entries, on the dev and held-out sets."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.eval_data import HELDOUT_REFLECTIONS, load_jsonl
from bench.stats import summary
from bot.config import Settings
from bot.tagging import RetrievalTagger
from bot.wiring import make_retriever


def report(tagger: RetrievalTagger, name: str, items: list[dict[str, Any]], verbose: bool) -> None:
    recall: list[float] = []
    precision: list[float] = []
    ranked_recall: list[float] = []
    empty_ok = empty_total = 0
    for item in items:
        tags = [t.id for t in tagger.suggest(item["text"], top=3)]
        ranked = [ksb_id for ksb_id, _, _ in tagger.rank(item["text"])[:3]]
        must, may = set(item["must"]), set(item["may"])
        if not must:
            empty_total += 1
            empty_ok += not tags
        else:
            recall.append(len(must & set(tags)) / len(must))
            ranked_recall.append(len(must & set(ranked)) / len(must))
            precision.append(len((must | may) & set(tags)) / len(tags) if tags else 0.0)
        if verbose:
            print(f"{item['id']} must={sorted(must)} may={sorted(may)} suggested={tags}")
    print(f"== tagging on {name} ==")
    print(f"must-recall@3 (suggested tags)   {sum(recall) / len(recall):.2f}  (n={len(recall)})")
    print(f"must-recall@3 (top 3 ranked)     {sum(ranked_recall) / len(ranked_recall):.2f}")
    print(f"precision@3 vs must+may          {sum(precision) / len(precision):.2f}  "
          "(share of suggested tags that are right)")
    print(f"no-evidence entries untagged     {empty_ok}/{empty_total}")


def main(verbose: bool = False) -> None:
    tagger = RetrievalTagger(retriever=make_retriever(Settings()))
    sets: list[tuple[str, str | Path]] = [("dev_reflections.jsonl", "dev_reflections.jsonl"),
                                          ("held-out reflections", HELDOUT_REFLECTIONS)]
    loaded = [(name, load_jsonl(source)) for name, source in sets]
    tagger.suggest("warm-up: set up drift monitoring")
    timings: list[float] = []
    for _, items in loaded:
        for item in items:  # first sight of each text: no cached query vectors
            started = time.perf_counter()
            tagger.suggest(item["text"])
            timings.append((time.perf_counter() - started) * 1000)
    for name, items in loaded:
        report(tagger, name, items, verbose)
    print(f"tag one entry, in-process        {summary(timings, tail='max')}")


if __name__ == "__main__":
    import sys

    main(verbose="-v" in sys.argv)

"""Tagging quality on every labelled set, the gate's evidence, the false friends, and timing.

Recall is of `must` among the suggestions, precision of the suggestions against
`must`+`may`. Every set is scored through `ksb-coach tag --top N --json -`, the
contract scripts use. `tagging_tune.jsonl` is the set the gate is fitted on
(`python -m bench.fit_tagging`); every other set is reported as never tuned on.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.eval_data import (
    EVAL_DIR,
    HELDOUT_REFLECTIONS,
    TAGGING_HELDOUT,
    TAGGING_HELDOUT_FRESH,
    TAGGING_HELDOUT_HARD,
    TAGGING_HELDOUT_PLAIN,
    TAGGING_TUNE,
    load_jsonl,
)
from bench.stats import summary
from bot.config import Settings
from bot.search.tagging import RetrievalTagger
from bot.wiring import make_retriever

Tagged = dict[str, list[str]]  # entry id -> suggested ids


def cli_tags(items: list[dict[str, Any]], top: int) -> Tagged:
    """Suggestions from `ksb-coach tag --top N --json -`, one JSON line per entry."""
    command = [str(Path(sys.executable).with_name("ksb-coach")), "tag", "--top", str(top), "--json", "-"]
    lines = "".join(json.dumps({"id": i["id"], "text": i["text"]}) + "\n" for i in items)
    out = subprocess.run(command, input=lines, capture_output=True, text=True, check=False).stdout
    results = [json.loads(line) for line in out.splitlines() if line.strip()]
    return {str(r["id"]): [x["id"] for x in r["results"]] for r in results}


def report(name: str, items: list[dict[str, Any]], tagged: Tagged, verbose: bool) -> dict[str, float]:
    recall: list[float] = []
    precision: list[float] = []
    empty_ok = empty_total = 0
    for item in items:
        tags = tagged[item["id"]]
        must, may = set(item["must"]), set(item["may"])
        if not must:
            empty_total += 1
            empty_ok += not tags
        else:
            recall.append(len(must & set(tags)) / len(must))
            precision.append(len((must | may) & set(tags)) / len(tags) if tags else 0.0)
        if verbose:
            print(f"  {item['id']} must={sorted(must)} may={sorted(may)} suggested={tags}")
    figures = {"recall": sum(recall) / len(recall), "precision": sum(precision) / len(precision)}
    untagged = sum(1 for item in items if item["must"] and not tagged[item["id"]])
    print(f"== tagging on {name} ==")
    print(f"must-recall                      {figures['recall']:.2f}  (n={len(recall)})")
    print(f"precision vs must+may            {figures['precision']:.2f}")
    print(f"genuine entries left untagged    {untagged}/{len(recall)}")
    print(f"no-evidence entries untagged     {empty_ok}/{empty_total}")
    return figures


def best_scores(tagger: RetrievalTagger, items: list[dict[str, Any]]) -> None:
    """How far the gate sits from genuine and from no-evidence entries' best scores."""
    genuine: list[float] = []
    empty: list[float] = []
    for item in items:
        ranked = tagger.rank(item["text"])
        (genuine if item["must"] else empty).append(ranked[0].score if ranked else 0.0)
    for label, values in (("genuine", genuine), ("no-evidence", empty)):
        cuts = statistics.quantiles(values, n=4) if len(values) > 1 else values * 3
        print(f"best score, {label:<12} n={len(values):<3} min {min(values):.2f}  q1 {cuts[0]:.2f}  "
              f"median {cuts[1]:.2f}  q3 {cuts[2]:.2f}  max {max(values):.2f}")
    print(f"evidence gate                    {tagger.tuning.gate:.2f}")


FALSE_FRIENDS = ("B4", "K21", "K10")  # suggested on many unrelated entries before this round (issue 12)


def false_friends(sets: list[tuple[list[dict[str, Any]], Tagged]], worst: int = 8) -> None:
    suggested: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for items, tagged in sets:
        for item in items:
            allowed = set(item["must"]) | set(item["may"])
            for ksb_id in tagged[item["id"]]:
                suggested[ksb_id] += 1
                right[ksb_id] += ksb_id in allowed
    ranked = sorted(suggested, key=lambda k: (right[k] - suggested[k], -suggested[k]))[:worst]
    print("== most often suggested wrongly (all sets): id suggested/right ==")
    print("  " + "  ".join(f"{k} {suggested[k]}/{right[k]}" for k in ranked))
    print("== the old false friends (all sets): id suggested/right ==")
    print("  " + "  ".join(f"{k} {suggested[k]}/{right[k]}" for k in FALSE_FRIENDS))


def _long_entry(items: list[dict[str, Any]], limit: int = 4000) -> str:
    text = ""
    for item in items:
        if len(text) >= limit:
            break
        text += item["text"].rstrip(".") + ". "
    return text[:limit]


def timing(tagger: RetrievalTagger, items: list[dict[str, Any]]) -> None:
    """A 4,000-character week made of different entries each run, so no embedding comes from a cache.

    CPU seconds (all threads) are printed beside wall time: on a shared machine the wall time
    mostly measures the neighbours.
    """
    times: list[float] = []
    cpu: list[float] = []
    for n in range(5):
        text = _long_entry(items[n * 45:])
        started, used = time.perf_counter(), _cpu()
        tagger.suggest(text, top=6)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((_cpu() - used) * 1000)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"tag a {len(text)}-char entry         {summary(times, tail='max')}  (load average {load})")
    print(f"  its CPU time, all threads        {summary(cpu, tail='max')}")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(verbose: bool = False) -> None:
    tagger = RetrievalTagger(retriever=make_retriever(Settings()))
    tagger.suggest("warm-up: set up drift monitoring")
    sets: list[tuple[str, list[dict[str, Any]], int]] = [
        (f"{EVAL_DIR.name}/dev_reflections_hard.jsonl (top 6)", load_jsonl("dev_reflections_hard.jsonl"), 6),
        (f"{EVAL_DIR.name}/dev_reflections.jsonl (top 3)", load_jsonl("dev_reflections.jsonl"), 3),
        ("held-out hard entries, bench/data/tagging_heldout_hard.jsonl (top 6)", load_jsonl(TAGGING_HELDOUT_HARD), 6),
        ("held-out fresh hard entries, bench/data/tagging_heldout_fresh.jsonl (top 6)",
         load_jsonl(TAGGING_HELDOUT_FRESH), 6),
        ("held-out short and messy entries (top 6)", load_jsonl(TAGGING_HELDOUT), 6),
        ("held-out reflections (top 3)", load_jsonl(HELDOUT_REFLECTIONS), 3),
        ("held-out clear weeks, bench/data/tagging_heldout_plain.jsonl (top 3)", load_jsonl(TAGGING_HELDOUT_PLAIN), 3),
        ("tuning set, fitted on (top 6)", load_jsonl(TAGGING_TUNE), 6),
    ]
    scored: list[tuple[list[dict[str, Any]], Tagged]] = []
    for name, items, top in sets:
        tagged = cli_tags(items, top)
        report(f"{name} via ksb-coach tag --top {top} --json -", items, tagged, verbose)
        scored.append((items, tagged))
    print("== best score per entry, all labelled sets but the shared dev sets ==")
    best_scores(tagger, [i for _, items, _ in sets[2:] for i in items])
    false_friends(scored)
    timings: list[float] = []
    for item in sets[0][1]:
        started = time.perf_counter()
        tagger.suggest(item["text"], top=6)
        timings.append((time.perf_counter() - started) * 1000)
    print(f"tag one entry, in-process        {summary(timings, tail='max')}")
    timing(tagger, [i for _, items, _ in sets for i in items if i["must"]])


if __name__ == "__main__":
    main(verbose="-v" in sys.argv)

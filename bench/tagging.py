"""Tagging quality on the development reflections: must-recall@3, precision@3, no-evidence entries."""

from __future__ import annotations

from bench.eval_data import load_jsonl
from bot.config import Settings
from bot.tagging import RetrievalTagger
from bot.wiring import make_retriever


def main(verbose: bool = False) -> None:
    tagger = RetrievalTagger(retriever=make_retriever(Settings()))
    recall: list[float] = []
    precision: list[float] = []
    ranked_recall: list[float] = []
    empty_ok = empty_total = 0
    for item in load_jsonl("dev_reflections.jsonl"):
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
    print("== tagging on dev_reflections.jsonl ==")
    print(f"must-recall@3 (suggested tags)   {sum(recall) / len(recall):.2f}  (n={len(recall)})")
    print(f"must-recall@3 (top 3 ranked)     {sum(ranked_recall) / len(ranked_recall):.2f}")
    print(f"precision@3 vs must+may          {sum(precision) / len(precision):.2f}  "
          "(share of suggested tags that are right)")
    print(f"no-evidence entries untagged     {empty_ok}/{empty_total}")


if __name__ == "__main__":
    import sys

    main(verbose="-v" in sys.argv)

"""The labelled tagging sets the bench scores: a mistyped or invented KSB id in a label would silently
count as a miss (or a wrong suggestion) forever, so every set is checked against the standard itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.eval_data import (
    HELDOUT_REFLECTIONS,
    TAGGING_HELDOUT,
    TAGGING_HELDOUT_FRESH,
    TAGGING_HELDOUT_HARD,
    TAGGING_HELDOUT_PLAIN,
    TAGGING_TUNE,
    load_jsonl,
)
from knowledge.registry import BUNDLED_DIR
from knowledge.text_loader import load_standard_text

SETS = (HELDOUT_REFLECTIONS, TAGGING_TUNE, TAGGING_HELDOUT, TAGGING_HELDOUT_HARD, TAGGING_HELDOUT_PLAIN,
        TAGGING_HELDOUT_FRESH)
KSB_IDS = {k.id for k in load_standard_text(BUNDLED_DIR / "st1398.txt").ksbs}


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_labels_are_real_ksbs_and_ids_unique(path: Path) -> None:
    items = load_jsonl(path)
    assert items
    assert len({i["id"] for i in items}) == len(items)
    for item in items:
        must, may = item["must"], item["may"]
        assert item["text"].strip(), item["id"]
        assert set(must) <= KSB_IDS and set(may) <= KSB_IDS, item["id"]
        assert not set(must) & set(may), item["id"]
        assert must or not may, f"{item['id']}: an entry with no evidence has no defensible extras either"


def test_no_entry_is_in_two_sets() -> None:
    """A held-out entry that also sits in the tuning set is not held out."""
    seen: dict[str, str] = {}
    for path in SETS:
        for item in load_jsonl(path):
            text = " ".join(item["text"].lower().split())
            assert text not in seen, f"{item['id']} in {path.name} repeats an entry of {seen[text]}"
            seen[text] = path.name


def test_fresh_set_shape() -> None:
    """The fresh set was written to a brief: 50 entries, about six with no evidence, labels spread over the standard."""
    items = load_jsonl(TAGGING_HELDOUT_FRESH)
    assert len(items) == 50
    assert sum(1 for i in items if not i["must"]) == 6
    assert {k for i in items for k in i["must"]} == KSB_IDS

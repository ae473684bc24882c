"""The tagger's tuning set is hand-labelled, and the fit trusts it as written: a mistyped KSB id, a
repeated id or a label in both lists would silently skew the objective, and a tuning entry that
also sits in a held-out set would make that set's figure a tuned one. Only tuning ids are reported,
so a failure never prints held-out text."""

from __future__ import annotations

from bench.eval_data import (
    HELDOUT_REFLECTIONS,
    TAGGING_HELDOUT,
    TAGGING_HELDOUT_HARD,
    TAGGING_HELDOUT_PLAIN,
    TAGGING_TUNE,
    load_jsonl,
)
from knowledge.registry import BUNDLED_DIR
from knowledge.text_loader import load_standard_text

TUNE = load_jsonl(TAGGING_TUNE)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def test_rows_have_one_shape_and_unique_ids() -> None:
    assert all(set(row) == {"id", "text", "must", "may"} for row in TUNE)
    ids = [row["id"] for row in TUNE]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert all(row["text"].strip() for row in TUNE)


def test_labels_are_real_ksbs_and_each_is_in_one_list() -> None:
    known = {ksb.id for ksb in load_standard_text(BUNDLED_DIR / "st1398.txt").ksbs}
    unknown = {row["id"]: sorted(set(row["must"] + row["may"]) - known) for row in TUNE}
    assert {k: v for k, v in unknown.items() if v} == {}
    assert [row["id"] for row in TUNE if set(row["must"]) & set(row["may"])] == []
    # an entry with nothing an assessor would map has no defensible extras either
    assert [row["id"] for row in TUNE if not row["must"] and row["may"]] == []


def test_no_tuning_text_is_also_held_out() -> None:
    held = {_norm(row["text"]) for path in (TAGGING_HELDOUT, TAGGING_HELDOUT_HARD, TAGGING_HELDOUT_PLAIN,
                                             HELDOUT_REFLECTIONS) for row in load_jsonl(path)}
    assert [row["id"] for row in TUNE if _norm(row["text"]) in held] == []

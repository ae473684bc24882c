"""Guidance for apprentices: every ST1398 KSB explained, with evidence ideas, keywords and activities."""

from __future__ import annotations

from knowledge.guidance import load_guidance
from knowledge.registry import BUNDLED_DIR, GUIDANCE_DIR
from knowledge.text_loader import load_standard_text


def test_every_ksb_and_duty_has_guidance() -> None:
    standard = load_standard_text(BUNDLED_DIR / "st1398.txt")
    guidance = load_guidance(GUIDANCE_DIR / "st1398.yaml")
    assert guidance.missing(standard) == []
    assert set(guidance.ksbs) == {k.id for k in standard.ksbs}
    for ksb in standard.ksbs:
        entry = guidance.ksbs[ksb.id]
        assert len(entry.explanation.split()) >= 15, ksb.id
        assert len(entry.evidence) >= 3, ksb.id
        assert len(set(entry.evidence)) == len(entry.evidence), ksb.id
        assert len(entry.keywords) >= 5, ksb.id
        assert len(entry.activities) >= 8, ksb.id
        assert len(set(entry.activities)) == len(entry.activities), ksb.id
    assert sorted(guidance.duties) == [d.number for d in standard.duties]

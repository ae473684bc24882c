"""Evidence ideas for weak KSBs, tied to what the apprentice has already logged.

Grounded by default: the ideas come from the guidance data and the link to an
entry from a score (the retriever's, or a BM25 overlap computed here). An LLM
may rephrase them, but its text is used only if every KSB id it names is one
of the weak KSBs it was given and it claims nothing about the apprentice's
coverage, hours or readiness that their figures contradict (`bot.claims`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.claims import Figures, claims_hold
from bot.coaching.reflections import EntryView
from bot.grounding import completion, delimit, invented_ids, mentioned_ids
from bot.ports import Composer
from bot.prompt_files import render
from bot.search.lexical import Bm25, tokens
from bot.search.retrieval import ksb_document
from bot.ui_text import ui
from knowledge.registry import Knowledge

log = logging.getLogger(__name__)
Scorer = Callable[[str], dict[str, float]]  # text -> {ksb id: score}, e.g. Retriever.score_all
QUOTE_CHARS = 60


@dataclass(frozen=True)
class EvidenceIdea:
    ksb_id: str
    idea: str
    entry_id: int | None
    text: str


@dataclass(frozen=True)
class EvidenceAdvice:
    text: str
    ideas: tuple[EvidenceIdea, ...]
    source: str  # grounded | llm


def short_quote(text: str, limit: int = QUOTE_CHARS) -> str:
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def _as_clause(idea: str) -> str:
    """Lower-case the first letter so the idea reads on from "if you add", except acronyms."""
    idea = idea.strip().rstrip(".")
    first = idea.split(" ", 1)[0]
    return idea if len(first) > 1 and first.isupper() else idea[:1].lower() + idea[1:]


def _vocabulary(knowledge: Knowledge, ksb_id: str) -> str:
    ksb = knowledge.standard.ksb(ksb_id)
    return ksb_document(ksb, knowledge.guidance.for_ksb(ksb_id)) if ksb else ""


def _closest(knowledge: Knowledge, ksb_id: str, candidates: Sequence[EntryView],
             scorer: Scorer | None, bm25: Bm25 | None) -> EntryView | None:
    eligible = [v for v in candidates if ksb_id not in {t.ksb_id for t in v.tags
                                                       if t.source != "suggested"}]
    if not eligible:
        return None
    if scorer is not None:
        scored = [(scorer(v.entry.text).get(ksb_id, 0.0), v) for v in eligible]
    else:
        assert bm25 is not None
        raw = bm25.score(tokens(_vocabulary(knowledge, ksb_id)))
        scored = [(raw.get(str(v.entry.id), 0.0), v) for v in eligible]
    best = max(scored, key=lambda sv: (sv[0], sv[1].entry.work_date, sv[1].entry.id or 0))
    return best[1] if best[0] > 0 else None


def _best_idea(ideas: Sequence[str], entry: EntryView | None) -> str:
    if entry is None or len(ideas) == 1:
        return ideas[0]
    words = set(tokens(entry.entry.text))
    return max(ideas, key=lambda idea: (len(words & set(tokens(idea))), -ideas.index(idea)))


def grounded_ideas(*, knowledge: Knowledge, weak_ids: Sequence[str],
                   entries: Sequence[EntryView], scorer: Scorer | None = None) -> list[EvidenceIdea]:
    """One idea per weak KSB, linked to the apprentice's closest entry when one is close."""
    bm25 = None if scorer is not None or not entries else Bm25(
        {str(v.entry.id): v.entry.text for v in entries})
    found: list[EvidenceIdea] = []
    for ksb_id in weak_ids:
        ksb = knowledge.standard.ksb(ksb_id)
        if ksb is None:
            continue
        guide = knowledge.guidance.for_ksb(ksb.id)
        ideas = list(guide.evidence) if guide and guide.evidence else []
        entry = _closest(knowledge, ksb.id, entries, scorer, bm25) if entries else None
        if not ideas:
            found.append(EvidenceIdea(ksb.id, "", None,
                                      ui("evidence_plain", id=ksb.id, ksb_text=ksb.text)))
            continue
        idea = _best_idea(ideas, entry)
        if entry is None:
            text = ui("evidence_idea", id=ksb.id, idea=idea.strip())
            found.append(EvidenceIdea(ksb.id, idea, None, text))
            continue
        text = ui("evidence_linked", id=ksb.id, quote=short_quote(entry.entry.text),
                  date=entry.entry.work_date.isoformat(), idea=_as_clause(idea))
        found.append(EvidenceIdea(ksb.id, idea, entry.entry.id, text))
    return found


async def suggest_evidence(*, knowledge: Knowledge, weak_ids: Sequence[str],
                           entries: Sequence[EntryView], composer: Composer | None = None,
                           scorer: Scorer | None = None, timeout: float = 8.0,
                           figures: Figures | None = None) -> EvidenceAdvice:
    """Grounded ideas, or the model's rewrite when it keeps to the weak KSBs and to `figures`.

    `figures` are the apprentice's own (`bot.claims.progress_figures`); without them the
    model's text may make no claim about coverage, hours or readiness at all.
    """
    ideas = grounded_ideas(knowledge=knowledge, weak_ids=weak_ids, entries=entries, scorer=scorer)
    grounded = EvidenceAdvice("\n".join(i.text for i in ideas), tuple(ideas), "grounded")
    if composer is None or not ideas:
        return grounded
    weak = {i.ksb_id for i in ideas}
    user = render("evidence_user.md", ksbs="\n".join(_ksb_line(knowledge, i) for i in ideas),
                  ideas=delimit(grounded.text),  # linked ideas quote the apprentice's entries
                  entries="\n".join(f"- {delimit(short_quote(v.entry.text, 200))}" for v in entries[:10]))
    text = await completion(composer, system=render("evidence_system.md"), user=user, timeout=timeout,
                            purpose="evidence ideas")
    if text is None:
        return grounded
    invented = invented_ids(text, weak)
    if not mentioned_ids(text) or invented:
        log.info("evidence LLM text named %s outside %s; rejected", sorted(invented), weak)
        return grounded
    if not claims_hold(text, figures, purpose="evidence ideas"):
        return grounded
    return EvidenceAdvice(text, tuple(ideas), "llm")


def _ksb_line(knowledge: Knowledge, idea: EvidenceIdea) -> str:
    ksb = knowledge.standard.ksb(idea.ksb_id)
    return f"{idea.ksb_id}: {ksb.text if ksb else ''}"

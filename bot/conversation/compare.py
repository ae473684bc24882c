"""Say how two or more KSBs relate, from the standard and its guidance only (no model needed)."""

from __future__ import annotations

from bot.grounding import citations
from bot.intents import Intent
from bot.messages import Incoming, Reply
from bot.names import IntentName
from bot.search.refs import find_references
from bot.ui_text import ui
from knowledge.model import KIND_NAMES, Ksb, split_id
from knowledge.registry import Knowledge

MAX_COMPARED = 4
PAIRINGS = {"KS": "KS", "BK": "KB", "BS": "SB"}  # sorted kinds -> the compare_pair_ text that relates them


def _first_sentence(text: str) -> str:
    sentence = text.split(". ")[0].strip()
    return sentence if sentence.endswith(".") else sentence + "."


class Comparison:
    """A grounded comparison: kinds, shared duties, each one's focus, their overlap, and both quotes."""

    def __init__(self, *, knowledge: Knowledge) -> None:
        self.knowledge = knowledge

    async def __call__(self, incoming: Incoming, intent: Intent) -> Reply:
        standard = self.knowledge.standard
        ids = find_references(intent.text).ksb_ids
        known = [k for i in ids if (k := standard.ksb(i)) is not None][:MAX_COMPARED]
        unknown = [i for i in ids if standard.ksb(i) is None]
        if len(known) < 2:
            parts = [ui("compare_needs_two", reference=standard.reference)]
            parts += [ui("no_such_ksb", id=i, reference=standard.reference,
                         kind=KIND_NAMES[split_id(i)[0]], range=standard.id_range(split_id(i)[0]))
                      for i in unknown]
            return Reply(text="\n\n".join(parts), citations=citations(standard, [k.id for k in known]),
                         intent=IntentName.UNKNOWN_ID if unknown else IntentName.COMPARE)
        parts = [ui("compare_intro", ids=" and ".join(k.id for k in known),
                    reference=standard.reference),
                 self._kinds(known), self._duties(known), self._focus(known), self._overlap(known),
                 ui("compare_quotes", quotes="\n".join(f"{k.id}: \u201c{k.text}\u201d" for k in known))]
        return Reply(text="\n\n".join(p for p in parts if p),
                     citations=citations(standard, [k.id for k in known]),
                     followups=[ui("followup_evidence", id=known[0].id), ui("followup_log"), ui("followup_progress")],
                     intent=IntentName.COMPARE, metadata={"compared": [k.id for k in known]})

    def _kinds(self, ksbs: list[Ksb]) -> str:
        kinds = {k.kind for k in ksbs}
        if len(kinds) == 1:
            kind = ksbs[0].kind
            return ui("compare_same_kind", kind=KIND_NAMES[kind], meaning=ui(f"kind_meaning_{kind}"))
        first, second = ksbs[0], next(k for k in ksbs if k.kind != ksbs[0].kind)
        pairing = "".join(sorted({first.kind, second.kind}))
        return ui("compare_mixed_kinds", first=first.id, second=second.id,
                  first_kind=KIND_NAMES[first.kind], second_kind=KIND_NAMES[second.kind],
                  first_meaning=ui(f"kind_meaning_{first.kind}"),
                  second_meaning=ui(f"kind_meaning_{second.kind}"),
                  pairing=ui(f"compare_pair_{PAIRINGS[pairing]}"))

    def _duties(self, ksbs: list[Ksb]) -> str:
        standard = self.knowledge.standard
        per = {k.id: standard.duties_for(k.id) for k in ksbs}
        shared = sorted(set.intersection(*(set(d) for d in per.values())))
        if shared:
            duty = standard.duty(shared[0])
            summary = self.knowledge.guidance.duties.get(shared[0], "") or (duty.text if duty else "")
            plain = _first_sentence(summary).rstrip(".")
            return ui("compare_shared_duty", duties=", ".join(str(d) for d in shared),
                      summary=plain[:1].lower() + plain[1:])
        placements = "; ".join(
            ui("compare_under_duty", id=i, duties=", ".join(str(d) for d in duties)) if duties
            else ui("compare_under_no_duty", id=i)
            for i, duties in per.items())
        return ui("compare_other_duties", placements=placements)

    def _focus(self, ksbs: list[Ksb]) -> str:
        lines = []
        for k in ksbs:
            guide = self.knowledge.guidance.for_ksb(k.id)
            plain = _first_sentence(guide.explanation) if guide and guide.explanation else k.text
            lines.append(f"\u2022 {k.id}: {plain}")
        return ui("compare_focus", focus="\n".join(lines))

    def _overlap(self, ksbs: list[Ksb]) -> str:
        keyword_sets = []
        for k in ksbs:
            guide = self.knowledge.guidance.for_ksb(k.id)
            keyword_sets.append({w.lower() for w in guide.keywords} if guide else set())
        shared = sorted(set.intersection(*keyword_sets))
        if shared:
            return ui("compare_overlap", terms=", ".join(shared[:5]))
        return ui("compare_no_overlap")

"""Say how two or more KSBs relate, from the standard and its guidance only (no model needed)."""

from __future__ import annotations

from bot.grounding import citations
from bot.intents import Intent
from bot.messages import Incoming, Reply
from bot.names import IntentName
from bot.prompt_files import render
from bot.search.refs import find_references
from knowledge.model import KIND_NAMES, Ksb, split_id
from knowledge.registry import Knowledge

MAX_COMPARED = 4
PAIRINGS = {"KS": "compare_pair_KS.md", "BK": "compare_pair_KB.md", "BS": "compare_pair_SB.md"}


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
            parts = [render("compare_needs_two.md", reference=standard.reference)]
            parts += [render("no_such_ksb.md", id=i, reference=standard.reference,
                             kind=KIND_NAMES[split_id(i)[0]], range=standard.id_range(split_id(i)[0]))
                      for i in unknown]
            return Reply(text="\n\n".join(parts), citations=citations(standard, [k.id for k in known]),
                         intent=IntentName.UNKNOWN_ID if unknown else IntentName.COMPARE)
        parts = [render("compare_intro.md", ids=" and ".join(k.id for k in known),
                        reference=standard.reference),
                 self._kinds(known), self._duties(known), self._focus(known), self._overlap(known),
                 render("compare_quotes.md", quotes="\n".join(f"{k.id}: \u201c{k.text}\u201d" for k in known))]
        return Reply(text="\n\n".join(p for p in parts if p),
                     citations=citations(standard, [k.id for k in known]),
                     followups=[f"How could I evidence {known[0].id}?", "Log a reflection", "How am I doing?"],
                     intent=IntentName.COMPARE, metadata={"compared": [k.id for k in known]})

    def _kinds(self, ksbs: list[Ksb]) -> str:
        kinds = {k.kind for k in ksbs}
        if len(kinds) == 1:
            kind = ksbs[0].kind
            return render("compare_same_kind.md", kind=KIND_NAMES[kind], meaning=render(f"kind_meaning_{kind}.md"))
        first, second = ksbs[0], next(k for k in ksbs if k.kind != ksbs[0].kind)
        pairing = "".join(sorted({first.kind, second.kind}))
        return render("compare_mixed_kinds.md", first=first.id, second=second.id,
                      first_kind=KIND_NAMES[first.kind], second_kind=KIND_NAMES[second.kind],
                      first_meaning=render(f"kind_meaning_{first.kind}.md"),
                      second_meaning=render(f"kind_meaning_{second.kind}.md"),
                      pairing=render(PAIRINGS[pairing]))

    def _duties(self, ksbs: list[Ksb]) -> str:
        standard = self.knowledge.standard
        per = {k.id: standard.duties_for(k.id) for k in ksbs}
        shared = sorted(set.intersection(*(set(d) for d in per.values())))
        if shared:
            duty = standard.duty(shared[0])
            summary = self.knowledge.guidance.duties.get(shared[0], "") or (duty.text if duty else "")
            plain = _first_sentence(summary).rstrip(".")
            return render("compare_shared_duty.md", duties=", ".join(str(d) for d in shared),
                          summary=plain[:1].lower() + plain[1:])
        placements = "; ".join(
            f"{i} under duty {', '.join(str(d) for d in duties)}" if duties else f"{i} under no duty"
            for i, duties in per.items())
        return render("compare_other_duties.md", placements=placements)

    def _focus(self, ksbs: list[Ksb]) -> str:
        lines = []
        for k in ksbs:
            guide = self.knowledge.guidance.for_ksb(k.id)
            plain = _first_sentence(guide.explanation) if guide and guide.explanation else k.text
            lines.append(f"\u2022 {k.id}: {plain}")
        return render("compare_focus.md", focus="\n".join(lines))

    def _overlap(self, ksbs: list[Ksb]) -> str:
        keyword_sets = []
        for k in ksbs:
            guide = self.knowledge.guidance.for_ksb(k.id)
            keyword_sets.append({w.lower() for w in guide.keywords} if guide else set())
        shared = sorted(set.intersection(*keyword_sets))
        if shared:
            return render("compare_overlap.md", terms=", ".join(shared[:5]))
        return render("compare_no_overlap.md")

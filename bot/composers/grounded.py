"""The grounded composer: deterministic answers built only from the standard and its guidance."""

from __future__ import annotations

from bot.ports import Composition
from bot.search.retrieval import Retrieval
from bot.ui_text import ui
from knowledge.model import KIND_NAMES, Standard, split_id
from knowledge.registry import Knowledge

DETAILED = 2
IDEAS = 3


def _duty_label(standard: Standard, ksb_id: str) -> str:
    duties = standard.duties_for(ksb_id)
    if not duties:
        return ui("answer_no_duty")
    listed = ", ".join(str(d) for d in duties)
    return ui("answer_duty", duties=listed) if len(duties) == 1 else ui("answer_duties", duties=listed)


class GroundedComposer:
    name = "grounded"

    async def answer(self, *, question: str, retrieval: Retrieval, knowledge: Knowledge) -> Composition:
        return self.compose(retrieval=retrieval, knowledge=knowledge)

    async def complete(self, *, system: str, user: str) -> str | None:
        return None

    def compose(self, *, retrieval: Retrieval, knowledge: Knowledge) -> Composition:
        standard = knowledge.standard
        meta = {"composer": self.name}
        if retrieval.mode == "unknown":
            return self._unknown(retrieval, standard, meta)
        if not retrieval.hits:
            return Composition(text=ui("offtopic", reference=standard.reference), cited=[], metadata=meta)
        parts: list[str] = []
        ideas: dict[str, list[str]] = {}
        if retrieval.mode == "duty":
            for number in retrieval.duties:
                duty = standard.duty(number)
                if duty:
                    summary = knowledge.guidance.duties.get(number, "")
                    parts.append(ui("answer_duty_quote", number=number, text=duty.text)
                                 + (f"\n{summary}" if summary else ""))
            parts.append(ui("answer_duty_ksbs", ids=", ".join(retrieval.ids)))
        elif retrieval.mode == "kind":
            kind = split_id(retrieval.ids[0])[0]
            parts.append(ui("answer_kind", kind=KIND_NAMES[kind], reference=standard.reference,
                            range=standard.id_range(kind)))
        detailed = retrieval.ids[:DETAILED] if retrieval.mode in {"explicit", "search"} else []
        for ksb_id in detailed:
            guide = knowledge.guidance.for_ksb(ksb_id)
            ksb = standard.ksb(ksb_id)
            assert ksb is not None
            lines = [f"{ksb_id} ({ksb.kind_name}, {_duty_label(standard, ksb_id)})"]
            if guide and guide.explanation:
                lines.append(ui("answer_plain_english", explanation=guide.explanation))
            if guide and guide.evidence:
                ideas[ksb_id] = list(guide.evidence[:IDEAS])
                lines.append(ui("answer_evidence_ideas", ideas="\n".join(f"• {idea}" for idea in ideas[ksb_id])))
            parts.append("\n".join(lines))
        others = [i for i in retrieval.ids if i not in detailed]
        if others and retrieval.mode == "search":
            parts.append(ui("answer_also_related", briefs="; ".join(self._brief(i, knowledge) for i in others)))
        for unknown in retrieval.unknown_ids:
            parts.append(self._no_such(unknown, standard))
        return Composition(text="\n\n".join(parts), cited=list(retrieval.ids), evidence_ideas=ideas, metadata=meta)

    def _brief(self, ksb_id: str, knowledge: Knowledge) -> str:
        guide = knowledge.guidance.for_ksb(ksb_id)
        if guide and guide.explanation:
            return f"{ksb_id} ({guide.explanation.split('. ')[0].rstrip('.')})"
        return ksb_id

    def _no_such(self, ksb_id: str, standard: Standard) -> str:
        kind = split_id(ksb_id)[0]
        return ui("no_such_ksb", id=ksb_id, reference=standard.reference,
                  kind=KIND_NAMES[kind], range=standard.id_range(kind))

    def _unknown(self, retrieval: Retrieval, standard: Standard, meta: dict[str, str]) -> Composition:
        parts = [self._no_such(i, standard) for i in retrieval.unknown_ids]
        parts += [ui("no_such_duty", number=str(n), reference=standard.reference,
                     count=str(len(standard.duties))) for n in retrieval.unknown_duties]
        related = [h.id for h in retrieval.related]
        if related:
            parts.append(ui("answer_real_ksbs", ids=", ".join(related)))
        return Composition(text="\n\n".join(parts), cited=related, metadata=meta)

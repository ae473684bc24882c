"""Suggest the KSBs a reflection evidences, each with a grounded one-line reason.

Reflections describe work in everyday words ("moved my notebook prototype onto
the production cluster"), far from the standard's ("transition prototypes into the
live environment"), so besides the KSB's text and guidance each KSB is matched
against typical logged activities from the guidance data; a KSB's activity
similarity is the mean of its two closest activities, so one lucky sentence
does not carry it. An entry is read with its shorthand expanded and its typos
corrected, then split into the activities it describes; each activity is scored
on its own (blended with the whole entry) and suggests its own KSBs, so a long
week gets up to five tags, each reason naming the activity it came from. An id
the apprentice wrote ("I think this is K28") is suggested as named. A keyword
phrase of a KSB's guidance in the entry ("model card", "plain english", "optuna")
is evidence specific to that KSB and lifts its score. When no
activity reaches the evidence gate, fitted on labelled entries (bench/data), nothing
is suggested: "annual leave, emails" gets no tags.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.ports import TagSuggestion
from bot.search.activities import Activity, split_activities
from bot.search.entry_noise import noise_kind
from bot.search.lexical import Bm25, all_words, tokens
from bot.search.refs import find_references
from bot.search.retrieval import Fusion, HybridRetriever, lexical_documents
from bot.search.spelling import Reader, english_words
from bot.search.token_budget import within_budget
from bot.ui_text import ui
from bot.work_pool import checkpoint
from knowledge.documents import ACTIVITY
from knowledge.glossary import load_glossary
from knowledge.registry import Knowledge

DISTINCTIVE = 1.5  # idf: a word shared by more than about a fifth of the KSBs explains nothing
# Words that carry no evidence whatever their idf: praise, filler and generic verbs.
GENERIC = frozenset(tokens(
    "great good nice new old use used using make made work worked working get got vs via also well "
    "week day today yesterday time team thing things stuff help helped look looked start started "
    "finish finished run ran lot lots quick first last next pen much goes went example examples "
    "monday mondays tuesday wednesday thursday friday saturday sunday weekend morning afternoon"))


@dataclass(frozen=True)
class TagTuning:
    fusion: Fusion = Fusion(dense_floor=0.80, dense_ceil=0.90, lexical_half=6.0, dense_weight=0.5)
    activity_top: int = 2
    # Fitted by `python -m bench.fit_tagging` on bench/data/tagging_tune.jsonl (228 entries: 60 hurried
    # one-liners and 50 hard entries among them, scored at the top 3 and 6): activity_weight 0.6, keep_ratio
    # 0.8, gate 0.54, floor 0.5, activity_lift 0.12 and S26's margin. entry_keep 0.85 is not the fit's 0.95:
    # with it the top-3 dev set holds its 0.85 recall floor (0.89 / 0.62, against 0.83 / 0.73), so that
    # set's figures chose it.
    activity_weight: float = 0.6  # an activity's own score against the whole entry's
    gate: float = 0.54
    keep_ratio: float = 0.8  # within one activity, keep KSBs this close to its best
    entry_keep: float = 0.85  # across the entry, keep KSBs this close to its best…
    floor: float = 0.5  # …and at least this high
    per_activity: int = 1
    # An activity adds KSBs of its own only this far past the gate: the sentences of a clear entry about
    # one piece of work each added their own, and the plain dev set's precision fell to 0.56.
    activity_lift: float = 0.12
    short_cap: int = 3  # suggestions for an entry of one or two activities
    long_cap: int = 5
    embed_batch: int = 4  # activities embedded per call: batching is cheaper, small batches stay cancellable
    max_activities: int = 12  # beyond this, neighbouring activities are scored together
    # Tokens embedded for one entry, shared by its pieces (bot/search/token_budget.py): embedding is
    # nearly all of tagging's time and grows with the tokens, about 1.4 ms each on two cores, and a
    # 4,000-character week holds about 950. The longest labelled entry (665 characters) holds 210, so only a
    # long entry is cut, each sentence to its opening words; its words all still count for BM25 and keywords.
    embed_tokens: int = 384
    # A keyword phrase of the KSB's guidance ("model card", "plain english", "optuna") found in the
    # entry is evidence specific to that KSB: it adds this much to the KSB's score.
    keyword_bonus: float = 0.1
    # KSBs that score well on many unrelated entries (false friends) need this much more to be
    # suggested, unless the entry holds one of their keyword phrases: evidence specific to them.
    margins: dict[str, float] = field(default_factory=lambda: {"S26": 0.1})


@dataclass(frozen=True)
class Scored:
    """One KSB's best evidence in an entry: its score and the activity that gave it."""

    id: str
    score: float
    activity: Activity
    named: bool = False
    bonus: float = 0.0  # the part of `score` owed to the KSB's keyword phrases
    # The activity's vector, kept so a reason finds its closest typical activity without embedding it again
    vector: Sequence[float] | None = field(default=None, compare=False, repr=False)


def default_reader(knowledge: Knowledge) -> Reader:
    """A reader over the standard's and its guidance's words, with the bundled glossary."""
    corpus = [k.text for k in knowledge.standard.ksbs]
    for guide in knowledge.guidance.ksbs.values():
        corpus += [guide.explanation, *guide.evidence, *guide.keywords, *guide.activities]
    return Reader(glossary=load_glossary(), corpus=corpus, english=english_words())


def _groups(count: int, limit: int) -> list[range]:
    """The pieces each activity holds when neighbours are paired until at most `limit` remain, so a very
    long entry costs a bounded time."""
    groups = [range(n, n + 1) for n in range(count)]
    while len(groups) > limit:
        paired = [range(a.start, b.stop) for a, b in zip(groups[::2], groups[1::2], strict=False)]
        groups = paired + ([groups[-1]] if len(groups) % 2 else [])
    return groups


def _joined(pieces: list[Activity], groups: list[range]) -> list[Activity]:
    return [Activity(" ".join(pieces[n].text for n in group), pieces[group.start].label) for group in groups]


class RetrievalTagger:
    """Implements the Tagger port over the knowledge index."""

    def __init__(self, *, retriever: HybridRetriever, tuning: TagTuning | None = None,
                 reader: Reader | None = None) -> None:
        self._retriever = retriever
        self._tuning = tuning or TagTuning()
        knowledge = retriever.index.knowledge
        self._knowledge = knowledge
        self._reader = reader or default_reader(knowledge)
        self._lexical = Bm25(lexical_documents(knowledge.standard, knowledge.guidance, activities=True))
        self._surface = {k.id: self._surface_words(k.id) for k in knowledge.standard.ksbs}
        self._keywords = _keyword_phrases(knowledge, self._lexical.idf)
        self._longest_keyword = {kind: max((p.count(" ") + 1 for k, p in self._keywords if k == kind), default=0)
                                 for kind in (STEMS, WORDS)}
        self._keyword_rank = {key: n for n, key in enumerate(self._keywords)}  # hits keep the guidance's order

    @property
    def tuning(self) -> TagTuning:
        return self._tuning

    def _surface_words(self, ksb_id: str) -> dict[str, str]:
        """Stem -> the word as the KSB's wording, keywords or explanation spell it."""
        ksb = self._knowledge.standard.ksb(ksb_id)
        guide = self._knowledge.guidance.for_ksb(ksb_id)
        texts = [ksb.text if ksb else "", *(guide.keywords if guide else ()), guide.explanation if guide else ""]
        surface: dict[str, str] = {}
        for word in re.findall(r"[A-Za-z][A-Za-z0-9-]+", " ".join(texts)):
            for stem in tokens(word):
                surface.setdefault(stem, word.lower())
        return surface

    def _profile(self, text: str, vector: Sequence[float] | None = None) -> tuple[dict[str, float], dict[str, int]]:
        """Each KSB's dense similarity, and the index of its closest typical activity (`vector`: text's, if made)."""
        best: dict[str, float] = {}
        activities: dict[str, list[tuple[float, int]]] = {}
        index = self._retriever.index
        for metadata, sim in index.scan_vector(vector if vector is not None else index.embed(text)):
            ksb_id = str(metadata.get("ksb") or "")
            if not ksb_id:
                continue
            if metadata.get("group") == ACTIVITY:
                number = int(str(metadata.get("view", ACTIVITY))[len(ACTIVITY):] or 0)
                activities.setdefault(ksb_id, []).append((sim, number))
            elif sim > best.get(ksb_id, -1.0):
                best[ksb_id] = sim
        dense: dict[str, float] = {}
        closest: dict[str, int] = {}
        top = self._tuning.activity_top
        for ksb_id in set(best) | set(activities):
            ranked = sorted(activities.get(ksb_id, []), reverse=True)
            mean = sum(s for s, _ in ranked[:top]) / len(ranked[:top]) if ranked else 0.0
            dense[ksb_id] = max(best.get(ksb_id, 0.0), mean)
            if ranked:
                closest[ksb_id] = ranked[0][1]
        return dense, closest

    def keyword_hits(self, text: str) -> dict[str, list[str]]:
        """KSB -> its guidance keyword phrases found in `text` (already read), as the guidance spells them."""
        # the text's runs of words as long as a phrase, looked up, instead of every phrase searched for
        runs: set[tuple[str, str]] = set()
        for kind, found in ((STEMS, tokens(text)), (WORDS, all_words(text))):
            longest = self._longest_keyword[kind]
            runs |= {(kind, " ".join(found[i:i + n])) for n in range(1, longest + 1) for i in range(len(found))}
        hits: dict[str, list[str]] = {}
        for key in sorted(runs & self._keywords.keys(), key=self._keyword_rank.__getitem__):
            ksb_ids, spelt = self._keywords[key]
            for ksb_id in ksb_ids:
                hits.setdefault(ksb_id, []).append(spelt)
        return hits

    def scores(self, text: str) -> dict[str, float]:
        """Fused score for every KSB with any signal, for text already read (shorthand, spelling)."""
        return {i: base + bonus for i, (base, bonus) in self._parts(text).items()}

    def _parts(self, text: str, vector: Sequence[float] | None = None) -> dict[str, tuple[float, float]]:
        """KSB -> (fused score less any false-friend margin, keyword bonus), for text already read."""
        dense, _ = self._profile(text, vector)
        lexical = self._lexical.score(t for t in tokens(text) if t not in GENERIC)
        hits = self.keyword_hits(text)
        t = self._tuning
        return {i: (t.fusion(dense.get(i, 0.0), lexical.get(i, 0.0)) - (0.0 if i in hits else t.margins.get(i, 0.0)),
                    t.keyword_bonus if i in hits else 0.0)
                for i in set(dense) | set(lexical)}

    def activities(self, text: str) -> list[Activity]:
        pieces = split_activities(text)
        return _joined(pieces, _groups(len(pieces), self._tuning.max_activities))

    def rank(self, text: str, pieces: list[Activity] | None = None) -> list[Scored]:
        """Every KSB with a signal, at its best activity, best first (named ids not included).

        `pieces`: the entry's `split_activities`, when the caller has already split it.
        """
        t = self._tuning
        index = self._retriever.index
        pieces = pieces or split_activities(text)
        groups = _groups(len(pieces), t.max_activities)
        activities = _joined(pieces, groups)
        if len(activities) == 1:
            read = self._reader.read(text)
            vector = index.embed(within_budget([read], t.embed_tokens, index.token_count)[0])
            whole = self._parts(read, vector)
            return sorted((Scored(i, base + bonus, activities[0], bonus=bonus, vector=vector)
                           for i, (base, bonus) in whole.items()), key=lambda x: -x.score)
        piece_reads = [self._reader.read(p.text) for p in pieces]
        reads = [" ".join(piece_reads[n] for n in group) for group in groups]
        embedded = within_budget(piece_reads, t.embed_tokens, index.token_count, groups)
        vectors: list[list[float]] = []
        for start in range(0, len(embedded), t.embed_batch):
            checkpoint()  # a long entry is many activities: stop between batches once nobody waits
            vectors += index.embed_many(embedded[start:start + t.embed_batch])
        # The whole entry's vector is its activities' summed by length: embedding the whole text again
        # cost more than all its activities together (e5's attention grows with the square of its length).
        whole = self._parts(" ".join(reads), [sum(len(r) * v[n] for r, v in zip(reads, vectors, strict=True))
                                              for n in range(len(vectors[0]))])
        best: dict[str, Scored] = {}
        w = t.activity_weight
        for activity, read, vector in zip(activities, reads, vectors, strict=True):
            for ksb_id, (base, bonus) in self._parts(read, vector).items():
                whole_base, whole_bonus = whole.get(ksb_id, (0.0, 0.0))
                blended_bonus = w * bonus + (1 - w) * whole_bonus
                blended = w * base + (1 - w) * whole_base + blended_bonus
                if ksb_id not in best or blended > best[ksb_id].score:
                    best[ksb_id] = Scored(ksb_id, blended, activity, bonus=blended_bonus, vector=vector)
        return sorted(best.values(), key=lambda x: -x.score)

    def choose(self, text: str, *, top: int = 3, pieces: list[Activity] | None = None) -> list[Scored]:
        return self.select(text, self.rank(text, pieces), top=top)

    def select(self, text: str, ranked: list[Scored], *, top: int, tuning: TagTuning | None = None) -> list[Scored]:
        """Named ids first, then the entry's strongest KSBs and each activity's best past the gate, within a cap."""
        t = tuning or self._tuning
        standard = self._knowledge.standard
        named = [Scored(i, 1.0, Activity(text, ""), named=True)
                 for i in find_references(text).ksb_ids if standard.ksb(i)]
        by_activity: dict[str, list[Scored]] = {}
        for scored in ranked:
            by_activity.setdefault(scored.activity.text, []).append(scored)
        chosen: list[Scored] = []
        if ranked and ranked[0].score >= t.gate:  # the entry's strongest KSBs, as a whole
            # a keyword phrase lifts its KSB, but must not push the entry's other KSBs below the cut
            cut = max(t.floor, (ranked[0].score - ranked[0].bonus) * t.entry_keep)
            chosen += [s for s in ranked if s.score >= cut]
        for group in by_activity.values():
            if group[0].score >= t.gate + t.activity_lift:  # the activity holds evidence; its close seconds too
                chosen += [s for s in group[: t.per_activity]
                           if s.score >= (group[0].score - group[0].bonus) * t.keep_ratio and s not in chosen]
        if chosen:  # never pass over a KSB that scores above one suggested: the list stays in score order
            lowest = min(s.score for s in chosen)
            chosen = [s for s in ranked if s.score >= lowest]
        cap = t.long_cap if len(by_activity) > 2 else t.short_cap
        fresh = [s for s in chosen if s.id not in {n.id for n in named}]
        return (named + fresh)[: max(min(top, cap), len(named))]

    def suggest(self, text: str, *, top: int = 3) -> list[TagSuggestion]:
        if noise_kind(text):
            return []
        pieces = split_activities(text)
        several = len(pieces) > 1
        return [TagSuggestion(id=s.id, confidence=round(min(s.score, 1.0), 3), reason=self._reason(s, several))
                for s in self.choose(text, top=top, pieces=pieces)]

    def _reason(self, scored: Scored, several: bool) -> str:
        ksb = self._knowledge.standard.ksb(scored.id)
        assert ksb is not None
        excerpt = _excerpt(ksb.text, 90)
        if scored.named:
            return ui("tag_reason_named", id=scored.id, excerpt=excerpt)
        where = f"{scored.activity.label}: " if several else ""
        phrase, matched = self._keyword_words(scored.id, scored.activity.text)
        if not matched:
            phrase, matched = self._evidence_words(scored.id, scored.activity.text)
        if matched:
            return ui("tag_reason_words", where=where, phrase=phrase, id=scored.id,
                      words=", ".join(f"\u201c{w}\u201d" for w in matched), excerpt=excerpt)
        _, closest = self._profile(self._reader.read(scored.activity.text), scored.vector)
        guide = self._knowledge.guidance.for_ksb(scored.id)
        if guide and scored.id in closest and closest[scored.id] < len(guide.activities):
            return ui("tag_reason_like", where=where, phrase=_excerpt(scored.activity.text, 60),
                      id=scored.id, typical=_excerpt(guide.activities[closest[scored.id]], 90))
        return ui("tag_reason_close", where=where, id=scored.id, excerpt=excerpt)

    def _keyword_words(self, ksb_id: str, activity: str) -> tuple[str, list[str]]:
        """The apprentice's words that hold the KSB's keyword phrases, and those phrases as the guidance spells them."""
        words = self._reader.words(activity)
        phrases = self.keyword_hits(" ".join(w.text for w in words)).get(ksb_id, [])[:3]
        wanted = {stem for phrase in phrases for stem in _phrase_words(phrase)}
        written = [w.written for w in words if wanted & set(all_words(w.text))]
        return _phrase(activity, list(dict.fromkeys(written))), phrases

    def _evidence_words(self, ksb_id: str, activity: str) -> tuple[str, list[str]]:
        """The apprentice's words that carry the match (as written) and the KSB's words they match."""
        surface = self._surface[ksb_id]
        written: list[str] = []
        matched: list[str] = []
        for word in self._reader.words(activity):
            for stem in tokens(word.text):
                if (stem in surface and stem not in GENERIC and self._lexical.idf.get(stem, 0.0) >= DISTINCTIVE
                        and surface[stem] not in matched):
                    if word.written not in written:
                        written.append(word.written)
                    matched.append(surface[stem])
        return _phrase(activity, written), matched[:3]


STEMS, WORDS = "stems", "words"  # a keyword phrase matched on its content words, or on every word


def _keyword_phrases(knowledge: Knowledge, idf: dict[str, float]) -> dict[tuple[str, str], tuple[frozenset[str], str]]:
    """(STEMS or WORDS, stemmed phrase) -> the KSBs whose guidance lists it, and its spelling there.

    A phrase is matched on its content words ("model card"), so small words between
    them may differ; one whose small words carry the meaning ("owned up", "made the
    call") would shrink to a single word, so it is matched on every word instead. A
    phrase listed by more than two KSBs, or a single word shared by many KSBs'
    documents, says nothing specific, so it is left out.
    """
    owners: dict[tuple[str, str], set[str]] = {}
    spelt: dict[tuple[str, str], str] = {}
    for ksb_id, guide in knowledge.guidance.ksbs.items():
        for keyword in guide.keywords:
            written = re.findall(r"[a-z0-9]+", keyword.lower())
            stems = [t for t in tokens(keyword) if t not in GENERIC]
            if len(stems) > 1 or (stems and len(stems) == len(written)):  # "switch off" is not the word "switch"
                key = (STEMS, " ".join(stems))
            elif len(written) > 1:
                key = (WORDS, " ".join(all_words(keyword)))
            else:
                continue
            owners.setdefault(key, set()).add(ksb_id)
            spelt.setdefault(key, keyword)
    return {key: (frozenset(ids), spelt[key]) for key, ids in owners.items()
            if len(ids) <= 2 and (key[0] == WORDS or " " in key[1] or idf.get(key[1], 0.0) >= DISTINCTIVE)}


def _phrase_words(phrase: str) -> list[str]:
    """A keyword phrase's words to quote: its content words, or all but articles when its small words
    carry it ("both wanted", not just "wanted")."""
    content = tokens(phrase)
    if len(content) == len(re.findall(r"[a-z0-9]+", phrase.lower())) or len(content) > 1:
        return content
    return [w for w in all_words(phrase) if w not in ARTICLES]


ARTICLES = frozenset({"a", "an", "the"})


def _phrase(text: str, words: list[str]) -> str:
    """The shortest stretch of `text` holding the first words that matched, at most eight words long."""
    lowered = text.lower()
    spans = [(m.start(), m.end()) for w in words[:3]
             if (m := re.search(rf"(?<![\w]){re.escape(w.lower())}(?![\w])", lowered))]
    if not spans:
        return ", ".join(words)
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    stretch = text[start:end]
    if len(stretch.split()) > 8:
        return "\u2026".join(text[s:e] for s, e in sorted(spans))
    return stretch


def _excerpt(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rsplit(" ", 1)[0] + "\u2026"

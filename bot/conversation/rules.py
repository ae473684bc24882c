"""The patterns that are certain enough to route without the example model."""

from __future__ import annotations

import re

# A whole message that is only a greeting, thanks, an acknowledgement, a no or a goodbye.
_SMALLTALK = re.compile(
    r"^\W*(?:(?:hi+|hiya|hey+|hello+|howdy|yo|morning|good (?:morning|afternoon|evening)|evening|afternoon|"
    r"thanks?(?: you)?(?: so much| very much| a lot| loads)?|thx|ty|ta|cheers(?: mate)?|nice one|"
    r"great|brill(?:iant)?|perfect|lovely|awesome|cool|ace|sound|amazing|"
    r"ok(?:ay)?|k|kk|alright|right|got it|gotcha|understood|makes sense|fair enough|noted|sure|yes|yep|yeah|"
    r"no+|nope|nah|no thanks|no thank you|not now|not right now|"
    r"that'?s (?:all|it|everything|great|helpful|useful|brilliant)|that (?:helps|was (?:helpful|useful))|"
    r"(?:good)?bye|bye bye|see (?:you|ya)(?: later| soon)?|later|cya|night|good ?night|speak soon|ttyl"
    r")(?:[\s,.!]+|$)(?:coach|mate|bot|there|all|then|for now)?\W*)+$",
    re.IGNORECASE)
_COMPARE = re.compile(
    r"\b(diff(?:erence|erent|er)?s?|vs\.?|versus|compare[ds]?|comparison|same(?: thing)? as|similar|"
    r"relate[ds]?|related|relationship|overlap|fit together|go together|work together|link(?:ed)?|"
    r"connect(?:ed|ion)?|distinguish|both|between)\b", re.IGNORECASE)
_FOLLOWUP = re.compile(
    r"\b(it|its|it's|that|this|that one|this one|them|those|these|they|the same|same one|the first|"
    r"the second|the last one|either)\b", re.IGNORECASE)
FOLLOWUP_MAX_WORDS = 14
# "ok", "right", "cheers" opening a longer message: a courtesy, not what it asks for.
_ACKNOWLEDGEMENT = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|okey ?dokey|k|kk|right|alright|cool|great|nice|sound|lovely|perfect|brill(?:iant)?|"
    r"thanks?(?: you)?|thx|ty|ta|cheers(?: mate)?|got it|gotcha|fair enough|yes|yeah|yep|so|and|then)"
    r"\b[\s,.!;:-]*)+", re.IGNORECASE)


# "and the other monitoring one?", "is there another one for drift": something besides what was just discussed.
_ANOTHER = re.compile(r"\b(?:the other|another|a different|any other|any more|anything else|the rest)\b", re.I)
_NOT_TOPIC = frozenset(
    "and the other another a different any more else anything rest one ones ksb ksbs skill skills knowledge "
    "behaviour behaviours what whats what's which about is there theres there's for of it on give me show tell "
    "so ok then too also please pls".split())


def asks_for_another(text: str) -> bool:
    """Short and asking for a KSB besides those just discussed."""
    return len(text.split()) <= FOLLOWUP_MAX_WORDS and bool(_ANOTHER.search(text))


def topic_words(text: str) -> str:
    """What "the other … one" is about, without the words that only point back ("monitoring" in the example)."""
    return " ".join(w for w in re.findall(r"[a-z0-9][a-z0-9'-]*", text.lower()) if w not in _NOT_TOPIC)


def is_smalltalk(text: str) -> bool:
    return len(text) <= 80 and bool(_SMALLTALK.match(text))


_ASKS = re.compile(r"^(?:what|which|how|where|when|why|who|can|could|should|shall|do|does|did|is|are|am|"
                   r"will|would|show|give|tell|list|help|let'?s)\b", re.IGNORECASE)


def without_acknowledgement(text: str) -> str:
    """The ask after an opening "ok, …"/"cheers, …", so examples score it; the whole message when no ask follows."""
    rest = _ACKNOWLEDGEMENT.sub("", text, count=1).strip()
    return rest if len(rest.split()) >= 2 and _ASKS.match(rest) else text


def asks_to_compare(text: str) -> bool:
    return bool(_COMPARE.search(text))


def refers_back(text: str) -> bool:
    """Short and pointing at something said before: "give me an example for it", "how do I evidence that one"."""
    return len(text.split()) <= FOLLOWUP_MAX_WORDS and bool(_FOLLOWUP.search(text))


_KINDS = (
    ("bye", re.compile(r"\b(bye|see (you|ya)|later|cya|night|speak soon|ttyl|that'?s (all|it|everything))\b", re.I)),
    ("thanks", re.compile(r"\b(thanks?|thx|ty|ta|cheers|nice one|helpful|useful|helps)\b", re.I)),
    ("no", re.compile(r"\b(no+|nope|nah|not now|not right now)\b", re.I)),
    ("greeting", re.compile(r"\b(hi+|hiya|hey+|hello+|howdy|yo|morning|afternoon|evening)\b", re.I)),
)


def smalltalk_kind(text: str) -> str:
    """greeting | thanks | no | bye | ok: which short, warm reply fits."""
    return next((kind for kind, pattern in _KINDS if pattern.search(text)), "ok")

"""Decide what a message is asking for, before any retrieval.

Rules, not a model: they are cheap, predictable and testable, and a wrong
guess costs little because every reply offers the other paths as buttons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.coaching.entry_phrases import read_correction, read_tag_command
from bot.coaching.review_phrases import RECORD as _REVIEW_RECORD
from bot.names import IntentName
from bot.search.refs import find_references

_HELP = re.compile(
    r"^\s*(help|\?+|hi|hello|hey|start|menu|what can you do\??|how do (i|you) use (this|you)\??)\s*[!.]*\s*$", re.I)
_REFLECT_PREFIX = re.compile(r"^\s*(reflect(ion)?|log( a reflection)?|journal|entry)\s*[:\-–]\s*", re.I)
_REFLECT_ONLY = re.compile(r"^\s*(/?reflect|log a reflection|new reflection|add (a )?reflection)\s*$", re.I)
# "which ksbs does this hit: …", and "what would this count for - …" (where the separator says the text follows).
_TAG_PREVIEW = re.compile(
    r"^\s*(?:please\s+)?(?:(?:map|tag|which ksbs? (?:does|do|would|could)|what ksbs? (?:does|do|would|could))\b"
    r".*?(?:reflection|entry|this|it)\b\s*(?:pls|please)?\s*[:\-–]?"
    r"|(?:what|which ksbs?|where) (?:does|do|would|could|will|might) (?:this|that) (?:count|go|fit|map|"
    r"come under|fall under|evidence)(?: for| towards?| under| against| to| in| with)?\s*[:\-–?])\s*", re.I)
_PROGRESS = re.compile(
    r"\b(how am i doing|my progress|progress report|^progress$|my coverage|coverage|gateway ready|"
    r"am i (on track|ready)|ready for gateway|how many hours|off[- ]the[- ]job hours|otj hours|"
    r"weak(est)? ksbs?)\b", re.I)
_REVIEW_FOR = re.compile(r"^\s*(?:(?:prepare|get|make|send|show|build)\s+(?:me\s+)?(?:the\s+|a\s+)?)?"
                         r"(?:progress\s+)?review(?:\s+pack)?\s+for\s+(.+?)\s*[?.!]*$", re.I)
_REVIEW_PACK = re.compile(r"\b(prepare|get|make|build|send|show|create)\b.{0,20}\b(my|the)\b.{0,12}"
                          r"\breview( pack)?\b|^\s*(my\s+)?(progress\s+)?review(\s+pack)?\s*[?.!]*$"
                          # "get me ready for my review", "my review's on friday, help me prep for it"
                          r"|\b(ready|prep(are|ped)?)\b.{0,12}\bfor\b.{0,8}\b(my|the|next)\b.{0,20}\breview\b"
                          r"|\breview\b.{0,60}\b(get|help)\s+me\s+(ready|prepared|prepped|prep)\b", re.I)
_MY_TEAM = re.compile(r"^\s*(show\s+(me\s+)?)?(my|our)\s+(team|apprentices)\b.{0,30}$", re.I)
# Unmistakable questions about the apprenticeship itself; answered from programme facts, not KSBs.
_PROGRAMME = re.compile(
    r"\b(gateway|epa|end[- ]?point|off[- ]the[- ]job|otj|progress reviews?|tripartite|"
    r"how (often|regularly)\b.*\breviews?|how long\b.*\b(apprenticeship|programme|course|take|last))\b", re.I)
_PERSONAL = re.compile(r"\b(am i|have i|i('| ha)ve (done|logged)|so far|my (hours|coverage|otj)|"
                       r"my progress\b(?! reviews?)|how am i doing|on track)\b", re.I)
_PORTFOLIO = re.compile(r"\b(export|download|build|make)\b.*\bportfolio\b", re.I)
_EXPORT = re.compile(r"\b(export|download|send me|give me|get)\b.*\b(my|all my)\b.*\bdata\b", re.I)
_DELETE = re.compile(r"\b(delete|erase|remove|forget|wipe)\b.*\b(my|all my|me)\b.*"
                     r"\b(data|account|everything|entries|history)\b"
                     r"|\bforget me\b", re.I)
_PROMPTS = re.compile(r"^\s*(my\s+)?(weekly\s+)?(prompts?|reminders?|nudges?)\b((\s+(on|off|stop|start|pause|resume|"
                      r"settings?|mon|tue|wed|thu|fri|sat|sun|every|at|\d)).*)?\s*[?.!]*$", re.I)
_THIRD_PARTY = re.compile(
    r"\b(send|show|give|share|forward|tell|see|access|read)\b.{0,40}?\b(his|her|their|someone else'?s|"
    r"another (?:person|apprentice|user)'?s?|other people'?s|colleague'?s|[a-z]+'s)\b.{0,40}?"
    r"\b(chats?|history|messages?|logs?|reflections?|entries|progress|notes|data|records?|conversations?)\b",
    re.I)
# A request to write evidence of work not done ("write me a reflection saying I deployed it, I haven't yet",
# "make up some hours"): an assessor relies on the portfolio being the apprentice's own real work.
_MADE_UP_EVIDENCE = re.compile(
    r"\b(?:write|draft|generate|create|make|do)\b(?:\s+me)?\s+(?:up\s+)?(?:a|an|some|my)?\s*"
    r"(?:reflections?|entry|entries|evidence|log|witness statements?)\b.{0,80}?"
    r"\b(?:haven'?t|have not|havent|didn'?t|did not|didnt|never|not actually|pretend(?:ing)?|as if)\b"
    r"|\b(?:fake|fabricate|make up|invent)\s+(?:some\s+|a\s+|an\s+|my\s+|the\s+)?"
    r"(?:evidence|reflections?|entry|entries|hours|logs?|witness statements?)\b", re.I)
# "what did priya in my cohort log this week": what someone else wrote, asked without a possessive.
_SOMEONE_ELSES_ENTRIES = re.compile(
    r"\b(?:what|which|how much|how many \w+)\s+(?:did|has|have|does|do)\s+"
    r"(?!(?:i|you|we|me|my team|my apprentices|the model|it|this|that)\b)[a-z]+(?:\s+[a-z]+){0,4}?\s+"
    r"(?:log|logged|write|wrote|written|submit|submitted|record|recorded|reflect|reflected)\b", re.I)
_PAST = re.compile(
    r"\b([a-z]{3,}ed|did|ran|wrote|built|met|set|taught|got|made|spent|picked|led|learnt|found|took|"
    r"went|gave|began|chose|sat|saw|kept|held|brought|rebuilt|thought|told|understood|read|was|were|"
    r"didnt|didn.t|wasnt|wasn.t|couldnt)\b", re.I)
_NARRATIVE = re.compile(
    r"\b(this week|today|yesterday|last week|this morning|this sprint|i (have|'ve)?\s*"
    r"(set up|built|wrote|ran|led|deployed|trained|fixed|presented|met|learned|learnt|spent|worked|did|"
    r"created|added|migrated|reviewed|helped|compared|tested|monitored|refactored|automated|documented|"
    r"attended|completed|shadowed|organised|designed|implemented|analysed|analyzed))\b", re.I)


@dataclass(frozen=True)
class Intent:
    name: str  # an `IntentName`, or the `ActionId` a button sent
    text: str  # the part of the message the intent acts on (prefixes stripped)
    options: tuple[str, ...] = ()  # for CLARIFY: the intents it might be, likeliest first
    exclude: tuple[str, ...] = ()  # for QUESTION: KSBs already discussed ("and the other monitoring one?")


def classify(text: str) -> Intent:
    stripped = text.strip()
    if not stripped:
        return Intent(IntentName.EMPTY, "")
    if _HELP.match(stripped):
        return Intent(IntentName.HELP, stripped)
    if _REFLECT_ONLY.match(stripped):
        return Intent(IntentName.REFLECT, "")
    prefix = _REFLECT_PREFIX.match(stripped)
    if prefix:
        return Intent(IntentName.REFLECT, stripped[prefix.end():].strip())
    if _MADE_UP_EVIDENCE.search(stripped):
        return Intent(IntentName.MADE_UP_EVIDENCE, stripped)
    if read_tag_command(stripped):
        return Intent(IntentName.TAGS, stripped)
    if read_correction(stripped):
        return Intent(IntentName.REFLECT_EDIT, stripped)
    if _DELETE.search(stripped):
        return Intent(IntentName.DELETE_DATA, stripped)
    if _REVIEW_RECORD.match(stripped):
        return Intent(IntentName.REVIEW_RECORD, stripped)
    review_for = _REVIEW_FOR.match(stripped)
    if review_for:
        return Intent(IntentName.REVIEW_FOR, review_for.group(1).strip(" '\"“”‘’"))
    if _REVIEW_PACK.search(stripped):
        return Intent(IntentName.REVIEW_PACK, stripped)
    if _MY_TEAM.match(stripped):
        return Intent(IntentName.MY_TEAM, stripped)
    if _THIRD_PARTY.search(stripped) or _SOMEONE_ELSES_ENTRIES.search(stripped):
        return Intent(IntentName.OTHERS_DATA, stripped)
    if _PORTFOLIO.search(stripped):
        return Intent(IntentName.PORTFOLIO, stripped)
    if _EXPORT.search(stripped):
        return Intent(IntentName.EXPORT_DATA, stripped)
    if _PROMPTS.match(stripped):
        return Intent(IntentName.PROMPT_SETTINGS, stripped)
    preview = _TAG_PREVIEW.match(stripped)
    if preview and len(stripped) - preview.end() > 20:
        rest = stripped[preview.end():]
        if ":" in rest[:40]:
            rest = rest.split(":", 1)[1]
        return Intent(IntentName.TAG_PREVIEW, rest.strip().strip("'\"“”‘’"))
    if _is_programme(stripped):
        return Intent(IntentName.PROGRAMME, stripped)
    if _PROGRESS.search(stripped) and len(stripped) < 120:
        return Intent(IntentName.PROGRESS, stripped)
    if _looks_like_reflection(stripped):
        return Intent(IntentName.REFLECT, stripped)
    return Intent(IntentName.QUESTION, stripped)


def _is_programme(text: str) -> bool:
    """A short question about the programme, not the apprentice's own figures or an account of their week."""
    return (len(text) < 200 and bool(_PROGRAMME.search(text)) and not _PERSONAL.search(text)
            and not find_references(text).any and not _looks_like_reflection(text))


def _looks_like_reflection(text: str) -> bool:
    """A first-person account of work, long enough to be an entry, that is not a question."""
    words = len(text.split())
    if words < 12 or text.rstrip().endswith("?"):
        return False
    if re.match(r"^\s*(what|which|how|is|are|can|could|does|do|why|where|when|should|explain)\b", text, re.I):
        return False
    if re.search(r"\b(which|what) (ksbs?|skills?|knowledge|behaviou?rs?)\b", text, re.I):
        return False
    return bool(_NARRATIVE.search(text)) or len(_PAST.findall(text)) >= 2

"""Intent routing: certain rules first, follow-ups from context, then similarity to labelled examples."""

from __future__ import annotations

import math
import re

import pytest
from langchain_core.embeddings import Embeddings

from bot.conversation.context import EMPTY_CONTEXT, Context
from bot.conversation.examples import Example, ExampleScorer, load_examples
from bot.conversation.router import Router, RouterTuning
from bot.conversation.rules import is_smalltalk, smalltalk_kind, without_acknowledgement
from bot.names import IntentName
from bot.search.retrieval import HybridRetriever

EVERYTHING = frozenset({IntentName.QUESTION, IntentName.SMALLTALK, IntentName.COMPARE, IntentName.NEXT_STEPS,
                        IntentName.LOG, IntentName.PROMPT_SETTINGS, IntentName.PROGRESS, IntentName.HELP,
                        IntentName.OFFTOPIC, IntentName.CLARIFY})


class WordEmbeddings(Embeddings):
    """A real Embeddings implementation over a fixed vocabulary: one dimension per word."""

    def __init__(self, vocabulary: list[str]) -> None:
        self._words = vocabulary

    def _vector(self, text: str) -> list[float]:
        seen = set(re.findall(r"[a-z]+", text.lower()))
        raw = [1.0 if w in seen else 0.0 for w in self._words] + [0.05]
        norm = math.sqrt(sum(x * x for x in raw))
        return [x / norm for x in raw]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


def word_router(examples: list[Example]) -> Router:
    words = sorted({w for e in examples for w in re.findall(r"[a-z]+", e.text.lower())})
    scorer = ExampleScorer(examples=examples, embeddings=WordEmbeddings(words), embedder_name="words")
    return Router(scorer=scorer, tuning=RouterTuning(min_score=0.1, min_margin=0.05, offtopic_margin=0.05))


@pytest.mark.parametrize("text", ["hiya", "thanks, that's helpful!", "ok", "no", "nope, that's all", "bye!",
                                  "cheers mate", "Good morning coach"])
def test_everyday_turns_are_smalltalk(text: str) -> None:
    assert is_smalltalk(text)
    routed = Router().route(text, context=EMPTY_CONTEXT, available=EVERYTHING)
    assert routed.intent.name == IntentName.SMALLTALK and routed.by == "rule"


@pytest.mark.parametrize("text", ["no such KSB as S99", "ok so what counts for S24?", "thanks to drift alerts we "
                                  "caught a broken pipeline"])
def test_smalltalk_rule_only_takes_whole_messages(text: str) -> None:
    assert not is_smalltalk(text)


def test_an_opening_courtesy_is_not_what_the_message_asks() -> None:
    assert without_acknowledgement("ok cheers, what should I log next?") == "what should I log next?"
    assert without_acknowledgement("right so how do I show S24") == "how do I show S24"
    assert without_acknowledgement("ok thanks") == "ok thanks"  # nothing left: the whole message is scored
    assert without_acknowledgement("cheers, that's me sorted") == "cheers, that's me sorted"  # thanks, no ask
    assert without_acknowledgement("okta login for the feature store") == "okta login for the feature store"


def test_smalltalk_kinds() -> None:
    assert [smalltalk_kind(t) for t in ("hiya", "cheers", "nope", "bye then", "ok")] == \
        ["greeting", "thanks", "no", "bye", "ok"]


@pytest.mark.parametrize("text", ["difference between S10 and S24", "is S16 the same as K12?",
                                  "how do K20 and S20 fit together", "s5 vs s16"])
def test_two_ids_and_a_comparing_word_compare(text: str) -> None:
    assert Router().route(text, context=EMPTY_CONTEXT, available=EVERYTHING).intent.name == IntentName.COMPARE


def test_explicit_ids_skip_the_example_model() -> None:
    class Exploding(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            raise AssertionError("embedded")

        def embed_query(self, text: str) -> list[float]:
            raise AssertionError("embedded")

    router = Router(scorer=ExampleScorer(examples=load_examples(), embeddings=Exploding(), embedder_name="x"))
    routed = router.route("what counts for S24?", context=EMPTY_CONTEXT, available=EVERYTHING)
    assert routed.intent.name == IntentName.QUESTION and routed.by == "rule"


def test_follow_ups_resolve_against_the_last_ksbs() -> None:
    context = Context(ksb_ids=("K9", "S5"))
    routed = Router().route("give me an example for it", context=context, available=EVERYTHING)
    assert routed.by == "context" and "K9" in routed.intent.text
    compare = Router().route("what's the difference between them?", context=context, available=EVERYTHING)
    assert compare.intent.name == IntentName.COMPARE and "K9" in compare.intent.text and "S5" in compare.intent.text
    assert Router().route("give me an example for it", context=EMPTY_CONTEXT,
                          available=EVERYTHING).by != "context"


def test_one_id_and_a_pointer_back_compares_with_what_was_discussed() -> None:
    context = Context(ksb_ids=("S10",))
    routed = Router().route("how does that differ from S24?", context=context, available=EVERYTHING)
    assert routed.intent.name == IntentName.COMPARE and "S10" in routed.intent.text and "S24" in routed.intent.text
    plain = Router().route("what about S24?", context=context, available=EVERYTHING)  # no comparing word
    assert plain.intent.name == IntentName.QUESTION and "S10" not in plain.intent.text


def test_another_one_leaves_out_what_was_discussed() -> None:
    context = Context(ksb_ids=("K12",))
    routed = Router().route("is there another deployment one?", context=context, available=EVERYTHING)
    assert routed.by == "context" and routed.intent.exclude == ("K12",)
    assert routed.intent.text == "deployment"
    several = Context(ksb_ids=("S10", "S21", "S24"))
    nameless = Router().route("and the other one?", context=several, available=EVERYTHING)
    assert "S21" in nameless.intent.text and not nameless.intent.exclude
    assert Router().route("is there another deployment one?", context=EMPTY_CONTEXT,
                          available=EVERYTHING).by != "context"


def test_examples_decide_and_close_calls_are_asked_about() -> None:
    examples = [Example(IntentName.LOG, "show my entries"), Example(IntentName.LOG, "list my reflections"),
                Example(IntentName.NEXT_STEPS, "show next steps"), Example(IntentName.NEXT_STEPS, "list next ideas"),
                Example(IntentName.OFFTOPIC, "book a table at a restaurant"),
                Example(IntentName.OFFTOPIC, "what is the weather"),
                Example(IntentName.QUESTION, "which ksb covers monitoring")]
    router = word_router(examples)
    assert router.route("list my reflections", context=EMPTY_CONTEXT,
                        available=EVERYTHING).intent.name == IntentName.LOG
    assert router.route("book a table please", context=EMPTY_CONTEXT,
                        available=EVERYTHING).intent.name == IntentName.OFFTOPIC
    close = router.route("show my next", context=EMPTY_CONTEXT, available=EVERYTHING)
    assert close.intent.name == IntentName.CLARIFY
    assert set(close.intent.options) == {IntentName.LOG, IntentName.NEXT_STEPS}
    without_log = router.route("list my reflections", context=EMPTY_CONTEXT,
                               available=EVERYTHING - {IntentName.LOG})
    assert without_log.intent.name != IntentName.LOG


@pytest.mark.parametrize(("text", "intent"), [
    ("could you show me what i've written so far", IntentName.LOG),
    ("i'm not sure what to work on next, any ideas", IntentName.NEXT_STEPS),
    ("can the reminders come on a wednesday instead", IntentName.PROMPT_SETTINGS),
    ("can you get me a table at nandos", IntentName.OFFTOPIC),
    ("which ksb is about explaining models to the business", IntentName.QUESTION),
    ("cheers, so what should i tackle now?", IntentName.NEXT_STEPS),
    ("right, where do i go next", IntentName.NEXT_STEPS),
    ("you're an absolute legend thanks", IntentName.SMALLTALK),
])
def test_the_real_embedder_generalises_beyond_the_examples(retriever: HybridRetriever, tmp_path_factory:
                                                           pytest.TempPathFactory, text: str, intent: str) -> None:
    scorer = ExampleScorer(examples=load_examples(), embeddings=retriever.index.embeddings,
                           embedder_name=retriever.index.embedder_name,
                           cache_dir=tmp_path_factory.getbasetemp() / "intent-cache")
    assert Router(scorer=scorer).route(text, context=EMPTY_CONTEXT, available=EVERYTHING).intent.name == intent

"""Programme questions through the real coach: the fact answers, naming its source; KSB questions stay KSB questions."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from bot.coach import Coach
from bot.intents import classify
from bot.messages import Incoming, UserRef
from bot.names import IntentName
from bot.programme.vectors import ViewVectors
from bot.search.retrieval import HybridRetriever
from bot.wiring import make_coach
from knowledge.index import ChromaTarget
from tests.conftest import make_settings

USER = UserRef(platform="console", workspace_id="local", user_id="apprentice")


@pytest.fixture(scope="module")
def coach(retriever: HybridRetriever, tmp_path_factory: pytest.TempPathFactory) -> Coach:
    settings = make_settings(tmp_path_factory.mktemp("programme"))
    return make_coach(settings, retriever=retriever, with_storage=False)


def ask(coach: Coach, text: str) -> tuple[str, str, dict[str, object], list[str]]:
    reply = asyncio.run(coach.handle(Incoming(user=USER, text=text)))
    return reply.intent, reply.text, reply.metadata, reply.cited_ids


@pytest.mark.parametrize(("question", "fact", "words"), [
    ("what do i need for gateway?", "gateway", "employer"),
    ("how long is the apprenticeship meant to take?", "standard-typical-duration", "24 months"),
    ("does time spent on my uni coursework count as off-the-job?", "otj-counts", "assignments"),
    ("how often are reviews", "progress-reviews", "12 weeks"),
    ("will my employer see what i write", "who-sees-what", "never the text"),
    ("what happens at the end point assessment", "epa-methods", "professional discussion"),
    ("do i need level 2 maths before my EPA?", "standard-english-maths", "prior to taking the End-Point Assessment"),
    ("what is the minimum number of off the job hours?", "otj-minimum", "418"),
    ("which version of the standard is this?", "standard-status", "ksb-coach standards add"),
])
def test_process_questions_find_the_fact(coach: Coach, question: str, fact: str, words: str) -> None:
    intent, text, metadata, cited = ask(coach, question)
    assert (intent, metadata.get("programme")) == (IntentName.PROGRAMME, fact), text
    assert words in text and "Source: " in text and len(text) < 1500
    assert cited == []


@pytest.mark.parametrize("question", ["what counts for S24?", "how do I evidence drift monitoring?",
                                      "which ksbs cover data pipelines?", "what does duty 4 involve?"])
def test_ksb_questions_stay_with_the_ksbs(coach: Coach, question: str) -> None:
    intent, text, metadata, cited = ask(coach, question)
    assert intent != IntentName.PROGRAMME and "programme" not in metadata and cited, text


def test_a_routed_question_no_fact_fits_goes_to_the_ksbs(coach: Coach) -> None:
    reply = asyncio.run(coach.handle(Incoming(user=USER, text="gateway drift dashboards for S24")))
    assert reply.intent != IntentName.PROGRAMME and "S24" in reply.cited_ids


def test_help_says_which_version_of_the_standard_is_bundled(coach: Coach) -> None:
    intent, text, _, _ = ask(coach, "help")
    assert intent == IntentName.HELP and "in development" in text and "ksb-coach standards add" in text


@pytest.mark.parametrize(("text", "name"), [
    ("what do i need for gateway?", IntentName.PROGRAMME),
    ("do my progress review meetings count as off the job?", IntentName.PROGRAMME),
    ("how many otj hours have i done so far", IntentName.PROGRESS),
    ("am i ready for gateway?", IntentName.PROGRESS),
    ("this week I spent 3h off the job shadowing the platform team and learned how they deploy models",
     IntentName.REFLECT),
    ("does S24 count as otj", IntentName.QUESTION),
])
def test_the_programme_rule_is_narrow(text: str, name: str) -> None:
    assert classify(text).name == name


class CountingEmbeddings(Embeddings):
    """A deterministic stand-in embedder that counts what it embeds."""

    def __init__(self) -> None:
        self.calls = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        self.calls += 1
        return [float(len(text)), float(sum(map(ord, text)) % 97), 1.0]


def test_view_vectors_are_embedded_once_and_read_back(tmp_path: Path) -> None:
    target = ChromaTarget(path=tmp_path / "chroma")
    first = CountingEmbeddings()
    made = ViewVectors(texts=["how often are reviews", "what is gateway"], embeddings=first,
                       embedder_name="counting", target=target, collection="t_programme").matrix()
    assert first.calls == 2
    second = CountingEmbeddings()
    again = ViewVectors(texts=["how often are reviews", "what is gateway"], embeddings=second,
                        embedder_name="counting", target=target, collection="t_programme").matrix()
    assert second.calls == 0 and np.allclose(again, made)
    changed = CountingEmbeddings()
    ViewVectors(texts=["how often are reviews", "what is the end-point assessment"], embeddings=changed,
                embedder_name="counting", target=target, collection="t_programme").matrix()
    assert changed.calls == 2

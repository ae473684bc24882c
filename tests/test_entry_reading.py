"""Reading an entry as written: activities, shorthand and typos, and input that is not prose."""

from __future__ import annotations

import pytest

from bot.search.activities import split_activities
from bot.search.entry_noise import Noise, noise_kind
from bot.search.spelling import Reader, english_words
from knowledge.glossary import load_glossary

CORPUS = ["deployed the model to the pipeline", "retrained and compared against the baseline",
          "data protection impact assessment"]


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader(glossary=load_glossary(), corpus=CORPUS, english=english_words())


def test_typos_are_read_as_the_standard_words(reader: Reader) -> None:
    assert reader.read("deployd the modle thru the pipline") == (
        "deployed the model thru through the pipeline")
    assert [w.written for w in reader.words("retraind it")] == ["retraind", "it"]


def test_real_words_are_never_corrected(reader: Reader) -> None:
    assert reader.read("off sick, fire drill, team wins") == "off sick fire drill team wins"


def test_shorthand_expands_from_the_glossary(reader: Reader) -> None:
    read = reader.read("DPIA w/ the DPO on k8s via CI/CD")
    assert "data protection impact assessment" in read
    assert "with" in read and "data protection officer" in read
    assert "kubernetes" in read and "continuous integration" in read


def test_shorthand_is_a_whole_word(reader: Reader) -> None:
    assert reader.read("wrote the prodding script") == "wrote the prodding script"


def test_a_week_splits_into_labelled_days() -> None:
    text = ("busy one. monday the api went down so i pinned versions. tuesday/wednesday did error analysis "
            "on the returns model. thursday wrote the handover pack for the director")
    activities = split_activities(text)
    assert [a.label for a in activities] == ["Monday", "Tuesday/wednesday", "Thursday"]
    assert activities[0].text.startswith("busy one.")


def test_bullets_semicolons_and_then_split() -> None:
    text = "* moved scoring to a spark cluster\n* sized executors for the peak; wrote up the cost per run"
    assert len(split_activities(text)) == 3
    assert len(split_activities("derived the gradient by hand, then explained the schedule to the team")) == 2


def test_a_short_entry_is_one_activity() -> None:
    assert [a.text for a in split_activities("model card for the pricing model")] == [
        "model card for the pricing model"]
    assert len(split_activities("off sick monday and tuesday, rest of the week in meetings")) == 1


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("🎉🚀🔥", Noise.EMOJI),
        ("https://github.com/org/repo/pull/12", Noise.URL),
        ("def train(x):\n    model = fit(x)\n    return model", Noise.CODE),
        ('Traceback (most recent call last):\n  File "a.py", line 3, in <module>\nKeyError: \'x\'', Noise.TRACE),
    ],
)
def test_not_prose(text: str, kind: Noise) -> None:
    assert noise_kind(text) == kind


def test_prose_with_a_link_or_an_error_name_is_prose() -> None:
    assert noise_kind("fixed the KeyError in the feature job, see https://example.org/pr/3 for the change") is None
    assert noise_kind("set up drift alerts 🎉") is None

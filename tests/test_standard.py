"""The standard as data: ST1398 parsed from its text, and a standard in the API's JSON shape."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from knowledge.json_loader import load_standard_json
from knowledge.registry import BUNDLED_DIR, StandardRegistry
from knowledge.text_loader import StandardFormatError, load_standard_text

SOURCE = BUNDLED_DIR / "st1398.txt"
FIXTURE = Path(__file__).parent / "data" / "mini_standard.json"

DUTIES = {
    1: "K24 K25 K26 K29 S29 S32 B4",
    2: "K1 K2 K3 K4 K11 K18 S1 S2 S3 S4 S15 B1",
    3: "K2 K3 K5 K6 K7 K8 K9 K10 K16 S1 S2 S5 S6 S7 S8 S9 S14",
    4: "K12 K13 K15 S10 S13 S16 S17 S19",
    5: "K11 K14 K15 K17 K21 K22 S12 S18 S19 S21 S22 S23 B2",
    6: "K19 K20 K21 K27 S21 S22 S24 S26 S28",
    7: "K21 K22 K23 K27 K29 S27 S29 S30 B3",
    8: "K24 K25 K26 K27 S8 S11 S20 S21 S25 S30 B3 B4",
    9: "K28 K29 S31 B1 B2",
}


def test_st1398_header_and_counts() -> None:
    standard = load_standard_text(SOURCE)
    assert (standard.reference, standard.title, standard.level) == ("ST1398", "Machine Learning Engineer", 6)
    assert [k.id for k in standard.of_kind("K")] == [f"K{n}" for n in range(1, 30)]
    assert [k.id for k in standard.of_kind("S")] == [f"S{n}" for n in range(1, 33)]
    assert [k.id for k in standard.of_kind("B")] == [f"B{n}" for n in range(1, 5)]
    assert len(standard.ksbs) == 65


def test_every_duty_lists_its_ksbs() -> None:
    standard = load_standard_text(SOURCE)
    assert {d.number: " ".join(d.ksb_ids) for d in standard.duties} == DUTIES
    assert standard.duty(4) is not None
    assert standard.duty(4).text.startswith("Monitor and support machine learning models")  # type: ignore[union-attr]


def test_ksb_text_matches_the_source_word_for_word() -> None:
    standard = load_standard_text(SOURCE)
    flat = re.sub(r"\s+", " ", SOURCE.read_text("utf-8").replace("-\n", "-"))
    for ksb in standard.ksbs:
        assert f"{ksb.id}: {ksb.text}" in flat, ksb.id
    assert standard.ksb("B3").text == (  # type: ignore[union-attr]
        "Acts inclusively when collaborating with people from technical and non-technical backgrounds."
    )
    assert standard.ksb("S24").text == (  # type: ignore[union-attr]
        "Monitor model and data drift, performance metrics to ensure systems are robust when "
        "moving outside of their domain of applicability."
    )


def test_registry_adds_the_published_minimum_hours() -> None:
    knowledge = StandardRegistry(added_dir=Path("/nonexistent")).load("st1398")
    assert knowledge.standard.minimum_otj_hours == 418


def test_json_standard_numbers_ksbs_by_position_and_maps_duties() -> None:
    standard = load_standard_json(FIXTURE)
    assert (standard.reference, standard.level, standard.version) == ("ST9999", 3, "1.1")
    assert standard.minimum_otj_hours == 278
    assert [k.id for k in standard.ksbs] == ["K1", "K2", "S1", "S2", "S3", "B1"]
    assert standard.ksb("K2").text == "Data protection law as it applies to pipeline logs."  # type: ignore[union-attr]
    assert standard.duty(1).ksb_ids == ("K1", "S1", "S2", "B1")  # type: ignore[union-attr]
    assert standard.duty(2).core is False  # type: ignore[union-attr]


def test_json_standard_without_minimum_hours(tmp_path: Path) -> None:
    data = json.loads(FIXTURE.read_text())
    del data["minimumHoursForCompliance"]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(data))
    assert load_standard_json(path).minimum_otj_hours is None


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("referenceNumber"), "referenceNumber"),
        (lambda d: d["duties"][0]["mappedSkills"].append("not-a-guid"), "unknown id"),
        (lambda d: d.update(knowledges=[], skills=[], behaviours=[]), "no knowledges"),
    ],
)
def test_bad_json_standards_say_what_is_wrong(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(FIXTURE.read_text())
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(StandardFormatError, match=message):
        load_standard_json(path)


def test_added_standard_loads_without_code_changes(tmp_path: Path) -> None:
    registry = StandardRegistry(added_dir=tmp_path / "standards")
    registry.add(FIXTURE)
    assert registry.references() == ["ST1398", "ST9999"]
    knowledge = registry.load("ST9999")
    assert knowledge.standard.title == "Data Pipeline Technician"
    assert knowledge.guidance.missing(knowledge.standard) == ["K1", "K2", "S1", "S2", "S3", "B1"]

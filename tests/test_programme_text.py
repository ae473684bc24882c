"""Programme fields parsed from a standard's own text, and from the Institute's JSON shape where present."""

from __future__ import annotations

import json
from pathlib import Path

from knowledge.json_loader import load_standard_json, parse_standard_json
from knowledge.model import Programme
from knowledge.programme_text import parse_programme
from knowledge.registry import BUNDLED_DIR
from knowledge.text_loader import load_standard_text

SOURCE = BUNDLED_DIR / "st1398.txt"
FIXTURE = Path(__file__).parent / "data" / "mini_standard.json"


def test_st1398_programme_fields_come_from_its_text() -> None:
    programme = load_standard_text(SOURCE).programme
    assert programme.status == "Standard in development"
    assert (programme.typical_duration, programme.duration_months) == ("24 months", 24)
    assert programme.job_titles == ("Big data engineer", "Machine learning engineer",
                                    "Machine learning operations engineer")
    assert programme.reports_to == "Data Architect or Senior ML Operations Engineer"
    assert programme.entry_requirements == "No"
    assert programme.english_maths.startswith(
        "Apprentices without level 2 English and maths will need to achieve this level prior to taking the "
        "End-Point Assessment.")
    assert programme.english_maths.endswith("for those whose primary language is BSL.")
    assert programme.degree == "non-degree qualification"
    assert programme.professional_recognition == "No"
    assert programme.mandated_qualifications == "No"
    assert programme.progression_routes == ("ST0763 Artificial intelligence (AI) data specialist L7",)
    assert programme.route == "Digital"
    assert programme.kind_headings == (("K", "Knowledge"), ("S", "Skills"), ("B", "Behaviours"))


def test_occupation_summary_keeps_the_standards_paragraphs() -> None:
    summary = load_standard_text(SOURCE).programme.occupation_summary
    paragraphs = summary.split("\n\n")
    assert len(paragraphs) == 4
    assert paragraphs[0].startswith("This occupation is found in a wide range of public and private sector")
    assert paragraphs[1].startswith("The broad purpose of the occupation is to streamline the process")
    assert summary.endswith("ethics, environmental, sustainability and security policies.")
    assert "Typical job titles" not in summary


def test_fields_a_text_leaves_out_stay_empty() -> None:
    lines = SOURCE.read_text("utf-8").splitlines()
    cut = [line for line in lines if not line.strip().startswith(("Typical duration", "24 months"))]
    programme = parse_programme(cut[: cut.index("Progression Routes ")])
    assert (programme.typical_duration, programme.duration_months) == ("", None)
    assert programme.progression_routes == ()
    assert programme.degree == "non-degree qualification"


def test_json_standard_without_programme_fields_loads_them_empty() -> None:
    assert load_standard_json(FIXTURE).programme == Programme()


def test_json_programme_fields_are_read_where_present() -> None:
    data = json.loads(FIXTURE.read_text("utf-8"))
    data.update(status="Approved for delivery", typicalDuration=18, integratedDegree="non-integrated degree",
                typicalJobTitles="Data pipeline technician|Data operations technician",
                overviewOfRole="Keeps data pipelines running.", route="Digital")
    programme = parse_standard_json(data).programme
    assert programme.status == "Approved for delivery"
    assert (programme.typical_duration, programme.duration_months) == ("18 months", 18)
    assert programme.job_titles == ("Data pipeline technician", "Data operations technician")
    assert programme.occupation_summary == "Keeps data pipelines running."
    assert programme.degree == "non-integrated degree"
    assert programme.reports_to == "" and programme.progression_routes == ()

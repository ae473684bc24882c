"""Off-the-job training target under the funding rule in force at the enrolment's start.

Rules, simplified and documented:

* Starts on or after 1 August 2025: the standard's published minimum
  (`Standard.minimum_otj_hours`, 418 for ST1398), whatever the contracted hours.
* Earlier starts: 6 hours a week, pro rata below 30 contracted hours, over the
  practical period from the start date to the planned end-point assessment
  date. Statutory leave is not deducted (0 weeks) to keep the rule simple; the
  target is therefore slightly generous to the provider, never to the apprentice.
* A standard without a published minimum falls back to the earlier rule.
* An enrolment may override the target outright (`otj_target_hours`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.ui_text import ui

RULE_CHANGE = date(2025, 8, 1)
RULE_TEXTS = {"standard-minimum": "standard_minimum", "6h-per-week": "weekly", "override": "override"}
WEEKLY_HOURS = 6.0
FULL_TIME_HOURS = 30.0
LEAVE_WEEKS = 0.0


@dataclass(frozen=True)
class OtjTarget:
    hours: float
    rule: str  # "override" | "standard-minimum" | "6h-per-week"


def otj_target(*, start: date, planned_epa: date, weekly_hours: float,
               standard_minimum: int | None, override: float | None = None) -> OtjTarget:
    if override is not None:
        return OtjTarget(hours=float(override), rule="override")
    if start >= RULE_CHANGE and standard_minimum is not None:
        return OtjTarget(hours=float(standard_minimum), rule="standard-minimum")
    weeks = max((planned_epa - start).days / 7 - LEAVE_WEEKS, 0.0)
    share = min(weekly_hours, FULL_TIME_HOURS) / FULL_TIME_HOURS
    return OtjTarget(hours=round(WEEKLY_HOURS * weeks * share, 1), rule="6h-per-week")


def rule_in_words(target: OtjTarget) -> str:
    """The rule behind a target, as the apprentice reads it (a prompt file per rule)."""
    return ui(f"otj_rule_{RULE_TEXTS[target.rule]}")

"""Enrolments: which standard an apprentice is on, and the dates and hours that set targets."""

from __future__ import annotations

import calendar
from datetime import date

from sqlmodel import Session, select

from storage.models import Enrolment, utcnow

DEFAULT_WEEKLY_HOURS = 30.0
DEFAULT_PROGRAMME_MONTHS = 24


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def default_enrolment(*, person_id: int, standard_ref: str, start: date) -> Enrolment:
    """What first contact assumes until an admin says otherwise: starts today, EPA in 24 months."""
    return Enrolment(person_id=person_id, standard_ref=standard_ref, start_date=start,
                     planned_epa_date=add_months(start, DEFAULT_PROGRAMME_MONTHS),
                     weekly_hours=DEFAULT_WEEKLY_HOURS)


def get_enrolment(session: Session, *, person_id: int) -> Enrolment | None:
    return session.exec(select(Enrolment).where(Enrolment.person_id == person_id)).first()


def set_enrolment(session: Session, *, person_id: int, standard_ref: str, start_date: date,
                  planned_epa_date: date, weekly_hours: float = DEFAULT_WEEKLY_HOURS,
                  otj_target_hours: float | None = None) -> Enrolment:
    if planned_epa_date <= start_date:
        raise ValueError("the planned end-point assessment must come after the start date")
    if weekly_hours <= 0:
        raise ValueError("contracted weekly hours must be positive")
    enrolment = get_enrolment(session, person_id=person_id) or Enrolment(
        person_id=person_id, standard_ref=standard_ref, start_date=start_date,
        planned_epa_date=planned_epa_date)
    enrolment.standard_ref = standard_ref
    enrolment.start_date = start_date
    enrolment.planned_epa_date = planned_epa_date
    enrolment.weekly_hours = weekly_hours
    enrolment.otj_target_hours = otj_target_hours
    enrolment.updated_at = utcnow()
    session.add(enrolment)
    session.flush()
    return enrolment

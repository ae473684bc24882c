"""Admin operations on people: roles, manager links and enrolments, each checked and audited."""

from __future__ import annotations

from datetime import date

from bot.coaching.authz import Actor, check_manage_enrolment, check_manage_links, check_manage_roles
from storage import audit, enrolments, people
from storage.db import SessionFactory
from storage.models import Enrolment


class Admin:
    def __init__(self, *, session_factory: SessionFactory) -> None:
        self._sessions = session_factory

    def link(self, *, actor: Actor, manager_id: int, apprentice_id: int) -> None:
        check_manage_links(actor)
        with self._sessions() as session:
            manager = people.get_person(session, person_id=manager_id)
            if manager is None or manager.role != "manager":
                raise ValueError("only a person with the manager role can be linked as manager")
            people.link(session, manager_id=manager_id, apprentice_id=apprentice_id)
            audit.record(session, action="link.added", actor_id=actor.id,
                         subject_id=apprentice_id, related_id=manager_id)
            session.commit()

    def unlink(self, *, actor: Actor, manager_id: int, apprentice_id: int) -> bool:
        check_manage_links(actor)
        with self._sessions() as session:
            removed = people.unlink(session, manager_id=manager_id, apprentice_id=apprentice_id)
            audit.record(session, action="link.removed", actor_id=actor.id,
                         subject_id=apprentice_id, related_id=manager_id)
            session.commit()
            return removed

    def set_role(self, *, actor: Actor, person_id: int, role: str) -> None:
        check_manage_roles(actor)
        with self._sessions() as session:
            people.set_role(session, person_id=person_id, role=role)
            audit.record(session, action="role.set", actor_id=actor.id, subject_id=person_id,
                         detail={"role": role})
            session.commit()

    def set_enrolment(self, *, actor: Actor, person_id: int, standard_ref: str, start_date: date,
                      planned_epa_date: date, weekly_hours: float,
                      otj_target_hours: float | None = None) -> Enrolment:
        check_manage_enrolment(actor)
        with self._sessions() as session:
            enrolment = enrolments.set_enrolment(
                session, person_id=person_id, standard_ref=standard_ref, start_date=start_date,
                planned_epa_date=planned_epa_date, weekly_hours=weekly_hours,
                otj_target_hours=otj_target_hours)
            audit.record(session, action="enrolment.set", actor_id=actor.id, subject_id=person_id)
            session.commit()
            return enrolment

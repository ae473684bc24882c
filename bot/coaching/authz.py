"""Who may read or change what, decided in one place.

Services call these checks before touching anyone's data; chat handlers and
the CLI never decide access themselves. The rules follow least privilege:
an apprentice reads and changes only their own log; a manager sees only
summaries (never entry text) of apprentices linked to them; an admin manages
links and enrolments but does not read logs.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from bot.ui_text import ui
from storage.models import Person
from storage.people import is_linked


class Forbidden(Exception):
    """The actor may not do this; the message is safe to show them."""


@dataclass(frozen=True)
class Actor:
    id: int
    role: str = "apprentice"

    @classmethod
    def of(cls, person: Person) -> Actor:
        assert person.id is not None
        return cls(id=person.id, role=person.role)


def check_own_entries(actor: Actor, *, owner_id: int) -> None:
    """Entry text is private: only its author reads or changes it, whatever their role."""
    if actor.id != owner_id:
        raise Forbidden(ui("forbidden_own_reflections"))


def check_summary(session: Session, actor: Actor, *, apprentice_id: int) -> None:
    """Progress summaries: the apprentice themself, or a manager linked to them."""
    if actor.id == apprentice_id:
        return
    if actor.role == "manager" and is_linked(session, manager_id=actor.id,
                                             apprentice_id=apprentice_id):
        return
    raise Forbidden(ui("forbidden_not_linked"))


def check_team(actor: Actor) -> None:
    """Only managers have a team; it holds the apprentices linked to them and no one else."""
    if actor.role != "manager":
        raise Forbidden(ui("forbidden_no_team"))


def check_own_data(actor: Actor, *, person_id: int) -> None:
    """Export and erasure are rights of the data subject alone."""
    if actor.id != person_id:
        raise Forbidden(ui("forbidden_others_data"))


def check_manage_links(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden(ui("forbidden_link"))


def check_manage_enrolment(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden(ui("forbidden_enrolments"))


def check_manage_roles(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden(ui("forbidden_roles"))

"""People, their roles and the manager–apprentice links."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from storage.enrolments import default_enrolment
from storage.models import ROLES, ManagerLink, Person
from storage.unique_insert import insert_or_reread


def find_person(session: Session, *, platform: str, workspace_id: str,
                user_id: str) -> Person | None:
    return session.exec(
        select(Person).where(Person.platform == platform, Person.workspace_id == workspace_id,
                             Person.user_id == user_id)
    ).first()


def get_person(session: Session, *, person_id: int) -> Person | None:
    return session.get(Person, person_id)


def ensure_person(session: Session, *, platform: str, workspace_id: str, user_id: str,
                  display_name: str = "", timezone: str = "", standard_ref: str,
                  today: date) -> Person:
    """The person behind a platform identity; first contact makes an enrolled apprentice.

    Two replicas may see someone's first message at once: the unique identity
    key lets one insert win and the other re-read it. Profile text comes from the
    platform as the person typed it: it is cut to the columns' lengths and loses NUL
    bytes (PostgreSQL refuses both), so an odd name can never lock anyone out.
    """
    display_name = _storable(display_name, 200)
    timezone = _storable(timezone, 64)
    person = find_person(session, platform=platform, workspace_id=workspace_id, user_id=user_id) \
        or _grid_adoption(session, platform=platform, workspace_id=workspace_id, user_id=user_id)
    if person is None:
        def insert() -> Person:
            new = Person(platform=platform, workspace_id=workspace_id, user_id=user_id,
                         display_name=display_name, timezone=timezone)
            session.add(new)
            session.flush()
            assert new.id is not None
            session.add(default_enrolment(person_id=new.id, standard_ref=standard_ref, start=today))
            return new

        return insert_or_reread(session, insert=insert, reread=lambda: find_person(
            session, platform=platform, workspace_id=workspace_id, user_id=user_id))[0]
    if (display_name and display_name != person.display_name) or (
            timezone and timezone != person.timezone):
        person.display_name = display_name or person.display_name
        person.timezone = timezone or person.timezone
        session.add(person)
        session.flush()
    return person


def _grid_adoption(session: Session, *, platform: str, workspace_id: str, user_id: str) -> Person | None:
    """A Slack Enterprise Grid user (organisation id `E…`) first seen under the organisation, who was
    stored under a team id before: that row, filed under the organisation now, instead of a new person.

    Migration 0005_slack_grid_people merged everyone it could place; this catches those it could not
    (no row under the organisation yet, so it did not know the organisation's id).
    """
    if platform != "slack" or not workspace_id.startswith("E"):
        return None
    earlier = session.exec(select(Person).where(Person.platform == platform, Person.user_id == user_id,
                                                col(Person.workspace_id).not_like("E%"))
                           .order_by(col(Person.id))).first()
    if earlier is not None:
        earlier.workspace_id = workspace_id
        session.add(earlier)
        session.flush()
    return earlier


def set_role(session: Session, *, person_id: int, role: str) -> Person:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    person = session.get(Person, person_id)
    if person is None:
        raise LookupError(f"no person {person_id}")
    person.role = role
    session.add(person)
    session.flush()
    return person


def link(session: Session, *, manager_id: int, apprentice_id: int) -> ManagerLink:
    existing = _link(session, manager_id=manager_id, apprentice_id=apprentice_id)
    if existing is not None:
        return existing
    row = ManagerLink(manager_id=manager_id, apprentice_id=apprentice_id)
    session.add(row)
    session.flush()
    return row


def unlink(session: Session, *, manager_id: int, apprentice_id: int) -> bool:
    existing = _link(session, manager_id=manager_id, apprentice_id=apprentice_id)
    if existing is None:
        return False
    session.delete(existing)
    session.flush()
    return True


def is_linked(session: Session, *, manager_id: int, apprentice_id: int) -> bool:
    return _link(session, manager_id=manager_id, apprentice_id=apprentice_id) is not None


def apprentices_of(session: Session, *, manager_id: int) -> list[Person]:
    rows = session.exec(
        select(Person).join(ManagerLink, col(ManagerLink.apprentice_id) == col(Person.id))
        .where(ManagerLink.manager_id == manager_id).order_by(col(Person.id))
    )
    return list(rows)


def managers_of(session: Session, *, apprentice_id: int) -> list[Person]:
    rows = session.exec(
        select(Person).join(ManagerLink, col(ManagerLink.manager_id) == col(Person.id))
        .where(ManagerLink.apprentice_id == apprentice_id).order_by(col(Person.id))
    )
    return list(rows)


def _link(session: Session, *, manager_id: int, apprentice_id: int) -> ManagerLink | None:
    return session.exec(
        select(ManagerLink).where(ManagerLink.manager_id == manager_id,
                                  ManagerLink.apprentice_id == apprentice_id)
    ).first()


def _storable(text: str, limit: int) -> str:
    return text.replace("\x00", "")[:limit]

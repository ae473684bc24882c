"""Added standards: the text of each standard file added at run time, keyed by its reference."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.db import SessionFactory
from storage.models import AddedStandard, utcnow


def put_standard(session: Session, *, reference: str, format: str, source: str) -> None:
    """Add or replace a standard's text."""
    row = session.get(AddedStandard, reference.upper())
    if row is None:
        session.add(AddedStandard(reference=reference.upper(), format=format, source=source))
    else:
        row.format, row.source, row.added_at = format, source, utcnow()
        session.add(row)


def get_standard(session: Session, reference: str) -> AddedStandard | None:
    return session.get(AddedStandard, reference.upper())


def standard_references(session: Session) -> list[str]:
    return list(session.exec(select(AddedStandard.reference).order_by(col(AddedStandard.reference))))


class DatabaseStandards:
    """`knowledge.registry.AddedStandards` in the database."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._session = sessions

    def references(self) -> list[str]:
        with self._session() as session:
            return standard_references(session)

    def get(self, reference: str) -> tuple[str, str] | None:
        with self._session() as session:
            row = get_standard(session, reference)
            return (row.format, row.source) if row is not None else None

    def put(self, reference: str, format: str, source: str) -> None:
        with self._session() as session:
            put_standard(session, reference=reference, format=format, source=source)
            session.commit()

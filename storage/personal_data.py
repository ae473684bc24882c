"""Everything stored about one person, found from the schema itself.

Columns are discovered from foreign keys to `person.id` (plus the audit
trail's id columns), so a table added later is covered without editing a list.
The inbox names people by platform identity (it is written before the person
is looked up), so its rows are found by the person's platform, workspace and user id.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col

from storage.inbox_rows import of_person
from storage.models import AuditEvent, Entry, EntryTag, Person

AUDIT_PERSON_COLUMNS = ("actor_id", "subject_id", "related_id")
ERASED_ACTION = "person.erased"


def person_columns() -> dict[str, list[sa.Column[Any]]]:
    """Every column, per table, that holds a person id."""
    found: dict[str, list[sa.Column[Any]]] = {}
    audit = AuditEvent.__table__  # type: ignore[attr-defined]
    for table in SQLModel.metadata.sorted_tables:
        columns = [c for c in table.columns
                   if any(fk.column.table.name == "person" for fk in c.foreign_keys)]
        if table is audit:
            columns = [audit.c[name] for name in AUDIT_PERSON_COLUMNS]
        if table.name == "person":
            columns = [table.c.id]
        if columns:
            found[table.name] = columns
    return found


def _owned(table_name: str, person_id: int) -> sa.ColumnElement[bool]:
    return sa.or_(*(c == person_id for c in person_columns()[table_name]))


def _tag_filter(person_id: int) -> sa.ColumnElement[bool]:
    entry_ids = sa.select(col(Entry.id)).where(col(Entry.person_id) == person_id)
    return col(EntryTag.entry_id).in_(entry_ids)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def collect(session: Session, *, person_id: int) -> dict[str, list[dict[str, Any]]]:
    """All of a person's rows, per table, as JSON-ready dicts."""
    tables = SQLModel.metadata.tables
    queries: dict[str, sa.ColumnElement[bool]] = {
        name: _owned(name, person_id) for name in person_columns()}
    queries["entry_tag"] = _tag_filter(person_id)
    person = session.get(Person, person_id)
    if person is not None:
        queries["inbox"] = of_person(person)
    result: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(queries):
        table = tables[name]
        rows = session.execute(sa.select(table).where(queries[name]).order_by(*table.primary_key))
        result[name] = [{k: _jsonable(v) for k, v in row._mapping.items()} for row in rows]
    return result


def erase(session: Session, *, person_id: int) -> dict[str, int]:
    """Delete every row of theirs, children first; returns how many rows went from each table."""
    counts: dict[str, int] = {}
    tables = SQLModel.metadata.tables
    counts["entry_tag"] = _delete(session, tables["entry_tag"], _tag_filter(person_id))
    person = session.get(Person, person_id)
    if person is not None:
        counts["inbox"] = _delete(session, tables["inbox"], of_person(person))
    for table in reversed(SQLModel.metadata.sorted_tables):
        if table.name in person_columns() and table.name != "person":
            counts[table.name] = _delete(session, table, _owned(table.name, person_id))
    counts["person"] = _delete(session, Person.__table__,  # type: ignore[attr-defined]
                               _owned("person", person_id))
    return counts


def _delete(session: Session, table: sa.Table, where: sa.ColumnElement[bool]) -> int:
    result = session.execute(sa.delete(table).where(where))
    return int(getattr(result, "rowcount", 0) or 0)

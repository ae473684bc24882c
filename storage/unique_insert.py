"""Insert a row that a unique key guards, when another replica may insert the same one at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

T = TypeVar("T")


def insert_or_reread(session: Session, *, insert: Callable[[], T], reread: Callable[[], T | None]) -> tuple[T, bool]:
    """`insert()`'s row, written in a savepoint; if the unique key says another replica won, `reread()`'s row.

    The flag says whether this call inserted. A conflict that leaves nothing to
    re-read (some other constraint failed) is raised as it was.
    """
    try:
        with session.begin_nested():
            row = insert()
            session.flush()
        return row, True
    except IntegrityError:
        found = reread()
        if found is None:
            raise
        return found, False

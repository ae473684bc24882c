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


EVENT_KEY_LENGTH = 200


def once_per_event(session: Session, event_key: str, *, insert: Callable[[str | None], T],
                   find: Callable[[str], T | None]) -> tuple[T, bool]:
    """The row one chat event writes, and True; or, when that event wrote it already (replayed from the
    inbox, or taken by two replicas at once), the row it wrote, and False.

    `insert(key)` writes the row carrying the (truncated) key; `find(key)` looks for it. Without an
    event key (the CLI, a scheduler) every call inserts, with the key None.
    """
    key = event_key[:EVENT_KEY_LENGTH]
    if not key:
        return insert(None), True
    found = find(key)
    if found is not None:
        return found, False
    return insert_or_reread(session, insert=lambda: insert(key), reread=lambda: find(key))

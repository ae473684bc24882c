"""Cluster-wide mutual exclusion in PostgreSQL: one replica at a time does a named job (an index build).

A session advisory lock, held on a connection of its own for as long as the
job runs and released when the job ends or the connection drops (a crashed
builder never leaves it held). Waiters block in `pg_advisory_lock` and say so
once in the log.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from storage.db import make_engine

log = logging.getLogger(__name__)
_NAMESPACE = 0x6B736269  # "ksbi": the first key of every lock taken here


def lock_key(name: str) -> int:
    """A stable signed 32-bit key for `name` (the second key of the two-key advisory lock)."""
    return zlib.crc32(name.encode("utf-8")) - (1 << 31)


@contextmanager
def advisory_lock(url: str, name: str) -> Iterator[None]:
    """Hold PostgreSQL's session advisory lock for `name` while the block runs (waiting for it if held)."""
    engine = make_engine(url, pool_size=1)  # one connection, only while a build runs
    key = {"space": _NAMESPACE, "key": lock_key(name)}
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SET statement_timeout = 0"))  # waiting out a build is no runaway query
            got = connection.execute(sa.text("SELECT pg_try_advisory_lock(:space, :key)"), key).scalar()
            if not got:
                log.info("another replica holds the %s lock; waiting for it", name)
                connection.execute(sa.text("SELECT pg_advisory_lock(:space, :key)"), key)
            connection.commit()
            try:
                yield
            finally:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:space, :key)"), key)
                connection.commit()
    finally:
        engine.dispose()

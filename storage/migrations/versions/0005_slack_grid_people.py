"""Enterprise Grid people stored under a team id become one person under their organisation's id.

Before `team_of` named the organisation, a Grid user was stored under whichever team id a
payload carried (the channel's workspace for events, the home team for clicks), sometimes
twice; since then they are looked up under the organisation (`E…`) and so appeared as a
new person with no history. Per Slack user id, this keeps the oldest row (the one with
the history), moves every row that names the others onto it (any table with a foreign key
to `person.id`, and the audit trail's person columns), drops what would then be a
duplicate (a second enrolment, prompt setting, manager link…), and files the kept row
under the organisation. A user with no `E…` row yet is filed under the organisation when
the database holds exactly one (a deployment installed on one Grid org); with none, they
are adopted at their next message (`storage.people.ensure_person`).

The tables are reflected here, not imported, so later model changes cannot alter what
this migration does. Merged rows cannot be told apart again: there is no downgrade.

Revision ID: 0005_slack_grid_people
Revises: 0003_agent_turns, 0003_sends_budget, 0004_sends_review_recipients, idx_added_standard
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

revision: str = "0005_slack_grid_people"
down_revision: str | Sequence[str] | None = ("0003_agent_turns", "0003_sends_budget",
                                             "0004_sends_review_recipients", "idx_added_standard")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDIT_PERSON_COLUMNS = ("actor_id", "subject_id", "related_id")  # plain ids (no foreign key) in audit_event


def is_grid(workspace_id: str) -> bool:
    """Slack organisation ids start with E, workspace (team) ids with T."""
    return workspace_id.startswith("E")


def upgrade() -> None:
    bind = op.get_bind()
    meta = sa.MetaData()
    meta.reflect(bind)
    person = meta.tables["person"]
    rows = bind.execute(sa.select(person).where(person.c.platform == "slack").order_by(person.c.id)).all()
    orgs = {r.workspace_id for r in rows if is_grid(r.workspace_id)}
    by_user: dict[str, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        by_user[row.user_id].append(row)
    for found in by_user.values():
        grid = [r for r in found if is_grid(r.workspace_id)]
        legacy = [r for r in found if not is_grid(r.workspace_id)]
        if not legacy or len({r.workspace_id for r in grid}) > 1:
            continue
        org = grid[0].workspace_id if grid else (next(iter(orgs)) if len(orgs) == 1 else None)
        if org is None:
            continue
        keep, others = legacy[0], legacy[1:] + grid
        for other in others:
            merge(bind, meta, keep=keep.id, gone=other.id)
        newest = found[-1]
        roles = [r.role for r in found if r.role != "apprentice"]
        bind.execute(person.update().where(person.c.id == keep.id).values(
            workspace_id=org, display_name=newest.display_name or keep.display_name,
            timezone=newest.timezone or keep.timezone, role=keep.role if keep.role != "apprentice" or not roles
            else roles[-1]))


def person_columns(meta: sa.MetaData) -> list[sa.Column[Any]]:
    found: list[sa.Column[Any]] = []
    for table in meta.sorted_tables:
        if table.name == "audit_event":
            found += [table.c[name] for name in AUDIT_PERSON_COLUMNS if name in table.c]
        elif table.name != "person":
            found += [c for c in table.columns if any(fk.column.table.name == "person" for fk in c.foreign_keys)]
    return found


def merge(bind: Connection, meta: sa.MetaData, *, keep: int, gone: int) -> None:
    """Every row naming `gone` names `keep` instead, unless `keep` already has its twin: then it goes."""
    for column in person_columns(meta):
        table = column.table
        try:
            with bind.begin_nested():
                bind.execute(table.update().where(column == gone).values({column.name: keep}))
            continue
        except IntegrityError:
            pass
        key = list(table.primary_key.columns)
        for row in bind.execute(sa.select(*key).where(column == gone)).all():
            this = sa.and_(*(c == v for c, v in zip(key, row, strict=True)))
            try:
                with bind.begin_nested():
                    bind.execute(table.update().where(this).values({column.name: keep}))
            except IntegrityError:
                bind.execute(table.delete().where(this))
    manager_link = meta.tables.get("manager_link")
    if manager_link is not None:  # merging a manager with their own apprentice row would link them to themselves
        bind.execute(manager_link.delete().where(manager_link.c.manager_id == keep,
                                                 manager_link.c.apprentice_id == keep))
    person = meta.tables["person"]
    bind.execute(person.delete().where(person.c.id == gone))


def downgrade() -> None:
    """Merged people cannot be split again."""

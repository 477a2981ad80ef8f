"""The registry in the store: organisations, their teams, and collaborations with their members.

The registry files are read and checked by ``registry``; this module writes what they hold
(adding new rows, updating changed ones) and reads it back as frames.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from dwp_assess.data.schema import (
    collaboration,
    collaboration_member,
    organisation,
    read_frame,
    team,
    upsert,
)


def upsert_organisations(engine: Engine, rows: Sequence[dict]) -> int:
    """Add or update organisations (id, name, kind, cbs_code, size_class, urbanisation,
    invited, province)."""
    with engine.begin() as conn:
        return upsert(conn, organisation, rows)


def upsert_teams(engine: Engine, rows: Sequence[dict]) -> int:
    """Add or update teams (id, organisation_id, name, invited)."""
    with engine.begin() as conn:
        return upsert(conn, team, rows)


def upsert_collaborations(engine: Engine, rows: Sequence[dict]) -> int:
    """Add or update collaborations (id, title, issue, lead_organisation_id, members: a list of
    organisation ids); a collaboration in ``rows`` gets exactly the members given (an updated
    registry file may add or drop a member). Returns the collaborations touched."""
    touched = 0
    with engine.begin() as conn:
        for row in rows:
            head = {k: v for k, v in row.items() if k != "members"}
            where = collaboration_member.c.collaboration_id == row["id"]
            before = set(
                conn.execute(select(collaboration_member.c.organisation_id).where(where)).scalars()
            )
            changed = upsert(conn, collaboration, [head])
            if before != set(row["members"]):
                conn.execute(collaboration_member.delete().where(where))
                conn.execute(
                    insert(collaboration_member),
                    [{"collaboration_id": row["id"], "organisation_id": m} for m in row["members"]],
                )
                changed = 1
            touched += changed
    return touched


def collaborations(engine: Engine) -> pd.DataFrame:
    """The registered collaborations: id, title, issue, lead_organisation_id."""
    return read_frame(engine, select(collaboration).order_by(collaboration.c.id))


def collaboration_members(engine: Engine) -> pd.DataFrame:
    """Every collaboration's members: collaboration_id, organisation_id."""
    query = select(collaboration_member).order_by(
        collaboration_member.c.collaboration_id, collaboration_member.c.organisation_id
    )
    return read_frame(engine, query)


def organisations(engine: Engine) -> pd.DataFrame:
    return read_frame(engine, select(organisation).order_by(organisation.c.id))


def teams(engine: Engine) -> pd.DataFrame:
    return read_frame(engine, select(team).order_by(team.c.id))

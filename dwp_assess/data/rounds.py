"""Rounds in the store: created pinned to an instrument version, listed, closed and reopened,
and the registry values each round records of the organisations that take part in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from dwp_assess import ids
from dwp_assess.data.schema import (
    StoreError,
    organisation,
    read_frame,
    round_,
    round_organisation,
    row_problems,
    team,
    upsert,
)
from dwp_assess.instruments.kinds import KINDS
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.model import Instrument


@dataclass(frozen=True)
class RoundInfo:
    id: str
    instrument_id: str
    instrument_version: int
    instrument_hash: str
    period: str
    opened_at: datetime
    closed_at: datetime | None = None
    synthetic: bool = False


def default_round_id(instrument: Instrument, period: str) -> str:
    """``<instrument>-<period>`` in id form (``ids.normalise``): period ``2026-najaar-ZH``
    gives ``data-strategy-2026-najaar-zh``; an id that is still not valid (too long) is
    refused with the advice to pass one."""
    round_id = ids.normalise(f"{instrument.id}-{period}")
    reason = ids.problem(round_id)
    if reason:
        raise ids.IdError(
            f"the round id made from instrument and period, '{round_id}', {reason}; "
            f"pass a round id with --id ({ids.RULE})"
        )
    return round_id


def create_round(
    engine: Engine, instrument: Instrument, period: str, round_id: str | None = None
) -> RoundInfo:
    """Create a round pinned to ``instrument``'s version and content hash (idempotent).

    ``round_id`` must be a valid id (``ids``); without one it is ``default_round_id``. Values
    that do not fit the store's columns are refused before anything is written.
    """
    round_id = (
        ids.check(round_id, "round id")
        if round_id is not None
        else default_round_id(instrument, period)
    )
    problems = row_problems(round_, {"id": round_id, "period": period}, {"id": "round id"})
    if problems:
        raise StoreError(f"cannot create the round: {'; '.join(problems)}")
    existing = get_round(engine, round_id, missing_ok=True)
    if existing is not None:
        if existing.instrument_hash != instrument.content_hash:
            raise StoreError(
                f"round '{round_id}' uses {existing.instrument_id} v{existing.instrument_version} "
                f"(hash {existing.instrument_hash[:12]}), not {instrument.key} "
                f"(hash {instrument.content_hash[:12]})"
            )
        return existing
    info = RoundInfo(
        id=round_id,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        instrument_hash=instrument.content_hash,
        period=period,
        opened_at=datetime.now(UTC),
    )
    with engine.begin() as conn:
        conn.execute(insert(round_).values(**info.__dict__))
    return info


def get_round(engine: Engine, round_id: str, missing_ok: bool = False) -> RoundInfo | None:
    with engine.connect() as conn:
        row = conn.execute(select(round_).where(round_.c.id == round_id)).mappings().first()
    if row is None:
        if missing_ok:
            return None
        known = ", ".join(r.id for r in list_rounds(engine)) or "none yet"
        raise StoreError(f"unknown round '{round_id}'; rounds in the store: {known}")
    return RoundInfo(**row)


def list_rounds(engine: Engine) -> list[RoundInfo]:
    with engine.connect() as conn:
        rows = conn.execute(select(round_).order_by(round_.c.period, round_.c.id)).mappings()
        return [RoundInfo(**r) for r in rows]


def mark_synthetic(engine: Engine, round_id: str) -> None:
    """Record that a round holds synthetic sample data; kept with the round, so that every
    report, index, bundle and export made from it says so, whatever command made it."""
    get_round(engine, round_id)
    with engine.begin() as conn:
        conn.execute(update(round_).where(round_.c.id == round_id).values(synthetic=True))


def close_round(engine: Engine, round_id: str) -> RoundInfo:
    """Close a round: the form and imports refuse it from now on (``check_open``). Closing a
    closed round keeps the time it was first closed."""
    get_round(engine, round_id)
    with engine.begin() as conn:
        conn.execute(
            update(round_)
            .where(round_.c.id == round_id, round_.c.closed_at.is_(None))
            .values(closed_at=datetime.now(UTC))
        )
    return get_round(engine, round_id)


def reopen_round(engine: Engine, round_id: str) -> RoundInfo:
    """Open a closed round again (late answers; a round closed by mistake)."""
    get_round(engine, round_id)
    with engine.begin() as conn:
        conn.execute(update(round_).where(round_.c.id == round_id).values(closed_at=None))
    return get_round(engine, round_id)


def check_open(info: RoundInfo, allow_closed: bool = False) -> None:
    """Refuse to change the data of a closed round (its reports may be out), unless the
    analyst says so (``--allow-closed``: late paper forms)."""
    if info.closed_at is not None and not allow_closed:
        raise StoreError(
            f"round '{info.id}' is closed (since {info.closed_at:%Y-%m-%d %H:%M}); its data is "
            f"not changed: reopen it with `dwp-assess round reopen {info.id}`, or pass "
            "--allow-closed to add late (paper) forms to the closed round"
        )


def registry_snapshot(conn: Connection, unit: str, organisation_ids: Iterable[str]) -> list[dict]:
    """What a round records of the registry organisations ``organisation_ids``: CBS
    code, size class and the number invited, for response rates. In a round of an
    organisation questionnaire that is the organisation's own ``invited``; in a round of a
    team questionnaire (``unit``, an instrument kind whose ``in_teams``) the sum over its
    teams' ``invited``, known only when every team of the organisation has one."""
    wanted = sorted(organisation_ids)
    orgs = conn.execute(
        select(
            organisation.c.id,
            organisation.c.cbs_code,
            organisation.c.size_class,
            organisation.c.invited,
        )
        .where(organisation.c.id.in_(wanted))
        .order_by(organisation.c.id)
    ).all()
    invited = {o.id: o.invited for o in orgs}
    if KINDS[unit].in_teams:
        per_team = conn.execute(
            select(
                team.c.organisation_id,
                func.sum(team.c.invited),
                func.count(team.c.invited),
                func.count(),
            )
            .where(team.c.organisation_id.in_(wanted))
            .group_by(team.c.organisation_id)
        ).all()
        sums = {org: int(total) for org, total, known, teams in per_team if known == teams}
        invited = {o.id: sums.get(o.id) for o in orgs}
    return [
        {
            "organisation_id": o.id,
            "cbs_code": o.cbs_code,
            "size_class": o.size_class,
            "invited": invited[o.id],
        }
        for o in orgs
    ]


def refresh_round_organisations(
    engine: Engine, round_id: str, unit: str, organisation_ids: Iterable[str]
) -> int:
    """Record the registry's current values (``registry_snapshot``) of ``organisation_ids``
    in a round, replacing what the round recorded of them (the registry updated after the
    round was created)."""
    with engine.begin() as conn:
        rows = registry_snapshot(conn, unit, organisation_ids)
        return upsert(conn, round_organisation, [{**r, "round_id": round_id} for r in rows])


def round_unit(round_info: RoundInfo) -> str:
    """The kind of the round's instrument (``kinds.KINDS``: organisation, team, ...)."""
    return get_instrument(round_info.instrument_id, round_info.instrument_version).kind


def ensure_round_organisations(
    conn: Connection,
    round_id: str,
    unit: str,
    organisation_ids: set[str],
    batch_id: int | None = None,
) -> None:
    """Snapshot the registry values (``registry_snapshot``: CBS code, size class, number
    invited) of organisations the first time they answer in a round: the organisations of a
    round are those that take part in it, and a round keeps the values of its own time
    (codes change on mergers, the number invited from round to round). ``batch_id``: the import
    batch whose answers these are, which ``undo_batch`` removes them with."""
    present = set(
        conn.execute(
            select(round_organisation.c.organisation_id).where(
                round_organisation.c.round_id == round_id
            )
        ).scalars()
    )
    missing = organisation_ids - present
    if missing:
        rows = registry_snapshot(conn, unit, missing)
        conn.execute(
            insert(round_organisation),
            [{**r, "round_id": round_id, "batch_id": batch_id} for r in rows],
        )


def load_round_organisations(engine: Engine, round_id: str) -> pd.DataFrame:
    """Organisations of a round with their registry data and the per-round snapshot."""
    query = (
        select(
            organisation.c.id.label("organisation_id"),
            organisation.c.name,
            organisation.c.kind,
            round_organisation.c.cbs_code,
            round_organisation.c.size_class,
            organisation.c.urbanisation,
            organisation.c.province,
            round_organisation.c.invited,
        )
        .join(organisation, organisation.c.id == round_organisation.c.organisation_id)
        .where(round_organisation.c.round_id == round_id)
        .order_by(organisation.c.id)
    )
    return read_frame(engine, query)

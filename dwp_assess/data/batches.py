"""Import batches: every import of a file is one, listed by ``status`` and undone whole.

A batch is a row of the store's ``import_log``: the file, its round, format and content hash,
and what the import did (rows read, stored, already present, quarantined). Everything an
import writes names its batch (responses, quarantined rows, the round's record of an
organisation's first answers), so ``undo_batch`` removes exactly what it added: its responses
with their answers, the respondents no other response names, its quarantined rows and the
quarantine CSV, and the organisations it brought into the round. The batch itself stays in
the log, marked undone, so that the store's history stays readable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import aliased

from dwp_assess.data import store
from dwp_assess.data.store import import_log, quarantine, respondent, response

CHUNK = 500  # ids per statement: far below every database's limit on parameters


@dataclass(frozen=True)
class Undone:
    """What ``undo_batch`` removed."""

    batch_id: int
    round_id: str
    source_file: str
    responses: int
    answers: int
    respondents: int
    quarantined: int
    organisations: int
    quarantine_csv: Path | None


def open_batch(
    conn: Connection,
    round_id: str,
    source_file: str,
    file_sha256: str,
    fmt: str,
    allowed_closed: bool = False,
) -> int:
    """Record a new batch (its counts still 0) inside the import's transaction; its id."""
    result = conn.execute(
        insert(import_log).values(
            round_id=round_id,
            source_file=store.fit(source_file, import_log.c.source_file),
            file_sha256=file_sha256,
            format=fmt,
            rows_read=0,
            stored=0,
            already_present=0,
            quarantined=0,
            imported_at=datetime.now(UTC),
            allowed_closed=allowed_closed,
        )
    )
    return int(result.inserted_primary_key[0])


def close_batch(
    conn: Connection, batch_id: int, counts: dict, quarantine_csv: Path | None = None
) -> None:
    """Record what the import did: ``counts`` holds rows_read, stored, already_present and
    quarantined."""
    csv = (
        None
        if quarantine_csv is None
        else store.fit(str(quarantine_csv), import_log.c.quarantine_csv)
    )
    conn.execute(
        update(import_log).where(import_log.c.id == batch_id).values(**counts, quarantine_csv=csv)
    )


def list_batches(engine: Engine, round_id: str | None = None) -> pd.DataFrame:
    """The batches (newest last): id, round_id, source_file, format, rows_read, stored,
    already_present, quarantined, imported_at, undone_at, allowed_closed."""
    columns = [
        import_log.c[name]
        for name in (
            "id",
            "round_id",
            "source_file",
            "format",
            "rows_read",
            "stored",
            "already_present",
            "quarantined",
            "imported_at",
            "undone_at",
            "allowed_closed",
        )
    ]
    query = select(*columns).order_by(import_log.c.id)
    if round_id is not None:
        query = query.where(import_log.c.round_id == round_id)
    return store.read_frame(engine, query)


def _batch(conn: Connection, batch_id: int):
    found = conn.execute(select(import_log).where(import_log.c.id == batch_id)).mappings().first()
    if found is None:
        last = conn.execute(select(func.max(import_log.c.id))).scalar()
        known = f"batches are numbered 1 to {last}" if last else "no import has been made yet"
        raise store.StoreError(
            f"unknown import batch {batch_id} ({known}; `dwp-assess status` lists them)"
        )
    if found["undone_at"] is not None:
        raise store.StoreError(
            f"import batch {batch_id} ({found['source_file']}) was undone on {found['undone_at']:%Y-%m-%d %H:%M}"
        )
    return found


def _chunks(values: Sequence) -> Iterable[list]:
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def undo_batch(engine: Engine, batch_id: int, allow_closed: bool = False) -> Undone:
    """Remove everything batch ``batch_id`` stored, in one transaction (see the module
    docstring); a closed round's batches only with ``allow_closed``."""
    with engine.connect() as conn:
        store.check_open(store.get_round(engine, _batch(conn, batch_id)["round_id"]), allow_closed)
    with engine.begin() as conn:
        batch = _batch(conn, batch_id)
        rows = conn.execute(
            select(response.c.response_id, response.c.respondent_id, respondent.c.organisation_id)
            .join(respondent, respondent.c.id == response.c.respondent_id)
            .where(response.c.batch_id == batch_id)
        ).all()
        keys = [r.response_id for r in rows]
        if batch["stored"] and not keys:
            raise store.StoreError(
                f"import batch {batch_id} ({batch['source_file']}) was imported before dwp-assess "
                "kept batches, beside other files of the same name in its round: its responses "
                "cannot be told apart from theirs, so it cannot be undone"
            )
        answers = 0
        for part in _chunks(keys):
            answers += conn.execute(
                delete(store.answer).where(store.answer.c.response_id.in_(part))
            ).rowcount
            conn.execute(delete(response).where(response.c.response_id.in_(part)))
        respondents = _remove_orphans(conn, {r.respondent_id for r in rows})
        organisations = _remove_organisations(conn, batch["round_id"], batch_id)
        quarantined = conn.execute(
            delete(quarantine).where(quarantine.c.batch_id == batch_id)
        ).rowcount
        conn.execute(
            update(import_log)
            .where(import_log.c.id == batch_id)
            .values(undone_at=datetime.now(UTC))
        )
        csv = _quarantine_csv_to_remove(conn, batch)
    if csv is not None:
        csv.unlink(missing_ok=True)
    return Undone(
        batch_id,
        batch["round_id"],
        batch["source_file"],
        len(keys),
        answers,
        respondents,
        quarantined,
        organisations,
        csv,
    )


def _remove_orphans(conn: Connection, respondent_ids: set[str]) -> int:
    """Delete those of ``respondent_ids`` that no response names any more; how many."""
    removed = 0
    for part in _chunks(sorted(respondent_ids)):
        named = set(
            conn.execute(
                select(response.c.respondent_id).where(response.c.respondent_id.in_(part))
            ).scalars()
        )
        orphans = [r for r in part if r not in named]
        if orphans:
            removed += conn.execute(delete(respondent).where(respondent.c.id.in_(orphans))).rowcount
    return removed


def _remove_organisations(conn: Connection, round_id: str, batch_id: int) -> int:
    """Remove the round's record of the organisations the batch brought into it that have no
    response left there (the rest stay, no longer tied to the batch); how many."""
    ro = store.round_organisation
    brought = set(
        conn.execute(
            select(ro.c.organisation_id).where(ro.c.round_id == round_id, ro.c.batch_id == batch_id)
        ).scalars()
    )
    answering = set(
        conn.execute(
            select(respondent.c.organisation_id)
            .join(response, response.c.respondent_id == respondent.c.id)
            .where(response.c.round_id == round_id)
            .distinct()
        ).scalars()
    )
    gone = sorted(brought - answering)
    for part in _chunks(gone):
        conn.execute(delete(ro).where(ro.c.round_id == round_id, ro.c.organisation_id.in_(part)))
    conn.execute(
        update(ro).where(ro.c.round_id == round_id, ro.c.batch_id == batch_id).values(batch_id=None)
    )
    return len(gone)


def _quarantine_csv_to_remove(conn: Connection, batch) -> Path | None:
    """The batch's quarantine CSV, unless a batch still in force wrote the same file (an
    import of the same file again rewrites its CSV)."""
    if not batch["quarantine_csv"]:
        return None
    shared = conn.execute(
        select(func.count()).where(
            import_log.c.quarantine_csv == batch["quarantine_csv"],
            import_log.c.undone_at.is_(None),
        )
    ).scalar()
    return None if shared else Path(batch["quarantine_csv"])


def same_ids_elsewhere(conn: Connection, batch_id: int) -> pd.DataFrame:
    """Responses the batch stored whose id in their source is also the id of another
    response of the same unit and round from another source (another form that
    numbers from 1, or a corrected copy of a file under another name), one row per pair:
    source_response_id, organisation_id, other_source, other_batch_id."""
    other, other_respondent = aliased(response), aliased(respondent)
    query = (
        select(
            response.c.source_response_id,
            respondent.c.organisation_id,
            other.c.source.label("other_source"),
            other.c.batch_id.label("other_batch_id"),
        )
        .join(respondent, respondent.c.id == response.c.respondent_id)
        .join(
            other,
            (other.c.round_id == response.c.round_id)
            & (other.c.source_response_id == response.c.source_response_id)
            & (other.c.source != response.c.source),
        )
        .join(
            other_respondent,
            (other_respondent.c.id == other.c.respondent_id)
            & (other_respondent.c.organisation_id == respondent.c.organisation_id)
            & other_respondent.c.team_id.is_not_distinct_from(respondent.c.team_id)
            & other_respondent.c.collaboration_id.is_not_distinct_from(
                respondent.c.collaboration_id
            ),
        )
        .where(response.c.batch_id == batch_id)
        .order_by(response.c.source_response_id)
    )
    return pd.DataFrame(
        conn.execute(query).all(),
        columns=["source_response_id", "organisation_id", "other_source", "other_batch_id"],
    )

"""Responses in the store: written in one transaction each (the form) or a file's at once (an
import), idempotent, with ids scoped to their round, unit and source; quarantined rows.

A response is idempotent on what identifies it (``holders``): writing the same response twice
changes nothing; writing different content under an existing id of the same source is
reported as a conflict, never silently overwritten.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Column, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from dwp_assess.data.rounds import ensure_round_organisations, get_round, round_unit
from dwp_assess.data.schema import (
    answer,
    max_length,
    quarantine,
    respondent,
    response,
    round_,
    round_organisation,
)


@dataclass(frozen=True)
class AnswerRecord:
    item_id: str
    value: float | None = None
    code: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class ResponseRecord:
    """One complete response, ready to be written in a single transaction."""

    response_id: str
    round_id: str
    respondent_id: str
    organisation_id: str
    team_id: str | None
    role: str | None
    source: str
    submitted_at: datetime
    answers: tuple[AnswerRecord, ...] = field(default_factory=tuple)
    collaboration_id: str | None = None  # rounds of a collaboration instrument

    def content_hash(self) -> str:
        """Hash of what the response says (not where it came from), to detect conflicts."""
        payload = {
            "round": self.round_id,
            "respondent": self.respondent_id,
            "organisation": self.organisation_id,
            "team": self.team_id,
            "role": self.role,
            "answers": sorted((a.item_id, a.value, a.code, a.text) for a in self.answers),
        }
        if self.collaboration_id is not None:  # absent otherwise: older responses keep their hash
            payload["collaboration"] = self.collaboration_id
        return hashlib.sha256(json.dumps(payload, default=str).encode()).hexdigest()


STORED, PRESENT, CONFLICT = "stored", "present", "conflict"


@dataclass(frozen=True)
class Holder:
    """A stored response with the same id in its source as a record, of the same round and
    unit (``holders``)."""

    response_id: str  # the store's key
    source: str
    batch_id: int | None
    content_hash: str


def holders(conn: Connection, rec: ResponseRecord, imported: bool = True) -> list[Holder]:
    """The stored responses that ``rec`` may be. An imported record: those of its round and unit
    (organisation, and team or collaboration where it has one) with the id its source gave it:
    survey tools number their responses from 1 in every form and every year, and rounds have a
    form per organisation or team, so the same id in another round or unit is another response. A record sent through the form (``imported`` False): the one stored
    under its id, which the form makes unique in the whole store (``form:<random>``), whatever
    a second send of it names."""
    columns = (
        response.c.response_id,
        response.c.source,
        response.c.batch_id,
        response.c.content_hash,
    )
    if not imported:
        query = select(*columns).where(response.c.response_id == rec.response_id)
        return [Holder(*row) for row in conn.execute(query)]
    query = (
        select(*columns)
        .join(respondent, respondent.c.id == response.c.respondent_id)
        .where(
            response.c.round_id == rec.round_id,
            response.c.source_response_id == rec.response_id,
            respondent.c.organisation_id == rec.organisation_id,
            respondent.c.team_id.is_not_distinct_from(rec.team_id),
            respondent.c.collaboration_id.is_not_distinct_from(rec.collaboration_id),
        )
        .order_by(response.c.response_id)
    )
    return [Holder(*row) for row in conn.execute(query)]


def unit_key(rec: ResponseRecord) -> tuple:
    """What identifies ``rec`` among a round's imported responses (``holders``)."""
    return rec.organisation_id, rec.team_id, rec.collaboration_id, rec.response_id


def holders_of_file(
    conn: Connection, round_id: str, records: Sequence[ResponseRecord]
) -> dict[tuple, list[Holder]]:
    """``holders`` of many imported records of one round at once (a file's), by ``unit_key``:
    one query per 500 ids instead of one per record."""
    ids_ = sorted({rec.response_id for rec in records})
    found: dict[tuple, list[Holder]] = {}
    for start in range(0, len(ids_), 500):
        query = (
            select(
                respondent.c.organisation_id,
                respondent.c.team_id,
                respondent.c.collaboration_id,
                response.c.source_response_id,
                response.c.response_id,
                response.c.source,
                response.c.batch_id,
                response.c.content_hash,
            )
            .join(respondent, respondent.c.id == response.c.respondent_id)
            .where(
                response.c.round_id == round_id,
                response.c.source_response_id.in_(ids_[start : start + 500]),
            )
            .order_by(response.c.response_id)
        )
        for row in conn.execute(query):
            found.setdefault(tuple(row[:4]), []).append(Holder(*row[4:]))
    return found


def outcome_of(rec: ResponseRecord, digest: str, found: list[Holder]) -> str | None:
    """What writing ``rec`` (content hash ``digest``) means beside the responses ``found``
    (``holders``): ``"present"`` when one says the same (a re-import, a renamed copy or a later
    export of the same form), ``"conflict"`` when one from the same source says something else
    (a changed file: the caller quarantines it), else None: a response of its own (the same id
    from another file of the organisation: another form that numbers from 1 too)."""
    if any(h.content_hash == digest for h in found):
        return PRESENT
    if any(h.source == rec.source for h in found):
        return CONFLICT
    return None


def write_response(
    conn: Connection,
    rec: ResponseRecord,
    batch_id: int | None = None,
    found: list[Holder] | None = None,
) -> str:
    """Write one response inside the caller's transaction, as part of import batch
    ``batch_id`` (None: sent through the form); ``found``: its ``holders`` when the caller
    looked them up already. ``write_responses`` for one record."""
    if found is None:
        found = holders(conn, rec, imported=batch_id is not None)
    return write_responses(conn, [rec], batch_id, {unit_key(rec): found})[0]


def write_responses(
    conn: Connection,
    records: Sequence[ResponseRecord],
    batch_id: int | None,
    found: dict[tuple, list[Holder]],
) -> list[str]:
    """Write ``records`` inside the caller's transaction, as part of import batch ``batch_id``
    (None: sent through the form), with a few statements for all of them (a file's responses:
    one insert of many rows per table instead of several statements per response);
    ``found``: their ``holders`` by ``unit_key`` (``holders_of_file``).

    Returns each record's outcome, in order: ``"stored"``, ``"present"`` or ``"conflict"``
    (``outcome_of`` beside its holders, which include the records before it; nothing changes
    for the last two), exactly as writing them one after another would. ``rec.response_id``
    is the id the source gave it; the store keeps that as ``source_response_id`` and stores
    the response under a key of its own (``_free_keys``), its respondent too
    (``_respondent_ids``)."""
    found = {key: list(held) for key, held in found.items()}
    outcomes, new, digests = [], [], []
    for rec in records:
        digest = rec.content_hash()
        held = found.setdefault(unit_key(rec), [])
        outcome = outcome_of(rec, digest, held)
        if outcome is None:
            new.append(rec)
            digests.append(digest)
            held.append(Holder(rec.response_id, rec.source, batch_id, digest))
        outcomes.append(outcome or STORED)
    if not new:
        return outcomes
    keys = _free_keys(
        conn, response.c.response_id, [(rec.response_id, _key_alternative(rec)) for rec in new]
    )
    people = _respondent_ids(conn, new, keys)
    conn.execute(
        insert(respondent),
        [
            {
                "id": person,
                "organisation_id": rec.organisation_id,
                "team_id": rec.team_id,
                "role": rec.role,
                "collaboration_id": rec.collaboration_id,
            }
            for rec, person in zip(new, people, strict=True)
        ],
    )
    conn.execute(
        insert(response),
        [
            {
                "response_id": key,
                "round_id": rec.round_id,
                "respondent_id": person,
                "source": rec.source,
                "submitted_at": rec.submitted_at,
                "content_hash": digest,
                "source_response_id": rec.response_id,
                "batch_id": batch_id,
            }
            for rec, key, person, digest in zip(new, keys, people, digests, strict=True)
        ],
    )
    answers = [
        (key, a.item_id, a.value, a.code, a.text)
        for rec, key in zip(new, keys, strict=True)
        for a in rec.answers
    ]
    if answers:
        _insert_answers(conn, answers)
    return outcomes


_ANSWER_ROW = ("response_id", "item_id", "value", "code", "text")


def _insert_answers(conn: Connection, rows: list[tuple]) -> None:
    """Answer rows (``_ANSWER_ROW``) in one statement, in the caller's transaction: PostgreSQL's
    ``COPY … FROM STDIN`` (psycopg; the answer table's columns need no conversion), else one
    insert of many rows."""
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            with cursor.copy(f"COPY answer ({', '.join(_ANSWER_ROW)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()
    else:
        conn.execute(insert(answer), [dict(zip(_ANSWER_ROW, row, strict=True)) for row in rows])


def _short_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def _key_alternative(rec: ResponseRecord) -> Callable[[int], str]:
    """The keys a new response takes when the source's id is held: that id with ``~`` and a
    tag of round, organisation and source (``r0001~3fa9c2d1``), then with a number, cut to fit
    the column."""
    tag = _short_hash(rec.round_id, rec.organisation_id, rec.source, rec.response_id)
    limit = max_length(response.c.response_id)
    return lambda n: f"{rec.response_id[: limit - 9 - len(str(n))]}~{tag[:8]}{n or ''}"


def _respondent_ids(
    conn: Connection, records: Sequence[ResponseRecord], keys: Sequence[str]
) -> list[str]:
    """The respondents of new responses: ``rec.respondent_id`` when it is new; else a
    pseudonym of its own for the response (by its key), so that a stored respondent (and the
    responses that name it) never changes: files derive respondents from response ids, which
    another organisation's file numbers alike."""

    def pseudonym(rec: ResponseRecord, key: str) -> Callable[[int], str]:
        return lambda n: "p-" + _short_hash(rec.respondent_id, key, str(n))

    wanted = [
        (rec.respondent_id, pseudonym(rec, key)) for rec, key in zip(records, keys, strict=True)
    ]
    return _free_keys(conn, respondent.c.id, wanted)


def _free_keys(
    conn: Connection, column: Column, wanted: Sequence[tuple[str, Callable[[int], str]]]
) -> list[str]:
    """For every (first, alternative) in order: ``first`` when neither ``column`` nor an
    earlier one of ``wanted`` holds it, else the first free of ``alternative(0)``,
    ``alternative(1)``, … The firsts and the first alternatives are looked up in the column
    together, 500 at a time (usually all there is to look up); the rare value beyond them on
    its own."""
    looked_up = {first for first, _ in wanted} | {alternative(0) for _, alternative in wanted}
    held = _held(conn, column, looked_up)
    chosen: list[str] = []
    taken: set[str] = set()
    for first, alternative in wanted:
        candidate, n = first, 0
        while (
            candidate in taken
            or candidate in held
            or (candidate not in looked_up and _held(conn, column, {candidate}))
        ):
            candidate, n = alternative(n), n + 1
        taken.add(candidate)
        chosen.append(candidate)
    return chosen


def _held(conn: Connection, column: Column, values: set[str]) -> set[str]:
    """Those of ``values`` that ``column`` holds."""
    ordered = sorted(values)
    held: set[str] = set()
    for start in range(0, len(ordered), 500):
        held.update(
            conn.execute(select(column).where(column.in_(ordered[start : start + 500]))).scalars()
        )
    return held


def _existing(conn: Connection, rec: ResponseRecord) -> str | None:
    """``"present"`` or ``"conflict"`` when the form's ``rec`` is stored already, else None."""
    return outcome_of(rec, rec.content_hash(), holders(conn, rec, imported=False))


def claim_round(conn: Connection, round_id: str) -> None:
    """Make the caller's transaction the round's only writer of responses until it ends.

    Whether a response is new, present or a conflict is decided from what the round already
    holds (``holders``), and a new one gets a free key; two writers that read before either
    wrote would both store the same response (a double submit from two connections, two
    imports at once). A no-op update of the round's row, as the transaction's first
    statement, takes the write lock before anything is read: SQLite's database lock (waited
    for with ``busy_timeout``; a deferred transaction that read first could not upgrade),
    PostgreSQL's row lock (the next statements see what the other writer committed)."""
    conn.execute(update(round_).where(round_.c.id == round_id).values(id=round_.c.id))


def store_response(engine: Engine, rec: ResponseRecord) -> str:
    """Write one response in its own transaction (used by the form).

    Safe against a concurrent insert of the same ``response_id`` (a double submit
    reaching two connections): the loser's unique-constraint error is turned into
    ``"present"`` (or ``"conflict"`` when the stored content differs).
    """
    try:
        with engine.begin() as conn:
            claim_round(conn, rec.round_id)
            outcome = write_response(conn, rec)
    except IntegrityError:
        with engine.connect() as conn:
            existing = _existing(conn, rec)
        if existing is None:
            raise
        return existing
    if outcome == STORED:
        _snapshot_organisation(engine, rec)
    return outcome


def load_response(engine: Engine, response_id: str) -> ResponseRecord | None:
    """One stored response with its answers, or None (the form shows it again after a reload)."""
    head = (
        select(
            response,
            respondent.c.organisation_id,
            respondent.c.team_id,
            respondent.c.role,
            respondent.c.collaboration_id,
        )
        .join(respondent, respondent.c.id == response.c.respondent_id)
        .where(response.c.response_id == response_id)
    )
    rows = select(answer.c.item_id, answer.c.value, answer.c.code, answer.c.text).where(
        answer.c.response_id == response_id
    )
    with engine.connect() as conn:
        found = conn.execute(head).mappings().first()
        answers = conn.execute(rows.order_by(answer.c.item_id)).all()
    if found is None:
        return None
    return ResponseRecord(
        response_id=found["response_id"],
        round_id=found["round_id"],
        respondent_id=found["respondent_id"],
        organisation_id=found["organisation_id"],
        team_id=found["team_id"],
        role=found["role"],
        collaboration_id=found["collaboration_id"],
        source=found["source"],
        submitted_at=found["submitted_at"],
        answers=tuple(
            AnswerRecord(a.item_id, None if a.value is None else float(a.value), a.code, a.text)
            for a in answers
        ),
    )


def _snapshot_organisation(engine: Engine, rec: ResponseRecord) -> None:
    """Snapshot the organisation's registry values for the round, as an import does; a
    concurrent writer may have done it first, which is fine. Once it is recorded nothing
    is done (finding the unit parses the instrument files: 0.1 s per sent form)."""
    recorded = select(round_organisation.c.organisation_id).where(
        round_organisation.c.round_id == rec.round_id,
        round_organisation.c.organisation_id == rec.organisation_id,
    )
    with engine.connect() as conn:
        if conn.execute(recorded).first() is not None:
            return
    unit = round_unit(get_round(engine, rec.round_id))
    try:
        with engine.begin() as conn:
            ensure_round_organisations(conn, rec.round_id, unit, {rec.organisation_id})
    except IntegrityError:
        pass


def record_quarantine(conn: Connection, rows: Sequence[dict]) -> None:
    """Keep rejected rows with their reason (round_id, source_file, file_sha256, row_number,
    reason, raw)."""
    if rows:
        now = datetime.now(UTC)
        conn.execute(insert(quarantine), [{**r, "recorded_at": now} for r in rows])


def quarantined_rows(conn: Connection, file_sha256: str, round_id: str) -> set[int]:
    """Row numbers of a file (by content hash) already in a round's quarantine, so that a
    re-import adds none."""
    rows = conn.execute(
        select(quarantine.c.row_number).where(
            quarantine.c.file_sha256 == file_sha256, quarantine.c.round_id == round_id
        )
    )
    return {r[0] for r in rows}

"""The store: SQLAlchemy 2 schema, connection and transactions.

Default database: a SQLite file ``data/dwp.sqlite`` in the project folder (WAL journal, foreign keys,
busy timeout) so the toolkit works with nothing installed. ``DWP_DATABASE_URL``
or ``--db URL`` selects another database; PostgreSQL (psycopg 3) is supported.

Answers are kept in long format (one row per response and item). A response is
written in one transaction and is idempotent on its ``response_id``: writing the
same response twice changes nothing; writing different content under an existing
id is reported as a conflict, never silently overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path, PurePath

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    false,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from dwp_assess import ids, project
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.model import Instrument

# 2: organisation.invited (the registry's number invited); 3: round.synthetic;
# 4: organisation.province; 5: plan, plan_action (improvement plans); 6: collaboration,
# collaboration_member, respondent.collaboration_id; 7: response ids scoped to their round,
# organisation and source (response.source_response_id) and every import a batch
# (response.batch_id, quarantine.batch_id, round_organisation.batch_id, import_log.undone_at and
# .quarantine_csv)
SCHEMA_VERSION = 7

metadata = MetaData()

schema_info = Table(
    "schema_info",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
)

organisation = Table(
    "organisation",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),  # gemeente / provincie / other
    Column("cbs_code", String(10)),  # current code; the code per round is in round_organisation
    Column("size_class", String(40)),
    Column("urbanisation", String(40)),
    Column("invited", Integer),  # the registry's number invited; rounds keep their own copy
    Column("province", String(40)),  # for municipalities: the province they lie in (typology)
)
# organisation columns of later schemas, added by ``migrate`` to an older store
ADDED_COLUMNS = {"invited": "INTEGER", "province": "VARCHAR(40)"}

team = Table(
    "team",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("organisation_id", String(64), ForeignKey("organisation.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("invited", Integer),
)

round_ = Table(
    "round",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("instrument_id", String(64), nullable=False),
    Column("instrument_version", Integer, nullable=False),
    Column("instrument_hash", String(64), nullable=False),
    Column("period", String(20), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    # synthetic sample data (set by ``demo``/``load_sample``): every output made from it says so
    Column("synthetic", Boolean, nullable=False, server_default=false()),
)

round_organisation = Table(
    "round_organisation",
    metadata,
    Column("round_id", String(100), ForeignKey("round.id"), primary_key=True),
    Column("organisation_id", String(64), ForeignKey("organisation.id"), primary_key=True),
    Column("cbs_code", String(10)),
    Column("size_class", String(40)),
    Column("invited", Integer),
    # the import batch that recorded it (the organisation's first answers in the round), so that
    # undoing that batch removes it again; None when the registry recorded it (``--round``)
    Column("batch_id", Integer),
)

# A data-sharing project of several organisations around one societal issue (registry:
# collaborations.csv); its members are the organisations that take part, one of them the lead.
collaboration = Table(
    "collaboration",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("issue", Text),  # the societal issue it addresses
    Column("lead_organisation_id", String(64), ForeignKey("organisation.id"), nullable=False),
)

collaboration_member = Table(
    "collaboration_member",
    metadata,
    Column("collaboration_id", String(64), ForeignKey("collaboration.id"), primary_key=True),
    Column("organisation_id", String(64), ForeignKey("organisation.id"), primary_key=True),
)

respondent = Table(
    "respondent",
    metadata,
    Column("id", String(100), primary_key=True),  # pseudonymous
    Column("organisation_id", String(64), ForeignKey("organisation.id"), nullable=False),
    Column("team_id", String(64), ForeignKey("team.id")),
    Column("role", String(40)),
    # the collaboration a representative answers in (rounds of a collaboration instrument)
    Column("collaboration_id", String(64), ForeignKey("collaboration.id")),
)
# respondent columns of later schemas, added by ``migrate`` to an older store
ADDED_RESPONDENT_COLUMNS = {"collaboration_id": "VARCHAR(64)"}

# A response's ``response_id`` is the store's key for it (unique in the whole store; exports and
# answers use it); ``source_response_id`` is the id its source gave it, which survey tools restart
# per form and per year: a response is identified by its round, its unit (organisation, team or
# collaboration) and that id (see ``holders``). The key is the source's id itself unless another response holds it already.
response = Table(
    "response",
    metadata,
    Column("response_id", String(100), primary_key=True),
    Column("round_id", String(100), ForeignKey("round.id"), nullable=False, index=True),
    Column("respondent_id", String(100), ForeignKey("respondent.id"), nullable=False),
    Column("source", String(200), nullable=False),  # "<format>:<file name>" or the form
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("source_response_id", String(100)),  # the id as the source numbered it
    Column("batch_id", Integer, ForeignKey("import_log.id")),  # None: sent through the form
    Index("ix_response_round_source_id", "round_id", "source_response_id"),
    Index("ix_response_batch", "batch_id"),
)

answer = Table(
    "answer",
    metadata,
    Column("response_id", String(100), ForeignKey("response.response_id"), primary_key=True),
    Column("item_id", String(64), primary_key=True),
    Column("value", Float),
    Column("code", String(20)),  # dont_know / not_applicable / None
    Column("text", Text),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_id", String(100), index=True),
    Column("source_file", String(500), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),  # JSON of the original cells
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("batch_id", Integer, index=True),  # the import batch that recorded it
)

# Every import of a file is a batch (its id is the batch id): ``status`` lists them and
# ``undo_batch`` removes everything one stored.
import_log = Table(
    "import_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_id", String(100), nullable=False),
    Column("source_file", String(500), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("format", String(40), nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("stored", Integer, nullable=False),
    Column("already_present", Integer, nullable=False),
    Column("quarantined", Integer, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("quarantine_csv", String(500)),  # the CSV of its quarantined rows, removed on undo
    Column("undone_at", DateTime(timezone=True)),
    Column(
        "allowed_closed", Boolean, nullable=False, server_default=false()
    ),  # into a closed round
)


# An organisation's improvement plan (verbeterplan) for a round's advice (data/plans.py): every
# import is a new version; nothing stored is changed afterwards.
plan = Table(
    "plan",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("organisation_id", String(64), ForeignKey("organisation.id"), nullable=False),
    Column("round_id", String(100), ForeignKey("round.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("source_file", String(500), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("organisation_id", "round_id", "version"),
)

plan_action = Table(
    "plan_action",
    metadata,
    Column("plan_id", Integer, ForeignKey("plan.id"), primary_key=True),
    Column("action_id", String(64), primary_key=True),
    Column("dimension_id", String(64), nullable=False),
    Column("action", Text, nullable=False),  # the action's text as proposed in the draft
    Column("indicator", Text, nullable=False),  # JSON list of the items that should move
    Column("adopted", Boolean, nullable=False),
    Column("owner_name", String(200)),
    Column("due_date", Date),
    Column("status", String(20), nullable=False),  # not_started / in_progress / done / stopped
    Column("note", Text),
)

plan_draft = Table(  # the actions a draft plan proposed: all that its import may name
    "plan_draft",
    metadata,
    Column("round_id", String(100), ForeignKey("round.id"), primary_key=True),
    Column("organisation_id", String(64), ForeignKey("organisation.id"), primary_key=True),
    Column("action_id", String(64), primary_key=True),
    Column("drafted_at", DateTime(timezone=True), nullable=False),
)


class StoreError(RuntimeError):
    """A problem with the database or with a request to it, worded for the user."""


# -- what fits: checked before writing, so every database gives the same outcome ------------

# Control characters but tab and line ends: PostgreSQL refuses NUL, readers cannot see the rest.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def max_length(column: Column) -> int | None:
    """The length limit of a text column as the schema declares it (None: unlimited).

    SQLite ignores these limits and PostgreSQL enforces them; checking values against
    them before writing gives the same outcome on both."""
    return getattr(column.type, "length", None)


def text_problem(label: str, value: str, column: Column) -> str | None:
    """Why ``value`` cannot be stored in ``column`` on every database alike, or None:
    longer than the column allows, or holding control characters (PostgreSQL refuses
    NUL bytes, which SQLite stores)."""
    limit = max_length(column)
    shown = value[:40] + ("…" if len(value) > 40 else "")
    if limit is not None and len(value) > limit:
        return f"{label} '{CONTROL.sub('?', shown)}' is {len(value)} characters long; at most {limit} fit"
    if CONTROL.search(value):
        return f"{label} '{CONTROL.sub('?', shown)}' contains control characters"
    return None


def row_problems(table: Table, row: dict, labels: dict[str, str] | None = None) -> list[str]:
    """``text_problem`` for every text value of ``row`` (column name → value) in ``table``."""
    labels = labels or {}
    problems = []
    for name, value in row.items():
        if isinstance(value, str) and isinstance(table.c[name].type, String):
            problem = text_problem(labels.get(name, name), value, table.c[name])
            if problem:
                problems.append(problem)
    return problems


def fit(value: str, column: Column) -> str:
    """Provenance text (a file name or path) shortened from the front to fit ``column``:
    the end, with the file's name, is the part worth keeping."""
    limit = max_length(column)
    value = CONTROL.sub("?", value)
    return value if limit is None or len(value) <= limit else "…" + value[-(limit - 1) :]


# -- connecting ----------------------------------------------------------------


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else the active project's store (``project.active()``:
    ``DWP_DATABASE_URL`` or ``dwp.toml``, by default ``data/dwp.sqlite`` in the project
    folder), else ``DWP_DATABASE_URL`` for a process started without a project."""
    settings = project.active()
    url = url or (settings.database_url if settings else os.environ.get("DWP_DATABASE_URL"))
    if not url:
        project.require_active()  # its error says how to give a project
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def data_dir() -> Path:
    """The active project's data folder (``DWP_DATA_DIR`` or ``dwp.toml``), else
    ``DWP_DATA_DIR`` for a process started without a project: working files that stay with
    the analyst (the form server's Jupyter folders, drafts, quarantine CSVs, analysis caches)."""
    settings = project.active()
    if settings is not None:
        return settings.data_dir
    configured = os.environ.get("DWP_DATA_DIR")
    return Path(configured) if configured else project.require_active().data_dir


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def connect(url: str | None = None) -> Engine:
    """Open the store at ``url`` and create or upgrade its schema."""
    url = database_url(url)
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        migrate(engine)
    except Exception as exc:  # noqa: BLE001 - turn driver errors into one clear line
        raise StoreError(f"cannot open database {engine.url!r}: {exc}") from exc
    return engine


# Columns of later schemas, added by ``migrate`` to an older store: table → column → SQL type.
ADDED = {
    "organisation": ADDED_COLUMNS,
    "respondent": ADDED_RESPONDENT_COLUMNS,
    "round": {"synthetic": "BOOLEAN NOT NULL DEFAULT FALSE"},
    "response": {"source_response_id": "VARCHAR(100)", "batch_id": "INTEGER REFERENCES import_log (id)"},  # fmt: skip
    "quarantine": {"batch_id": "INTEGER"},
    "round_organisation": {"batch_id": "INTEGER"},
    "import_log": {"quarantine_csv": "VARCHAR(500)", "undone_at": "TIMESTAMP",
                   "allowed_closed": "BOOLEAN NOT NULL DEFAULT FALSE"},
}  # fmt: skip
# PostgreSQL's name for a time with its zone (SQLite takes any type name)
_SQL_TYPES = {"postgresql": {"TIMESTAMP": "TIMESTAMP WITH TIME ZONE"}}


def migrate(engine: Engine) -> int:
    """Create missing tables, columns and indexes, bring the data of an older schema up to
    date (``_migrate_data``) and record the schema version; refuse a newer schema."""
    metadata.create_all(engine)
    with engine.begin() as conn:
        found = conn.execute(
            select(schema_info.c.value).where(schema_info.c.key == "schema_version")
        ).scalar()
        if found is not None and int(found) > SCHEMA_VERSION:
            raise StoreError(
                f"the database has schema version {found}, newer than this dwp-assess "
                f"({SCHEMA_VERSION}); upgrade dwp-assess"
            )
        types = _SQL_TYPES.get(engine.dialect.name, {})
        for table_name, columns in ADDED.items():
            present = {c["name"] for c in inspect(conn).get_columns(table_name)}
            for column, sql_type in columns.items():
                if column not in present:
                    sql_type = types.get(sql_type, sql_type)
                    conn.execute(text(f"ALTER TABLE {table_name} ADD COLUMN {column} {sql_type}"))
        for table in (response, quarantine):
            for index in table.indexes:
                index.create(conn, checkfirst=True)
        if found is None:
            conn.execute(
                insert(schema_info).values(key="schema_version", value=str(SCHEMA_VERSION))
            )
        elif int(found) < SCHEMA_VERSION:
            _migrate_data(conn, int(found))
            conn.execute(
                update(schema_info)
                .where(schema_info.c.key == "schema_version")
                .values(value=str(SCHEMA_VERSION))
            )
    return SCHEMA_VERSION


def _migrate_data(conn: Connection, found: int) -> None:
    """Fill what a store of schema ``found`` lacks. From before 7: every response's
    ``source_response_id`` (its key was the source's id), and the batch of every response and
    quarantined row, taken from the import log (the first import of a file into a round stored
    its responses under the source ``<format>:<file name>``), so that old imports can be undone;
    responses of files of the same name with other contents in one round stay without a batch
    (``batches.undo_batch`` says so for those batches)."""
    if found >= 7:
        return
    conn.execute(
        update(response)
        .where(response.c.source_response_id.is_(None))
        .values(source_response_id=response.c.response_id)
    )
    batches = conn.execute(select(import_log).order_by(import_log.c.id)).mappings().all()
    labels = {}  # (round, source label) → the contents imported under it
    for batch in batches:
        source = fit(f"{batch['format']}:{PurePath(batch['source_file']).name}", response.c.source)
        labels.setdefault((batch["round_id"], source), set()).add(batch["file_sha256"])
    for batch in batches:
        source = fit(f"{batch['format']}:{PurePath(batch['source_file']).name}", response.c.source)
        conn.execute(
            update(quarantine)
            .where(quarantine.c.batch_id.is_(None), quarantine.c.round_id == batch["round_id"],
                   quarantine.c.file_sha256 == batch["file_sha256"])
            .values(batch_id=batch["id"])
        )  # fmt: skip
        if len(labels[(batch["round_id"], source)]) > 1:
            continue  # files of one name with other contents: their responses cannot be told apart
        conn.execute(
            update(response)
            .where(response.c.batch_id.is_(None), response.c.round_id == batch["round_id"],
                   response.c.source == source)
            .values(batch_id=batch["id"])
        )  # fmt: skip


# -- registry: organisations and teams ------------------------------------------


def _upsert(conn: Connection, table: Table, rows: Iterable[dict]) -> int:
    """Insert new rows and update changed ones by primary key; return rows touched."""
    key = [c.name for c in table.primary_key.columns]
    touched = 0
    for row in rows:
        where = [table.c[k] == row[k] for k in key]
        existing = conn.execute(select(table).where(*where)).mappings().first()
        if existing is None:
            conn.execute(insert(table).values(**row))
            touched += 1
        elif any(existing[k] != v for k, v in row.items()):
            conn.execute(update(table).where(*where).values(**row))
            touched += 1
    return touched


def read_frame(engine: Engine, query) -> pd.DataFrame:
    """The rows of a query as a DataFrame, read in a connection of its own."""
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


def upsert_organisations(engine: Engine, rows: Sequence[dict]) -> int:
    """Add or update organisations (id, name, kind, cbs_code, size_class, urbanisation,
    invited, province)."""
    with engine.begin() as conn:
        return _upsert(conn, organisation, rows)


def upsert_teams(engine: Engine, rows: Sequence[dict]) -> int:
    """Add or update teams (id, organisation_id, name, invited)."""
    with engine.begin() as conn:
        return _upsert(conn, team, rows)


def upsert_collaborations(engine: Engine, rows: Sequence[dict]) -> int:
    """Add or update collaborations (id, title, issue, lead_organisation_id, members: a list of
    organisation ids); a collaboration in ``rows`` gets exactly the members given (an updated
    registry file may add or drop a member). Returns the collaborations touched."""
    touched = 0
    with engine.begin() as conn:
        for row in rows:
            head = {k: v for k, v in row.items() if k != "members"}
            where = collaboration_member.c.collaboration_id == row["id"]
            before = set(conn.execute(select(collaboration_member.c.organisation_id).where(where)).scalars())  # fmt: skip
            changed = _upsert(conn, collaboration, [head])
            if before != set(row["members"]):
                conn.execute(collaboration_member.delete().where(where))
                conn.execute(insert(collaboration_member), [{"collaboration_id": row["id"], "organisation_id": m} for m in row["members"]])  # fmt: skip
                changed = 1
            touched += changed
    return touched


def collaborations(engine: Engine) -> pd.DataFrame:
    """The registered collaborations: id, title, issue, lead_organisation_id."""
    return read_frame(engine, select(collaboration).order_by(collaboration.c.id))


def collaboration_members(engine: Engine) -> pd.DataFrame:
    """Every collaboration's members: collaboration_id, organisation_id."""
    query = select(collaboration_member).order_by(collaboration_member.c.collaboration_id, collaboration_member.c.organisation_id)  # fmt: skip
    return read_frame(engine, query)


def organisations(engine: Engine) -> pd.DataFrame:
    return read_frame(engine, select(organisation).order_by(organisation.c.id))


def teams(engine: Engine) -> pd.DataFrame:
    return read_frame(engine, select(team).order_by(team.c.id))


# -- rounds ----------------------------------------------------------------------


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
    round_id = ids.check(round_id, "round id") if round_id is not None else default_round_id(instrument, period)  # fmt: skip
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
    team questionnaire (``unit == "team"``) the sum over its teams' ``invited``, known only
    when every team of the organisation has one."""
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
    if unit == "team":
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
        {"organisation_id": o.id, "cbs_code": o.cbs_code, "size_class": o.size_class,
         "invited": invited[o.id]}
        for o in orgs
    ]  # fmt: skip


def refresh_round_organisations(
    engine: Engine, round_id: str, unit: str, organisation_ids: Iterable[str]
) -> int:
    """Record the registry's current values (``registry_snapshot``) of ``organisation_ids``
    in a round, replacing what the round recorded of them (the registry updated after the
    round was created)."""
    with engine.begin() as conn:
        rows = registry_snapshot(conn, unit, organisation_ids)
        return _upsert(conn, round_organisation, [{**r, "round_id": round_id} for r in rows])


def round_unit(round_info: RoundInfo) -> str:
    """``organisation`` or ``team``: the unit of the round's instrument."""
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
        conn.execute(insert(round_organisation), [{**r, "round_id": round_id, "batch_id": batch_id} for r in rows])  # fmt: skip


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


# -- responses ------------------------------------------------------------------


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
    columns = (response.c.response_id, response.c.source, response.c.batch_id, response.c.content_hash)  # fmt: skip
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


def holders_of_file(conn: Connection, round_id: str, records: Sequence[ResponseRecord]) -> dict[tuple, list[Holder]]:  # fmt: skip
    """``holders`` of many imported records of one round at once (a file's), by ``unit_key``:
    one query per 500 ids instead of one per record."""
    ids_ = sorted({rec.response_id for rec in records})
    found: dict[tuple, list[Holder]] = {}
    for start in range(0, len(ids_), 500):
        query = (
            select(respondent.c.organisation_id, respondent.c.team_id, respondent.c.collaboration_id,
                   response.c.source_response_id, response.c.response_id, response.c.source,
                   response.c.batch_id, response.c.content_hash)
            .join(respondent, respondent.c.id == response.c.respondent_id)
            .where(response.c.round_id == round_id, response.c.source_response_id.in_(ids_[start : start + 500]))
            .order_by(response.c.response_id)
        )  # fmt: skip
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
    looked them up already (``holders_of_file``).

    Returns ``"stored"``, ``"present"`` or ``"conflict"`` (``outcome_of`` beside the ``holders``;
    nothing changes for the last two). ``rec.response_id`` is the id the source gave it; the store keeps that as
    ``source_response_id`` and stores the response under a key of its own (``_free_key``).
    """
    digest = rec.content_hash()
    if found is None:
        found = holders(conn, rec, imported=batch_id is not None)
    if (outcome := outcome_of(rec, digest, found)) is not None:
        return outcome
    key = _free_key(conn, rec)
    respondent_id = _ensure_respondent(conn, rec, key)
    conn.execute(
        insert(response).values(
            response_id=key,
            round_id=rec.round_id,
            respondent_id=respondent_id,
            source=rec.source,
            submitted_at=rec.submitted_at,
            content_hash=digest,
            source_response_id=rec.response_id,
            batch_id=batch_id,
        )
    )
    if rec.answers:
        conn.execute(insert(answer), [{"response_id": key, **a.__dict__} for a in rec.answers])
    return STORED


def _short_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def _free_key(conn: Connection, rec: ResponseRecord) -> str:
    """The store's key for a new response: the source's id when no other response holds it
    (so keys read as before), else that id with ``~`` and a tag of round, organisation and
    source (``r0001~3fa9c2d1``), cut to fit the column."""
    tag = _short_hash(rec.round_id, rec.organisation_id, rec.source, rec.response_id)
    limit = max_length(response.c.response_id)
    return _unused(conn, response.c.response_id, rec.response_id,
                   lambda n: f"{rec.response_id[: limit - 9 - len(str(n))]}~{tag[:8]}{n or ''}")  # fmt: skip


def _unused(conn: Connection, column: Column, first: str, alternative) -> str:
    """``first`` when ``column`` holds no such value yet, else the first unused of
    ``alternative(0)``, ``alternative(1)``, …"""
    candidate, n = first, 0
    while conn.execute(select(column).where(column == candidate)).first() is not None:
        candidate, n = alternative(n), n + 1
    return candidate


def _existing(conn: Connection, rec: ResponseRecord) -> str | None:
    """``"present"`` or ``"conflict"`` when the form's ``rec`` is stored already, else None."""
    return outcome_of(rec, rec.content_hash(), holders(conn, rec, imported=False))


def _ensure_respondent(conn: Connection, rec: ResponseRecord, key: str) -> str:
    """The respondent of a new response: ``rec.respondent_id`` when it is new; else a
    pseudonym of its own for this response, so that a stored respondent (and the responses
    that name it) never changes: files derive respondents from response ids, which another
    organisation's file numbers alike."""
    row = {
        "id": rec.respondent_id,
        "organisation_id": rec.organisation_id,
        "team_id": rec.team_id,
        "role": rec.role,
        "collaboration_id": rec.collaboration_id,
    }
    row["id"] = _unused(conn, respondent.c.id, rec.respondent_id,
                        lambda n: "p-" + _short_hash(rec.respondent_id, key, str(n)))  # fmt: skip
    conn.execute(insert(respondent).values(**row))
    return row["id"]


def store_response(engine: Engine, rec: ResponseRecord) -> str:
    """Write one response in its own transaction (used by the form).

    Safe against a concurrent insert of the same ``response_id`` (a double submit
    reaching two connections): the loser's unique-constraint error is turned into
    ``"present"`` (or ``"conflict"`` when the stored content differs).
    """
    try:
        with engine.begin() as conn:
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


# -- reading ----------------------------------------------------------------------


ANSWER_COLUMNS = ["response_id", "respondent_id", "organisation_id", "team_id", "role", "submitted_at",
                  "item_id", "value", "code", "text"]  # fmt: skip
RESPONSE_FIELDS = ["respondent_id", "organisation_id", "team_id", "role", "submitted_at"]


# The answer table's columns as loaded, with the Arrow type each is read into.
ANSWER_TYPES = {"response_id": pa.string(), "item_id": pa.string(), "value": pa.float64(),
                "code": pa.string(), "text": pa.string()}  # fmt: skip


def _answers_sql(engine: Engine, round_id: str) -> str:
    """The SQL text of a round's answers (no join, in the order of the answer table's key).

    Literals are rendered by SQLAlchemy's own quoting: the text also goes into a ``COPY``
    statement, which takes no parameters."""
    rounds_responses = select(response.c.response_id).where(response.c.round_id == round_id)
    query = (
        select(*(answer.c[name] for name in ANSWER_TYPES))
        .where(answer.c.response_id.in_(rounds_responses))
        .order_by(answer.c.response_id, answer.c.item_id)
    )
    return str(query.compile(engine, compile_kwargs={"literal_binds": True}))


def _fetched_columns(engine: Engine, sql: str, batch: int = 50_000) -> dict[str, pa.Array]:
    """The rows of ``sql`` from the driver's own cursor, as one typed Arrow array per column.

    The driver builds a Python object per cell whatever one does; what is avoided is
    everything after it (SQLAlchemy's row objects, pandas inferring a type per cell). Rows
    are taken ``batch`` at a time, so that they never all exist as Python objects at once."""
    parts: dict[str, list[pa.Array]] = {name: [] for name in ANSWER_TYPES}
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(sql)
            while rows := cursor.fetchmany(batch):
                for n, (name, kind) in enumerate(ANSWER_TYPES.items()):
                    parts[name].append(pa.array(list(map(itemgetter(n), rows)), type=kind))
        finally:
            cursor.close()
    return {name: pa.concat_arrays(arrays) if arrays else pa.array([], type=ANSWER_TYPES[name])
            for name, arrays in parts.items()}  # fmt: skip


def _copied_columns(engine: Engine, sql: str) -> dict[str, pa.Array]:
    """The rows of ``sql`` from PostgreSQL's ``COPY … TO STDOUT`` in CSV, parsed by Arrow.

    CSV keeps a missing value (an unquoted empty field) apart from an empty text (``""``),
    and with ``extra_float_digits`` above 0 PostgreSQL writes floats in a form that reads
    back exactly (whatever the server's setting), so nothing changes on the way."""
    data = bytearray()
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        cursor.execute("SET LOCAL extra_float_digits = 3")  # this transaction only
        with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, ENCODING 'UTF8')") as copy:
            for block in copy:
                data += block
    if not data:
        return {name: pa.array([], type=kind) for name, kind in ANSWER_TYPES.items()}
    table = pa_csv.read_csv(
        pa.py_buffer(data),
        read_options=pa_csv.ReadOptions(column_names=list(ANSWER_TYPES)),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types=ANSWER_TYPES,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    return {name: table.column(name).combine_chunks() for name in ANSWER_TYPES}


def _text_column(values: pd.Series) -> pd.Series:
    """A text column as pandas infers it from the rows of a query: ``str`` (missing: NaN),
    or ``object`` holding ``None`` when no row has a text."""
    if values.isna().all():
        return pd.Series([None] * len(values), dtype=object)
    return values.astype("str")


def load_answers(engine: Engine, round_id: str) -> pd.DataFrame:
    """All answers of a round in long format, joined with respondent and organisation.

    Columns: response_id, respondent_id, organisation_id, team_id, role, submitted_at,
    item_id, value, code, text; sorted by response and item. This is what every analysis
    starts from, and it is exactly the frame ``pandas.read_sql`` of the join gives (same
    dtypes, ``None``/``NaN``, order; tests/test_loading_fast.py), read column-wise: the
    answers without a join (PostgreSQL: ``COPY`` to CSV parsed by Arrow; other databases:
    the driver's cursor into Arrow arrays), the response's fields put beside them by
    position. The answers are read before the responses, so every answer finds its response.
    """
    sql = _answers_sql(engine, round_id)
    copying = engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"
    columns = (_copied_columns if copying else _fetched_columns)(engine, sql)
    responses = load_responses(engine, round_id)
    if not len(columns["response_id"]):
        return pd.DataFrame(columns=ANSWER_COLUMNS).astype({"value": "float64"})
    frame = {name: pd.Series(columns[name], dtype="str") for name in ("response_id", "item_id")}
    at = pd.Index(responses["response_id"]).get_indexer(frame["response_id"])
    for name in RESPONSE_FIELDS:
        taken = responses[name].take(at).reset_index(drop=True)
        frame[name] = _text_column(taken) if name in ("team_id", "role") else taken
    frame["value"] = pd.Series(columns["value"].to_numpy(zero_copy_only=False), dtype="float64")
    for name in ("code", "text"):
        frame[name] = _text_column(pd.Series(columns[name], dtype="str"))
    return pd.DataFrame(frame, columns=ANSWER_COLUMNS)


def load_responses(engine: Engine, round_id: str) -> pd.DataFrame:
    """One row per response of a round with respondent, organisation, team and (rounds of a
    collaboration instrument) collaboration."""
    query = (
        select(
            response.c.response_id,
            response.c.respondent_id,
            respondent.c.organisation_id,
            respondent.c.team_id,
            respondent.c.role,
            response.c.source,
            response.c.submitted_at,
            respondent.c.collaboration_id,
        )
        .join(respondent, respondent.c.id == response.c.respondent_id)
        .where(response.c.round_id == round_id)
        .order_by(response.c.response_id)
    )
    return read_frame(engine, query)


def load_quarantine(engine: Engine, round_id: str | None = None) -> pd.DataFrame:
    query = select(quarantine).order_by(quarantine.c.id)
    if round_id is not None:
        query = query.where(quarantine.c.round_id == round_id)
    return read_frame(engine, query)


def response_counts(engine: Engine) -> pd.DataFrame:
    """Responses per round and organisation (for ``dwp-assess status``)."""
    query = (
        select(
            response.c.round_id,
            respondent.c.organisation_id,
            func.count(response.c.response_id).label("responses"),
        )
        .join(respondent, respondent.c.id == response.c.respondent_id)
        .group_by(response.c.round_id, respondent.c.organisation_id)
        .order_by(response.c.round_id, respondent.c.organisation_id)
    )
    return read_frame(engine, query)


def response_counts_by_team(
    engine: Engine, round_id: str, organisation_id: str | None = None
) -> pd.DataFrame:
    """Responses per organisation and team of a round: counts only, never answers.

    Columns: organisation_id, team_id (None for responses without a team), responses.
    The facilitator's live count during a team session reads this.
    """
    query = (
        select(
            respondent.c.organisation_id,
            respondent.c.team_id,
            func.count(response.c.response_id).label("responses"),
        )
        .join(respondent, respondent.c.id == response.c.respondent_id)
        .where(response.c.round_id == round_id)
        .group_by(respondent.c.organisation_id, respondent.c.team_id)
        .order_by(respondent.c.organisation_id, respondent.c.team_id)
    )
    if organisation_id is not None:
        query = query.where(respondent.c.organisation_id == organisation_id)
    return read_frame(engine, query)


def snapshot_hash(engine: Engine, round_id: str) -> str:
    """A hash of everything stored for a round; reports cite it and caching keys on it."""
    with engine.connect() as conn:
        digests = conn.execute(
            select(response.c.response_id, response.c.content_hash)
            .where(response.c.round_id == round_id)
            .order_by(response.c.response_id)
        ).all()
        orgs = conn.execute(
            select(round_organisation)
            .where(round_organisation.c.round_id == round_id)
            .order_by(round_organisation.c.organisation_id)
        ).all()
        collaborations = _round_collaborations(conn, round_id)
        registry = _round_registry(conn, round_id)
    h = hashlib.sha256()
    for row in [*digests, *orgs, *collaborations, *registry]:
        h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def _round_registry(conn: Connection, round_id: str) -> list:
    """The registry rows of a round's organisations and their teams that its reports and
    analysis read (names, kind, urbanisation and province; the round keeps its own copy of the
    rest), so that renaming one in the registry makes its reports again."""
    taking_part = select(round_organisation.c.organisation_id).where(round_organisation.c.round_id == round_id)  # fmt: skip
    columns = [organisation.c[name] for name in ("id", "name", "kind", "urbanisation", "province")]
    orgs = conn.execute(select(*columns).where(organisation.c.id.in_(taking_part)).order_by(organisation.c.id)).all()  # fmt: skip
    teams = conn.execute(select(team).where(team.c.organisation_id.in_(taking_part)).order_by(team.c.id)).all()  # fmt: skip
    return [*orgs, *teams]


def _round_collaborations(conn: Connection, round_id: str) -> list:
    """The registry rows of the collaborations a round's respondents answer in, with their
    members (their plans depend on them); none for rounds of other instruments, whose hash
    is therefore what it was before collaborations existed."""
    answered = (
        select(respondent.c.collaboration_id)
        .join(response, response.c.respondent_id == respondent.c.id)
        .where(response.c.round_id == round_id, respondent.c.collaboration_id.is_not(None))
    )
    heads = conn.execute(select(collaboration).where(collaboration.c.id.in_(answered)).order_by(collaboration.c.id)).all()  # fmt: skip
    members = conn.execute(
        select(collaboration_member)
        .where(collaboration_member.c.collaboration_id.in_(answered))
        .order_by(collaboration_member.c.collaboration_id, collaboration_member.c.organisation_id)
    ).all()
    return [*heads, *members]

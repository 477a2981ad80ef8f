"""The store's schema: its tables, their migrations, and what fits in their columns.

Every table of the store is declared here (``metadata``); ``migrate`` creates what is missing
and brings an older store up to ``SCHEMA_VERSION``. Text is checked against the columns'
declared lengths before it is written (``text_problem``, ``row_problems``, ``fit``), so that
SQLite, which ignores the lengths, and PostgreSQL, which enforces them, give the same outcome.
``upsert`` and ``read_frame`` are the two statements every part of the store uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePath

import pandas as pd
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
    false,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Engine

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


# An organisation's improvement plan (verbeterplan) for a round's advice (data/plan_files.py): every
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


# -- migrations ----------------------------------------------------------------


# Columns of later schemas, added by ``migrate`` to an older store: table → column → SQL type.
ADDED = {
    "organisation": ADDED_COLUMNS,
    "respondent": ADDED_RESPONDENT_COLUMNS,
    "round": {"synthetic": "BOOLEAN NOT NULL DEFAULT FALSE"},
    "response": {
        "source_response_id": "VARCHAR(100)",
        "batch_id": "INTEGER REFERENCES import_log (id)",
    },
    "quarantine": {"batch_id": "INTEGER"},
    "round_organisation": {"batch_id": "INTEGER"},
    "import_log": {
        "quarantine_csv": "VARCHAR(500)",
        "undone_at": "TIMESTAMP",
        "allowed_closed": "BOOLEAN NOT NULL DEFAULT FALSE",
    },
}
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
            .where(
                quarantine.c.batch_id.is_(None),
                quarantine.c.round_id == batch["round_id"],
                quarantine.c.file_sha256 == batch["file_sha256"],
            )
            .values(batch_id=batch["id"])
        )
        if len(labels[(batch["round_id"], source)]) > 1:
            continue  # files of one name with other contents: their responses cannot be told apart
        conn.execute(
            update(response)
            .where(
                response.c.batch_id.is_(None),
                response.c.round_id == batch["round_id"],
                response.c.source == source,
            )
            .values(batch_id=batch["id"])
        )


# -- statements every part of the store uses -----------------------------------


def upsert(conn: Connection, table: Table, rows: Iterable[dict]) -> int:
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

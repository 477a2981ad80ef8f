"""The store: one interface to the database, opened by ``connect``.

Default database: a SQLite file ``data/dwp.sqlite`` in the project folder (WAL journal, foreign keys,
busy timeout) so the toolkit works with nothing installed. ``DWP_DATABASE_URL``
or ``--db URL`` selects another database; PostgreSQL (psycopg 3) is supported.

Callers use this module (``store.connect``, ``store.load_answers``, …); each concern lives in a
module of its own, whose public names this module passes on:

* ``schema``: the tables, their migrations (``migrate``, ``SCHEMA_VERSION``), what fits in their
  text columns (``text_problem``, ``row_problems``, ``fit``), ``upsert`` and ``read_frame``;
* ``units``: the registry's organisations, teams and collaborations with their members;
* ``rounds``: rounds (create, get, list, close, reopen, synthetic) and the registry values a
  round records of its organisations;
* ``responses``: writing responses (``store_response`` for the form, ``write_responses`` for a
  file's at once), their ``holders`` under ids scoped to round, unit and source, quarantine;
* ``reading``: a round's answers and responses read column-wise (Arrow; ``COPY`` on
  PostgreSQL), counts, the quarantine and ``snapshot_hash``.

Answers are kept in long format (one row per response and item). A response is
written in one transaction and is idempotent: writing the same response twice changes nothing;
writing different content under an existing id is reported as a conflict, never silently
overwritten.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from dwp_assess import project
from dwp_assess.data.reading import (
    ANSWER_COLUMNS,
    ANSWER_TYPES,
    RESPONSE_FIELDS,
    load_answers,
    load_quarantine,
    load_responses,
    response_counts,
    response_counts_by_team,
    snapshot_hash,
)
from dwp_assess.data.responses import (
    CONFLICT,
    PRESENT,
    STORED,
    AnswerRecord,
    Holder,
    ResponseRecord,
    claim_round,
    holders,
    holders_of_file,
    load_response,
    outcome_of,
    quarantined_rows,
    record_quarantine,
    store_response,
    unit_key,
    write_response,
    write_responses,
)
from dwp_assess.data.rounds import (
    RoundInfo,
    check_open,
    close_round,
    create_round,
    default_round_id,
    ensure_round_organisations,
    get_round,
    list_rounds,
    load_round_organisations,
    mark_synthetic,
    refresh_round_organisations,
    registry_snapshot,
    reopen_round,
    round_unit,
)
from dwp_assess.data.schema import (
    ADDED,
    ADDED_COLUMNS,
    ADDED_RESPONDENT_COLUMNS,
    CONTROL,
    SCHEMA_VERSION,
    StoreError,
    answer,
    collaboration,
    collaboration_member,
    fit,
    import_log,
    max_length,
    metadata,
    migrate,
    organisation,
    plan,
    plan_action,
    plan_draft,
    quarantine,
    read_frame,
    respondent,
    response,
    round_,
    round_organisation,
    row_problems,
    schema_info,
    team,
    text_problem,
    upsert,
)
from dwp_assess.data.unit_tables import (
    collaboration_members,
    collaborations,
    organisations,
    teams,
    upsert_collaborations,
    upsert_organisations,
    upsert_teams,
)

# The one interface: what callers find as ``store.<name>``.
__all__ = [
    "connect",
    "data_dir",
    "database_url",
    "SCHEMA_VERSION",
    "metadata",
    "schema_info",
    "organisation",
    "ADDED_COLUMNS",
    "team",
    "round_",
    "round_organisation",
    "collaboration",
    "collaboration_member",
    "respondent",
    "ADDED_RESPONDENT_COLUMNS",
    "response",
    "answer",
    "quarantine",
    "import_log",
    "plan",
    "plan_action",
    "plan_draft",
    "StoreError",
    "CONTROL",
    "max_length",
    "text_problem",
    "row_problems",
    "fit",
    "ADDED",
    "migrate",
    "upsert",
    "read_frame",
    "upsert_organisations",
    "upsert_teams",
    "upsert_collaborations",
    "collaborations",
    "collaboration_members",
    "organisations",
    "teams",
    "RoundInfo",
    "default_round_id",
    "create_round",
    "get_round",
    "list_rounds",
    "mark_synthetic",
    "close_round",
    "reopen_round",
    "check_open",
    "registry_snapshot",
    "refresh_round_organisations",
    "round_unit",
    "ensure_round_organisations",
    "load_round_organisations",
    "AnswerRecord",
    "ResponseRecord",
    "STORED",
    "PRESENT",
    "CONFLICT",
    "Holder",
    "holders",
    "unit_key",
    "claim_round",
    "holders_of_file",
    "outcome_of",
    "write_response",
    "write_responses",
    "store_response",
    "load_response",
    "record_quarantine",
    "quarantined_rows",
    "ANSWER_COLUMNS",
    "RESPONSE_FIELDS",
    "ANSWER_TYPES",
    "load_answers",
    "load_responses",
    "load_quarantine",
    "response_counts",
    "response_counts_by_team",
    "snapshot_hash",
]


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

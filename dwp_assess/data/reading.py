"""Reading a round from the store fast, column-wise: its answers and responses as frames,
counts, its quarantine, and the hash of everything stored for it that reports cite.
"""

from __future__ import annotations

import hashlib
from operator import itemgetter

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from dwp_assess.data.schema import (
    answer,
    collaboration,
    collaboration_member,
    organisation,
    quarantine,
    read_frame,
    respondent,
    response,
    round_organisation,
    team,
)

ANSWER_COLUMNS = [
    "response_id",
    "respondent_id",
    "organisation_id",
    "team_id",
    "role",
    "submitted_at",
    "item_id",
    "value",
    "code",
    "text",
]
RESPONSE_FIELDS = ["respondent_id", "organisation_id", "team_id", "role", "submitted_at"]


# The answer table's columns as loaded, with the Arrow type each is read into.
ANSWER_TYPES = {
    "response_id": pa.string(),
    "item_id": pa.string(),
    "value": pa.float64(),
    "code": pa.string(),
    "text": pa.string(),
}


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
    return {
        name: pa.concat_arrays(arrays) if arrays else pa.array([], type=ANSWER_TYPES[name])
        for name, arrays in parts.items()
    }


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
    taking_part = select(round_organisation.c.organisation_id).where(
        round_organisation.c.round_id == round_id
    )
    columns = [organisation.c[name] for name in ("id", "name", "kind", "urbanisation", "province")]
    orgs = conn.execute(
        select(*columns).where(organisation.c.id.in_(taking_part)).order_by(organisation.c.id)
    ).all()
    teams = conn.execute(
        select(team).where(team.c.organisation_id.in_(taking_part)).order_by(team.c.id)
    ).all()
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
    heads = conn.execute(
        select(collaboration).where(collaboration.c.id.in_(answered)).order_by(collaboration.c.id)
    ).all()
    members = conn.execute(
        select(collaboration_member)
        .where(collaboration_member.c.collaboration_id.in_(answered))
        .order_by(collaboration_member.c.collaboration_id, collaboration_member.c.organisation_id)
    ).all()
    return [*heads, *members]

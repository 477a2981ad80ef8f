"""``store.load_answers`` reads columns, not objects (SQLite: the driver's cursor; PostgreSQL:
``COPY … TO STDOUT``): it must give exactly the frame a straightforward read gives, on both.

The straightforward read is ``pandas.read_sql`` of the join of response, respondent and answer
(what a first script does). "Exactly" is checked cell by cell with ``repr``: dtypes, order,
index, ``None`` against ``NaN``, an empty text against a missing one, every float bit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import select, text

from dwp_assess.data import store

pytest_plugins = ["tests.pg_server"]

TEXTS = [
    "komma, \"aanhalingstekens\" en 'enkele'",
    "regel een\nregel twee\r\nregel drie",
    "tab\tin het midden",
    "",  # an empty text is a text, not a missing one
    "NULL",
    "\\N en \\ los",
    "  spaties rondom  ",
    "007",
    "é ü ß € — 数据 🙂",
    ",",
    '"',
]
VALUES = [1.0, 5.0, 0.1 + 0.2, 1 / 3, -2.5, 1e300, 5e-324, 123456789.123456789]


def straightforward_answers(engine, round_id: str) -> pd.DataFrame:
    """The answers of a round as a first script reads them: ``pandas.read_sql`` of the join."""
    query = (
        select(
            store.response.c.response_id,
            store.response.c.respondent_id,
            store.respondent.c.organisation_id,
            store.respondent.c.team_id,
            store.respondent.c.role,
            store.response.c.submitted_at,
            store.answer.c.item_id,
            store.answer.c.value,
            store.answer.c.code,
            store.answer.c.text,
        )
        .join(store.respondent, store.respondent.c.id == store.response.c.respondent_id)
        .join(store.answer, store.answer.c.response_id == store.response.c.response_id)
        .where(store.response.c.round_id == round_id)
        .order_by(store.answer.c.response_id, store.answer.c.item_id)
    )
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    frame["value"] = frame["value"].astype("float64")
    return frame


def cells(frame: pd.DataFrame) -> list[tuple[str, ...]]:
    """Every cell as its ``repr``: tells ``None`` from ``NaN``, ``''`` from missing, each bit."""
    return [tuple(repr(v) for v in row) for row in frame.itertuples(index=False)]


def answers_of(n: int) -> tuple[store.AnswerRecord, ...]:
    """A mix of values, special codes, free text (alone and beside a value) and an unknown item."""
    out = [store.AnswerRecord(f"VS{k}", value=VALUES[(n + k) % len(VALUES)]) for k in range(1, 4)]
    out.append(store.AnswerRecord("VS4", code="dont_know" if n % 2 else "not_applicable"))
    out.append(store.AnswerRecord("VS5"))  # left blank: no value, code or text
    out.append(store.AnswerRecord("OPEN1", text=TEXTS[n % len(TEXTS)]))
    if n % 3 == 0:
        out.append(
            store.AnswerRecord("X_unknown", value=float(n), text=TEXTS[(n + 1) % len(TEXTS)])
        )
    return tuple(out)


def fill(engine, data_strategy, competences) -> None:
    """Three rounds: one with teams and roles for some respondents, one with none (and one
    response without answers that has a team), one of another instrument; and an empty round."""
    store.upsert_organisations(
        engine,
        [
            {"id": "gouda", "name": "Gouda", "kind": "gemeente", "cbs_code": "GM0513"},
            {"id": "zeeland", "name": "Zeeland", "kind": "provincie"},
        ],
    )
    store.upsert_teams(engine, [{"id": "gouda-data", "organisation_id": "gouda", "name": "Data"}])
    first = store.create_round(engine, data_strategy, "2025")
    second = store.create_round(engine, data_strategy, "2026")
    other = store.create_round(engine, competences, "2026")
    store.create_round(engine, data_strategy, "2027")  # nobody answered yet
    start = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    # ids whose order differs between text and number order, upper and lower case
    ids = ["r9", "r10", "R2", "a1", "r1", "z-0", "r100", "r_5", "r11", "r12", "B", "b"]
    with engine.begin() as conn:
        for n, rid in enumerate(ids):
            for info, teamed in ((first, n % 2 == 0), (second, False), (other, True)):
                store.write_response(
                    conn,
                    store.ResponseRecord(
                        response_id=f"{info.id}:{rid}",
                        round_id=info.id,
                        respondent_id=f"p-{info.id}-{rid}",
                        organisation_id="gouda" if n % 3 else "zeeland",
                        team_id="gouda-data" if teamed and n % 3 else None,
                        role=("beleid" if n % 4 else "ict") if teamed else None,
                        source="test",
                        submitted_at=start + timedelta(minutes=n),
                        answers=answers_of(n),
                    ),
                )
        store.write_response(
            conn,
            store.ResponseRecord(
                response_id=f"{second.id}:no-answers",
                round_id=second.id,
                respondent_id="p-silent",
                organisation_id="gouda",
                team_id="gouda-data",
                role="beleid",
                source="test",
                submitted_at=start,
            ),
        )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def filled_store(request, sqlite_url, data_strategy, competences):
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("fresh_postgres")
    engine = store.connect(url)
    fill(engine, data_strategy, competences)
    yield engine
    engine.dispose()


@pytest.mark.parametrize(
    "round_id",
    ["data-strategy-2025", "data-strategy-2026", "competences-2026", "data-strategy-2027"],
)
def test_load_answers_gives_the_frame_of_a_straightforward_read(filled_store, round_id):
    fast = store.load_answers(filled_store, round_id)
    slow = straightforward_answers(filled_store, round_id)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert list(fast.dtypes.astype(str)) == list(slow.dtypes.astype(str))
    assert cells(fast) == cells(slow)


def test_the_rounds_hold_what_the_comparison_must_cover(filled_store):
    """The store of the comparison above is not trivially easy: codes, texts, blanks, floats."""
    teamed = store.load_answers(filled_store, "data-strategy-2025")
    plain = store.load_answers(filled_store, "data-strategy-2026")
    assert set(teamed["code"].dropna()) == {"dont_know", "not_applicable"}
    assert set(TEXTS) <= set(teamed["text"].dropna()) | set(plain["text"].dropna())
    assert teamed["team_id"].notna().any() and plain["team_id"].isna().all()
    assert (teamed["value"].isna() & teamed["code"].isna() & teamed["text"].isna()).any()
    assert set(VALUES) <= set(teamed["value"].dropna())
    assert store.load_answers(filled_store, "data-strategy-2027").empty


@pytest.mark.postgres
def test_postgresql_values_stay_exact_whatever_the_server_rounds_floats_to(
    fresh_postgres, data_strategy, competences
):
    """``COPY`` writes floats as text: a server set to round them (``extra_float_digits``
    below 1) must not change a value on its way into the frame."""
    engine = store.connect(fresh_postgres)
    fill(engine, data_strategy, competences)
    with engine.connect() as conn:
        conn.execute(text(f"ALTER DATABASE {engine.url.database} SET extra_float_digits = 0"))
        conn.commit()
    engine.dispose()
    values = store.load_answers(store.connect(fresh_postgres), "data-strategy-2025")["value"]
    assert set(VALUES) <= set(values.dropna())

"""Store behaviour and exports, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pandas as pd
import pyreadstat
import pytest
from sqlalchemy import create_engine, insert, text

from dwp_assess.data import store
from dwp_assess.data.export import export_round
from dwp_assess.demo import SAMPLE_DIR, load_sample

pytest_plugins = ["tests.pg_server"]


def record(round_id: str, response_id: str, value: float) -> store.ResponseRecord:
    return store.ResponseRecord(
        response_id=response_id,
        round_id=round_id,
        respondent_id=f"p-{response_id}",
        organisation_id="gouda",
        team_id=None,
        role="beleid",
        source="test",
        submitted_at=datetime(2026, 3, 1, tzinfo=UTC),
        answers=(
            store.AnswerRecord("VS1", value=value),
            store.AnswerRecord("VS2", code="dont_know"),
        ),
    )


@pytest.fixture
def round_engine(engine, data_strategy):
    store.upsert_organisations(engine, [{"id": "gouda", "name": "Gouda", "kind": "gemeente", "cbs_code": "GM0513"}])  # fmt: skip
    store.create_round(engine, data_strategy, "2026")
    return engine


def test_response_is_idempotent_and_conflicts_change_nothing(round_engine):
    rid = "data-strategy-2026"
    assert store.store_response(round_engine, record(rid, "r1", 4)) == store.STORED
    assert store.store_response(round_engine, record(rid, "r1", 4)) == store.PRESENT
    assert store.store_response(round_engine, record(rid, "r1", 2)) == store.CONFLICT
    answers = store.load_answers(round_engine, rid)
    assert answers["value"].tolist()[0] == 4 and len(answers) == 2


def test_round_is_pinned_to_the_instrument_hash(round_engine, data_strategy, competences):
    again = store.create_round(round_engine, data_strategy, "2026")
    assert again.instrument_hash == data_strategy.content_hash
    with pytest.raises(store.StoreError, match="uses data-strategy v1"):
        store.create_round(round_engine, competences, "2026", "data-strategy-2026")


def test_sqlite_pragmas_and_schema_version(engine):
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        version = conn.execute(
            text("select value from schema_info where key='schema_version'")
        ).scalar()
    assert int(version) == store.SCHEMA_VERSION


def test_a_newer_schema_is_refused(sqlite_url):
    store.connect(sqlite_url)
    raw = create_engine(sqlite_url)
    with raw.begin() as conn:
        conn.execute(text("update schema_info set value='99' where key='schema_version'"))
    with pytest.raises(store.StoreError, match="schema version 99, newer than this dwp-assess"):
        store.connect(sqlite_url)


def test_a_failed_response_write_leaves_nothing_half_written(round_engine):
    bad = record("data-strategy-2026", "r9", 4)
    bad = store.ResponseRecord(**{**bad.__dict__, "answers": (*bad.answers, bad.answers[0])})
    with pytest.raises(Exception, match="(?i)unique|constraint"):
        store.store_response(round_engine, bad)
    assert store.load_responses(round_engine, "data-strategy-2026").empty


@pytest.fixture(scope="module")
def sample_sqlite(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('s') / 'dwp.sqlite'}"
    engine = store.connect(url)
    load_sample(engine)
    return engine


def test_export_tables_and_spss_labels(sample_sqlite, tmp_path):
    written = export_round(sample_sqlite, "data-strategy-2026", tmp_path)
    assert {p.name for p in written} >= {
        "data-strategy-2026-long.csv",
        "data-strategy-2026-wide.sav",
    }
    long = pd.read_parquet(tmp_path / "data-strategy-2026-long.parquet")
    wide = pd.read_csv(tmp_path / "data-strategy-2026-wide.csv")
    manifest = json.loads((SAMPLE_DIR / "manifest.json").read_text(encoding="utf-8"))
    stored = sum(f["expected_stored"] for r in manifest["rounds"] if r["round_id"] == "data-strategy-2026" for f in r["files"])  # fmt: skip
    assert len(wide) == long["response_id"].nunique() == stored
    assert set(long["cbs_code"]) >= {"GM0513", "PV28"}
    dk = long[long["code"] == "dont_know"].iloc[0]
    assert wide.set_index("response_id").loc[dk["response_id"], dk["item_id"]] == -1
    frame, meta = pyreadstat.read_sav(
        str(tmp_path / "data-strategy-2026-wide.sav"), user_missing=True
    )
    assert meta.column_names_to_labels["VS1"].startswith(
        "Onze organisatie heeft een vastgestelde visie"
    )
    assert meta.variable_value_labels["VS1"][5.0] == "Helemaal mee eens"
    assert meta.variable_value_labels["VS1"][-1.0] == "Weet ik niet"
    assert meta.missing_ranges["VS1"] == [{"lo": -2.0, "hi": -1.0}]
    without_missing, _ = pyreadstat.read_sav(str(tmp_path / "data-strategy-2026-wide.sav"))
    assert (without_missing["VS1"].dropna() >= 1).all()  # SPSS treats the codes as missing
    codebook = pd.read_csv(tmp_path / "data-strategy-2026-codebook.csv")
    assert codebook.set_index("variable").loc["VS5", "reverse"]


@pytest.mark.postgres
def test_postgresql_and_sqlite_give_identical_exports(
    postgres_url, sample_sqlite, tmp_path, monkeypatch
):
    schema_db = postgres_url.rsplit("/", 1)[0] + "/postgres"
    name = f"dwp_{uuid.uuid4().hex[:8]}"
    admin = create_engine(store.database_url(schema_db), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"create database {name}"))
    monkeypatch.setenv("DWP_DATABASE_URL", f"{schema_db.rsplit('/', 1)[0]}/{name}")
    pg = store.connect()
    assert pg.dialect.name == "postgresql"
    load_sample(pg)
    assert sum(s.stored for s in load_sample(pg)) == 0  # idempotent on PostgreSQL too
    for round_id in ("data-strategy-2025", "competences-2026"):
        export_round(sample_sqlite, round_id, tmp_path / "sqlite", ("csv",))
        export_round(pg, round_id, tmp_path / "pg", ("csv",))
        for kind in ("long", "wide", "codebook"):
            a = (tmp_path / "sqlite" / f"{round_id}-{kind}.csv").read_bytes()
            b = (tmp_path / "pg" / f"{round_id}-{kind}.csv").read_bytes()
            assert a == b, f"{round_id}-{kind}.csv differs between SQLite and PostgreSQL"
    # and the schema is enforced by the server, not only by us
    with pg.begin() as conn, pytest.raises(Exception, match="(?i)foreign key"):
        conn.execute(insert(store.team).values(id="t", organisation_id="nowhere", name="x"))

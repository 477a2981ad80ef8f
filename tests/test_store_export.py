"""Store behaviour and exports, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from sqlalchemy import create_engine, insert, inspect, text

from dwp_assess import project
from dwp_assess.data import store
from dwp_assess.data.export import export_round
from dwp_assess.data.importers import import_file
from dwp_assess.data.registry import RegistryError, import_registry
from dwp_assess.demo import SAMPLE_DIR, load_sample
from dwp_assess.ids import IdError

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
    store.upsert_organisations(
        engine, [{"id": "gouda", "name": "Gouda", "kind": "gemeente", "cbs_code": "GM0513"}]
    )
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
def sample_sqlite(tmp_path_factory, sample_store):
    return store.connect(sample_store.copy_to(tmp_path_factory.mktemp("s") / "dwp.sqlite"))


def test_export_tables_and_spss_labels(sample_sqlite, tmp_path):
    written = export_round(sample_sqlite, "data-strategy-2026", tmp_path)
    assert {p.name for p in written} >= {
        "data-strategy-2026-long.csv",
        "data-strategy-2026-wide.sav",
    }
    long = pd.read_parquet(tmp_path / "data-strategy-2026-long.parquet")
    wide = pd.read_csv(tmp_path / "data-strategy-2026-wide.csv")
    manifest = json.loads((SAMPLE_DIR / "manifest.json").read_text(encoding="utf-8"))
    stored = sum(
        f["expected_stored"]
        for r in manifest["rounds"]
        if r["round_id"] == "data-strategy-2026"
        for f in r["files"]
    )
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


def test_a_data_sharing_export_names_the_collaboration_of_every_answer(sample_sqlite, tmp_path):
    """An organisation can share data in several collaborations (Woerden is in two): each
    response says which one it is about, in the long and wide tables and the SPSS file."""
    export_round(sample_sqlite, "data-sharing-2026", tmp_path)
    long = pd.read_csv(tmp_path / "data-sharing-2026-long.csv")
    wide = pd.read_csv(tmp_path / "data-sharing-2026-wide.csv")
    spss, _ = pyreadstat.read_sav(str(tmp_path / "data-sharing-2026-wide.sav"))
    members = store.collaboration_members(sample_sqlite)
    pairs = set(zip(members["collaboration_id"], members["organisation_id"], strict=True))
    assert long["collaboration_id"].notna().all()
    assert set(zip(long["collaboration_id"], long["organisation_id"], strict=True)) <= pairs
    assert set(long.loc[long["organisation_id"] == "woerden", "collaboration_id"]) == {
        "armoede-midden-holland",
        "jeugd-utrecht",
    }
    by_response = long.drop_duplicates("response_id").set_index("response_id")["collaboration_id"]
    assert wide.set_index("response_id")["collaboration_id"].equals(by_response.sort_index())
    assert list(spss["collaboration_id"]) == list(wide["collaboration_id"])
    export_round(sample_sqlite, "data-strategy-2026", tmp_path, ("csv",))
    assert "collaboration_id" not in pd.read_csv(tmp_path / "data-strategy-2026-long.csv", nrows=1)


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
    project.activate(project.current())  # the settings as the command line resolves them
    pg = store.connect()
    assert pg.dialect.name == "postgresql"
    load_sample(pg)
    assert sum(s.stored for s in load_sample(pg)) == 0  # idempotent on PostgreSQL too
    for round_id in ("data-strategy-2025", "competences-2026", "data-sharing-2026"):
        export_round(sample_sqlite, round_id, tmp_path / "sqlite", ("csv",))
        export_round(pg, round_id, tmp_path / "pg", ("csv",))
        for kind in ("long", "wide", "codebook"):
            a = (tmp_path / "sqlite" / f"{round_id}-{kind}.csv").read_bytes()
            b = (tmp_path / "pg" / f"{round_id}-{kind}.csv").read_bytes()
            assert a == b, f"{round_id}-{kind}.csv differs between SQLite and PostgreSQL"
    # and the schema is enforced by the server, not only by us
    with pg.begin() as conn, pytest.raises(Exception, match="(?i)foreign key"):
        conn.execute(insert(store.team).values(id="t", organisation_id="nowhere", name="x"))


# -- the same outcome on SQLite and PostgreSQL ------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_store(request, sqlite_url):
    """The store on SQLite and on PostgreSQL: every test using it must pass on both alike."""
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("fresh_postgres")
    engine = store.connect(url)
    yield engine
    engine.dispose()


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.mark.parametrize(
    ("period", "round_id", "error", "message"),
    [
        (
            "2026-najaar-gemeenten-ZH",
            None,
            store.StoreError,
            "period '2026-najaar-gemeenten-ZH' is 24 characters long; at most 20 fit",
        ),
        ("2026", "r" * 101, IdError, "is 101 characters long, more than 64"),
        ("2026\x00H2", None, store.StoreError, "period '2026?H2' contains control characters"),
    ],
)
def test_round_values_that_do_not_fit_are_refused_before_writing(
    any_store, data_strategy, period, round_id, error, message
):
    with pytest.raises(error, match=re.escape(message)):
        store.create_round(any_store, data_strategy, period, round_id)
    assert store.list_rounds(any_store) == []
    made = store.create_round(any_store, data_strategy, "ë" * 20)  # 20 characters fit
    assert store.get_round(any_store, made.id).period == "ë" * 20


def test_round_create_command_gives_the_same_clear_error_on_every_store(any_store):
    args = [
        sys.executable,
        "-m",
        "dwp_assess",
        "--db",
        _url(any_store),
        "round",
        "create",
        "--instrument",
        "data-strategy",
        "--period",
        "2026-najaar-gemeenten-ZH",
    ]
    result = subprocess.run(args, capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert "at most 20 fit" in result.stderr and "internal error" not in result.stderr


def test_import_quarantines_the_same_rows_on_every_store(any_store, data_strategy, tmp_path):
    import_registry(any_store, SAMPLE_DIR / "organisations.csv")
    store.create_round(any_store, data_strategy, "2026", "r")
    base = {"organisation_id": "gouda", "role": "beleid"} | {i.id: "4" for i in data_strategy.items}
    records = [
        base | {"response_id": "ok-1"},
        base | {"response_id": "x" * 120},
        base | {"response_id": "nul\x00id"},
        base | {"response_id": "ok-2", "organisation_id": "gouda\x00x"},
        base | {"response_id": "ok-3", "next_step": "tekst met\x00nul"},
    ]
    path = tmp_path / "export.csv"
    pd.DataFrame(records).to_csv(path, index=False)
    summary = import_file(any_store, path, "r")
    assert (summary.stored, summary.quarantined) == (2, 3)
    assert sorted(store.load_responses(any_store, "r")["response_id"]) == ["ok-1", "ok-3"]
    reasons = store.load_quarantine(any_store, "r")["reason"].tolist()
    assert reasons == [
        f"response id '{'x' * 40}…' is 120 characters long; at most 100 fit",
        "response id 'nul?id' contains control characters",
        "unknown organisation 'gouda?x'",
    ]
    texts = store.load_answers(any_store, "r")["text"].dropna().tolist()
    assert texts == ["tekst metnul"]


def test_registry_values_that_do_not_fit_are_listed_per_row(any_store, tmp_path):
    path = tmp_path / "orgs.csv"
    rows = [
        "id,name,kind,cbs_code,size_class,invited",
        f"gouda,{'G' * 201},gemeente,GM0513,{'s' * 41},60",
        "almere,Almere,gemeente,GM0034,,99999999999",
        "woerden,Woerden,gemeente,GM0632,,12.5",
        "ok,Ok,gemeente,,,",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(RegistryError) as error:
        import_registry(any_store, path)
    assert error.value.problems == [
        f"row 2: name '{'G' * 40}…' is 201 characters long; at most 200 fit",
        f"row 2: size_class '{'s' * 40}…' is 41 characters long; at most 40 fit",
        "row 3: invited '99999999999' is not a whole number of people",
        "row 4: invited '12.5' is not a whole number of people",
    ]
    assert store.organisations(any_store).empty


def test_a_version_1_store_gains_the_invited_and_province_columns(any_store):
    with any_store.begin() as conn:
        conn.execute(text("ALTER TABLE organisation DROP COLUMN invited"))
        conn.execute(text("ALTER TABLE organisation DROP COLUMN province"))
        conn.execute(text("UPDATE schema_info SET value = '1' WHERE key = 'schema_version'"))
    any_store.dispose()
    again = store.connect(_url(any_store))
    row = {"id": "g", "name": "G", "kind": "gemeente", "invited": 9, "province": "Utrecht"}
    store.upsert_organisations(again, [row])
    assert store.organisations(again)[["invited", "province"]].values.tolist() == [[9, "Utrecht"]]
    with again.connect() as conn:
        version = conn.execute(text("select value from schema_info")).scalar()
    assert int(version) == store.SCHEMA_VERSION == 7
    assert {"plan", "plan_action"} <= set(inspect(again).get_table_names())  # 5: plans
    assert {"collaboration", "collaboration_member"} <= set(inspect(again).get_table_names())  # 6
    again.dispose()


def test_quarantine_provenance_of_a_very_long_path_fits(any_store, data_strategy, tmp_path):
    import_registry(any_store, SAMPLE_DIR / "organisations.csv")
    store.create_round(any_store, data_strategy, "2026", "r")
    folder = tmp_path
    for n in range(4):  # a path longer than the 500 characters source_file holds
        folder = folder / (f"{n}" * 150)
    folder.mkdir(parents=True)
    path = folder / ("e" * 200 + ".csv")
    record = {"response_id": "q1", "organisation_id": "nowhere"}
    record |= {i.id: "4" for i in data_strategy.items}
    pd.DataFrame([record, record | {"response_id": "q2", "organisation_id": "gouda"}]).to_csv(
        path, index=False
    )
    assert len(str(path)) > 500
    summary = import_file(any_store, path, "r", quarantine_dir=tmp_path / "q")
    assert (summary.stored, summary.quarantined) == (1, 1)
    kept = store.load_quarantine(any_store, "r")["source_file"].iloc[0]
    assert kept.startswith("…") and kept.endswith("e" * 200 + ".csv") and len(kept) == 500
    assert Path(summary.quarantine_csv).parent == tmp_path / "q"


def test_rounds_record_the_same_number_invited_on_every_store(
    any_store, competences, data_strategy
):
    import_registry(any_store, SAMPLE_DIR / "organisations.csv", SAMPLE_DIR / "teams.csv")
    store.create_round(any_store, competences, "2026")
    store.create_round(any_store, data_strategy, "2026")
    orgs = SAMPLE_DIR / "organisations.csv"
    import_registry(any_store, orgs, SAMPLE_DIR / "teams.csv", round_id="competences-2026")
    import_registry(any_store, orgs, round_id="data-strategy-2026")
    teams = pd.read_csv(SAMPLE_DIR / "teams.csv").groupby("organisation_id")["invited"].sum()
    invited = pd.read_csv(orgs).set_index("id")["invited"]
    for round_id, expected in [("competences-2026", teams), ("data-strategy-2026", invited)]:
        found = store.load_round_organisations(any_store, round_id).set_index("organisation_id")
        assert found["invited"].astype(int).to_dict() == expected.to_dict()

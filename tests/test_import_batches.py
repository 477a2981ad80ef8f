"""Rounds as they really arrive: one export per organisation, each numbering its responses
from 1, and next year's round numbering from 1 again. Every response is stored, a re-import
stores nothing, every import is a batch that ``import --undo`` removes exactly (SQLite and
PostgreSQL alike), closed rounds refuse imports, a file whose rows were all refused fails the
command, and ``status`` shows each organisation's figures. Files are generated per test.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import MetaData, Table, create_engine, insert, select, text
from typer.testing import CliRunner

from dwp_assess.cli.main import app
from dwp_assess.collect.questionnaire import FormError, resolve_context
from dwp_assess.data import batches, store
from dwp_assess.data.importers import import_file
from dwp_assess.data.registry import import_registry
from dwp_assess.data.sample_files import msforms_cell, template_cell
from dwp_assess.data.status import UNRECOGNISED, organisation_status
from dwp_assess.demo import SAMPLE_DIR

pytest_plugins = ["tests.pg_server"]

LAST_YEAR, THIS_YEAR = "data-strategy-2025", "data-strategy-2026"
N_ORGS = 20
# the columns schema 7 added: a store made before it has none of them
SCHEMA_7 = {
    ("response", "source_response_id"),
    ("response", "batch_id"),
    ("quarantine", "batch_id"),
    ("round_organisation", "batch_id"),
    ("import_log", "quarantine_csv"),
    ("import_log", "undone_at"),
    ("import_log", "allowed_closed"),
}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, sqlite_url):
    return sqlite_url if request.param == "sqlite" else request.getfixturevalue("fresh_postgres")


def registered(url: str, data_strategy):
    """A store with the sample registry (22 organisations with the number invited) and the
    rounds of two years of the same instrument."""
    engine = store.connect(url)
    import_registry(engine, SAMPLE_DIR / "organisations.csv", SAMPLE_DIR / "teams.csv")
    store.create_round(engine, data_strategy, "2025", LAST_YEAR)
    store.create_round(engine, data_strategy, "2026", THIS_YEAR)
    return engine


def answers(instrument, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` respondents' values (1–5, some 'don't know') for every item: long format."""
    rows = []
    for k in range(n):
        for item in instrument.items:
            dont_know = rng.random() < 0.05
            rows.append(
                {
                    "respondent": k,
                    "item_id": item.id,
                    "value": None if dont_know else float(rng.integers(1, 6)),
                    "code": "dont_know" if dont_know else None,
                    "text": None,
                }
            )
    return pd.DataFrame(rows)


def write_template(path, instrument, org: str, n: int, rng, team: str | None = None) -> None:
    """One organisation's (or team's) template CSV, its responses numbered r0001, r0002, …"""
    long = answers(instrument, n, rng)
    long["cell"] = [
        template_cell(instrument, i, v, c, t)
        for i, v, c, t in long[["item_id", "value", "code", "text"]].itertuples(index=False)
    ]
    wide = long.pivot(index="respondent", columns="item_id", values="cell")[
        [i.id for i in instrument.items]
    ]
    wide.insert(0, "response_id", [f"r{k + 1:04d}" for k in range(n)])
    wide.insert(1, "organisation_id", org)
    wide.insert(2, "role", rng.choice([c.code for c in instrument.respondent_fields[0].choices], n))
    wide.insert(3, "submitted_at", "2026-03-14T10:00:00")
    if team is not None:
        wide.insert(2, "team_id", team)
    wide.to_csv(path, index=False)


def write_msforms(path, instrument, org_name: str, n: int, rng) -> None:
    """One organisation's Microsoft Forms export: Ids 1…n, item texts as headers, labels."""
    long = answers(instrument, n, rng)
    long["cell"] = [
        msforms_cell(instrument, i, v, c, t)
        for i, v, c, t in long[["item_id", "value", "code", "text"]].itertuples(index=False)
    ]
    wide = long.pivot(index="respondent", columns="item_id", values="cell")
    roles = {c.code: c.label.nl for c in instrument.respondent_fields[0].choices}
    wb = Workbook()
    sheet = wb.active
    sheet.append(
        [
            "Id",
            "Start time",
            "Completion time",
            "Email",
            "Name",
            "Organisatie",
            "Rol",
            *(i.text.nl for i in instrument.items),
        ]
    )
    for k in range(n):
        sheet.append(
            [
                k + 1,
                "3/14/26 9:40:00",
                f"3/14/26 10:{k % 60:02d}:00",
                "anonymous",
                "",
                org_name,
                roles[rng.choice(["beleid", "ict"])],
                *(wide.loc[k, i.id] for i in instrument.items),
            ]
        )
    wb.save(path)


def one_export_per_organisation(folder, instrument, orgs: pd.DataFrame, seed: int) -> dict:
    """A round as it arrives: for each organisation one file, half the template, half Microsoft
    Forms, each numbering from 1, all named alike but in a folder per organisation; returns
    path → (organisation id, rows)."""
    rng = np.random.default_rng(seed)
    files = {}
    for k, org in enumerate(orgs.itertuples(index=False)):
        (folder / org.id).mkdir(parents=True, exist_ok=True)
        n = int(rng.integers(3, 9))
        if k % 2:
            path = folder / org.id / "Zelfscan datastrategie(1-8).xlsx"
            write_msforms(path, instrument, org.name, n, rng)
        else:
            path = folder / org.id / "export.csv"
            write_template(path, instrument, org.id, n, rng)
        files[path] = (org.id, n)
    return files


def organisations(engine) -> pd.DataFrame:
    return store.organisations(engine).head(N_ORGS)


def snapshot(engine) -> dict:
    """Everything an import writes, in an order that does not depend on the database."""

    def rows(table, *order):  # without the numbers and times a new import gives anew
        frame = store.read_frame(engine, select(table))
        frame = frame.drop(columns=[c for c in ("recorded_at", "batch_id") if c in frame])
        if table is store.quarantine:
            frame = frame.drop(columns="id")
        return frame.sort_values(list(order)).reset_index(drop=True)

    return {
        "answers": rows(store.answer, "response_id", "item_id"),
        "responses": rows(store.response, "response_id"),
        "respondents": rows(store.respondent, "id"),
        "quarantine": rows(store.quarantine, "source_file", "row_number"),
        "round_organisations": rows(store.round_organisation, "round_id", "organisation_id"),
    }


def assert_same(before: dict, after: dict) -> None:
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)


def test_a_round_of_one_export_per_organisation_numbering_from_1_stores_every_response(
    url, data_strategy, tmp_path
):
    engine = registered(url, data_strategy)
    files = one_export_per_organisation(tmp_path, data_strategy, organisations(engine), seed=1)
    summaries = [import_file(engine, path, THIS_YEAR) for path in files]
    assert [s.stored for s in summaries] == [n for _, n in files.values()]
    assert sum(s.quarantined for s in summaries) == 0
    responses = store.load_responses(engine, THIS_YEAR)
    assert responses["response_id"].is_unique
    expected = pd.Series({org: n for org, n in files.values()}).sort_index()
    assert responses.groupby("organisation_id").size().sort_index().to_dict() == expected.to_dict()
    # every respondent belongs to its own organisation's response: none was taken over
    assert responses["respondent_id"].is_unique
    # the answers stored are the files' answers, organisation by organisation
    first_csv = next(p for p in files if p.suffix == ".csv")
    in_file = pd.read_csv(first_csv, dtype=str).set_index("response_id")
    org = files[first_csv][0]
    stored = store.load_answers(engine, THIS_YEAR)
    own = stored[stored["organisation_id"] == org]
    item = data_strategy.items[0].id
    assert own["response_id"].nunique() == len(in_file)
    # the id in the file is kept beside the store's key, and the answers are the file's
    source_ids = store.read_frame(
        engine, select(store.response.c.response_id, store.response.c.source_response_id)
    ).set_index("response_id")["source_response_id"]
    got = own[own["item_id"] == item].set_index("response_id")["value"].rename(index=source_ids)
    expected_values = pd.to_numeric(in_file[item], errors="coerce")  # 'weet ik niet': no value
    assert got.sort_index().tolist() == pytest.approx(
        expected_values.sort_index().tolist(), nan_ok=True
    )
    # a true re-import of every file stores nothing
    again = [import_file(engine, path, THIS_YEAR) for path in files]
    assert [(s.stored, s.already_present, s.quarantined) for s in again] == [
        (0, n, 0) for _, n in files.values()
    ]
    assert len(store.load_responses(engine, THIS_YEAR)) == sum(n for _, n in files.values())
    engine.dispose()


def test_next_years_round_numbering_from_1_again_is_stored_whole_and_leaves_last_year_alone(
    url, data_strategy, tmp_path
):
    engine = registered(url, data_strategy)
    orgs = organisations(engine)
    last_year = one_export_per_organisation(tmp_path / "2025", data_strategy, orgs, seed=2)
    for path in last_year:
        import_file(engine, path, LAST_YEAR)
    before = store.load_answers(engine, LAST_YEAR)
    this_year = one_export_per_organisation(tmp_path / "2026", data_strategy, orgs, seed=3)
    summaries = [import_file(engine, path, THIS_YEAR) for path in this_year]
    assert sum(s.stored for s in summaries) == sum(n for _, n in this_year.values())
    assert sum(s.quarantined for s in summaries) == 0
    pd.testing.assert_frame_equal(store.load_answers(engine, LAST_YEAR), before)
    keys = set(store.load_responses(engine, THIS_YEAR)["response_id"])
    assert not keys & set(before["response_id"])  # exports identify every response uniquely
    engine.dispose()


def test_the_same_ids_of_two_organisations_in_one_file_are_two_responses(
    engine, data_strategy, tmp_path
):
    import_registry(engine, SAMPLE_DIR / "organisations.csv", SAMPLE_DIR / "teams.csv")
    store.create_round(engine, data_strategy, "2026", THIS_YEAR)
    rng = np.random.default_rng(4)
    write_template(tmp_path / "gouda.csv", data_strategy, "gouda", 3, rng)
    write_template(tmp_path / "almere.csv", data_strategy, "almere", 3, rng)
    both = pd.concat(
        [
            pd.read_csv(tmp_path / "gouda.csv", dtype=str),
            pd.read_csv(tmp_path / "almere.csv", dtype=str),
        ]
    )
    both.to_csv(tmp_path / "both.csv", index=False)
    summary = import_file(engine, tmp_path / "both.csv", THIS_YEAR)
    assert (summary.stored, summary.quarantined) == (6, 0)
    counts = store.load_responses(engine, THIS_YEAR).groupby("organisation_id").size().to_dict()
    assert counts == {"almere": 3, "gouda": 3}


def test_per_team_files_of_one_organisation_numbering_from_1_are_stored_whole(
    engine, competences, tmp_path
):
    import_registry(engine, SAMPLE_DIR / "organisations.csv", SAMPLE_DIR / "teams.csv")
    store.create_round(engine, competences, "2026", "competences-2026")
    teams = store.teams(engine)
    teams = teams[teams["organisation_id"] == "gouda"]["id"].tolist()
    assert len(teams) >= 2
    rng = np.random.default_rng(15)
    for team in teams:  # every team's form saved as export.csv in a folder of its own
        (tmp_path / team).mkdir()
        write_template(tmp_path / team / "export.csv", competences, "gouda", 4, rng, team=team)
    summaries = [
        import_file(engine, tmp_path / team / "export.csv", "competences-2026") for team in teams
    ]
    assert [(s.stored, s.quarantined) for s in summaries] == [(4, 0)] * len(teams)
    per_team = store.load_responses(engine, "competences-2026").groupby("team_id").size()
    assert per_team.to_dict() == dict.fromkeys(teams, 4)


def test_undo_removes_exactly_one_batch(url, data_strategy, tmp_path):
    engine = registered(url, data_strategy)
    orgs = organisations(engine)
    files = one_export_per_organisation(tmp_path, data_strategy, orgs.head(N_ORGS - 1), seed=5)
    for path in files:
        import_file(engine, path, THIS_YEAR)
    before = snapshot(engine)
    # the last organisation's file, ids from 1 like the others, with one row of an unknown
    # organisation (quarantined) and a row that is an exact copy of one already stored
    late = orgs.iloc[-1]
    rng = np.random.default_rng(6)
    write_template(tmp_path / "late.csv", data_strategy, late["id"], 4, rng)
    rows = pd.read_csv(tmp_path / "late.csv", dtype=str)
    stray = rows.iloc[[0]].assign(response_id="r0099", organisation_id="Gemeente Nergens")
    copy = pd.read_csv(next(p for p in files if p.suffix == ".csv"), dtype=str).iloc[[0]]
    pd.concat([rows, stray, copy]).to_csv(tmp_path / "late.csv", index=False)
    summary = import_file(engine, tmp_path / "late.csv", THIS_YEAR)
    assert (summary.stored, summary.already_present, summary.quarantined) == (4, 1, 1)
    assert late["id"] in set(store.load_round_organisations(engine, THIS_YEAR)["organisation_id"])
    assert summary.quarantine_csv.is_file()
    done = batches.undo_batch(engine, summary.batch_id)
    assert (done.responses, done.respondents, done.quarantined, done.organisations) == (4, 4, 1, 1)
    assert done.answers == 4 * len(data_strategy.items)  # every item has a value or a code
    assert_same(before, snapshot(engine))
    assert not summary.quarantine_csv.exists()
    listed = batches.list_batches(engine, THIS_YEAR)
    assert listed["undone_at"].notna().tolist() == [False] * len(files) + [True]
    with pytest.raises(store.StoreError, match=f"batch {summary.batch_id} .* was undone"):
        batches.undo_batch(engine, summary.batch_id)
    with pytest.raises(store.StoreError, match="unknown import batch 999"):
        batches.undo_batch(engine, 999)
    # importing it again brings back the same responses under the same keys
    again = import_file(engine, tmp_path / "late.csv", THIS_YEAR)
    assert (again.stored, again.quarantined) == (4, 1)
    engine.dispose()


def test_undoing_a_batch_keeps_respondents_and_organisations_others_still_use(
    url, data_strategy, tmp_path
):
    engine = registered(url, data_strategy)
    rng = np.random.default_rng(7)
    write_template(tmp_path / "a.csv", data_strategy, "gouda", 3, rng)
    first = import_file(engine, tmp_path / "a.csv", THIS_YEAR)
    before = snapshot(engine)
    write_template(tmp_path / "b.csv", data_strategy, "gouda", 5, rng)  # another form, ids from 1
    second = import_file(engine, tmp_path / "b.csv", THIS_YEAR)
    assert second.stored == 5 and second.warnings  # said: the same ids as a.csv's responses
    batches.undo_batch(engine, second.batch_id)
    assert_same(before, snapshot(engine))
    batches.undo_batch(engine, first.batch_id)
    assert store.load_responses(engine, THIS_YEAR).empty
    assert store.load_round_organisations(engine, THIS_YEAR).empty
    assert store.read_frame(engine, select(store.respondent)).empty
    engine.dispose()


def cli(url: str, *args: str):
    return CliRunner().invoke(app, ["--db", url, *args])


def test_import_undo_command_on_every_store(url, data_strategy, tmp_path):
    engine = registered(url, data_strategy)
    write_template(tmp_path / "gouda.csv", data_strategy, "gouda", 3, np.random.default_rng(8))
    result = cli(url, "import", str(tmp_path / "gouda.csv"), "--round", THIS_YEAR)
    assert result.exit_code == 0, result.output
    batch = int(batches.list_batches(engine)["id"].iloc[-1])
    result = cli(url, "import", "--undo", str(batch))
    assert result.exit_code == 0, result.output
    assert f"undid batch {batch}" in result.output and "removed 3 response(s)" in result.output
    assert store.load_responses(engine, THIS_YEAR).empty
    result = cli(url, "import", "--undo", str(batch))
    assert result.exit_code == 2 and "was undone" in result.output
    result = cli(url, "import", "--round", THIS_YEAR)
    assert result.exit_code == 2 and "needs FILES" in result.output
    engine.dispose()


def test_closed_rounds_refuse_imports_and_the_form(url, data_strategy, tmp_path):
    engine = registered(url, data_strategy)
    write_template(tmp_path / "gouda.csv", data_strategy, "gouda", 3, np.random.default_rng(9))
    result = cli(url, "round", "close", THIS_YEAR)
    assert result.exit_code == 0 and "closed" in result.output
    result = cli(url, "import", str(tmp_path / "gouda.csv"), "--round", THIS_YEAR)
    assert result.exit_code == 2
    assert f"round '{THIS_YEAR}' is closed" in result.output and "round reopen" in result.output
    assert store.load_responses(engine, THIS_YEAR).empty and batches.list_batches(engine).empty
    with pytest.raises(store.StoreError, match="is closed"):
        import_file(engine, tmp_path / "gouda.csv", THIS_YEAR)
    with pytest.raises(FormError, match="closed"):
        resolve_context(engine, THIS_YEAR, "gouda")
    assert "closed" in cli(url, "round", "list").output
    # late paper forms: imported into the closed round on purpose, and the batch says so
    result = cli(url, "import", str(tmp_path / "gouda.csv"), "--round", THIS_YEAR, "--allow-closed")
    assert result.exit_code == 0, result.output
    assert bool(batches.list_batches(engine)["allowed_closed"].iloc[-1])
    batch = int(batches.list_batches(engine)["id"].iloc[-1])
    assert cli(url, "import", "--undo", str(batch)).exit_code == 2  # undo changes it too
    assert cli(url, "round", "reopen", THIS_YEAR).exit_code == 0
    assert store.get_round(engine, THIS_YEAR).closed_at is None
    resolve_context(engine, THIS_YEAR, "gouda")
    assert cli(url, "import", "--undo", str(batch)).exit_code == 0
    engine.dispose()


def test_a_file_whose_rows_were_all_refused_fails_the_command(
    engine, data_strategy, tmp_path, sqlite_url
):
    import_registry(engine, SAMPLE_DIR / "organisations.csv", SAMPLE_DIR / "teams.csv")
    store.create_round(engine, data_strategy, "2026", THIS_YEAR)
    rng = np.random.default_rng(10)
    write_template(tmp_path / "good.csv", data_strategy, "gouda", 3, rng)
    write_template(tmp_path / "bad.csv", data_strategy, "Gemeente Nergens", 4, rng)
    result = cli(
        sqlite_url,
        "import",
        str(tmp_path / "good.csv"),
        str(tmp_path / "bad.csv"),
        "--round",
        THIS_YEAR,
    )
    assert result.exit_code == 2
    assert re.search(r"bad\.csv: all 4 row\(s\) quarantined, nothing stored", result.output)
    assert "good.csv" not in result.output.split("refused")[-1]
    assert len(store.load_responses(engine, THIS_YEAR)) == 3
    # a re-import of a stored file stores nothing, and that is no failure
    result = cli(sqlite_url, "import", str(tmp_path / "good.csv"), "--round", THIS_YEAR)
    assert result.exit_code == 0, result.output


def test_status_shows_each_organisations_figures_and_the_batches(
    engine, data_strategy, tmp_path, sqlite_url
):
    import_registry(engine, SAMPLE_DIR / "organisations.csv", SAMPLE_DIR / "teams.csv")
    store.create_round(engine, data_strategy, "2026", THIS_YEAR)
    invited = store.organisations(engine).set_index("id")["invited"]
    files = one_export_per_organisation(
        tmp_path, data_strategy, organisations(engine).head(16), seed=11
    )
    stray = tmp_path / "stray.csv"
    write_template(stray, data_strategy, "gouda", 2, np.random.default_rng(12))
    rows = pd.read_csv(stray, dtype=str)
    rows.loc[0, "organisation_id"] = "Almere"  # by name: quarantined for its answer below
    rows.loc[0, data_strategy.items[0].id] = "9"
    rows.loc[1, "organisation_id"] = "Gemeente Nergens"
    rows.to_csv(stray, index=False)
    for path in [*files, stray]:
        import_file(engine, path, THIS_YEAR)
    figures = organisation_status(engine, THIS_YEAR).set_index("organisation_id")
    for org, n in files.values():
        assert figures.loc[org, "responses"] == n
        assert figures.loc[org, "invited"] == invited[org]
        assert figures.loc[org, "response_rate"] == pytest.approx(n / invited[org])
    assert (
        figures.loc["almere", "quarantined"] == 1 and figures.loc[UNRECOGNISED, "quarantined"] == 1
    )
    result = cli(sqlite_url, "status")
    assert result.exit_code == 0, result.output
    out = result.output
    for org, n in files.values():
        line = next(line for line in out.splitlines() if line.split()[:1] == [org])
        quarantined = 1 if org == "almere" else 0
        assert line.split()[1:5] == [
            str(n),
            str(invited[org]),
            f"{n / invited[org]:.0%}",
            str(quarantined),
        ]
    unknown = next(line for line in out.splitlines() if line.split()[:1] == [UNRECOGNISED])
    assert unknown.split()[1:5] == ["0", "–", "–", "1"] and "(organisation not" in unknown
    for batch in batches.list_batches(engine).itertuples():
        assert re.search(rf"^\s*batch {batch.id}\s+\d{{4}}-\d\d-\d\d .*{THIS_YEAR}", out, re.M)
    assert re.search(r"stray\.csv \(template\): 0 stored, 0 already present, 2 quarantined", out)
    total = sum(n for _, n in files.values())
    assert f"round {THIS_YEAR} " in out and f"16 organisation(s), {total} response(s)" in out


def old_schema_store(url: str, source) -> None:
    """Make at ``url`` the store ``source`` would be under schema 6 (every table without the
    columns schema 7 added), holding ``source``'s rows."""
    old = MetaData()
    for table in store.metadata.sorted_tables:
        Table(
            table.name,
            old,
            *(c._copy() for c in table.columns if (table.name, c.name) not in SCHEMA_7),
        )
    target = create_engine(store.database_url(url))
    old.create_all(target)
    with source.connect() as read, target.begin() as write:
        for table in old.sorted_tables:
            rows = [
                dict(r._mapping)
                for r in read.execute(
                    select(*(store.metadata.tables[table.name].c[c.name] for c in table.columns))
                )
            ]
            if table.name == "schema_info":
                rows = [{"key": "schema_version", "value": "6"}]
            if rows:
                write.execute(insert(table), rows)
        if target.dialect.name == "postgresql":  # as if the rows had been numbered there
            for name in ("import_log", "quarantine"):
                write.execute(
                    text(
                        f"select setval(pg_get_serial_sequence('{name}', 'id'), (select max(id) from {name}))"
                    )
                )
    target.dispose()


def test_a_schema_6_store_is_migrated_and_its_imports_stay_idempotent_and_undoable(
    url, data_strategy, tmp_path
):
    made = registered(f"sqlite:///{tmp_path / 'made.sqlite'}", data_strategy)
    orgs = organisations(made).head(15)
    # what a schema 6 store could hold: ids unique in the whole store (the analyst prefixed the
    # template's ids per organisation; one Microsoft Forms export)
    files = one_export_per_organisation(tmp_path / "2025", data_strategy, orgs, seed=13)
    files = {p: v for p, v in files.items() if p.suffix == ".csv"} | {
        next(p for p in files if p.suffix == ".xlsx"): next(
            v for p, v in files.items() if p.suffix == ".xlsx"
        )
    }
    for path, (org, _) in files.items():
        if path.suffix == ".csv":
            rows = pd.read_csv(path, dtype=str)
            rows.assign(response_id=org + "-" + rows["response_id"]).to_csv(path, index=False)
        import_file(made, path, LAST_YEAR)
    old_schema_store(url, made)
    engine = store.connect(url)
    with engine.connect() as conn:
        assert conn.execute(text("select value from schema_info")).scalar() == str(
            store.SCHEMA_VERSION
        )
    responses = store.read_frame(engine, select(store.response))
    assert (responses["source_response_id"] == responses["response_id"]).all()
    # linked to the import that stored them where the file's name tells it: the Microsoft Forms
    # export; not the template files, all named export.csv (schema 6 kept only the name)
    linked = responses["source"].str.startswith("msforms:")
    assert (
        responses.loc[linked, "batch_id"].notna().all()
        and responses.loc[~linked, "batch_id"].isna().all()
    )
    # the same files again store nothing; next year's, numbered from 1, are stored whole
    assert sum(import_file(engine, path, LAST_YEAR).stored for path in files) == 0
    this_year = one_export_per_organisation(tmp_path / "2026", data_strategy, orgs, seed=14)
    assert sum(import_file(engine, p, THIS_YEAR).stored for p in this_year) == sum(
        n for _, n in this_year.values()
    )
    old = batches.list_batches(engine, LAST_YEAR)
    with pytest.raises(store.StoreError, match="cannot be told apart"):
        batches.undo_batch(engine, int(old["id"].iloc[0]))
    xlsx = old[old["format"] == "msforms"].iloc[0]
    org, n = files[next(p for p in files if p.suffix == ".xlsx")]
    assert batches.undo_batch(engine, int(xlsx["id"])).responses == n
    assert org not in set(store.load_responses(engine, LAST_YEAR)["organisation_id"])
    made.dispose()
    engine.dispose()

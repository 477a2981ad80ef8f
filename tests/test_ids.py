"""Ids that become file names and paths: one pattern, checked where ids enter (registry import,
round create, import, form links), and one function that builds every output path from ids.

Hostile ids: dots (``gm.alfadorp`` and ``gm.bravodorp`` both became ``gm.html``), slashes and
``..`` (``../../escape`` wrote two folders above the reports), absolute paths, backslashes,
capitals and case-only differences, very long ids, empty ids, look-alike letters from other
alphabets. The commands are run as a user runs them: ``python -m dwp_assess --db … …``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from dwp_assess import ids
from dwp_assess.collect import drafts, forms
from dwp_assess.data import store
from dwp_assess.data.importers import import_file
from dwp_assess.demo import SAMPLE_DIR
from dwp_assess.reports import files
from dwp_assess.reports import index as round_index
from dwp_assess.reports import run as reports
from dwp_assess.reports.options import ReportOptions

HOSTILE = {
    "dot": "gm.alfadorp",
    "slash": "gm/alfadorp",
    "parent": "../../escape",
    "other-round": "../other-round/index",
    "absolute": "/etc/passwd",
    "backslash": "..\\..\\escape",
    "capitals": "Gouda",
    "space": "den haag",
    "too-long": "a" * 65,
    "look-alike": "g\u043euda",  # Cyrillic o
    "full-width": "\uff47ouda",
    "leading-dash": "-gouda",
    "trailing-newline": "gouda\n",
    "nul": "gouda\x00x",
    "reserved-index": "index",
    "reserved-device": "con",
}
VALID = ["gouda", "s-hertogenbosch", "utrecht-provincie", "gm0513", "0513", "team_1", "a" * 64]


def cli(project_dir, db: str, *args: str) -> subprocess.CompletedProcess:
    """``python -m dwp_assess --project P --db URL ARGS`` from inside the test project."""
    env = {k: v for k, v in os.environ.items() if k != "DWP_DATABASE_URL"}
    command = [sys.executable, "-m", "dwp_assess", "--project", str(project_dir), "--db", db]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, env=env, cwd=project_dir
    )


def write_csv(path, header: str, rows: list[str]):
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


# -- the pattern and the output path ------------------------------------------------------


@pytest.mark.parametrize("value", VALID)
def test_valid_ids(value):
    assert ids.is_valid(value) and ids.check(value) == value


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_ids_are_not_ids(name):
    value = HOSTILE[name]
    assert not ids.is_valid(value)
    with pytest.raises(ids.IdError, match="lowercase letters a-z"):
        ids.check(value)


def test_the_problem_is_named():
    assert ids.problem("") == "is empty"
    assert ids.problem("a" * 65) == "is 65 characters long, more than 64"
    assert ids.problem("gm.alfadorp") == "has '.' (for example 'gm-alfadorp')"
    assert ids.problem("Gouda") == "has capitals (for example 'gouda')"
    assert "U+043E (cyrillic small letter o)" in ids.problem(HOSTILE["look-alike"])
    assert "for example" not in ids.problem(
        HOSTILE["look-alike"]
    )  # no suggestion that drops a letter
    assert ids.problem("index") == "is reserved (a file name of its own)"


@pytest.mark.parametrize("name", HOSTILE)
def test_output_path_refuses_every_hostile_part(tmp_path, name):
    for parts in [(HOSTILE[name],), ("round-1", HOSTILE[name]), (HOSTILE[name], "gouda")]:
        with pytest.raises(ids.IdError):
            ids.output_path(tmp_path, *parts, suffix=".html")
    assert list(tmp_path.iterdir()) == []


def test_output_path_appends_the_suffix_and_stays_inside(tmp_path):
    path = ids.output_path(tmp_path, "round-1", "gm-alfadorp", suffix=".html")
    assert path == (tmp_path / "round-1" / "gm-alfadorp.html").resolve()
    names = {
        ids.output_path(tmp_path, unit, suffix=".html").name
        for unit in ("gm-alfadorp", "gm-bravodorp", "gm")
    }
    assert len(names) == 3  # appended, never substituted: no two ids share a file
    assert ids.output_path(tmp_path, "r", suffix="-long.csv").name == "r-long.csv"


@pytest.mark.parametrize("suffix", ["/../x.html", "/x", "..html", ".HTML", "\\x"])
def test_output_path_refuses_a_suffix_that_is_not_a_plain_ending(tmp_path, suffix):
    with pytest.raises(ids.IdError):
        ids.output_path(tmp_path, "gouda", suffix=suffix)


def test_output_path_refuses_a_folder_that_links_outside(tmp_path):
    folder, outside = tmp_path / "reports", tmp_path / "elsewhere"
    folder.mkdir()
    outside.mkdir()
    (folder / "round-1").symlink_to(outside)
    with pytest.raises(ids.IdError, match="is not inside"):
        ids.output_path(folder, "round-1", "gouda", suffix=".html")


def test_normalise_gives_the_id_form():
    assert (
        ids.normalise("data-strategy-2026-najaar-gemeenten-ZH")
        == "data-strategy-2026-najaar-gemeenten-zh"
    )
    assert ids.normalise(" Súdwest Fryslân / 2026 ") == "sudwest-fryslan-2026"


# -- registry import, as a user runs it --------------------------------------------------


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'dwp.sqlite'}"


def test_registry_import_names_every_hostile_row_in_one_error(project_dir, db, tmp_path):
    rows = [
        f"{value.strip(chr(10))},Org {n},gemeente,GM{n:04d}"
        for n, value in enumerate(HOSTILE.values(), start=1)
    ]
    rows.append(",Leeg,gemeente,GM0999")
    orgs = write_csv(
        tmp_path / "orgs.csv", "id,name,kind,cbs_code", ["gouda,Gouda,gemeente,GM0513", *rows]
    )
    result = cli(project_dir, db, "registry", "import", str(orgs))
    assert result.returncode == 2, result.stderr
    error = " ".join(result.stderr.split())
    assert error.count("error:") == 1 and error.startswith(
        f"error: {orgs}: row 3: id 'gm.alfadorp'"
    )
    for line, value in enumerate(HOSTILE.values(), start=3):
        if value != "gouda\n":  # stripped like every cell: the same id as row 2, a duplicate
            assert f"row {line}: id" in error, (line, value)
    assert "row 15: duplicate id 'gouda' (also in row 2)" in error
    assert f"row {len(HOSTILE) + 3}: id is empty" in error
    assert "row 4: id 'gm/alfadorp' has '/'" in error
    assert "row 12: id 'gоuda' has U+043E (cyrillic small letter o)" in error
    assert "lowercase letters a-z, digits, '-' and '_'" in error
    assert "row 2:" not in error
    assert store.organisations(store.connect(db)).empty  # nothing stored


def test_two_organisations_with_dots_no_longer_share_a_report_file(project_dir, db, tmp_path):
    orgs = write_csv(
        tmp_path / "orgs.csv",
        "id,name,kind,cbs_code",
        ["gm.alfadorp,Alfadorp,gemeente,GM0001", "gm.bravodorp,Bravodorp,gemeente,GM0002"],
    )
    result = cli(project_dir, db, "registry", "import", str(orgs))
    assert result.returncode == 2
    assert "row 2: id 'gm.alfadorp' has '.' (for example 'gm-alfadorp')" in result.stderr
    assert "row 3: id 'gm.bravodorp' has '.' (for example 'gm-bravodorp')" in result.stderr


def test_path_traversal_id_is_refused(project_dir, db, tmp_path):
    orgs = write_csv(tmp_path / "orgs.csv", "id,name,kind", ["../../escape,Escape,other"])
    result = cli(project_dir, db, "registry", "import", str(orgs))
    assert result.returncode == 2
    assert "row 2: id '../../escape' has '.', '/'" in result.stderr


def test_ids_differing_only_in_case_are_refused_in_the_file_and_against_the_store(
    project_dir, db, tmp_path
):
    orgs = write_csv(
        tmp_path / "orgs.csv", "id,name,kind", ["Almere,Almere,gemeente", "almere,Almere,gemeente"]
    )
    result = cli(project_dir, db, "registry", "import", str(orgs))
    assert result.returncode == 2
    assert "row 2: id 'Almere' has capitals" in result.stderr
    assert "row 3: id 'almere' differs only in case from 'Almere' (in row 2)" in result.stderr
    engine = store.connect(db)  # a store from before ids were checked
    store.upsert_organisations(engine, [{"id": "Gouda", "name": "Gouda", "kind": "gemeente"}])
    orgs = write_csv(tmp_path / "orgs2.csv", "id,name,kind", ["gouda,Gouda,gemeente"])
    result = cli(project_dir, db, "registry", "import", str(orgs))
    assert result.returncode == 2
    assert "row 2: id 'gouda' differs only in case from 'Gouda' (in the store)" in result.stderr
    assert list(store.organisations(engine)["id"]) == ["Gouda"]


def test_team_ids_are_checked_and_nothing_is_stored_when_teams_are_refused(
    project_dir, db, tmp_path
):
    orgs = write_csv(
        tmp_path / "orgs.csv", "id,name,kind,cbs_code", ["gouda,Gouda,gemeente,GM0513"]
    )
    teams = write_csv(
        tmp_path / "teams.csv",
        "id,organisation_id,name",
        ["team.one,gouda,Team 1", "team.two,gouda,Team 2", "ok-team,gouda,", "t,../gouda,T"],
    )
    result = cli(project_dir, db, "registry", "import", str(orgs), str(teams))
    assert result.returncode == 2
    error = " ".join(result.stderr.split())
    assert "row 2: id 'team.one' has '.'" in error and "row 3: id 'team.two' has '.'" in error
    assert "row 4: name is empty" in error
    assert "row 5: unknown organisation_id '../gouda'" in error
    assert store.organisations(store.connect(db)).empty  # the organisations wait for good teams


def test_cbs_codes_fit_the_kind(project_dir, db, tmp_path):
    rows = [
        "gouda,Gouda,gemeente,GM0513",
        "zh,Zuid-Holland,provincie,PV28",
        "hhnk,HHNK,other,WS0155",
        "ggd,GGD,other,",
        "almere,Almere,gemeente,gm0034",
        "a,A,gemeente,GM513",
        "b,B,gemeente,PV26",
        "c,C,provincie,PV2",
        "d,D,other,GM0001",
        "e,E,gemeente,GM\u0660\u0665\u0661\u0663",
    ]
    orgs = write_csv(tmp_path / "orgs.csv", "id,name,kind,cbs_code", rows)
    result = cli(project_dir, db, "registry", "import", str(orgs))
    assert result.returncode == 2
    error = " ".join(result.stderr.split())
    assert "row 7: cbs_code 'GM513' is not valid for kind gemeente: expected GM + 4 digits" in error
    assert "row 8: cbs_code 'PV26' is not valid for kind gemeente" in error
    assert "row 9: cbs_code 'PV2' is not valid for kind provincie: expected PV + 2 digits" in error
    assert (
        "row 10: cbs_code 'GM0001' is not valid for kind other: expected empty, or WS + 4 digits"
        in error
    )
    assert "row 11: cbs_code" in error  # Arabic-Indic digits are not digits here
    assert not any(f"row {n}:" in error for n in range(2, 7))
    good = write_csv(tmp_path / "good.csv", "id,name,kind,cbs_code", rows[:5])
    assert cli(project_dir, db, "registry", "import", str(good)).returncode == 0
    codes = dict(store.organisations(store.connect(db))[["id", "cbs_code"]].values)
    assert codes["almere"] == "GM0034" and not isinstance(codes["ggd"], str)
    sample = cli(
        project_dir,
        f"{db}-sample",
        "registry",
        "import",
        str(SAMPLE_DIR / "organisations.csv"),
        str(SAMPLE_DIR / "teams.csv"),
    )
    assert sample.returncode == 0, sample.stderr  # the sample's ids and codes fit the rules
    assert "organisations changed: 22, teams changed: 44" in sample.stdout


def test_registry_import_help_states_the_id_pattern_and_cbs_codes(project_dir, db):
    text = " ".join(cli(project_dir, db, "registry", "import", "--help").stdout.split())
    assert "lowercase letters a-z, digits, '-' and '_'" in text and "at most 64 characters" in text
    assert "GM + 4 digits" in text and "PV + 2 digits" in text and "WS + 4 digits" in text


# -- round create and import ------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [v for v in HOSTILE.values() if "\x00" not in v] + [""]
)  # no NUL in argv
def test_round_create_refuses_a_hostile_id(project_dir, db, value):
    result = cli(
        project_dir,
        db,
        "round",
        "create",
        "--instrument",
        "data-strategy",
        "--period",
        "2026",
        "--id",
        value,
    )
    assert result.returncode == 2, (value, result.stdout, result.stderr)
    assert "round id" in result.stderr and "lowercase letters a-z" in result.stderr
    assert store.list_rounds(store.connect(db)) == []


def test_round_create_derives_an_id_in_id_form_from_the_period(project_dir, db):
    result = cli(
        project_dir,
        db,
        "round",
        "create",
        "--instrument",
        "data-strategy",
        "--period",
        "2026-najaar-ZH",
    )
    assert result.returncode == 0, result.stderr
    assert "round data-strategy-2026-najaar-zh:" in result.stdout
    [info] = store.list_rounds(store.connect(db))
    assert (info.id, info.period) == ("data-strategy-2026-najaar-zh", "2026-najaar-ZH")


def test_round_create_says_to_pass_an_id_when_the_period_makes_none(project_dir, db):
    result = cli(
        project_dir, db, "round", "create", "--instrument", "data-strategy", "--period", "x" * 60
    )
    assert result.returncode == 2
    assert "the round id made from instrument and period" in result.stderr
    assert "more than 64" in result.stderr and "--id" in result.stderr


def test_import_refuses_to_create_a_round_with_a_hostile_id(project_dir, db, tmp_path):
    assert (
        cli(project_dir, db, "registry", "import", str(SAMPLE_DIR / "organisations.csv")).returncode
        == 0
    )
    source = SAMPLE_DIR / "data-strategy-2025" / "template.csv"
    quarantine = tmp_path / "q" / "quarantine"
    result = cli(
        project_dir,
        db,
        "import",
        str(source),
        "--round",
        "../../escape",
        "--instrument",
        "data-strategy",
        "--period",
        "2025",
        "--quarantine-dir",
        str(quarantine),
    )
    assert result.returncode == 2
    assert "round id '../../escape'" in result.stderr
    assert store.list_rounds(store.connect(db)) == []
    assert not (tmp_path / "escape").exists()


def legacy_store(engine, data_strategy, org_ids: list[str], round_id: str = "data-strategy-2026"):
    """A store written before ids were checked: rows inserted past the registry's checks."""
    store.upsert_organisations(
        engine, [{"id": o, "name": o.upper(), "kind": "gemeente"} for o in org_ids]
    )
    with engine.begin() as conn:
        conn.execute(
            insert(store.round_).values(
                id=round_id,
                instrument_id=data_strategy.id,
                instrument_version=data_strategy.version,
                instrument_hash=data_strategy.content_hash,
                period="2026",
                opened_at=datetime.now(UTC),
            )
        )
    answers = tuple(store.AnswerRecord(item.id, 3.0) for item in data_strategy.items)
    for org in org_ids:
        record = store.ResponseRecord(
            f"legacy:{round_id}:{org}",
            round_id,
            f"p:{org}",
            org,
            None,
            None,
            "test",
            datetime(2026, 3, 1, tzinfo=UTC),
            answers,
        )
        assert store.store_response(engine, record) == store.STORED


def test_a_legacy_round_with_a_hostile_id_gets_no_quarantine_folder_and_no_rows(
    engine, data_strategy, tmp_path
):
    legacy_store(engine, data_strategy, ["gouda"], round_id="../escape")
    source = tmp_path / "in" / "export.csv"
    source.parent.mkdir()
    items = [i.id for i in data_strategy.items]
    source.write_text(
        "response_id,organisation_id,"
        + ",".join(items)
        + "\n"
        + "r1,gouda,"
        + ",".join(["3"] * len(items))
        + "\n"
        + "r2,../../escape,"
        + ",".join(["3"] * len(items))
        + "\n"
    )
    with pytest.raises(ids.IdError, match="'../escape'"):
        import_file(engine, source, "../escape")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("dwp.sqlite")) == [
        "in"
    ]
    assert len(store.load_responses(engine, "../escape")) == 1  # only the one written before


# -- reports: every path through ids.output_path; --org and --team checked -----------------


def test_a_legacy_store_with_dotted_ids_makes_no_colliding_report(engine, data_strategy, tmp_path):
    legacy_store(engine, data_strategy, ["gm.alfadorp", "gm.bravodorp"])
    with pytest.raises(ids.IdError, match="gm.alfadorp"):
        reports.generate_reports(engine, ReportOptions("data-strategy-2026", tmp_path / "reports"))
    assert not list((tmp_path / "reports").rglob("*.html"))


def test_a_legacy_store_with_a_traversal_id_writes_nothing_outside(engine, data_strategy, tmp_path):
    legacy_store(engine, data_strategy, ["../../escape"])
    out = tmp_path / "a" / "b" / "reports"
    with pytest.raises(ids.IdError):
        reports.generate_reports(engine, ReportOptions("data-strategy-2026", out))
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("dwp.sqlite")) == [
        "a"
    ]
    assert not list(tmp_path.rglob("escape*"))


def test_report_file_names_come_from_the_unit_id(tmp_path):
    assert files.unit_file(tmp_path, "team-one", ".html").name == "team-one.html"
    for unit in ("team.one", "../x", "index"):
        with pytest.raises(ids.IdError):
            files.unit_file(tmp_path, unit, ".html")


def test_the_index_links_only_files_named_after_valid_ids(tmp_path):
    (tmp_path / "gouda.html").write_text("x")
    (tmp_path / "gm.html").write_text("x")
    manifest = {
        "gouda": {
            "status": "ok",
            "title": "Gouda",
            "html": "gouda.html",
            "notebook": "gouda.ipynb",
        },
        "gm.alfadorp": {
            "status": "ok",
            "title": "Alfadorp",
            "html": "gm.html",
            "notebook": "gm.ipynb",
        },
        "almere": {"status": "ok", "title": "Almere", "html": "../gouda.html", "notebook": None},
    }
    page = round_index.write_index(
        tmp_path, "r", manifest, set(), "nl", "Datastrategie"
    ).read_text()
    assert 'href="gouda.html"' in page
    assert 'href="gm.html"' not in page and "../gouda.html" not in page


@pytest.fixture(scope="module")
def report_store(tmp_path_factory, project_dir):
    """A store with the sample registry, a data-strategy round with answers, an empty one and
    a competences round, made through the command line."""
    folder = tmp_path_factory.mktemp("units")
    db = f"sqlite:///{folder / 'dwp.sqlite'}"
    steps = [
        (
            "registry",
            "import",
            str(SAMPLE_DIR / "organisations.csv"),
            str(SAMPLE_DIR / "teams.csv"),
        ),
        (
            "import",
            str(SAMPLE_DIR / "data-strategy-2026" / "template.csv"),
            "--round",
            "data-strategy-2026",
            "--instrument",
            "data-strategy",
            "--period",
            "2026",
            "--quarantine-dir",
            str(folder / "q"),
        ),
        ("round", "create", "--instrument", "data-strategy", "--period", "2027"),
        ("round", "create", "--instrument", "competences", "--period", "2025"),
    ]
    for step in steps:
        result = cli(project_dir, db, *step)
        assert result.returncode == 0, result.stderr
    return db, folder


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("--round", "data-strategy-2026", "--org", "goudaa"),
            "unknown organisation id(s) 'goudaa' (did you mean 'gouda'?)",
        ),
        (
            ("--round", "data-strategy-2026", "--org", "gouda", "--org", "../x"),
            "unknown organisation id(s) '../x'",
        ),
        (
            ("--round", "competences-2025", "--team", "gouda-team-financien", "--team", "nope"),
            "unknown team id(s) 'nope'",
        ),
        (
            ("--round", "competences-2025", "--org", "gouda"),
            "has a report per team: name teams with --team, not --org (e.g. --team gouda-programma-energietransitie, --team gouda-team-financien)",
        ),
        (
            ("--round", "data-strategy-2026", "--team", "gouda-team-financien"),
            "has a report per organisation: name organisations with --org, not --team (e.g. --org gouda)",
        ),
        (
            ("--round", "data-strategy-2027", "--org", "gouda"),
            "no answers in round 'data-strategy-2027' from organisation(s) gouda",
        ),
    ],
)
def test_report_names_unknown_or_misplaced_units_and_makes_nothing(
    project_dir, report_store, args, expected
):
    db, folder = report_store
    out = folder / "reports"
    result = cli(project_dir, db, "report", *args, "--out", str(out))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert expected in " ".join(result.stderr.split())
    assert "made" not in result.stdout
    assert not out.exists()


# -- form links and drafts -------------------------------------------------------------------


def test_form_links_with_invalid_ids_are_refused_even_when_the_store_holds_them(
    engine, data_strategy
):
    legacy_store(engine, data_strategy, ["gm.alfadorp"], round_id="Data-Strategy-2026")
    with pytest.raises(forms.FormError) as raised:
        forms.resolve_context(engine, "Data-Strategy-2026", "gm.alfadorp")
    assert raised.value.key == "form.error.unknown_round"
    legacy_store(engine, data_strategy, ["gm.bravodorp"])
    with pytest.raises(forms.FormError) as raised:
        forms.resolve_context(engine, "data-strategy-2026", "gm.bravodorp")
    assert raised.value.key == "form.error.unknown_organisation"


def test_a_draft_of_a_round_with_an_invalid_id_has_no_path():
    with pytest.raises(ids.IdError):
        drafts.draft_path("../other", "0" * 32)
    assert drafts.draft_path("competences-2026", "0" * 32).name == "0" * 32 + ".json"

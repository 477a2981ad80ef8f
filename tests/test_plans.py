"""Improvement plans (issue #14): draft → edit → import → the next round's follow-up, versions,
refusal of bad files with row and column named, one organisation's plan never in another's
report, and the plan tables on PostgreSQL."""

from __future__ import annotations

import csv
import hashlib
import sys
import uuid
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from dwp_assess.analysis.plan_follow_up import known_actions
from dwp_assess.cli.main import app, main
from dwp_assess.data import plan_files, store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.reports import run as reports
from dwp_assess.reports.options import ReportOptions

pytest_plugins = ["tests.pg_server"]
BEFORE, AFTER = "data-strategy-2025", "data-strategy-2026"
OWNER = "Jet Planmaker"


@pytest.fixture(scope="module")
def drafted(tmp_path_factory, sample_store):
    """A copy of the sample store and Gouda's draft plan for the 2025 round, made by the command."""
    folder = tmp_path_factory.mktemp("plans")
    url = sample_store.copy_to(folder / "dwp.sqlite")
    engine = store.connect(url)
    result = CliRunner().invoke(
        app,
        [
            "--db",
            url,
            "plan",
            "draft",
            "--round",
            BEFORE,
            "--org",
            "gouda",
            "--out",
            str(folder / "drafts"),
        ],
    )
    assert result.exit_code == 0, result.output
    yield engine, url, folder
    engine.dispose()


def _import(url, path, org="gouda", round_id=BEFORE):
    return CliRunner().invoke(
        app, ["--db", url, "plan", "import", str(path), "--round", round_id, "--org", org]
    )


def _main(capsys, monkeypatch, *args: str) -> tuple[int, str]:
    """Run the command as ``dwp-assess`` does (its one-line errors and exit codes)."""
    monkeypatch.setattr(sys, "argv", ["dwp-assess", *args])
    with pytest.raises(SystemExit) as ended:
        main()
    captured = capsys.readouterr()
    return ended.value.code, captured.out + captured.err


def test_the_draft_lists_the_advice_with_columns_to_fill_in_and_instructions(drafted):
    _, _, folder = drafted
    book = load_workbook(folder / "drafts" / "gouda-verbeterplan.xlsx")
    sheet = book["Verbeterplan"]
    head = [c.value for c in sheet[1]]
    assert head[:3] == ["organisatie", "ronde", "actie-id"] and "overnemen (ja/nee)" in head
    assert "Instructies" in book.sheetnames
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    assert '"ja,nee"' in lists.values() and any("niet gestart" in (f or "") for f in lists.values())
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) >= 3 and all(r[0] == "gouda" and r[1] == BEFORE for r in rows)
    with (folder / "drafts" / "gouda-verbeterplan.csv").open(encoding="utf-8-sig") as fh:
        assert len(list(csv.reader(fh))) == len(rows) + 1


def test_round_trip_from_draft_to_the_next_rounds_follow_up(drafted):
    """Edit the XLSX as a municipality would (openpyxl), import it, and make the next round's
    reports: Gouda's opens its advice with the follow-up; Almere's shows no plan at all."""
    engine, url, folder = drafted
    path = folder / "drafts" / "gouda-verbeterplan.xlsx"
    book = load_workbook(path)
    sheet = book["Verbeterplan"]
    head = [c.value for c in sheet[1]]
    col = {
        name: head.index(name) + 1
        for name in ("overnemen (ja/nee)", "naam eigenaar", "streefdatum (JJJJ-MM-DD)", "status")
    }
    adopted = [sheet.cell(row=r, column=3).value for r in (2, 3)]
    for row, status in ((2, "bezig"), (3, "afgerond")):
        sheet.cell(row=row, column=col["overnemen (ja/nee)"], value="ja")
        sheet.cell(row=row, column=col["naam eigenaar"], value=OWNER)
        sheet.cell(row=row, column=col["streefdatum (JJJJ-MM-DD)"], value=datetime(2026, 6, 30))
        sheet.cell(row=row, column=col["status"], value=status)
    sheet.cell(row=4, column=col["overnemen (ja/nee)"], value="nee")
    book.save(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    result = _import(url, path)
    assert result.exit_code == 0 and "plan version 1 stored, 2 of" in result.output, result.output
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest  # the file is never changed
    assert "unchanged, same as stored version 1" in _import(url, path).output
    stored = plan_files.adopted_actions(engine, BEFORE)
    assert list(stored["action_id"]) == sorted(adopted) and set(stored["owner_name"]) == {OWNER}
    assert set(stored["due_date"]) == {date(2026, 6, 30)}
    shown = CliRunner().invoke(
        app, ["--db", url, "plan", "show", "--round", BEFORE, "--org", "gouda"]
    )
    assert shown.exit_code == 0 and "plan version 1 of 1" in shown.output, shown.output
    assert (
        "bezig" in shown.output and "afgerond" in shown.output and "in_progress" not in shown.output
    )
    assert "dimensie" in shown.output and "purpose_governance" not in shown.output

    out = folder / "reports"
    summary = reports.generate_reports(
        engine, ReportOptions(AFTER, out, units=["gouda", "almere"], previous_round_id=BEFORE)
    )
    assert summary.failed == 0
    gouda = (out / AFTER / "gouda.html").read_text(encoding="utf-8")
    assert "Opvolging verbeterplan" in gouda and OWNER in gouda and "bezig" in gouda
    assert gouda.index("Opvolging verbeterplan") < gouda.index(">Aanbevelingen<")
    assert "2026-06-30" in gouda and " → " in gouda and "(2025)" in gouda
    almere = (out / AFTER / "almere.html").read_text(encoding="utf-8")
    assert "Opvolging verbeterplan" not in almere and OWNER not in almere


def test_a_changed_file_is_a_new_version(drafted, tmp_path):
    engine, url, folder = drafted
    source = folder / "drafts" / "gouda-verbeterplan.csv"
    rows = list(csv.reader(source.open(encoding="utf-8-sig")))
    rows[1][11:15] = ["ja", "Piet", "2026-09-01", "niet gestart"]
    path = tmp_path / "plan.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    before = plan_files.plan_versions(engine, BEFORE, "gouda")
    result = _import(url, path)
    assert result.exit_code == 0, result.output
    versions = plan_files.plan_versions(engine, BEFORE, "gouda")
    assert len(versions) == len(before) + 1
    assert list(
        plan_files.load_plans(engine, BEFORE, "gouda", adopted_only=True)["owner_name"]
    ) == ["Piet"]


def _bad(rows, column, value, row=1):
    rows[row][column] = value


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda r: _bad(r, 0, "almere"), "row 2: organisatie: 'almere' is not 'gouda'"),
        (lambda r: _bad(r, 1, AFTER), f"row 2: ronde: '{AFTER}' is not '{BEFORE}'"),
        (
            lambda r: _bad(r, 2, "do-something-else"),
            "row 2: actie-id: unknown action 'do-something-else'",
        ),
        (lambda r: _bad(r, 2, r[1][2], row=2), "row 3: actie-id: action"),
        (
            lambda r: _bad(r, 11, "misschien"),
            "row 2: overnemen (ja/nee): 'misschien' is not ja/nee",
        ),
        (
            lambda r: _bad(r, 13, "31-02-2026"),
            "row 2: streefdatum (JJJJ-MM-DD): '31-02-2026' is not a date",
        ),
        (
            lambda r: _bad(r, 14, "half klaar"),
            "row 2: status: 'half klaar' is not one of niet gestart, bezig",
        ),
        (lambda r: _bad(r, 12, "x" * 201), "row 2: naam eigenaar"),
        (
            lambda r: r[0].__setitem__(11, "adopted?"),
            "row 1: missing column(s) 'overnemen (ja/nee)'",
        ),
    ],
)
def test_a_bad_file_is_refused_with_row_and_column(drafted, tmp_path, edit, expected):
    engine, url, folder = drafted
    rows = list(
        csv.reader((folder / "drafts" / "gouda-verbeterplan.csv").open(encoding="utf-8-sig"))
    )
    rows[1][11] = "ja"
    edit(rows)
    path = tmp_path / "plan.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    before = len(plan_files.plan_versions(engine, BEFORE, "gouda"))
    result = _import(url, path)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert expected in result.output and "the plan was not stored" in result.output, result.output
    assert len(plan_files.plan_versions(engine, BEFORE, "gouda")) == before


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--org", "nowhere"], "organisation 'nowhere' has no answers in round"),
        (["--round", "no-such-round"], "unknown round 'no-such-round'"),
        (["--file", "plan.txt"], "expected an .xlsx or .csv file"),
        (["--file", "missing.csv"], "missing.csv: file not found"),
    ],
)
def test_import_refuses_wrong_organisation_round_or_file(
    drafted, tmp_path, capsys, monkeypatch, args, expected
):
    _, url, folder = drafted
    options = {
        "--org": "gouda",
        "--round": BEFORE,
        "--file": str(folder / "drafts" / "gouda-verbeterplan.csv"),
    }
    options.update(dict(zip(args[::2], args[1::2], strict=True)))
    if options["--file"] == "plan.txt":
        (tmp_path / "plan.txt").write_text("x", encoding="utf-8")
    file = options["--file"] if "/" in options["--file"] else str(tmp_path / options["--file"])
    code, output = _main(
        capsys,
        monkeypatch,
        "--db",
        url,
        "plan",
        "import",
        file,
        "--round",
        options["--round"],
        "--org",
        options["--org"],
    )
    assert code == 2 and expected in output and "Traceback" not in output, output


def test_plans_are_versioned_on_postgresql(postgres_url, tmp_path, monkeypatch):
    schema_db = postgres_url.rsplit("/", 1)[0] + "/postgres"
    name = f"dwp_{uuid.uuid4().hex[:8]}"
    admin = create_engine(store.database_url(schema_db), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"create database {name}"))
    pg = store.connect(f"{schema_db.rsplit('/', 1)[0]}/{name}")
    instrument = get_instrument("data-strategy", 1)
    store.upsert_organisations(pg, [{"id": "gouda", "name": "Gouda", "kind": "gemeente"}])
    store.create_round(pg, instrument, "2025", BEFORE)
    record = store.ResponseRecord(
        "r1",
        BEFORE,
        "p1",
        "gouda",
        None,
        None,
        "test",
        datetime(2025, 3, 1, tzinfo=UTC),
        (store.AnswerRecord("VS1", 3.0),),
    )
    store.store_response(pg, record)
    known = known_actions(instrument)
    plan_files.record_draft(pg, BEFORE, "gouda", ["vision-adopt"])  # what `plan draft` records
    header = [plan_files.header(c, "nl") for c in plan_files.COLUMNS]
    path = tmp_path / "plan.csv"
    for version, status in ((1, "bezig"), (2, "afgerond")):
        row = dict.fromkeys(plan_files.COLUMNS, "") | {
            "organisation_id": "gouda",
            "round_id": BEFORE,
            "action_id": "vision-adopt",
            "adopted": "ja",
            "due_date": "2026-01-31",
            "status": status,
        }
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([header, [row[c] for c in plan_files.COLUMNS]])
        assert plan_files.import_plan(pg, path, BEFORE, "gouda", known).version == version
    stored = plan_files.adopted_actions(pg, BEFORE)
    assert list(stored["status"]) == ["done"] and list(stored["plan_version"]) == [2]
    assert stored["indicator"].iloc[0] == list(known["vision-adopt"].indicator)
    pg.dispose()

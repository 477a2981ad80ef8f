"""The command line as a user runs it: demo, status, template, round, registry, export."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from openpyxl import load_workbook

from dwp_assess.demo import SAMPLE_DIR


def cli(*args: str, db: str | None = None, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("DWP_DATABASE_URL", None)
    if db:
        env["DWP_DATABASE_URL"] = db
    return subprocess.run(
        [sys.executable, "-m", "dwp_assess", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'dwp.sqlite'}"
    result = cli("demo", "--out", str(folder / "reports"), db=url)
    assert result.returncode == 0, result.stderr
    return url, result.stdout, folder / "reports"


def manifest_total(key: str) -> int:
    manifest = json.loads((SAMPLE_DIR / "manifest.json").read_text(encoding="utf-8"))
    return sum(f[key] for r in manifest["rounds"] for f in r["files"])


def test_demo_stores_the_sample_and_status_shows_it(demo_db):
    url, output, _ = demo_db
    stored, present = manifest_total("expected_stored"), manifest_total("expected_already_present")
    assert stored > 1000
    assert f"sample loaded: {stored} responses stored now, {present} already present" in output
    status = cli("status", db=url)
    assert status.returncode == 0
    for round_id in ("data-strategy-2025", "data-strategy-2026", "competences-2025"):
        assert round_id in status.stdout
    assert "organisations: 22, teams: 44" in status.stdout


def test_demo_twice_stores_nothing_new(demo_db):
    url, _, reports = demo_db
    again = cli("demo", "--out", str(reports), db=url)
    assert again.returncode == 0, again.stderr
    total = manifest_total("expected_stored") + manifest_total("expected_already_present")
    assert f"sample loaded: 0 responses stored now, {total} already present" in again.stdout
    assert "data-strategy-2026: 0 made, 22 up to date, 0 failed" in again.stdout
    assert "competences-2026: 0 made, 44 up to date, 0 failed" in again.stdout


def test_demo_ends_with_the_reports_and_where_to_open_them(demo_db):
    _, output, reports = demo_db
    tail = output[output.index("Reports") :]
    for round_id, count in [("data-strategy-2025", 22), ("data-strategy-2026", 22),
                            ("competences-2025", 44), ("competences-2026", 44)]:  # fmt: skip
        index = reports / round_id / "index.html"
        assert str(index) in tail
        assert len(list(index.parent.glob("*.html"))) == count + 1  # the reports and the index
        assert f"{round_id}: {count} made, 0 up to date, 0 failed" in output


def test_every_command_has_help():
    commands = [
        "validate",
        "status",
        "import",
        "export",
        "template",
        "sample",
        "demo",
        "registry",
        "round",
    ]
    for command in commands:
        result = cli(command, "--help")
        assert result.returncode == 0 and "Usage" in result.stdout, command


def test_template_command_writes_csv_and_xlsx(tmp_path):
    result = cli("template", "--instrument", "competences", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    header = (tmp_path / "competences-v2-template.csv").read_text(encoding="utf-8").strip()
    assert header.startswith(
        "response_id,respondent_id,organisation_id,team_id,role,submitted_at,LIT7"
    )
    workbook = load_workbook(tmp_path / "competences-v2-template.xlsx")
    assert workbook.sheetnames == ["antwoorden", "toelichting"]
    explained = {row[0]: row for row in workbook["toelichting"].iter_rows(values_only=True)}
    assert "Dit kan ik anderen leren" in explained["LIT7"][2]
    assert workbook["antwoorden"].data_validations.dataValidation


def test_filled_template_imports(tmp_path):
    db = f"sqlite:///{tmp_path / 'dwp.sqlite'}"
    cli("template", "--instrument", "data-strategy", "--out", str(tmp_path))
    header = (
        (tmp_path / "data-strategy-v2-template.csv").read_text(encoding="utf-8").strip().split(",")
    )
    row = {c: "" for c in header} | {"response_id": "paper-1", "organisation_id": "Woerden"}
    row |= {c: "4" for c in header if c[:2].isupper() and c[2:].isdigit()}  # 4 on every scale
    pd.DataFrame([row]).to_csv(tmp_path / "filled.csv", index=False)
    assert cli("registry", "import", str(SAMPLE_DIR / "organisations.csv"), db=db).returncode == 0
    created = cli("round", "create", "--instrument", "data-strategy", "--period", "2027", db=db)
    assert "round data-strategy-2027" in created.stdout
    result = cli("import", str(tmp_path / "filled.csv"), "--round", "data-strategy-2027", db=db)
    assert result.returncode == 0, result.stderr
    assert "│ filled.csv │ template │ 1" in result.stdout


def test_export_command(demo_db, tmp_path):
    url, _, _ = demo_db
    result = cli(
        "export", "--round", "competences-2025", "--out", str(tmp_path), "--format", "csv", db=url
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "competences-2025-codebook.csv", "competences-2025-long.csv", "competences-2025-wide.csv",
    ]  # fmt: skip


def test_registry_problems_are_listed_per_row(tmp_path):
    bad = tmp_path / "orgs.csv"
    bad.write_text(
        "id,name,kind,cbs_code\ngouda,Gouda,gemeente,GM513\nx,X,waterschap,\ngouda,G,gemeente,\n"
    )
    result = cli("registry", "import", str(bad), db=f"sqlite:///{tmp_path / 'd.sqlite'}")
    assert result.returncode == 2
    assert "duplicate id 'gouda'" in result.stderr
    assert "row 2: cbs_code 'GM513' is not GM#### or PV##" in result.stderr
    assert "row 3: kind 'waterschap' is not one of gemeente, provincie, other" in result.stderr

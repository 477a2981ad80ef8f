"""XLSForm export (KoboToolbox, ODK) and a Kobo-shaped export of its answers importing back."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dwp_assess.collect import xlsform
from dwp_assess.data import registry, store
from dwp_assess.data.importers import import_file

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


@pytest.fixture
def registry_engine(engine):
    registry.import_registry(engine, SAMPLE / "organisations.csv", SAMPLE / "teams.csv")
    return engine


def read_sheet(path: Path, name: str) -> list[dict]:
    sheet = load_workbook(path)[name]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.mark.parametrize("instrument_id", ["competences", "data-strategy"])
def test_every_item_is_a_select_one_inside_its_dimension_group(
    instrument_id, registry_engine, tmp_path
):
    from dwp_assess.instruments.loading import get_instrument

    instrument = get_instrument(instrument_id)
    path = xlsform.write_xlsform(instrument, tmp_path / "form.xlsx", registry_engine)
    survey = read_sheet(path, "survey")
    group, seen = None, {}
    for row in survey:
        if row["type"] == "begin_group":
            group = row["name"]
        elif row["type"] == "end_group":
            group = None
        elif row["name"] in instrument.item_by_id:
            seen[row["name"]] = (group, row["type"], row["required"])
    assert list(seen) == [i.id for i in instrument.items]
    for item in instrument.items:
        assert seen[item.id] == (
            xlsform.group_name(item.dimension),
            f"select_one {item.scale}",
            "yes",
        )
    names = [r["name"] for r in survey]
    assert {"start", "end", "organisation_id", "role"} <= set(names)
    assert ("team_id" in names) == (instrument.kind == "team")
    first = next(r for r in survey if r["name"] == instrument.items[0].id)
    assert first["label::Nederlands (nl)"] == f"1. {instrument.items[0].text.nl}"
    assert first["label::English (en)"] == f"1. {instrument.items[0].text.en}"


@pytest.mark.parametrize("instrument_id", ["competences", "data-strategy"])
def test_pyxform_turns_the_xlsform_into_an_xform_without_warnings(
    instrument_id, registry_engine, tmp_path
):
    """pyxform is the converter KoboToolbox and ODK use: what it accepts, they accept."""
    from pyxform.xls2xform import convert

    from dwp_assess.instruments.loading import get_instrument

    instrument = get_instrument(instrument_id)
    path = xlsform.write_xlsform(instrument, tmp_path / "form.xlsx", registry_engine)
    result = convert(xlsform=str(path), validate=False)
    assert result.warnings == []
    assert f'id="{xlsform.form_id(instrument)}"' in result.xform
    for item in instrument.items:
        assert f'nodeset="/data/{xlsform.group_name(item.dimension)}/{item.id}"' in result.xform
    assert 'lang="English (en)"' in result.xform and 'lang="Nederlands (nl)"' in result.xform


def test_choices_hold_scale_values_special_codes_and_the_registry(registry_engine, tmp_path):
    from dwp_assess.instruments.loading import get_instrument

    instrument = get_instrument("data-strategy", 2)
    path = xlsform.write_xlsform(instrument, tmp_path / "form.xlsx", registry_engine)
    choices = read_sheet(path, "choices")
    agree = [r["name"] for r in choices if r["list_name"] == "agree5"]
    assert agree == ["1", "2", "3", "4", "5", "dont_know", "not_applicable"]
    orgs = {r["name"] for r in choices if r["list_name"] == "organisation"}
    assert orgs == set(store.organisations(registry_engine)["id"])
    settings = read_sheet(path, "settings")[0]
    assert settings["form_id"] == "data_strategy_v2"
    assert settings["default_language"] == "Nederlands (nl)"


def test_team_choices_are_filtered_by_organisation(registry_engine, tmp_path, competences):
    path = xlsform.write_xlsform(competences, tmp_path / "form.xlsx", registry_engine)
    team_row = next(r for r in read_sheet(path, "survey") if r["name"] == "team_id")
    assert team_row["choice_filter"] == "organisation=${organisation_id}"
    teams = [r for r in read_sheet(path, "choices") if r["list_name"] == "team"]
    assert {(r["name"], r["organisation"]) for r in teams} == set(
        zip(
            store.teams(registry_engine)["id"],
            store.teams(registry_engine)["organisation_id"],
            strict=True,
        )
    )


def test_without_a_registry_organisation_is_a_text_question(tmp_path, competences):
    path = xlsform.write_xlsform(competences, tmp_path / "form.xlsx")
    types = {r["name"]: r["type"] for r in read_sheet(path, "survey")}
    assert types["organisation_id"] == "text" and types["team_id"] == "text"


def kobo_export(form: Path, path: Path, rows: list[dict]) -> Path:
    """A file in the shape of KoboToolbox's CSV export ("XML values and headers", ';'):
    metadata, then every question as ``group/name``, then Kobo's own columns."""
    survey = read_sheet(form, "survey")
    header, group = ["start", "end"], None
    for row in survey:
        if row["type"] == "begin_group":
            group = row["name"]
        elif row["type"] == "end_group":
            group = None
        elif row["type"] not in ("start", "end", "note"):
            header.append(f"{group}/{row['name']}" if group else row["name"])
    header += [
        "_id",
        "_uuid",
        "_submission_time",
        "_validation_status",
        "_notes",
        "_status",
        "_submitted_by",
        "__version__",
        "_tags",
        "_index",
    ]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(header)
        for n, answers in enumerate(rows, start=1):
            cells = []
            for col in header:
                name = col.rsplit("/", 1)[-1]
                if name in answers:
                    cells.append(answers[name])
                elif col == "_id":
                    cells.append(str(1000 + n))
                elif col == "_index":
                    cells.append(str(n))
                elif col in ("start", "end", "_submission_time"):
                    cells.append(f"2026-03-1{n}T10:3{n}:00.000+01:00")
                elif col == "_status":
                    cells.append("submitted_via_web")
                else:
                    cells.append("")
            writer.writerow(cells)
    return path


def test_kobo_export_of_the_xlsform_imports_back(registry_engine, tmp_path, competences):
    store.create_round(registry_engine, competences, "2026")
    form = xlsform.write_xlsform(competences, tmp_path / "form.xlsx", registry_engine)
    choices = [str(v) for v in range(1, 6)] + ["dont_know"]
    rows = []
    for n in range(3):
        answers = {
            item.id: choices[(k + n) % len(choices)] for k, item in enumerate(competences.items)
        }
        answers |= {
            "organisation_id": "gouda",
            "team_id": "gouda-team-financien",
            "role": "domain_expert",
            "team_expectation": f"doel {n}",
            "_uuid": f"8c0f9d1e-0000-4000-8000-00000000000{n}",
        }
        rows.append(answers)
    export = kobo_export(form, tmp_path / "kobo-export.csv", rows)
    summary = import_file(registry_engine, export, "competences-2026", quarantine_dir=tmp_path)
    assert summary.format == "kobo"
    assert (summary.stored, summary.quarantined) == (3, 0)
    stored = store.load_answers(registry_engine, "competences-2026")
    for answers in rows:
        own = stored[stored["response_id"] == f"kobo:{answers['_uuid']}"]
        got = {
            r.item_id: r.code if isinstance(r.code, str) else str(int(r.value))
            for r in own.itertuples()
            if r.item_id in competences.item_by_id
        }
        assert got == {i.id: answers[i.id] for i in competences.items}
        assert own["team_id"].unique().tolist() == ["gouda-team-financien"]
        assert (
            own.loc[own["item_id"] == "team_expectation", "text"].item()
            == answers["team_expectation"]
        )
    again = import_file(registry_engine, export, "competences-2026", quarantine_dir=tmp_path)
    assert (again.stored, again.already_present) == (0, 3)


def cli(*args: str, db: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DWP_DATABASE_URL": db}
    return subprocess.run(
        [sys.executable, "-m", "dwp_assess", *args], capture_output=True, text=True, env=env
    )


def test_export_form_command(registry_engine, sqlite_url, tmp_path):
    out = tmp_path / "ds.xlsx"
    done = cli("export-form", "--instrument", "data-strategy", "--out", str(out), db=sqlite_url)
    assert done.returncode == 0, done.stderr
    assert out.is_file() and "written" in done.stdout
    bad = cli("export-form", "--instrument", "nope", db=sqlite_url)
    assert bad.returncode == 2 and "unknown instrument 'nope'" in bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    fmt = cli("export-form", "--instrument", "competences", "--format", "odk", db=sqlite_url)
    assert fmt.returncode == 2 and "xlsform" in fmt.stderr


def test_collect_command_refuses_an_unknown_round_and_a_busy_port(registry_engine, sqlite_url):
    import socket

    bad = cli("collect", "--round", "nope-2030", db=sqlite_url)
    assert bad.returncode == 2 and "unknown round 'nope-2030'" in bad.stderr
    assert "Traceback" not in bad.stderr
    from dwp_assess.instruments.loading import get_instrument

    store.create_round(registry_engine, get_instrument("competences"), "2026")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        taken = cli("collect", "--round", "competences-2026", "--port", str(port), db=sqlite_url)
    assert taken.returncode == 2 and f"port {port} is already in use" in taken.stderr

"""The archive package: SPSS levels and labels read back, Stata labels, codebook for every
column, a valid Frictionless data package, and no researchers-only free text by default."""

from __future__ import annotations

import json

import frictionless
import numpy as np
import pandas as pd
import pyreadstat
import pytest

from dwp_assess.analysis import archive
from dwp_assess.data import importers, registry, store


@pytest.fixture
def small_round(engine, tmp_path, data_strategy):
    orgs = tmp_path / "orgs.csv"
    orgs.write_text("id,name,kind,cbs_code,size_class,urbanisation,province,invited\n"
                    "gouda,Gouda,gemeente,GM0513,50.000-100.000,sterk stedelijk,Zuid-Holland,20\n"
                    "pu,Provincie Utrecht,provincie,PV26,provincie,,Utrecht,30\n", "utf-8")  # fmt: skip
    registry.import_registry(engine, orgs)
    store.create_round(engine, data_strategy, "2026", "ds-2026")
    rng = np.random.default_rng(1)
    items = [i.id for i in data_strategy.items]
    free = [f.id for f in data_strategy.free_text]
    rows = []
    for n in range(8):
        answers = [str(v) for v in rng.integers(1, 6, len(items))]
        answers[0] = "weet ik niet" if n == 0 else answers[0]
        rows.append([f"r{n}", "gouda" if n < 5 else "pu", "beleid" if n % 2 else "ict", *answers,
                     *[f"tekst {f} {n}" for f in free]])  # fmt: skip
    frame = pd.DataFrame(rows, columns=["response_id", "organisation_id", "role", *items, *free])
    path = tmp_path / "answers.csv"
    frame.to_csv(path, index=False)
    summary = importers.import_file(engine, path, "ds-2026")
    assert summary.stored == 8
    return engine


def test_archive_files_read_back_with_levels_labels_and_codebook(small_round, tmp_path, data_strategy):  # fmt: skip
    files = archive.export_archive(small_round, "ds-2026", tmp_path / "out")
    folder = tmp_path / "out" / "ds-2026"
    assert {p.name for p in files} == {f"{t}.{x}" for t in ("respondents", "organisations") for x in ("csv", "sav", "dta")} | {"codebook.csv", "datapackage.json"}  # fmt: skip
    data, meta = pyreadstat.read_sav(folder / "respondents.sav", user_missing=True)
    item = data_strategy.rated_items[0]
    assert meta.variable_measure["role"] == "nominal"
    assert meta.variable_measure[item.id] == "ordinal"
    assert meta.variable_measure[f"score_{item.dimension}"] == "scale"
    assert meta.variable_value_labels["role"][1.0] == "Bestuur of management"  # instrument's order
    assert meta.variable_value_labels[item.id][-1.0] == "Weet ik niet"
    assert meta.column_names_to_labels[item.id] == item.text.nl
    assert data.loc[data["response_id"] == "r0", item.id].item() == -1
    plain, _ = pyreadstat.read_sav(folder / "respondents.sav")
    assert pd.isna(plain.loc[plain["response_id"] == "r0", item.id].item())  # declared missing
    orgs, org_meta = pyreadstat.read_sav(folder / "organisations.sav")
    assert org_meta.variable_measure["invited"] == "scale" and org_meta.variable_measure["kind"] == "nominal"  # fmt: skip
    assert set(org_meta.variable_value_labels["province"].values()) == {"Utrecht", "Zuid-Holland"}
    assert orgs.set_index("organisation_id").loc["gouda", ["cbs_code", "period"]].tolist() == ["GM0513", "2026"]  # fmt: skip
    _, dta_meta = pyreadstat.read_dta(folder / "organisations.dta")
    assert dta_meta.variable_value_labels["kind"] == {1: "gemeente", 2: "provincie"}
    book = pd.read_csv(folder / "codebook.csv")
    for name in ("respondents", "organisations"):
        columns = pd.read_csv(folder / f"{name}.csv", nrows=0).columns.tolist()
        assert book.loc[book["file"] == name, "variable"].tolist() == columns
    assert book["label_nl"].notna().all() and set(book["measure"]) <= set(archive.MEASURES)


def test_datapackage_validates_with_frictionless(small_round, tmp_path):
    archive.export_archive(small_round, "ds-2026", tmp_path / "out")
    report = frictionless.validate(tmp_path / "out" / "ds-2026" / "datapackage.json")
    assert report.valid, report.flatten(["type", "note"])
    descriptor = json.loads((tmp_path / "out" / "ds-2026" / "datapackage.json").read_text("utf-8"))
    assert [r["name"] for r in descriptor["resources"]] == ["respondents", "organisations", "codebook"]  # fmt: skip


def test_researchers_only_free_text_needs_the_flag(small_round, tmp_path, data_strategy):
    hidden = [f.id for f in data_strategy.free_text if not f.show_in_reports]
    assert hidden
    archive.export_archive(small_round, "ds-2026", tmp_path / "a")
    text = "".join(p.read_text("utf-8") for p in (tmp_path / "a" / "ds-2026").glob("*.csv"))
    assert not any(f"tekst {h}" in text for h in hidden)
    archive.export_archive(small_round, "ds-2026", tmp_path / "b", include_free_text=True)
    columns = pd.read_csv(tmp_path / "b" / "ds-2026" / "respondents.csv", nrows=0).columns
    assert set(hidden) <= set(columns)

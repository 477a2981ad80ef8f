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
    orgs.write_text(
        "id,name,kind,cbs_code,size_class,urbanisation,province,invited\n"
        "gouda,Gouda,gemeente,GM0513,50.000-100.000,sterk stedelijk,Zuid-Holland,20\n"
        "pu,Provincie Utrecht,provincie,PV26,provincie,,Utrecht,30\n",
        "utf-8",
    )
    registry.import_registry(engine, orgs)
    store.create_round(engine, data_strategy, "2026", "ds-2026")
    rng = np.random.default_rng(1)
    items = [i.id for i in data_strategy.items]
    free = [f.id for f in data_strategy.free_text]
    rows = []
    for n in range(8):
        answers = [str(v) for v in rng.integers(1, 6, len(items))]
        answers[0] = "weet ik niet" if n == 0 else answers[0]
        rows.append(
            [
                f"r{n}",
                "gouda" if n < 5 else "pu",
                "beleid" if n % 2 else "ict",
                *answers,
                *[f"tekst {f} {n}" for f in free],
            ]
        )
    frame = pd.DataFrame(rows, columns=["response_id", "organisation_id", "role", *items, *free])
    path = tmp_path / "answers.csv"
    frame.to_csv(path, index=False)
    summary = importers.import_file(engine, path, "ds-2026")
    assert summary.stored == 8
    return engine


def test_archive_files_read_back_with_levels_labels_and_codebook(
    small_round, tmp_path, data_strategy
):
    files = archive.export_archive(small_round, "ds-2026", tmp_path / "out")
    folder = tmp_path / "out" / "ds-2026"
    assert {p.name for p in files} == {
        f"{t}.{x}" for t in ("respondents", "organisations") for x in ("csv", "sav", "dta")
    } | {"codebook.csv", "datapackage.json"}
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
    assert (
        org_meta.variable_measure["invited"] == "scale"
        and org_meta.variable_measure["kind"] == "nominal"
    )
    assert org_meta.variable_value_labels["province"][7.0] == "Utrecht"  # CBS order, every province
    assert len(org_meta.variable_value_labels["province"]) == 12
    assert orgs.set_index("organisation_id").loc["gouda", ["cbs_code", "period"]].tolist() == [
        "GM0513",
        "2026",
    ]
    _, dta_meta = pyreadstat.read_dta(folder / "organisations.dta")
    assert dta_meta.variable_value_labels["kind"] == {1: "gemeente", 2: "provincie", 3: "other"}
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
    assert [r["name"] for r in descriptor["resources"]] == [
        "respondents",
        "organisations",
        "codebook",
    ]


def test_researchers_only_free_text_needs_the_flag(small_round, tmp_path, data_strategy):
    hidden = [f.id for f in data_strategy.free_text if not f.show_in_reports]
    assert hidden
    archive.export_archive(small_round, "ds-2026", tmp_path / "a")
    text = "".join(p.read_text("utf-8") for p in (tmp_path / "a" / "ds-2026").glob("*.csv"))
    assert not any(f"tekst {h}" in text for h in hidden)
    archive.export_archive(small_round, "ds-2026", tmp_path / "b", include_free_text=True)
    columns = pd.read_csv(tmp_path / "b" / "ds-2026" / "respondents.csv", nrows=0).columns
    assert set(hidden) <= set(columns)


def _archive_of(
    engine, tmp_path, name: str, organisations: list[str], data_strategy
) -> tuple[pd.DataFrame, dict]:
    """The organisations archive of a one-round project whose registry has ``organisations``
    (CSV rows): the coded values and the SPSS metadata."""
    orgs = tmp_path / f"{name}.csv"
    orgs.write_text(
        "id,name,kind,cbs_code,size_class,urbanisation,province,invited\n"
        + "\n".join(organisations)
        + "\n",
        "utf-8",
    )
    registry.import_registry(engine, orgs)
    store.create_round(engine, data_strategy, "2026", "ds-2026")
    items = [i.id for i in data_strategy.items]
    ids = [row.split(",")[0] for row in organisations]
    frame = pd.DataFrame(
        [[f"r{n}", org, "beleid", *["3"] * len(items)] for n, org in enumerate(ids)],
        columns=["response_id", "organisation_id", "role", *items],
    )
    frame.to_csv(tmp_path / f"{name}-answers.csv", index=False)
    assert importers.import_file(engine, tmp_path / f"{name}-answers.csv", "ds-2026").stored == len(
        ids
    )
    archive.export_archive(engine, "ds-2026", tmp_path / name)
    data, meta = pyreadstat.read_sav(
        tmp_path / name / "ds-2026" / "organisations.sav", user_missing=True
    )
    return data.set_index("organisation_id"), meta


def test_registry_classes_have_the_same_codes_in_every_project(tmp_path, data_strategy):
    """Two projects with different classes present (and other spellings of the same class)
    code each class alike, in the defined order, ordinal where the classes are ordered."""
    first = [
        "almere,Almere,gemeente,GM0034,150.000-250.000,sterk stedelijk,Flevoland,9",
        "gouda,Gouda,gemeente,GM0513,50.000-100.000,matig stedelijk,Zuid-Holland,9",
        "den-haag,Den Haag,gemeente,GM0518,> 250.000,zeer sterk stedelijk,Zuid-Holland,9",
    ]
    second = [
        "den-haag,Den Haag,gemeente,GM0518,250.000 en meer,Zeer sterk stedelijk,Zuid-Holland,9",
        "eersel,Eersel,gemeente,GM0770,20.000-50.000,weinig stedelijk,Noord-Brabant,9",
        "pu,Provincie Utrecht,provincie,PV26,provincie,,Utrecht,9",
        "sudwest-fryslan,Súdwest-Fryslân,gemeente,GM1900,50.000 - 100.000,niet stedelijk,Friesland,9",
    ]
    one, meta_one = _archive_of(
        store.connect(f"sqlite:///{tmp_path / 'a.sqlite'}"), tmp_path, "a", first, data_strategy
    )
    two, meta_two = _archive_of(
        store.connect(f"sqlite:///{tmp_path / 'b.sqlite'}"), tmp_path, "b", second, data_strategy
    )
    for column in ("kind", "size_class", "urbanisation", "province"):
        assert meta_one.variable_value_labels[column] == meta_two.variable_value_labels[column]
    assert (
        one.loc["den-haag", ["kind", "size_class", "urbanisation", "province"]].tolist()
        == two.loc["den-haag", ["kind", "size_class", "urbanisation", "province"]].tolist()
    )
    labels = meta_one.variable_value_labels["size_class"]
    assert [labels[k] for k in sorted(k for k in labels if k > 0)] == [
        "minder dan 5.000",
        "5.000-10.000",
        "10.000-20.000",
        "20.000-50.000",
        "50.000-100.000",
        "100.000-150.000",
        "150.000-250.000",
        "250.000 en meer",
    ]
    assert one.loc["gouda", "size_class"] == two.loc["sudwest-fryslan", "size_class"] == 5
    assert one.loc["almere", "size_class"] == 7 and one.loc["den-haag", "size_class"] == 8
    assert (
        two.loc["eersel", "size_class"] == 4 and two.loc["pu", "size_class"] == -2
    )  # not applicable
    assert meta_two.missing_ranges["size_class"] == [{"lo": -2.0, "hi": -2.0}]
    assert [
        one.loc["den-haag", "urbanisation"],
        one.loc["almere", "urbanisation"],
        one.loc["gouda", "urbanisation"],
    ] == [1, 2, 3]
    assert [two.loc["eersel", "urbanisation"], two.loc["sudwest-fryslan", "urbanisation"]] == [4, 5]
    assert (
        two.loc["sudwest-fryslan", "province"] == 2
        and meta_two.variable_value_labels["province"][2.0] == "Fryslân"
    )
    for meta in (meta_one, meta_two):
        assert (
            meta.variable_measure["size_class"]
            == meta.variable_measure["urbanisation"]
            == "ordinal"
        )
        assert meta.variable_measure["kind"] == meta.variable_measure["province"] == "nominal"

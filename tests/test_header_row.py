"""A survey export or registry file with a title above its header (as reports and exports of
survey tools often have) is read from its header, with the file's own row numbers."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from openpyxl import Workbook

from dwp_assess.data import store
from dwp_assess.data.importers import import_file
from dwp_assess.data.registry import import_registry, parse_organisations
from dwp_assess.data.tables import FileProblem, read_table
from dwp_assess.instruments.loading import get_instrument

ORGANISATIONS = [
    {"id": "sudwest-fryslan", "name": "Súdwest-Fryslân", "kind": "gemeente", "cbs_code": "GM1900"},
    {"id": "s-hertogenbosch", "name": "'s-Hertogenbosch", "kind": "gemeente", "cbs_code": "GM0796"},
]
TITLES = [["Enquête datastrategie 2027 — export van 3 maart"], ["Aangemaakt door: gemeente"]]


def responses(count: int) -> pd.DataFrame:
    items = [i.id for i in get_instrument("data-strategy").items]
    rows = [
        {"response_id": f"x{k}", "organisation_id": ORGANISATIONS[k % 2]["id"], "role": "beleid"}
        | {item: str(1 + (k + n) % 5) for n, item in enumerate(items)}
        for k in range(count)
    ]
    rows[1]["organisation_id"] = "nergens"  # one bad row: quarantined with its own row number
    return pd.DataFrame(rows)


def write(frame: pd.DataFrame, path, titles: list[list[str]], blank_between: bool = False) -> None:
    """``frame`` below ``titles`` (and a blank row), as CSV or XLSX by the suffix."""
    rows = [
        *titles,
        *([[]] if blank_between else []),
        list(frame.columns),
        *frame.astype(str).values.tolist(),
    ]
    if path.suffix == ".xlsx":
        book = Workbook()
        for row in rows:
            book.active.append(row)
        book.save(path)
    else:
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, delimiter=";").writerows(rows)


@pytest.fixture
def engine(sqlite_url, tmp_path):
    engine = store.connect(sqlite_url)
    orgs = tmp_path / "organisations.csv"
    pd.DataFrame(ORGANISATIONS).to_csv(orgs, index=False)
    import_registry(engine, orgs)
    store.create_round(engine, get_instrument("data-strategy"), "2027", "ds-2027")
    return engine


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("blank_between", [False, True])
def test_an_export_with_title_rows_is_read_from_its_header(engine, tmp_path, suffix, blank_between):
    path = tmp_path / f"export{suffix}"
    write(responses(6), path, TITLES, blank_between)
    header_row = len(TITLES) + blank_between + 1
    summary = import_file(engine, path, "ds-2027", quarantine_dir=tmp_path / "q")
    assert summary.format == "template"
    assert (summary.stored, summary.quarantined) == (5, 1)
    assert (
        summary.warnings[0]
        == f"the header is on row {header_row}; the {header_row - 1} row(s) above it were not read"
    )
    quarantined = pd.read_csv(summary.quarantine_csv, dtype=str, encoding="utf-8-sig")
    assert quarantined["row_number"].tolist() == [str(header_row + 2)]  # the second data row
    assert len(store.load_responses(engine, "ds-2027")) == 5


def test_a_file_without_a_title_still_reads_its_first_row_as_header(engine, tmp_path):
    path = tmp_path / "plain.csv"
    write(responses(4), path, [])
    table = read_table(path)
    assert table.header_row == 1
    assert import_file(engine, path, "ds-2027", quarantine_dir=tmp_path / "q").warnings == []


def test_an_unknown_layout_says_how_far_the_header_was_looked_for(engine, tmp_path):
    path = tmp_path / "other.xlsx"
    write(
        responses(3).rename(columns={"response_id": "nummer", "organisation_id": "wie"}),
        path,
        TITLES,
    )
    with pytest.raises(FileProblem, match="format not recognised.*first 10 rows"):
        import_file(engine, path, "ds-2027")


def test_a_registry_file_with_a_title_row_is_read_with_the_files_row_numbers(tmp_path):
    path = tmp_path / "organisations.xlsx"
    frame = pd.DataFrame(
        ORGANISATIONS + [{"id": "x", "name": "X", "kind": "waterschap", "cbs_code": ""}]
    )
    write(frame, path, [["Deelnemers 2027"]])
    with pytest.raises(ValueError, match="row 5: kind 'waterschap'"):
        parse_organisations(path)
    write(frame.iloc[:2], path, [["Deelnemers 2027"]])
    assert [r["name"] for r in parse_organisations(path)] == ["Súdwest-Fryslân", "'s-Hertogenbosch"]

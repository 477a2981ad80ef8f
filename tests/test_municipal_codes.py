"""CBS codes per period: the committed table, the import warning, and the sample's codes."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from dwp_assess.data import importers, municipal_codes, registry, store
from dwp_assess.data.sample import PERIODS, generate_rounds


def test_table_names_its_source_and_every_successor_is_in_it():
    table = municipal_codes.code_table()
    readme = (municipal_codes.TABLE.parent / "README.md").read_text(encoding="utf-8")
    assert "CBS" in readme and "herindeling" in readme
    successors = set(table["successor_code"].dropna()) - {"GM0363"}  # Amsterdam did not change
    assert successors <= set(table.index)
    assert table.index.str.fullmatch(r"GM\d{4}").all()


@pytest.mark.parametrize(
    ("code", "year", "expected"),
    [
        ("GM0398", 2021, "GM0398"),
        ("GM0398", 2022, "GM1980"),
        ("GM0501", 2022, "GM0501"),
        ("GM0501", 2026, "GM1992"),
        ("GM0513", 2026, "GM0513"),
    ],
)
def test_code_in_a_year_follows_mergers(code, year, expected):
    assert municipal_codes.code_in(code, year) == expected


def test_problems_name_the_code_the_year_and_the_successor():
    orgs = pd.DataFrame(
        {"organisation_id": ["a", "b", "c", "d"], "cbs_code": ["GM0398", "GM1992", "GM0513", None]}
    )
    found = municipal_codes.check_round_codes(orgs, "2026-voorjaar")
    assert [p.organisation_id for p in found] == ["a"]
    assert "GM0398 (Heerhugowaard) no longer exists in 2026" in found[0].message()
    assert "use GM1980 (Dijk en Waard)" in found[0].message()
    early = municipal_codes.check_round_codes(orgs, "2020")
    assert [(p.organisation_id, p.reason) for p in early] == [("b", "not_yet")]
    assert municipal_codes.check_round_codes(orgs, "najaar") == []  # no year: nothing to check


def _registry(tmp_path, code):
    path = tmp_path / "orgs.csv"
    path.write_text(
        f"id,name,kind,cbs_code,invited\nhhw,Heerhugowaard,gemeente,{code},20\n", "utf-8"
    )
    return path


def _answers_file(tmp_path, instrument):
    items = [i.id for i in instrument.items]
    row = ["r1", "hhw"] + ["3"] * len(items)
    path = tmp_path / "answers.csv"
    path.write_text(
        ",".join(["response_id", "organisation_id", *items]) + "\n" + ",".join(row) + "\n", "utf-8"
    )
    return path


def test_import_warns_when_a_code_does_not_exist_in_the_rounds_period(
    engine, tmp_path, data_strategy
):
    registry.import_registry(engine, _registry(tmp_path, "GM0398"))
    store.create_round(engine, data_strategy, "2026", "ds-2026")
    with pytest.warns(municipal_codes.MunicipalCodeWarning, match="GM0398"):
        summary = importers.import_file(engine, _answers_file(tmp_path, data_strategy), "ds-2026")
    assert summary.stored == 1 and "use GM1980" in summary.warnings[0]
    with pytest.warns(municipal_codes.MunicipalCodeWarning, match="ds-2026"):
        registry.import_registry(engine, _registry(tmp_path, "GM0398"), round_id="ds-2026")


def test_import_with_a_code_of_the_period_is_silent(engine, tmp_path, data_strategy):
    registry.import_registry(engine, _registry(tmp_path, "GM1980"))
    store.create_round(engine, data_strategy, "2026", "ds-2026")
    with warnings.catch_warnings():
        warnings.simplefilter("error", municipal_codes.MunicipalCodeWarning)
        summary = importers.import_file(engine, _answers_file(tmp_path, data_strategy), "ds-2026")
    assert summary.warnings == []


def test_the_sample_gives_every_organisation_the_code_of_its_periods():
    orgs, _, _ = generate_rounds()
    frame = orgs.rename(columns={"id": "organisation_id"})
    for period in PERIODS:
        assert municipal_codes.check_round_codes(frame, period) == []
    merged = orgs.set_index("id").loc[["heerhugowaard", "brielle"], ["name", "cbs_code"]]
    assert merged.values.tolist() == [["Dijk en Waard", "GM1980"], ["Voorne aan Zee", "GM1992"]]


def test_the_command_line_says_the_warning_once_in_one_plain_line(tmp_path, data_strategy):
    """``dwp-assess import`` lists the code warning under the file's summary, once, without a
    Python source path; ``registry import --round`` prints it as one plain line too."""
    import subprocess
    import sys

    project = tmp_path / "project"

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "dwp_assess", "--project", str(project), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert run("init", str(project)).returncode == 0
    assert run("registry", "import", str(_registry(tmp_path, "GM0398"))).returncode == 0
    version = str(data_strategy.version)
    assert (
        run(
            "round",
            "create",
            "--instrument",
            "data-strategy",
            "--version",
            version,
            "--period",
            "2026",
            "--id",
            "ds-2026",
        ).returncode
        == 0
    )
    result = run("import", str(_answers_file(tmp_path, data_strategy)), "--round", "ds-2026")
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert output.count("GM0398") == 1 and "warning: " in result.stdout and ".py:" not in output
    again = run("registry", "import", str(_registry(tmp_path, "GM0398")), "--round", "ds-2026")
    assert again.returncode == 0 and "warning: " in again.stderr and ".py:" not in again.stderr

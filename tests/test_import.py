"""Import of real-world files: formats, messy input, quarantine, idempotency, atomicity.

Files are written by the tests themselves, in the shapes survey tools and people produce.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from dwp_assess.cli.main import app
from dwp_assess.data import store
from dwp_assess.data.importers import import_file
from dwp_assess.data.registry import import_registry
from dwp_assess.data.tables import FileProblem
from dwp_assess.demo import SAMPLE_DIR
from dwp_assess.instruments.loading import get_instrument

ROUND = "data-strategy-test"


@pytest.fixture
def loaded(engine, data_strategy, competences):
    """A store with the sample registry and an empty round per instrument."""
    import_registry(engine, SAMPLE_DIR / "organisations.csv", SAMPLE_DIR / "teams.csv")
    store.create_round(engine, data_strategy, "test", ROUND)
    store.create_round(engine, competences, "test", "competences-test")
    return engine


def rows(instrument, n=3, org="gouda", answer="4") -> list[dict]:
    """``n`` complete template rows with every item answered ``answer``."""
    return [
        {"response_id": f"r{k}", "organisation_id": org, "role": "beleid"}
        | {i.id: answer for i in instrument.items}
        for k in range(1, n + 1)
    ]


def write_csv(path, records, delimiter=",", encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(records[0]), delimiter=delimiter)
    writer.writeheader()
    writer.writerows(records)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def stored(engine, round_id=ROUND) -> pd.DataFrame:
    return store.load_answers(engine, round_id)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_delimiters_and_encodings(loaded, data_strategy, tmp_path, delimiter, encoding):
    records = rows(data_strategy)
    records[0]["next_step"] = "Betere coördinatie: één datateam"
    path = write_csv(tmp_path / "x.csv", records, delimiter, encoding)
    summary = import_file(loaded, path, ROUND)
    assert (summary.stored, summary.quarantined) == (3, 0)
    texts = stored(loaded).dropna(subset=["text"])
    assert texts["text"].tolist() == ["Betere coördinatie: één datateam"]


def test_labels_in_dutch_and_english_any_case_and_spacing(loaded, data_strategy, tmp_path):
    records = rows(data_strategy, n=1)
    cells = [
        "  helemaal MEE eens ",
        "Strongly disagree",
        "mee\xa0eens",
        "3",
        "4.0",
        "A2",
        "zeer oneens",
    ]
    items = [i.id for i in data_strategy.items]
    for item_id, cell in zip(items, cells, strict=False):
        records[0][item_id] = cell
    import_file(loaded, write_csv(tmp_path / "x.csv", records), ROUND)
    values = stored(loaded).set_index("item_id")["value"]
    assert [values[i] for i in items[:7]] == [5, 1, 4, 3, 4, 2, 1]


def test_dont_know_not_applicable_and_blanks_are_codes_not_zeros(loaded, data_strategy, tmp_path):
    records = rows(data_strategy, n=1)
    items = [i.id for i in data_strategy.items]
    records[0] |= {items[0]: "Weet ik niet", items[1]: "n.v.t.", items[2]: "", items[3]: "NVT"}
    import_file(loaded, write_csv(tmp_path / "x.csv", records), ROUND)
    answers = stored(loaded).set_index("item_id")
    assert answers.loc[items[0], "code"] == "dont_know" and pd.isna(answers.loc[items[0], "value"])
    assert answers.loc[items[1], "code"] == "not_applicable"
    assert answers.loc[items[3], "code"] == "not_applicable"
    assert items[2] not in answers.index  # a blank is not answered: no row, certainly no zero
    assert (answers["value"].dropna() > 0).all()


def test_row_problems_are_quarantined_with_reasons(loaded, data_strategy, tmp_path):
    records = rows(data_strategy, n=6)
    first, second = data_strategy.items[0].id, data_strategy.items[1].id
    records[1]["organisation_id"] = "Gemeente Goudaa"
    records[2][first] = "7"
    records[3][second] = "Misschien"
    records[4]["response_id"] = ""
    records[5]["role"] = "wethouder"
    summary = import_file(
        loaded, write_csv(tmp_path / "x.csv", records), ROUND, quarantine_dir=tmp_path / "q"
    )
    assert (summary.rows_read, summary.stored, summary.quarantined) == (6, 1, 5)
    quarantine = store.load_quarantine(loaded, ROUND).set_index("row_number")["reason"]
    assert quarantine[3] == "unknown organisation 'Gemeente Goudaa'"
    assert quarantine[4].startswith(f"{first}: value 7 is out of range (1–5")
    assert quarantine[5].startswith(f"{second}: 'Misschien' is not an answer on the scale")
    assert quarantine[6] == "response id is missing"
    assert quarantine[7] == "unknown role 'wethouder'"
    written = pd.read_csv(summary.quarantine_csv, dtype=str, keep_default_na=False)
    assert written["reason"].tolist() == quarantine.tolist()


def test_quarantine_csv_goes_beside_the_store_never_into_the_project(
    loaded, data_strategy, tmp_path
):
    records = rows(data_strategy, n=2)
    records[1]["organisation_id"] = "Gemeente Goudaa"
    (tmp_path / "in").mkdir()
    source = write_csv(tmp_path / "in" / "export.csv", records)
    summary = import_file(loaded, source, ROUND)
    store_folder = Path(loaded.url.database).parent
    assert summary.quarantine_csv.parent == store_folder / "quarantine" / ROUND
    assert summary.quarantine_csv.name.startswith("export.csv.")
    assert sorted(p.name for p in source.parent.iterdir()) == ["export.csv"]  # source untouched


def test_organisation_by_name_or_cbs_code(loaded, data_strategy, tmp_path):
    records = rows(data_strategy, n=2)
    records[0]["organisation_id"] = "GOUDA "
    records[1]["organisation_id"] = "gm0513"
    assert import_file(loaded, write_csv(tmp_path / "x.csv", records), ROUND).stored == 2
    assert set(store.load_responses(loaded, ROUND)["organisation_id"]) == {"gouda"}


def test_duplicates_identical_are_skipped_conflicting_quarantined(loaded, data_strategy, tmp_path):
    records = rows(data_strategy, n=2) + rows(data_strategy, n=1)  # r1 twice, identical
    conflict = rows(data_strategy, n=1, answer="2")[0] | {"response_id": "r2"}
    summary = import_file(loaded, write_csv(tmp_path / "x.csv", [*records, conflict]), ROUND)
    assert (summary.stored, summary.already_present, summary.quarantined) == (1, 1, 2)
    reasons = store.load_quarantine(loaded, ROUND)["reason"]
    assert reasons.str.contains("appears in rows 3, 5 with different answers").all()


def test_reimport_stores_nothing_and_a_changed_file_is_quarantined_naming_round_and_batch(
    loaded, data_strategy, tmp_path
):
    path = write_csv(tmp_path / "x.csv", rows(data_strategy))
    first = import_file(loaded, path, ROUND)
    again = import_file(loaded, path, ROUND)
    assert (first.stored, again.stored, again.already_present) == (3, 0, 3)
    changed = write_csv(
        tmp_path / "x.csv", rows(data_strategy, answer="1")
    )  # the same file, changed
    summary = import_file(loaded, changed, ROUND)
    assert summary.quarantined == 3 and summary.all_refused
    reason = store.load_quarantine(loaded, ROUND)["reason"][0]
    assert (
        f"already stored with other answers in round '{ROUND}' from 'template:x.csv' (batch {first.batch_id})"
        in reason
    )
    assert f"dwp-assess import --undo {first.batch_id}" in reason
    assert (stored(loaded)["value"] == 4).all()


def test_the_same_ids_in_another_file_of_the_organisation_are_other_responses(
    loaded, data_strategy, tmp_path
):
    first = import_file(loaded, write_csv(tmp_path / "x.csv", rows(data_strategy)), ROUND)
    other = import_file(
        loaded, write_csv(tmp_path / "y.csv", rows(data_strategy, answer="1")), ROUND
    )
    assert (other.stored, other.quarantined) == (3, 0)
    assert any(f"from 'template:x.csv' (batch {first.batch_id}" in w for w in other.warnings)
    assert sorted(stored(loaded).groupby("response_id")["value"].first()) == [1, 1, 1, 4, 4, 4]


def test_quarantine_is_not_recorded_twice(loaded, data_strategy, tmp_path):
    records = rows(data_strategy, n=2)
    records[1]["organisation_id"] = "nowhere"
    path = write_csv(tmp_path / "x.csv", records)
    import_file(loaded, path, ROUND)
    import_file(loaded, path, ROUND)
    assert len(store.load_quarantine(loaded, ROUND)) == 1


def test_strict_rejects_the_whole_file(loaded, data_strategy, tmp_path):
    records = rows(data_strategy, n=3)
    records[2]["organisation_id"] = "nowhere"
    with pytest.raises(FileProblem, match="--strict rejects the whole file; nothing was stored"):
        import_file(loaded, write_csv(tmp_path / "x.csv", records), ROUND, strict=True)
    assert stored(loaded).empty and store.load_quarantine(loaded).empty


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"response_id,organisation_id\n", "the file has a header but no rows"),
        (b"response_id,organisation_id\nr1,gouda\n", r"missing item column\(s\) VS1, VS2"),
        (b"response_id|organisation_id|VS1\nr1|gouda|4\n", "only one column found"),
        (b"foo,bar\n1,2\n", "format not recognised"),
    ],
)
def test_file_problems_are_one_clear_error_and_store_nothing(loaded, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(FileProblem, match=message):
        import_file(loaded, path, ROUND)
    assert stored(loaded).empty


def test_missing_item_columns_name_them(loaded, data_strategy, tmp_path):
    records = [{k: v for k, v in r.items() if k not in ("VS2", "OS1")} for r in rows(data_strategy)]
    with pytest.raises(FileProblem, match=r"missing item column\(s\) VS2, OS1"):
        import_file(loaded, write_csv(tmp_path / "x.csv", records), ROUND)


def test_cli_file_error_exit_code_2_without_traceback(loaded, tmp_path, sqlite_url):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"foo;bar\n1;2\n")
    args = [
        sys.executable,
        "-m",
        "dwp_assess",
        "--db",
        sqlite_url,
        "import",
        str(path),
        "--round",
        ROUND,
    ]
    result = subprocess.run(args, capture_output=True, text=True)
    assert result.returncode == 2
    assert "format not recognised" in result.stderr and "Traceback" not in result.stderr
    debug = subprocess.run([*args[:3], "--debug", *args[3:]], capture_output=True, text=True)
    assert "Traceback" in debug.stderr


def test_hostile_text_is_stored_as_text_and_neutralised_in_quarantine_csv(
    loaded, data_strategy, tmp_path
):
    hostile = "=cmd|' /C calc'!A0 <script>alert(1)</script>\x00\x07 '); DROP TABLE answer;--"
    records = rows(data_strategy, n=2)
    records[0]["next_step"] = hostile
    records[1]["organisation_id"] = '=HYPERLINK("http://x")'
    summary = import_file(
        loaded, write_csv(tmp_path / "x.csv", records), ROUND, quarantine_dir=tmp_path
    )
    text = stored(loaded).dropna(subset=["text"])["text"].iloc[0]
    assert text == hostile.replace("\x00", "").replace("\x07", "")
    written = summary.quarantine_csv.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in written and ",=HYPERLINK" not in written


def test_source_file_is_never_modified(loaded, data_strategy, tmp_path):
    records = rows(data_strategy)
    records[1]["organisation_id"] = "nowhere"
    (tmp_path / "in").mkdir()
    path = write_csv(tmp_path / "in" / "x.csv", records, ";", "cp1252")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    import_file(loaded, path, ROUND)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["x.csv"]  # nothing written beside it


def test_team_instrument_requires_a_known_team(loaded, competences, tmp_path):
    base = {i.id: "3" for i in competences.items} | {"role": "Data scientist"}
    records = [
        {"response_id": "t1", "organisation_id": "gouda", "team_id": "Team Veiligheid"} | base,
        {"response_id": "t2", "organisation_id": "gouda", "team_id": ""} | base,
        {"response_id": "t3", "organisation_id": "gouda", "team_id": "Team Onbekend"} | base,
    ]
    teams = store.teams(loaded)
    gouda_team = teams[teams["organisation_id"] == "gouda"].iloc[0]
    records[0]["team_id"] = gouda_team["name"]
    summary = import_file(loaded, write_csv(tmp_path / "x.csv", records), "competences-test")
    assert (summary.stored, summary.quarantined) == (1, 2)
    reasons = store.load_quarantine(loaded, "competences-test")["reason"].tolist()
    assert reasons == [
        "team is empty (required for a team questionnaire)",
        "unknown team 'Team Onbekend' in organisation 'gouda'",
    ]
    assert store.load_responses(loaded, "competences-test")["team_id"].tolist() == [
        gouda_team["id"]
    ]
    assert store.load_responses(loaded, "competences-test")["role"].tolist() == ["data_scientist"]


def test_kobo_export_with_group_prefixes(loaded, data_strategy, tmp_path):
    record = {"start": "2026-03-01T10:00", "end": "2026-03-01T10:12", "organisation_id": "almere"}
    record |= {f"dimension_{i.dimension}/{i.id}": "5" for i in data_strategy.items}
    record[f"dimension_vision_strategy/{data_strategy.items[0].id}"] = "dont_know"
    record |= {
        "_id": "1",
        "_uuid": "2b7e-11",
        "_submission_time": "2026-03-01T10:12:30",
        "_index": "1",
    }
    summary = import_file(loaded, write_csv(tmp_path / "kobo.csv", [record]), ROUND)
    assert (summary.format, summary.stored) == ("kobo", 1)
    assert store.load_responses(loaded, ROUND)["response_id"].tolist() == ["kobo:2b7e-11"]
    assert stored(loaded)["code"].eq("dont_know").sum() == 1


def test_mapped_file(loaded, data_strategy, tmp_path):
    headers = {i.id: f"Vraag {n}" for n, i in enumerate(data_strategy.items, start=1)}
    record = {"Nr": "17", "Gemeente": "Woerden", "Ingevuld": "14-03-2026"}
    record |= {h: "zeer eens" for h in headers.values()}
    mapping = {
        "format": "mapped",
        "columns": {"response_id": "Nr", "organisation_id": "Gemeente", "submitted_at": "Ingevuld"},
        "items": headers,
    }
    map_path = tmp_path / "mapping.yaml"
    map_path.write_text(json.dumps(mapping), encoding="utf-8")
    summary = import_file(
        loaded, write_csv(tmp_path / "eigen.csv", [record], ";"), ROUND, mapping=map_path
    )
    assert (summary.format, summary.stored) == ("mapped", 1)
    assert (stored(loaded)["value"] == 5).all()


def test_mapping_naming_a_missing_column_is_a_file_problem(loaded, data_strategy, tmp_path):
    mapping = {
        "columns": {"response_id": "Nr", "organisation_id": "Gemeente"},
        "items": {"VS1": "Vraag 1"},
    }
    map_path = tmp_path / "m.yaml"
    map_path.write_text(json.dumps(mapping), encoding="utf-8")
    path = write_csv(tmp_path / "x.csv", [{"Nr": "1", "Gemeente": "Gouda"}])
    with pytest.raises(
        FileProblem, match=r"missing column\(s\) named in the mapping: VS1 \('Vraag 1'\)"
    ):
        import_file(loaded, path, ROUND, mapping=map_path)


def test_msforms_workbook(loaded, data_strategy, tmp_path):
    wb = Workbook()
    sheet = wb.active
    header = ["Id", "Start time", "Completion time", "Email", "Name", "Organisatie", "Rol"]
    header += [f"{n}. {i.text.nl}" for n, i in enumerate(data_strategy.items, start=1)]
    sheet.append(header)
    sheet.append(
        [
            7,
            "3/1/26 10:00:00",
            "3/1/26 10:14:00",
            "a.jansen@gouda.nl",
            "A. Jansen",
            "Gouda",
            "Beleid",
        ]
        + ["Mee eens"] * len(data_strategy.items)
    )
    wb.save(tmp_path / "forms.xlsx")
    summary = import_file(loaded, tmp_path / "forms.xlsx", ROUND)
    assert (summary.format, summary.stored) == ("msforms", 1)
    response = store.load_responses(loaded, ROUND).iloc[0]
    assert response["response_id"] == f"msforms:{ROUND}:7"
    assert "jansen" not in response["respondent_id"]  # pseudonym, not the e-mail address


def test_unknown_round_explains_how_to_create_it(loaded, tmp_path):
    path = write_csv(tmp_path / "x.csv", rows(get_instrument("data-strategy")))  # the newest
    with pytest.raises(store.StoreError, match="pass --instrument and --period"):
        import_file(loaded, path, "data-strategy-2030")
    result = CliRunner().invoke(
        app,
        [
            "--db",
            str(loaded.url),
            "import",
            str(path),
            "--round",
            "ds-2030",
            "--instrument",
            "data-strategy",
            "--period",
            "2030",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "created round ds-2030" in result.output


@pytest.mark.parametrize("round_index", [0, 1, 2, 3])
def test_committed_sample_files_import_as_the_manifest_says(loaded, round_index):
    manifest = json.loads((SAMPLE_DIR / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["rounds"][round_index]
    instrument = get_instrument(entry["instrument_id"], entry["instrument_version"])
    ins = store.create_round(loaded, instrument, "sample", f"{instrument.key}-sample")
    for f in entry["files"]:
        summary = import_file(loaded, SAMPLE_DIR / f["path"], ins.id)
        assert summary.format == f["format"]
        assert summary.rows_read == f["rows"]
        assert summary.stored == f["expected_stored"]
        assert summary.already_present == f["expected_already_present"]
        assert summary.quarantined == f["expected_quarantined"]


# -- length limits (same outcome on every store: see also test_store_export.py) ---------------


def test_over_long_and_control_character_ids_are_quarantined_and_the_rest_stored(
    loaded, data_strategy, tmp_path
):
    records = rows(data_strategy, n=4)
    records[1]["response_id"] = "r" * 120
    records[2]["respondent_id"] = "p" * 101
    records[3]["response_id"] = "r4\x01x"
    for record in records:
        record.setdefault("respondent_id", "")
    records[0]["respondent_id"] = "p" * 100  # exactly the limit fits
    summary = import_file(loaded, write_csv(tmp_path / "x.csv", records), ROUND)
    assert (summary.stored, summary.quarantined) == (1, 3)
    reasons = store.load_quarantine(loaded, ROUND).set_index("row_number")["reason"]
    assert reasons[3] == f"response id '{'r' * 40}…' is 120 characters long; at most 100 fit"
    assert reasons[4] == f"respondent id '{'p' * 40}…' is 101 characters long; at most 100 fit"
    assert reasons[5] == "response id 'r4?x' contains control characters"


# -- Microsoft Forms in English and Dutch ------------------------------------------------------


MSFORMS_HEADERS = {
    "en": ["Id", "Start time", "Completion time", "Email", "Name", "Last modified time"],
    "nl": ["ID", "Begintijd", "Tijd van voltooien", "E-mail", "Naam", "Tijd van laatste wijziging"],
}


def msforms_record(instrument, lang, last_modified, started, completed, number=7) -> dict:
    header = MSFORMS_HEADERS[lang] if last_modified else MSFORMS_HEADERS[lang][:5]
    meta = [str(number), started, completed, f"p{number}@gouda.nl", "P. Jansen", completed]
    record = dict(zip(header, meta, strict=False))
    record |= {"Organisatie": "Gouda", "Rol": "Beleid"}
    return record | {f"{n}. {i.text.nl}": "Mee eens" for n, i in enumerate(instrument.items, 1)}


@pytest.mark.parametrize("last_modified", [True, False])
@pytest.mark.parametrize(
    ("lang", "started", "completed", "expected"),
    [
        ("nl", "26-11-2026 09:02:11", "26-11-2026 09:14:03", "2026-11-26T09:14:03"),
        ("nl", "5-11-2026 09:02", "5-11-2026 09:14", "2026-11-05T09:14:00"),
        ("en", "11/26/26 9:02:11", "11/26/26 9:14:03", "2026-11-26T09:14:03"),
        ("en", "11/5/2026 9:02:11 PM", "11/5/2026 9:14:03 PM", "2026-11-05T21:14:03"),
        ("en", "2026-11-26 09:02:11", "2026-11-26 09:14:03", "2026-11-26T09:14:03"),
    ],
)
@pytest.mark.parametrize("forced", [False, True])
def test_msforms_export_in_dutch_and_english(
    loaded, data_strategy, tmp_path, lang, started, completed, expected, last_modified, forced
):
    record = msforms_record(data_strategy, lang, last_modified, started, completed)
    path = write_csv(tmp_path / "forms.csv", [record], ";")
    summary = import_file(loaded, path, ROUND, fmt="msforms" if forced else None)
    assert (summary.format, summary.stored) == ("msforms", 1)
    response = store.load_responses(loaded, ROUND).iloc[0]
    assert response["response_id"] == f"msforms:{ROUND}:7"
    assert pd.Timestamp(response["submitted_at"]).tz_localize(None) == pd.Timestamp(expected)


def test_msforms_dates_of_one_file_are_read_in_one_order(loaded, data_strategy, tmp_path):
    """A day above 12 anywhere in the column settles the order for every row."""
    records = [
        msforms_record(data_strategy, "en", True, "x", "03/04/2026 10:00:00", number=1),
        msforms_record(data_strategy, "en", True, "x", "13/04/2026 10:00:00", number=2),
    ]
    import_file(loaded, write_csv(tmp_path / "forms.csv", records), ROUND)
    dates = store.load_responses(loaded, ROUND)["submitted_at"].map(
        lambda d: pd.Timestamp(d).date()
    )
    assert [str(d) for d in dates] == ["2026-04-03", "2026-04-13"]


def test_msforms_workbook_in_dutch_with_date_cells(loaded, data_strategy, tmp_path):
    from datetime import datetime

    wb = Workbook()
    sheet = wb.active
    header = [*MSFORMS_HEADERS["nl"], "Organisatie", "Rol"]
    header += [f"{n}. {i.text.nl}" for n, i in enumerate(data_strategy.items, start=1)]
    sheet.append(header)
    done = datetime(2026, 11, 5, 9, 14, 3)
    sheet.append(
        [3, datetime(2026, 11, 5, 9, 2), done, "anoniem", "", done, "Gouda", "Beleid"]
        + ["Mee eens"] * len(data_strategy.items)
    )
    wb.save(tmp_path / "forms.xlsx")
    summary = import_file(loaded, tmp_path / "forms.xlsx", ROUND)
    assert (summary.format, summary.stored) == ("msforms", 1)
    submitted = store.load_responses(loaded, ROUND)["submitted_at"].iloc[0]
    assert pd.Timestamp(submitted).tz_localize(None) == pd.Timestamp(done)


# -- required columns are file-level errors ----------------------------------------------------


def test_team_questionnaire_without_team_column_is_refused_whole(loaded, competences, tmp_path):
    records = [
        {"response_id": f"t{k}", "organisation_id": "gouda", "role": "beleid"}
        | {i.id: "3" for i in competences.items}
        for k in range(3)
    ]
    with pytest.raises(FileProblem, match=r"missing column team_id: competences-v1 is a team"):
        import_file(loaded, write_csv(tmp_path / "x.csv", records), "competences-test")
    assert stored(loaded, "competences-test").empty
    assert store.load_quarantine(loaded).empty


@pytest.mark.parametrize(
    ("fmt", "header", "message"),
    [
        ("msforms", "Begintijd;Organisatie", r"missing Microsoft Forms column\(s\): ID"),
        ("limesurvey", "submitdate;ORG", r"missing LimeSurvey column\(s\): id"),
        ("kobo", "organisation_id;end", r"missing required column\(s\): _uuid"),
        ("template", "organisation_id;VS1", r"missing required column\(s\): response_id"),
    ],
)
def test_forced_format_without_its_required_columns_is_a_file_error(
    loaded, tmp_path, fmt, header, message
):
    path = tmp_path / "x.csv"
    path.write_text(f"{header}\n1;2\n", encoding="utf-8")
    with pytest.raises(FileProblem, match=message):
        import_file(loaded, path, ROUND, fmt=fmt)


@pytest.mark.parametrize(
    ("fmt", "team_header"),
    [("limesurvey", "TEAM"), ("kobo", "team_id"), ("msforms", "Team")],
)
def test_every_format_needs_the_team_column_for_a_team_questionnaire(
    loaded, competences, tmp_path, fmt, team_header
):
    if fmt == "limesurvey":
        record = {"id": "1", "submitdate": "2026-03-01", "startlanguage": "nl", "ORG": "gouda"}
        record |= {f"G[{i.id}]": "A3" for i in competences.items}
    elif fmt == "kobo":
        record = {"_uuid": "u1", "organisation_id": "gouda"} | {
            i.id: "3" for i in competences.items
        }
    else:
        record = msforms_record(competences, "nl", True, "1-3-2026 10:00", "1-3-2026 10:10")
        record = {k: v for k, v in record.items() if not k[0].isdigit()}
        record |= {i.text.nl: "3" for i in competences.items}
    with pytest.raises(FileProblem, match=f"missing column {team_header}"):
        import_file(loaded, write_csv(tmp_path / "x.csv", [record]), "competences-test")


# -- quarantine CSVs of different sources never overwrite each other ---------------------------


def _with_bad_row(instrument, prefix):
    records = rows(instrument, n=2)
    for r in records:
        r["response_id"] = f"{prefix}-{r['response_id']}"
    records[1]["organisation_id"] = f"nowhere-{prefix}"
    return records


def test_same_file_names_in_different_folders_keep_their_own_quarantine(
    loaded, data_strategy, tmp_path
):
    sources = []
    for org in ("gouda", "almere"):
        (tmp_path / org).mkdir()
        sources.append(write_csv(tmp_path / org / "export.csv", _with_bad_row(data_strategy, org)))
    wb = Workbook()
    records = _with_bad_row(data_strategy, "xlsx")
    wb.active.append(list(records[0]))
    for r in records:
        wb.active.append(list(r.values()))
    wb.save(tmp_path / "gouda" / "export.xlsx")
    sources.append(tmp_path / "gouda" / "export.xlsx")
    summaries = [import_file(loaded, path, ROUND) for path in sources]
    written = {s.quarantine_csv for s in summaries}
    assert len(written) == 3
    found = pd.concat(pd.read_csv(p, dtype=str, keep_default_na=False) for p in written)
    assert sorted(found["organisation"]) == ["nowhere-almere", "nowhere-gouda", "nowhere-xlsx"]
    assert {p.name.split(".")[:2][1] for p in written} == {"csv", "xlsx"}


@pytest.mark.parametrize("name", ["..csv", "a b;c'd.csv", "-x.csv", "été.csv", ".hidden.csv"])
def test_quarantine_csv_names_are_plain_names_inside_the_folder(
    loaded, data_strategy, tmp_path, name
):
    source = write_csv(tmp_path / name, _with_bad_row(data_strategy, "n"))
    summary = import_file(loaded, source, ROUND, quarantine_dir=tmp_path / "q")
    assert summary.quarantine_csv.parent == tmp_path / "q"
    assert not summary.quarantine_csv.name.startswith(".")
    assert summary.quarantine_csv.is_file()


# -- blank rows -------------------------------------------------------------------------------


def test_entirely_empty_rows_are_skipped_and_counted_as_blank(loaded, data_strategy, tmp_path):
    path = write_csv(tmp_path / "x.csv", rows(data_strategy, n=2), ";")
    width = len(rows(data_strategy, n=1)[0])
    path.write_bytes(path.read_bytes() + (";" * (width - 1) + "\r\n").encode() * 3 + b" ; \r\n"[:0])
    summary = import_file(loaded, path, ROUND)
    assert (summary.rows_read, summary.blank, summary.stored, summary.quarantined) == (5, 3, 2, 0)
    assert store.load_quarantine(loaded).empty


def test_blank_rows_in_the_middle_keep_row_numbers(loaded, data_strategy, tmp_path):
    records = rows(data_strategy, n=2)
    records[1]["organisation_id"] = "nowhere"
    path = write_csv(tmp_path / "x.csv", records)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0], lines[1], "", ",,", lines[2]]) + "\n", encoding="utf-8")
    summary = import_file(loaded, path, ROUND)
    assert (summary.blank, summary.stored, summary.quarantined) == (2, 1, 1)
    assert store.load_quarantine(loaded)["row_number"].tolist() == [5]  # line 5 of the file


def test_a_file_of_only_blank_rows_is_a_file_error(loaded, data_strategy, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("response_id;organisation_id;VS1\n;;\n;;\n", encoding="utf-8")
    with pytest.raises(FileProblem, match="only blank rows"):
        import_file(loaded, path, ROUND)


# -- what a file is: binary files, encodings -----------------------------------------------


@pytest.mark.parametrize(
    ("content", "looks_like"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "a PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image"),
        (b"\x7fELF\x02\x01\x01\x00" + bytes(64), "a program"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(64), "a program"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(64), "a ZIP archive"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64),
            r"an old Excel 97-2003 workbook \(.xls\)",
        ),
        (bytes(range(256)) * 4, "binary data"),
    ],
)
def test_a_non_text_file_is_named_for_what_it_is(loaded, tmp_path, content, looks_like):
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    with pytest.raises(FileProblem, match=f"export.csv: looks like {looks_like}.*not a CSV export"):
        import_file(loaded, path, ROUND)


def test_a_workbook_renamed_csv_is_read_as_a_workbook(loaded, data_strategy, tmp_path):
    wb = Workbook()
    records = rows(data_strategy, n=2)
    wb.active.append(list(records[0]))
    for r in records:
        wb.active.append(list(r.values()))
    wb.save(tmp_path / "export.csv")
    assert import_file(loaded, tmp_path / "export.csv", ROUND).stored == 2


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-16-le", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("cp1252", b""),
    ],
)
def test_excel_unicode_text_and_other_encodings_are_read(
    loaded, data_strategy, tmp_path, encoding, bom
):
    """Excel's "Unicode text" is UTF-16 LE with a byte order mark and tabs."""
    records = rows(data_strategy)
    records[0]["next_step"] = "Één datateam voor Zuidplas, Noordoostpolder en Súdwest-Fryslân"
    if encoding == "cp1252":
        records[0]["next_step"] = "Één datateam: coördinatie, ideeën"
    text = "\r\n".join(
        "\t".join(r.get(c, "") for c in records[0])
        for r in [dict(zip(records[0], records[0], strict=True)), *records]
    )
    path = tmp_path / "export.txt"
    path.write_bytes(bom + text.encode(encoding) + "\r\n".encode(encoding))
    summary = import_file(loaded, path, ROUND)
    assert (summary.stored, summary.quarantined) == (3, 0)
    assert stored(loaded).dropna(subset=["text"])["text"].tolist() == [records[0]["next_step"]]


# -- the number invited travels from the registry into rounds -------------------------------


def _round_invited(engine, round_id) -> dict:
    orgs = store.load_round_organisations(engine, round_id)
    return {
        k: (None if pd.isna(v) else int(v))
        for k, v in zip(orgs["organisation_id"], orgs["invited"], strict=True)
    }


def test_organisations_take_the_number_invited_into_the_rounds_they_answer_in(
    loaded, data_strategy, competences, tmp_path
):
    organisations = pd.read_csv(SAMPLE_DIR / "organisations.csv").set_index("id")["invited"]
    teams = pd.read_csv(SAMPLE_DIR / "teams.csv")
    import_file(loaded, write_csv(tmp_path / "ds.csv", rows(data_strategy, org="almere")), ROUND)
    assert _round_invited(loaded, ROUND) == {"almere": organisations["almere"]}
    gouda_teams = teams[teams["organisation_id"] == "gouda"]
    record = {"response_id": "t1", "organisation_id": "gouda", "team_id": gouda_teams["id"].iloc[0]}
    record |= {i.id: "3" for i in competences.items}
    import_file(loaded, write_csv(tmp_path / "c.csv", [record]), "competences-test")
    assert _round_invited(loaded, "competences-test") == {"gouda": gouda_teams["invited"].sum()}


def test_a_team_without_a_number_leaves_its_organisation_unknown_in_team_rounds(
    engine, competences, tmp_path
):
    (tmp_path / "orgs.csv").write_text(
        "id,name,kind,invited\na,A,gemeente,50\nb,B,gemeente,\n", encoding="utf-8"
    )
    (tmp_path / "teams.csv").write_text(
        "id,organisation_id,name,invited\na1,a,A1,5\na2,a,A2,\nb1,b,B1,4\nb2,b,B2,6\n",
        encoding="utf-8",
    )
    store.create_round(engine, competences, "2027")
    orgs, teams = tmp_path / "orgs.csv", tmp_path / "teams.csv"
    import_registry(engine, orgs, teams, round_id="competences-2027")
    assert _round_invited(engine, "competences-2027") == {"a": None, "b": 10}


def test_an_organisation_registered_after_the_round_takes_its_number_when_it_answers(
    engine, data_strategy, tmp_path
):
    store.create_round(engine, data_strategy, "test", ROUND)
    import_registry(engine, SAMPLE_DIR / "organisations.csv")
    assert _round_invited(engine, ROUND) == {}
    import_file(engine, write_csv(tmp_path / "x.csv", rows(data_strategy)), ROUND)
    assert _round_invited(engine, ROUND) == {"gouda": 68}

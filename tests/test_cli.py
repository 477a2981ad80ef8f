"""The command line as a user runs it: demo, status, template, round, registry, export."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys

import pandas as pd
import pytest
from openpyxl import load_workbook

from dwp_assess.data import store
from dwp_assess.demo import SAMPLE_DIR
from dwp_assess.instruments.loading import available_instruments
from dwp_assess.instruments.messages import t

# The demo is the package's main job: every sample round loaded and all of its reports made
# (five instruments). Its fixture runs inside the first test that uses it, so that test may
# take longer than the suite's default limit on a busy 2-core machine.
pytestmark = pytest.mark.timeout(900)


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
    # its own project folder: a module fixture runs before the per-test DWP_PROJECT is set
    result = cli("demo", str(folder / "project"), "--out", str(folder / "reports"), db=url)
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
    again = cli("demo", str(reports.parent / "project"), "--out", str(reports), db=url)
    assert again.returncode == 0, again.stderr
    total = manifest_total("expected_stored") + manifest_total("expected_already_present")
    assert f"sample loaded: 0 responses stored now, {total} already present" in again.stdout
    assert "data-strategy-2026: 0 made, 22 up to date, 0 failed" in again.stdout
    assert "competences-2026: 0 made, 44 up to date, 0 failed" in again.stdout


def test_demo_ends_with_the_reports_and_where_to_open_them(demo_db):
    _, output, reports = demo_db
    tail = output[output.index("Reports") :]
    for round_id, count in [
        ("data-strategy-2025", 22),
        ("data-strategy-2026", 22),
        ("competences-2025", 44),
        ("competences-2026", 44),
    ]:
        index = reports / round_id / "index.html"
        assert str(index) in tail
        made = [p for p in index.parent.glob("*.html") if ".samenvatting" not in p.name]
        assert len(made) == count + 1  # the reports and the index (summaries beside them)
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
    newest = max(i.version for i in available_instruments().values() if i.id == "competences")
    assert newest >= 3  # without --version: the newest
    header = (tmp_path / f"competences-v{newest}-template.csv").read_text(encoding="utf-8").strip()
    assert header.startswith(
        "response_id,respondent_id,organisation_id,team_id,role,submitted_at,LIT7"
    )
    workbook = load_workbook(tmp_path / f"competences-v{newest}-template.xlsx")
    assert workbook.sheetnames == ["antwoorden", "toelichting"]
    explained = {row[0]: row for row in workbook["toelichting"].iter_rows(values_only=True)}
    assert "Dit kan ik anderen leren" in explained["LIT7"][2]
    assert workbook["antwoorden"].data_validations.dataValidation


@pytest.mark.parametrize("key", sorted(available_instruments()))
def test_template_command_for_every_instrument(tmp_path, key):
    instrument = available_instruments()[key]
    result = cli(
        "template",
        "--instrument",
        instrument.id,
        "--version",
        str(instrument.version),
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    header = (tmp_path / f"{key}-template.csv").read_text(encoding="utf-8").strip().split(",")
    assert ("team_id" in header) == (instrument.kind == "team")
    workbook = load_workbook(tmp_path / f"{key}-template.xlsx")
    explained = [row[0] for row in workbook["toelichting"].iter_rows(min_row=2, values_only=True)]
    assert explained == header
    assert [c.value for c in workbook["antwoorden"][1]] == header


def test_filled_template_imports(tmp_path):
    db = f"sqlite:///{tmp_path / 'dwp.sqlite'}"
    cli("template", "--instrument", "data-strategy", "--out", str(tmp_path))
    newest = max(i.version for i in available_instruments().values() if i.id == "data-strategy")
    header = (
        (tmp_path / f"data-strategy-v{newest}-template.csv")
        .read_text(encoding="utf-8")
        .strip()
        .split(",")
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
        "competences-2025-codebook.csv",
        "competences-2025-long.csv",
        "competences-2025-wide.csv",
    ]


def test_registry_problems_are_listed_per_row(tmp_path):
    bad = tmp_path / "orgs.csv"
    bad.write_text(
        "id,name,kind,cbs_code\ngouda,Gouda,gemeente,GM513\nx,X,waterschap,\ngouda,G,gemeente,\n"
    )
    result = cli("registry", "import", str(bad), db=f"sqlite:///{tmp_path / 'd.sqlite'}")
    assert result.returncode == 2
    assert "duplicate id 'gouda'" in result.stderr
    assert (
        "row 2: cbs_code 'GM513' is not valid for kind gemeente: expected GM + 4 digits"
        in result.stderr
    )
    assert "row 3: kind 'waterschap' is not one of gemeente, provincie, other" in result.stderr


def template_rows(instrument_id: str, orgs: dict[str, int]) -> pd.DataFrame:
    """Filled template rows: ``n`` varied responses per organisation."""
    from dwp_assess.instruments.loading import get_instrument

    items = [i.id for i in get_instrument(instrument_id).items]
    return pd.DataFrame(
        [
            {"response_id": f"{org}-{k}", "organisation_id": org, "role": "beleid"}
            | {item: str(1 + (k + n) % 5) for n, item in enumerate(items)}
            for org, count in orgs.items()
            for k in range(count)
        ]
    )


def test_import_of_several_files_imports_every_good_one_then_lists_the_refused(tmp_path):
    db = f"sqlite:///{tmp_path / 'dwp.sqlite'}"
    assert cli("registry", "import", str(SAMPLE_DIR / "organisations.csv"), db=db).returncode == 0
    good = tmp_path / "a.csv"
    template_rows("data-strategy", {"gouda": 2}).to_csv(good, index=False)
    picture = tmp_path / "b.csv"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    other = tmp_path / "c.csv"
    template_rows("data-strategy", {"almere": 3}).to_csv(other, index=False)
    missing = tmp_path / "d.csv"
    result = cli(
        "import",
        str(good),
        str(picture),
        str(other),
        str(missing),
        "--round",
        "ds-2027",
        "--instrument",
        "data-strategy",
        "--period",
        "2027",
        db=db,
    )
    assert result.returncode == 2
    assert "2 of 4 file(s) refused" in result.stderr
    assert "b.csv: looks like a PNG image, not a CSV export" in result.stderr
    assert "d.csv: file not found" in result.stderr
    assert "│ a.csv │ template │ 2" in result.stdout and "│ c.csv │ template │ 3" in result.stdout
    assert len(store.load_responses(store.connect(db), "ds-2027")) == 5


def test_import_summary_has_a_blank_column(tmp_path):
    db = f"sqlite:///{tmp_path / 'dwp.sqlite'}"
    cli("registry", "import", str(SAMPLE_DIR / "organisations.csv"), db=db)
    path = tmp_path / "x.csv"
    template_rows("data-strategy", {"gouda": 2}).to_csv(path, index=False, sep=";")
    width = len(template_rows("data-strategy", {"gouda": 1}).columns)
    path.write_text(path.read_text() + (";" * (width - 1) + "\n") * 4)
    result = cli(
        "import",
        str(path),
        "--round",
        "r",
        "--instrument",
        "data-strategy",
        "--period",
        "2027",
        db=db,
    )
    assert result.returncode == 0, result.stderr
    assert "┃ blank ┃" in result.stdout
    assert "│ x.csv │ template │ 6    │ 4     │ 2      │ 0               │ 0" in result.stdout


def test_registry_import_round_updates_the_number_invited_of_an_existing_round(tmp_path):
    db = f"sqlite:///{tmp_path / 'dwp.sqlite'}"
    orgs = pd.read_csv(SAMPLE_DIR / "organisations.csv", dtype=str)
    orgs.to_csv(tmp_path / "orgs.csv", index=False)
    assert cli("registry", "import", str(tmp_path / "orgs.csv"), db=db).returncode == 0
    cli("round", "create", "--instrument", "data-strategy", "--period", "2027", db=db)
    template_rows("data-strategy", {"gouda": 2}).to_csv(tmp_path / "x.csv", index=False)
    assert (
        cli("import", str(tmp_path / "x.csv"), "--round", "data-strategy-2027", db=db).returncode
        == 0
    )
    orgs["invited"] = "99"
    orgs.to_csv(tmp_path / "orgs.csv", index=False)
    assert cli("registry", "import", str(tmp_path / "orgs.csv"), db=db).returncode == 0
    engine = store.connect(db)
    invited = store.load_round_organisations(engine, "data-strategy-2027")["invited"]
    assert invited.tolist() == [68]  # the round keeps what the registry said at gouda's answers
    result = cli(
        "registry", "import", str(tmp_path / "orgs.csv"), "--round", "data-strategy-2027", db=db
    )
    assert result.returncode == 0, result.stderr
    assert f"round data-strategy-2027: {len(orgs)} organisation(s) updated" in result.stdout
    invited = store.load_round_organisations(engine, "data-strategy-2027")["invited"]
    assert (invited == 99).all() and len(invited) == len(orgs)


@pytest.mark.slow
def test_readme_analyst_tour_gives_response_rates(tmp_path):
    """registry import → round create → import → report, as the README's tour runs them."""
    db = f"sqlite:///{tmp_path / 'dwp.sqlite'}"
    steps = [
        (
            "registry",
            "import",
            str(SAMPLE_DIR / "organisations.csv"),
            str(SAMPLE_DIR / "teams.csv"),
        ),
        ("round", "create", "--instrument", "data-strategy", "--period", "2027"),
        ("import", str(tmp_path / "export.csv"), "--round", "data-strategy-2027"),
        ("report", "--round", "data-strategy-2027", "--out", str(tmp_path / "reports")),
    ]
    template_rows("data-strategy", {"gouda": 6, "almere": 5}).to_csv(
        tmp_path / "export.csv", index=False
    )
    for step in steps:
        result = cli(*step, db=db)
        assert result.returncode == 0, (step, result.stderr)
    invited = pd.read_csv(SAMPLE_DIR / "organisations.csv").set_index("id")["invited"]
    pages = [p for p in (tmp_path / "reports").rglob("*.html") if p.name != "index.html"]
    assert len(pages) == 4  # two reports and their management summaries
    pages = [p for p in pages if ".samenvatting" not in p.name]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "aantal uitgenodigden onbekend" not in html
        org = "gouda" if "Gouda" in html else "almere"
        assert f"van {invited[org]} uitgenodigden (respons" in html


def test_registry_skips_blank_rows_and_keeps_row_numbers(tmp_path):
    orgs = tmp_path / "orgs.csv"
    orgs.write_text(
        "id;name;kind;invited\ngouda;Gouda;gemeente;60\n;;;\nx;X;waterschap;\n;;;\n",
        encoding="cp1252",
    )
    result = cli("registry", "import", str(orgs), db=f"sqlite:///{tmp_path / 'd.sqlite'}")
    assert result.returncode == 2
    assert "row 4: kind 'waterschap' is not one of" in result.stderr
    assert "row 3" not in result.stderr


def test_every_sample_report_compares_with_peers_or_says_which_group_was_too_small(demo_db):
    """Over all organisation reports of both sample rounds: a peer comparison (two radar
    traces) or the sentence that even the whole kind is too small (only provinces here)."""
    url, _, reports = demo_db
    kinds = store.organisations(store.connect(url)).set_index("id")["kind"]
    no_group = t("report.peer_step.none", "nl").split(".")[0]  # "Er is geen vergelijking"
    for round_id in ("data-strategy-2025", "data-strategy-2026"):
        pages = [
            p
            for p in (reports / round_id).glob("*.html")
            if not p.name.startswith("index") and ".samenvatting" not in p.name
        ]
        assert pages
        for page in pages:
            text = page.read_text(encoding="utf-8")
            section = text[text.index('id="comparison"') : text.index('id="roles"')]
            payload = re.search(r'class="dwp-figure-data">(.*?)</script>', section, re.S).group(1)
            compared = len(json.loads(payload.replace("<\\/", "</"))["data"]) == 2
            assert compared or no_group in html.unescape(section), page
            assert compared == (kinds[page.stem] == "gemeente"), page


RAW = re.compile(r"\b(nan|NaN|None|NaT)\b|-0,00|data-strategy-20\d\d|competences-20\d\d")


def test_no_sample_report_shows_raw_values_or_alpha(demo_db):
    """What a municipality reads (the reports without the folded technical details): no
    NaN/None, no "-0,00", no round id, no Cronbach's alpha."""
    _, _, reports = demo_db
    pages = [p for p in reports.glob("*/*.html") if not p.name.startswith("index")]
    assert len(pages) >= 4 * 20
    for page in pages:
        text = page.read_text(encoding="utf-8")
        text = re.sub(
            r'<script.*?</script>|<style.*?</style>|<details class="dwp-technical">.*?</details>',
            "",
            text,
            flags=re.S,
        )
        visible = html.unescape(re.sub(r"<[^>]+>", " ", text))
        assert not RAW.search(visible), (page, RAW.search(visible).group())
        assert "Cronbach" not in visible


def test_sample_reports_show_the_similar_profile_and_name_no_other_organisation(demo_db):
    url, _, reports = demo_db
    names = store.organisations(store.connect(url)).set_index("id")["name"]
    shown = 0
    for page in (reports / "data-strategy-2026").glob("*.html"):
        if page.name.startswith("index") or ".samenvatting" in page.name:
            continue
        text = html.unescape(page.read_text(encoding="utf-8")).replace("\u00ad", "")
        if 'id="similar-profile"' not in text:
            continue
        shown += 1
        start = text.index('id="similar-profile"')
        part = text[start : text.index("</section>", start)]
        assert not [n for org, n in names.items() if org != page.stem and n in part], page
    assert shown >= 10


def test_sample_team_profiles_show_the_team_expectation_and_who_answered(demo_db):
    """The sample exercises the team question, and every profile says how many of the
    invited members answered."""
    _, _, reports = demo_db
    question = "Wat wilt u als team bereiken met dit dataproject?"
    pages = [
        p for p in (reports / "competences-2026").glob("*.html") if not p.name.startswith("index")
    ]
    texts = [html.unescape(p.read_text(encoding="utf-8")).replace("\u00ad", "") for p in pages]
    assert sum(question in text for text in texts) >= len(pages) // 2
    assert all(re.search(r"\d+ van de \d+ uitgenodigde teamleden", text) for text in texts)

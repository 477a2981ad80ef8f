"""What is handed out: the reports folder and the bundles hold nothing of another organisation,
no respondent-level data and no path of the analyst's machine.

One project (its own ``data/`` and ``reports/``, as ``dwp-assess init`` lays them out) gets the
sample rounds plus, per organisation and per team, one response with a free text that exists
nowhere else; both current rounds are reported and bundled. Every file of the reports folder
and every file in every bundle is then read and searched.
"""

from __future__ import annotations

import ast
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
from sqlalchemy.engine import make_url

import dwp_assess
from dwp_assess import project
from dwp_assess.data import store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.messages import t
from dwp_assess.reports import manifest as round_manifest
from dwp_assess.reports import run as reports
from dwp_assess.reports.bundle import README
from dwp_assess.reports.options import ReportOptions
from dwp_assess.reports.outputs import OUTPUTS

ROUNDS = {"data-strategy-2026": "next_step", "competences-2026": "team_expectation"}
PLOTLY = re.compile(
    r'<script type="application/octet-stream" id="dwp-plotly-gz">.*?</script>', re.S
)


# The module's fixture makes every report of two rounds with bundles inside the first test: on a
# machine loaded 20 times over it took longer than the suite's 300 s limit (a hang guard).
pytestmark = pytest.mark.timeout(900)


@dataclass
class Handout:
    engine: object
    settings: project.Settings
    markers: dict[str, dict[str, str]]  # round → organisation → its unique free text
    summaries: dict[str, reports.RunSummary]
    machine_paths: list[str]


def add_unique_free_text(engine, round_id: str, item: str) -> dict[str, str]:
    """One response per organisation (organisation rounds) or per team (team rounds) whose
    free text appears nowhere else; returns organisation → its texts joined by a space."""
    instrument = get_instrument(store.get_round(engine, round_id).instrument_id)
    responses = store.load_responses(engine, round_id)
    units = responses[["organisation_id", "team_id"]].drop_duplicates()
    markers: dict[str, str] = {}
    for n, (org, team) in enumerate(units.itertuples(index=False)):
        text = f"eigen-vrije-tekst-{n:03d}-{team or org}"
        answers = tuple(store.AnswerRecord(i.id, 3.0) for i in instrument.items)
        record = store.ResponseRecord(
            f"handout-r{n}-{round_id}",
            round_id,
            f"handout-p{n}-{round_id}",
            org,
            team,
            "lawyer" if team else None,
            "test",
            datetime(2026, 3, 1, tzinfo=UTC),
            (*answers, store.AnswerRecord(item, text=text)),
        )
        assert store.store_response(engine, record) == store.STORED
        markers[org] = f"{markers.get(org, '')} {text}".strip()
    return markers


@pytest.fixture(scope="module")
def handed_out(tmp_path_factory, sample_store):
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DWP_DATA_DIR", raising=False)  # the project's own data/ beside reports/
        settings = project.create(
            tmp_path_factory.mktemp("handout") / "project", owner="Testgemeente"
        )
        patch.setenv(project.PROJECT_ENV, str(settings.root))
        engine = store.connect(sample_store.copy_to(Path(make_url(settings.database_url).database)))
        markers = {r: add_unique_free_text(engine, r, item) for r, item in ROUNDS.items()}
        legacy = settings.reports_dir / "data-strategy-2026"  # what earlier versions left there
        (legacy / "_analysis" / "old").mkdir(parents=True)
        (legacy / "_analysis" / "old" / "scores.parquet").write_bytes(b"respondent data")
        (legacy / "old-report.ipynb").write_text("{}", encoding="utf-8")
        summaries = {
            r: reports.generate_reports(
                engine, ReportOptions(r, jobs=2, synthetic=True, bundle=True), settings=settings
            )
            for r in ROUNDS
        }
        paths = [
            settings.root,
            settings.data_dir,
            settings.reports_dir,
            Path.home(),
            tmp_path_factory.getbasetemp(),
            Path(dwp_assess.__file__).resolve().parent.parent,
        ]
        yield Handout(
            engine, settings, markers, summaries, sorted({str(p) for p in paths if len(str(p)) > 1})
        )
    engine.dispose()


def texts_of(path: Path) -> dict[str, str]:
    """Every file's text, zip members read one by one; binary files as Latin-1 so bytes count."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return {
                f"{path.name}:{n}": archive.read(n).decode("utf-8", "replace")
                for n in archive.namelist()
            }
    data = path.read_bytes()
    try:
        return {path.name: data.decode("utf-8")}
    except UnicodeDecodeError:
        return {path.name: data.decode("latin-1")}


def test_every_report_and_bundle_was_made(handed_out):
    for round_id, summary in handed_out.summaries.items():
        assert summary.failed == 0 and summary.ok > 0, round_id
        owners = {
            e["organisation"]
            for e in json.loads((summary.index.parent / "manifest.json").read_text()).values()
        }
        assert set(summary.bundles.written) == owners and not summary.bundles.withheld
        assert len(owners) == 22


def test_reports_folder_holds_no_respondent_data_and_no_machine_path(handed_out):
    reports_dir = handed_out.settings.reports_dir
    files = [p for p in reports_dir.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} <= {".html", ".json", ".zip"}, (
        "only reports, manifest, bundles"
    )
    assert not any(p.name == "_analysis" for p in reports_dir.rglob("*"))
    respondents = set()
    for round_id in ROUNDS:
        respondents |= set(store.load_responses(handed_out.engine, round_id)["respondent_id"])
    assert len(respondents) > 900
    for path in files:
        for name, text in texts_of(path).items():
            for path_text in handed_out.machine_paths:
                assert path_text not in text, f"{name} names {path_text}"
            found = [r for r in respondents if r in text]
            assert not found, f"{name} holds respondent ids {found[:3]}"


def test_analysis_cache_and_executed_notebooks_stay_in_the_data_folder(handed_out):
    data = handed_out.settings.data_dir
    for round_id, summary in handed_out.summaries.items():
        caches = list((data / "analysis" / round_id).glob("*/scores.parquet"))
        assert len(caches) == 1, round_id
        assert summary.notebooks == data / "notebooks" / round_id
        made = {p.stem for p in summary.notebooks.glob("*.ipynb")} - {"old-report"}
        assert len(made) == summary.ok
    assert (
        data / "notebooks" / "data-strategy-2026" / "old-report.ipynb"
    ).is_file()  # moved, not lost


def test_every_bundle_holds_only_its_own_organisation(handed_out):
    engine = handed_out.engine
    orgs = store.organisations(engine)
    teams = store.teams(engine)
    checked = 0
    for round_id, summary in handed_out.summaries.items():
        respondents = set(store.load_responses(engine, round_id)["respondent_id"])
        markers = handed_out.markers[round_id]
        manifest = json.loads((summary.index.parent / "manifest.json").read_text(encoding="utf-8"))
        for org, zip_path in summary.bundles.written.items():
            assert (
                zip_path.parent == summary.index.parent / "bundles"
                and zip_path.name == f"{org}.zip"
            )
            own_reports = {
                e[k]
                for e in manifest.values()
                if e["organisation"] == org
                for k in ("html", "summary")
                if e.get(k)
            }
            with zipfile.ZipFile(zip_path) as archive:
                assert set(archive.namelist()) == {f"{org}/{README}"} | {
                    f"{org}/{h}" for h in own_reports
                }
            texts = {name: PLOTLY.sub("", text) for name, text in texts_of(zip_path).items()}
            everything = "\n".join(texts.values())
            for word in markers[org].split():
                assert word in everything, f"{org}: own free text missing"
            others = orgs[orgs["id"] != org]
            for other_id, other_name in zip(others["id"], others["name"], strict=True):
                assert not re.search(rf"(?<![\w-]){re.escape(other_id)}(?![\w-])", everything), (
                    org,
                    other_id,
                )
                assert other_name not in everything, (org, other_name)
                for word in markers.get(other_id, "").split():
                    assert word not in everything, (org, word)
            for team_id in teams.loc[teams["organisation_id"] != org, "id"]:
                assert team_id not in everything, (org, team_id)
            assert not [r for r in respondents if r in everything], org
            for path_text in handed_out.machine_paths:
                assert path_text not in everything, (org, path_text)
            checked += 1
    assert checked == 44


def test_bundle_readme_is_dutch_first_and_lists_the_reports(handed_out):
    summary = handed_out.summaries["competences-2026"]
    with zipfile.ZipFile(summary.bundles.written["gouda"]) as archive:
        text = archive.read(f"gouda/{README}").decode("utf-8")
    assert text.startswith("Rapporten voor Gouda")
    assert text.index("Dit pakket bevat") < text.index("English:")
    assert "- gouda-team-financien.html: Team Financiën" in text


def test_index_is_marked_not_for_distribution_and_links_the_bundles(handed_out):
    summary = handed_out.summaries["data-strategy-2026"]
    index = summary.index.read_text(encoding="utf-8")
    assert t("report.index_private", "nl") in index
    assert 'href="bundles/gouda.zip"' in index and ".ipynb" not in index


def test_report_templates_name_no_organisation_and_are_not_synthetic(handed_out):
    ids = set(store.organisations(handed_out.engine)["id"]) | set(
        store.teams(handed_out.engine)["id"]
    )
    for template in {o.template for o in OUTPUTS.values()}:
        notebook = nbformat.read(template, as_version=4)
        cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
        defaults = {
            node.targets[0].id: ast.literal_eval(node.value) for node in ast.parse(cell.source).body
        }
        assert defaults["synthetic"] is False
        for name in ("round_id", "organisation_id", "team_id", "previous_round_id", "analysis_dir"):
            assert defaults.get(name) is None, (template.name, name)
        source = template.read_text(encoding="utf-8")
        assert not [i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", source)]


def test_executed_notebook_has_no_default_organisation_above_the_injected_one(handed_out):
    notebook = nbformat.read(
        handed_out.summaries["data-strategy-2026"].notebooks / "almere.ipynb", as_version=4
    )
    defaults = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    assert "gouda" not in defaults.source and "synthetic = True" not in defaults.source


def test_a_data_folder_inside_the_reports_folder_is_refused(engine, tmp_path, monkeypatch):
    store.create_round(engine, get_instrument("data-strategy"), "2026")
    monkeypatch.setenv("DWP_DATA_DIR", str(tmp_path / "reports" / "data"))
    settings = project.current()  # the settings as the command line resolves them
    with pytest.raises(ValueError, match="must stay with the analyst"):
        reports.generate_reports(
            engine, ReportOptions("data-strategy-2026", tmp_path / "reports"), settings=settings
        )
    assert not (tmp_path / "reports" / "data-strategy-2026").exists()


def test_errors_in_manifest_and_index_name_folders_by_role(
    use_template, handed_out, tmp_path, monkeypatch
):
    source = nbformat.read(OUTPUTS["maturity-report"].template, as_version=4)
    source.cells.insert(2, nbformat.v4.new_code_cell("raise FileNotFoundError(analysis_dir)"))
    nbformat.write(source, tmp_path / "organisation_report.ipynb")
    use_template(tmp_path / "organisation_report.ipynb")
    monkeypatch.setenv(project.PROJECT_ENV, str(handed_out.settings.root))
    monkeypatch.delenv("DWP_DATA_DIR", raising=False)
    out = tmp_path / "out"
    summary = reports.generate_reports(
        handed_out.engine,
        ReportOptions("data-strategy-2026", out, units=["woerden"], bundle=True),
        settings=project.current(),
    )
    assert summary.failed == 1 and summary.bundles.withheld == {"woerden": ["woerden"]}
    error = json.loads((out / "data-strategy-2026" / "manifest.json").read_text())["woerden"][
        "error"
    ]
    assert error.startswith("FileNotFoundError: <data>/analysis/data-strategy-2026/")
    for folder in (handed_out.settings.data_dir, handed_out.settings.root, tmp_path):
        for name in ("manifest.json", "index.html"):
            assert str(folder) not in (out / "data-strategy-2026" / name).read_text(
                encoding="utf-8"
            )
    assert not (out / "data-strategy-2026" / "bundles" / "woerden.zip").exists()


def test_without_paths_replaces_the_longest_folder_first(tmp_path):
    data, reports_root = tmp_path / "project" / "data", tmp_path / "project"
    text = f"cannot read {data}/analysis/x and {reports_root}/reports/r/a.html"
    cleaned = round_manifest.without_paths(
        text, {"<data>": data, "<project>": reports_root, "<tmp>": tmp_path}
    )
    assert cleaned == "cannot read <data>/analysis/x and <project>/reports/r/a.html"


def test_readme_says_what_is_handed_out_and_what_stays():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Privacy: what is handed out", 1)[1].split("\n## ", 1)[0]
    for words in (
        "bundles/<org>.zip",
        "`data/`",
        "analysis cache",
        "executed notebooks",
        "quarantined rows",
        "index.html",
        "not for distribution",
    ):
        assert words in section, words


def test_bundle_from_the_command_line_waits_for_every_report_of_the_organisation(
    handed_out, tmp_path, monkeypatch
):
    from typer.testing import CliRunner

    from dwp_assess.cli.main import app

    monkeypatch.setenv(project.PROJECT_ENV, str(handed_out.settings.root))
    monkeypatch.delenv("DWP_DATA_DIR", raising=False)
    out, round_id = tmp_path / "out", "competences-2026"
    command = [
        "--db",
        str(handed_out.engine.url),
        "report",
        "--round",
        round_id,
        "--out",
        str(out),
        "--bundle",
    ]
    first = CliRunner().invoke(app, [*command, "--team", "gouda-team-financien"])
    assert first.exit_code == 0, first.output
    assert (
        "no bundle for gouda" in first.output and "gouda-programma-energietransitie" in first.output
    )
    assert not (out / round_id / "bundles" / "gouda.zip").exists()
    second = CliRunner().invoke(app, [*command, "--team", "gouda-programma-energietransitie"])
    assert second.exit_code == 0, second.output
    assert "1 bundle(s) ready to send" in second.output
    with zipfile.ZipFile(out / round_id / "bundles" / "gouda.zip") as archive:
        assert sorted(archive.namelist()) == [
            "gouda/README.txt",
            "gouda/gouda-programma-energietransitie.html",
            "gouda/gouda-team-financien.html",
        ]

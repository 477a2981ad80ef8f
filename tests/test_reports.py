"""Reports for a round: index, audit trail, up-to-date skipping, failure isolation, provenance,
privacy, escaping of hostile text, English, dask, PDF and the offline page in Chromium.

One store with the sample rounds is shared by the module; one organisation (``gouda``) is
renamed to hostile markup and given a response with hostile free text, so every test that
reads Gouda's report also checks that nothing a respondent or registry typed can run.
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from dwp_assess import __version__, build_digest, folder_digest
from dwp_assess.cli.main import app
from dwp_assess.data import store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.messages import t
from dwp_assess.reports import execute as report_execute
from dwp_assess.reports import files, printing
from dwp_assess.reports import run as reports
from dwp_assess.reports.options import ReportOptions
from dwp_assess.reports.outputs import OUTPUTS

ROUND = "data-strategy-2026"
TEAM_ROUND = "competences-2026"
HOSTILE_NAME = '<script>alert("org")</script> Gouda & "Co"'
HOSTILE_TEXT = "<img src=x onerror=alert('vrije tekst')> eerst de basis op orde"
SECRET_REMARK = "alleen-voor-onderzoekers-7f3a"
UNITS = ["gouda", "almere", "woerden"]


@pytest.fixture(scope="module")
def reports_store(tmp_path_factory, sample_store):
    folder = tmp_path_factory.mktemp("reports-store")
    engine = store.connect(sample_store.copy_to(folder / "dwp.sqlite"))
    orgs = store.organisations(engine)
    gouda = orgs[orgs["id"] == "gouda"].iloc[0].to_dict()
    store.upsert_organisations(engine, [{**gouda, "name": HOSTILE_NAME}])
    instrument = get_instrument("data-strategy", 2)  # the version of ROUND
    answers = [store.AnswerRecord(item.id, 4.0) for item in instrument.items]
    answers += [
        store.AnswerRecord("next_step", text=HOSTILE_TEXT),
        store.AnswerRecord("remarks", text=SECRET_REMARK),
    ]
    record = store.ResponseRecord(
        "test:hostile-1",
        ROUND,
        "test-respondent-hostile",
        "gouda",
        None,
        None,
        "test",
        datetime(2026, 3, 1, tzinfo=UTC),
        tuple(answers),
    )
    assert store.store_response(engine, record) == store.STORED
    yield engine, folder
    engine.dispose()


@pytest.fixture(scope="module")
def made(reports_store):
    """Three organisation reports of one round, made in this process (one kept-alive kernel)."""
    engine, folder = reports_store
    out = folder / "reports"
    summary = reports.generate_reports(
        engine, ReportOptions(ROUND, out, units=UNITS, synthetic=True)
    )
    return engine, out / ROUND, summary


def test_every_report_has_html_notebook_and_an_index_entry(made):
    _, out, summary = made
    assert (summary.ok, summary.failed, summary.skipped) == (3, 0, 0)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {u: e["status"] for u, e in manifest.items()} == dict.fromkeys(UNITS, "ok")
    index = (out / "index.html").read_text(encoding="utf-8")
    for unit in UNITS:
        assert (out / f"{unit}.html").is_file()
        assert not (out / f"{unit}.ipynb").exists()  # the audit trail stays with the analyst
        executed = nbformat.read(summary.notebooks / f"{unit}.ipynb", as_version=4)
        assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)
        assert f'href="{unit}.html"' in index and ".ipynb" not in index
    assert "3 klaar" in index and "verouderd" not in index  # the count line: three done


def test_report_shows_no_code_and_reads_as_a_dutch_report(made):
    _, out, _ = made
    page = (out / "almere.html").read_text(encoding="utf-8")
    assert '<html lang="nl">' in page
    for heading in ("Samenvatting", "Sterke punten", "Eerst aanpakken", "Colofon"):
        assert heading in page
    for code in ("report_sections", "import ", "display(", "load_analysis", "Traceback"):
        assert code not in page
    assert 'class="dwp-error"' not in page


def test_provenance_names_instrument_snapshot_version_and_parameters(made):
    engine, out, _ = made
    page = (out / "woerden.html").read_text(encoding="utf-8")
    info = store.get_round(engine, ROUND)
    provenance = page[page.index('id="provenance"') :]
    assert info.instrument_hash in provenance
    assert store.snapshot_hash(engine, ROUND) in provenance
    assert f"data-strategy v{info.instrument_version}" in provenance
    assert __version__ in provenance
    assert "organisation_id = woerden" in provenance
    # one readable sentence first; hashes and parameters folded away in <details>
    sentence = provenance[: provenance.index("<details")]
    assert (
        f"versie {info.instrument_version} van de vragenlijst" in sentence
        and info.instrument_hash not in sentence
    )


def test_rerun_skips_reports_that_are_up_to_date(made):
    engine, out, _ = made
    before = {u: (out / f"{u}.html").stat().st_mtime_ns for u in UNITS}
    again = reports.generate_reports(
        engine, ReportOptions(ROUND, out.parent, units=UNITS, synthetic=True)
    )
    assert (again.ok, again.skipped) == (0, 3)
    assert {u: (out / f"{u}.html").stat().st_mtime_ns for u in UNITS} == before
    forced = reports.generate_reports(
        engine, ReportOptions(ROUND, out.parent, units=["almere"], synthetic=True, force=True)
    )
    assert (forced.ok, forced.skipped) == (1, 0)
    assert (out / "almere.html").stat().st_mtime_ns > before["almere"]


def _rename(engine, organisation_id: str, name: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(store.organisation)
            .where(store.organisation.c.id == organisation_id)
            .values(name=name)
        )


def test_renaming_an_organisation_in_the_registry_makes_its_report_again(made):
    """Names are printed in the reports: a registry change is not "up to date"."""
    engine, out, _ = made
    original = store.organisations(engine).set_index("id").loc["woerden", "name"]
    _rename(engine, "woerden", 'Woerden <b>&</b> "Co"')
    try:
        again = reports.generate_reports(
            engine, ReportOptions(ROUND, out.parent, units=["woerden"], synthetic=True)
        )
        assert (again.ok, again.skipped) == (1, 0)
        page = (out / "woerden.html").read_text(encoding="utf-8")
        assert "Woerden &lt;b&gt;&amp;&lt;/b&gt; &quot;Co&quot;" in page and "<b>&</b>" not in page
    finally:
        _rename(engine, "woerden", original)
        reports.generate_reports(
            engine, ReportOptions(ROUND, out.parent, units=["woerden"], synthetic=True)
        )


def test_hostile_names_and_free_text_are_shown_escaped_never_as_markup(made):
    _, out, _ = made
    page = (out / "gouda.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&quot;org&quot;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(&#x27;vrije tekst&#x27;)&gt;" in page
    assert "<script>alert" not in page and "<img src=x" not in page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in index and "&lt;script&gt;" in index


def test_a_report_holds_no_data_of_another_organisation(made):
    engine, out, _ = made
    page = (out / "almere.html").read_text(encoding="utf-8")
    text = re.sub(r"<script.*?</script>", "", page, flags=re.S)  # plotly.js and figure data aside
    figures = " ".join(re.findall(r'class="dwp-figure-data">(.*?)</script>', page, flags=re.S))
    orgs = store.organisations(engine)
    for org_id, name in zip(orgs["id"], orgs["name"], strict=True):
        if org_id == "almere":
            continue
        for haystack in (text, figures):
            assert not re.search(rf"\b{re.escape(org_id)}\b", haystack), org_id
            assert name not in haystack, name
    respondents = store.load_responses(engine, ROUND)
    for respondent_id in respondents["respondent_id"]:
        assert respondent_id not in page
    assert HOSTILE_TEXT.split(">")[1].strip() not in page  # Gouda's free text
    assert SECRET_REMARK not in (out / "gouda.html").read_text(encoding="utf-8")


def _template_with_cell(tmp_path: Path, source: str, position: int) -> Path:
    """A copy of the organisation template with an extra code cell at ``position``.

    Position 0 runs before the parameters; position 2 runs right after the parameters that
    papermill injects behind the ``parameters`` cell.
    """
    notebook = nbformat.read(OUTPUTS["maturity-report"].template, as_version=4)
    notebook.cells.insert(position, nbformat.v4.new_code_cell(source))
    path = tmp_path / "organisation_report.ipynb"
    nbformat.write(notebook, path)
    return path


def test_a_failing_report_is_listed_and_does_not_stop_the_others(
    use_template, reports_store, tmp_path, monkeypatch
):
    engine, _ = reports_store
    original = OUTPUTS["maturity-report"].template
    breaking = "if organisation_id == 'almere':\n    raise RuntimeError('kapotte sectie')"
    use_template(_template_with_cell(tmp_path, breaking, 2))
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "--db",
            str(engine.url),
            "report",
            "--round",
            ROUND,
            "--org",
            "gouda",
            "--org",
            "almere",
            "--org",
            "woerden",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 1
    assert "1 report(s) failed" in result.output
    folder = out / ROUND
    assert (folder / "gouda.html").is_file() and (folder / "woerden.html").is_file()
    assert not (folder / "almere.html").exists()
    failed_notebook = nbformat.read(
        files.work_folder(files.NOTEBOOK_FOLDER, ROUND) / "almere.ipynb", as_version=4
    )
    assert any(
        o.get("ename") == "RuntimeError"
        for c in failed_notebook.cells
        for o in c.get("outputs", [])
    )
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "RuntimeError: kapotte sectie" in index
    assert "mislukt" in index

    use_template(original)
    retried = reports.generate_reports(
        engine, ReportOptions(ROUND, out, units=["gouda", "almere", "woerden"], retry_failed=True)
    )
    assert (retried.ok, retried.failed, retried.skipped) == (1, 0, 2)
    assert (folder / "almere.html").is_file()
    assert "kapotte sectie" not in (folder / "index.html").read_text(encoding="utf-8")


HANG_TIMEOUT = 3


def test_a_report_that_hangs_times_out_and_the_next_gets_a_fresh_kernel(
    use_template, reports_store, tmp_path, monkeypatch
):
    """The hanging cell blocks for ever and is the first cell of its report, so the short
    timeout races with nothing: no healthy cell runs under it (a healthy cell of a report
    under a 15 s, later 45 s, timeout timed out on a loaded machine). The next report runs
    in the same process, under the usual timeout, after the hung kernel."""
    engine, _ = reports_store
    original, usual = OUTPUTS["maturity-report"].template, report_execute.CELL_TIMEOUT
    hang = "import threading\nthreading.Event().wait()"
    use_template(_template_with_cell(tmp_path, hang, 0))
    monkeypatch.setattr(report_execute, "CELL_TIMEOUT", HANG_TIMEOUT)
    out = tmp_path / "out"
    hung = reports.generate_reports(engine, ReportOptions(ROUND, out, units=["almere"]))
    assert (hung.ok, hung.failed) == (0, 1)
    manifest = json.loads((out / ROUND / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["almere"]["status"] == "failed"
    assert f"{HANG_TIMEOUT} seconds" in manifest["almere"]["error"]
    monkeypatch.setattr(report_execute, "CELL_TIMEOUT", usual)
    use_template(original)
    after = reports.generate_reports(engine, ReportOptions(ROUND, out, units=["woerden"]))
    assert (after.ok, after.failed) == (1, 0)
    manifest = json.loads((out / ROUND / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["woerden"]["status"] == "ok" and manifest["almere"]["status"] == "failed"


def test_no_variable_of_one_report_survives_into_the_next(
    use_template, reports_store, tmp_path, monkeypatch
):
    engine, _ = reports_store
    leak_check = "leaked = [n for n in ('view', 'analysis', 'parameters', 'organisation_id') if n in globals()]\nassert not leaked, leaked"
    use_template(_template_with_cell(tmp_path, leak_check, 0))
    summary = reports.generate_reports(
        engine, ReportOptions(ROUND, tmp_path / "out", units=["almere", "woerden"])
    )
    assert (summary.ok, summary.failed) == (2, 0)


def test_team_profiles_cover_competences_per_stage_with_pseudonyms(reports_store):
    engine, folder = reports_store
    teams = ["gouda-team-financien", "almere-datateam-sociaal-domein"]
    summary = reports.generate_reports(
        engine, ReportOptions(TEAM_ROUND, folder / "team-reports", units=teams)
    )
    assert (summary.ok, summary.failed) == (2, 0)
    page = (folder / "team-reports" / TEAM_ROUND / "gouda-team-financien.html").read_text(
        encoding="utf-8"
    )
    assert "Teamprofiel: Team Financiën" in page
    for stage in ("Data", "Informatie", "Kennis", "Besluit"):
        assert stage in page
    members = store.load_responses(engine, TEAM_ROUND)
    for respondent_id in members["respondent_id"]:
        assert respondent_id not in page
    assert "Almere" not in page


def test_both_languages_side_by_side_with_an_index_each(reports_store):
    engine, folder = reports_store
    out = folder / "english"
    summary = reports.generate_reports(
        engine, ReportOptions(ROUND, out, units=["woerden"], lang="nl,en")
    )
    assert summary.ok == 2
    english = (out / ROUND / "woerden.en.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in english
    assert "Summary" in english and "Strengths" in english and "Samenvatting" not in english
    dutch = (out / ROUND / "woerden.html").read_text(encoding="utf-8")
    assert '<html lang="nl">' in dutch and "Samenvatting" in dutch
    assert set(summary.indexes) == {"nl", "en"}
    index_en = summary.indexes["en"].read_text(encoding="utf-8")
    assert summary.indexes["en"].name == "index.en.html" and 'href="woerden.en.html"' in index_en
    assert 'href="woerden.html"' in summary.indexes["nl"].read_text(encoding="utf-8")
    # English alone never overwrites the Dutch report
    before = (out / ROUND / "woerden.html").stat().st_mtime_ns
    again = reports.generate_reports(
        engine, ReportOptions(ROUND, out, units=["woerden"], lang="en", force=True)
    )
    assert again.ok == 1 and (out / ROUND / "woerden.html").stat().st_mtime_ns == before


def test_an_unknown_language_is_refused_before_anything_is_made(reports_store):
    engine, folder = reports_store
    with pytest.raises(ValueError, match="unknown language.*fr"):
        reports.generate_reports(
            engine, ReportOptions(ROUND, folder / "fr", units=["woerden"], lang="nl,fr")
        )
    assert not (folder / "fr").exists()


def test_reports_run_on_a_dask_cluster(reports_store):
    from dask.distributed import LocalCluster

    engine, folder = reports_store
    out = folder / "dask"
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        summary = reports.generate_reports(
            engine,
            ReportOptions(
                ROUND,
                out,
                units=["almere", "woerden"],
                executor="dask",
                scheduler=cluster.scheduler_address,
            ),
        )
    assert (summary.ok, summary.failed) == (2, 0)
    assert (out / ROUND / "almere.html").is_file() and (
        summary.notebooks / "woerden.ipynb"
    ).is_file()


def test_pdf_without_chromium_is_one_clear_error_before_any_work(reports_store, monkeypatch):
    engine, folder = reports_store
    monkeypatch.setattr(printing, "CHROMIUM", str(folder / "no-chromium-here"))
    with pytest.raises(printing.PrinterError, match="apt-get install chromium"):
        reports.generate_reports(
            engine, ReportOptions(ROUND, folder / "no-pdf", units=["woerden"], pdf=True)
        )
    assert not (folder / "no-pdf").exists()


@pytest.mark.browser
def test_pdf_is_printed_on_a4(reports_store):
    engine, folder = reports_store
    out = folder / "pdf"
    summary = reports.generate_reports(
        engine, ReportOptions(ROUND, out, units=["woerden"], pdf=True)
    )
    assert summary.ok == 1, json.loads((out / ROUND / "manifest.json").read_text())
    pdf = (out / ROUND / "woerden.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert re.search(rb"/MediaBox \[0 0 59[45](\.\d+)? 84[12](\.\d+)?\]", pdf)
    assert 'href="woerden.pdf"' in (out / ROUND / "index.html").read_text(encoding="utf-8")


@pytest.mark.browser
def test_report_renders_every_chart_offline_without_requests_or_errors(made, page):
    _, out, _ = made
    report = out / "gouda.html"
    requests, errors, dialogs = [], [], []
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("file:")
            else (requests.append(route.request.url), route.abort())
        ),
    )
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(report.as_uri())
    page.wait_for_selector("body[data-charts-ready='true']", timeout=30_000)
    figures = page.locator("script.dwp-figure-data").count()
    assert figures >= 3
    assert page.locator(".dwp-figure .main-svg").count() >= figures
    assert page.locator("div.dwp-figure.js-plotly-plot").count() == figures
    assert requests == [] and errors == [] and dialogs == []
    assert HOSTILE_NAME in page.locator("h1").inner_text()


def test_synthetic_data_is_marked_on_every_output_whatever_command_made_it(reports_store):
    """The sample rounds are recorded as synthetic in the store: reports made without any flag,
    in both languages, their PDFs, the indexes and the bundle all say so."""
    from pypdf import PdfReader

    engine, folder = reports_store
    assert store.get_round(engine, ROUND).synthetic
    out = folder / "synthetic"
    summary = reports.generate_reports(
        engine, ReportOptions(ROUND, out, units=["woerden"], lang="nl,en", pdf=True, bundle=True)
    )
    assert summary.ok == 2
    for lang, mark in (("nl", ""), ("en", ".en")):
        page = (out / ROUND / f"woerden{mark}.html").read_text(encoding="utf-8")
        assert html.escape(t("report.synthetic_warning", lang), quote=True) in page
        text = " ".join(
            p.extract_text() for p in PdfReader(out / ROUND / f"woerden{mark}.pdf").pages
        )
        assert t("report.synthetic_warning", lang).split(":")[0] in text
        assert t("report.synthetic_index", lang) in html.unescape(
            summary.indexes[lang].read_text(encoding="utf-8")
        )
    with zipfile.ZipFile(summary.bundles.written["woerden"]) as archive:
        readme = archive.read("woerden/README.txt").decode("utf-8")
        names = sorted(n.rsplit("/", 1)[1] for n in archive.namelist())
        reports_ = [
            f"woerden{part}{mark}.{ext}"
            for part in ("", ".samenvatting")
            for mark in ("", ".en")
            for ext in ("html", "pdf")
        ]
        assert names == sorted(["README.txt", *reports_])
    assert (
        t("report.synthetic_warning", "nl") in readme
        and t("report.synthetic_warning", "en") in readme
    )


def test_the_build_digest_follows_every_file_of_a_package_but_its_byte_code(tmp_path):
    """Reports and cached analyses are keyed on ``build_digest``: a changed template, code
    file or message, or a new file, changes the digest; Python's byte-code caches do not."""
    package = tmp_path / "pkg"
    (package / "reports" / "templates").mkdir(parents=True)
    (package / "reports" / "sections.py").write_text("LEVEL = 1\n")
    (package / "reports" / "templates" / "report.html.j2").write_text("<h1>{{ t }}</h1>")
    first = folder_digest(package)
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "sections.cpython-311.pyc").write_bytes(b"\x00\x01")
    assert folder_digest(package) == first
    (package / "reports" / "sections.py").write_text("LEVEL = 2\n")
    changed_code = folder_digest(package)
    assert changed_code != first
    (package / "reports" / "templates" / "extra.css").write_text("p { margin: 0 }")
    assert folder_digest(package) not in (first, changed_code)
    assert build_digest().startswith(f"{__version__}+")

"""What makes a round's reports fast without changing them: files read once per process and
kept safely, the kept-alive kernel's cheap reset, the chart template assigned once checked,
and printing with plotly.js loaded once per page, static charts and several pages at once
(benchmarks/README.md)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd
import plotly.graph_objects as go
import pytest
from pypdf import PdfReader

from dwp_assess import resources
from dwp_assess.analysis import table_files
from dwp_assess.analysis.table_files import ParquetTables
from dwp_assess.instruments.loading import load_instrument
from dwp_assess.reports import charts, printing
from dwp_assess.reports.execute import KernelSession
from dwp_assess.reports.html import PACKED_PLOTLY_ID, macro, notebook_to_html, plotly_source
from dwp_assess.reports.sections.common import chart


def test_an_instrument_file_is_parsed_once_and_again_when_edited(tmp_path):
    path = tmp_path / "data-strategy-v1.yaml"
    shutil.copy(resources.QUESTIONNAIRES / "data-strategy-v1.yaml", path)
    first = load_instrument(path)
    assert load_instrument(path) is first
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(first.title.get("nl"), "Herziene titel", 1), encoding="utf-8")
    edited = load_instrument(path)
    assert edited is not first and edited.title.get("nl") == "Herziene titel"


@dataclass
class _Tables(ParquetTables):
    meta: dict
    values: pd.DataFrame


def test_a_saved_folder_is_read_once_and_no_caller_can_change_it_for_another(tmp_path, monkeypatch):
    folder = _Tables({"round": "r1", "nested": {"n": 1}}, pd.DataFrame({"v": [1.0, 2.0]})).save(
        tmp_path / "t"
    )
    reads = []
    real = pd.read_parquet
    monkeypatch.setattr(
        table_files.pd, "read_parquet", lambda *a, **k: reads.append(a) or real(*a, **k)
    )
    first = _Tables.load(folder)
    first.values.loc[0, "v"] = 99.0
    first.values["extra"] = 0
    first.meta["nested"]["n"] = 2
    second = _Tables.load(folder)
    assert len(reads) == 1
    assert list(second.values.columns) == ["v"] and second.values["v"].tolist() == [1.0, 2.0]
    assert second.meta == {"round": "r1", "nested": {"n": 1}}


def test_a_saved_folder_written_again_is_read_afresh(tmp_path):
    folder = _Tables({"round": "r1"}, pd.DataFrame({"v": [1.0]})).save(tmp_path / "t")
    assert _Tables.load(folder).values["v"].tolist() == [1.0]
    _Tables({"round": "r1"}, pd.DataFrame({"v": [1.0, 5.0]})).save(folder)  # same meta
    assert _Tables.load(folder).values["v"].tolist() == [1.0, 5.0]


def test_the_kernel_reset_forgets_the_report_and_freezes_what_survives(tmp_path):
    """After a reset the kernel's surviving objects are out of the collector's reach (a
    reset or a figure no longer walks the whole heap), and no variable of the report is left."""
    session = KernelSession(tmp_path, tmp_path / "data")
    try:
        session.kc.execute_interactive("secret = 'org-a'", timeout=60)
        session.reset()
        outputs = []
        session.kc.execute_interactive(
            "print('secret' in globals(), __import__('gc').get_freeze_count() > 0)",
            timeout=60,
            output_hook=lambda m: outputs.append(m["content"].get("text", "")),
        )
        assert "".join(outputs).split() == ["False", "True"]
    finally:
        session.close()


def test_changing_one_figures_template_leaves_the_next_figure_alone(data_strategy):
    dims = [d.id for d in data_strategy.dimensions]
    frame = pd.DataFrame({"dimension_id": dims, "mean": 3.0})
    first = charts.radar(frame, data_strategy)
    first.layout.template.layout.font.size = 99
    assert charts.radar(frame, data_strategy).layout.template.layout.font.size != 99


def _report_page(tmp_path: Path, name: str, text: str, fig: go.Figure | None = None) -> Path:
    """A report page as ``html.notebook_to_html`` makes it, with ``text`` and a chart."""
    blocks = [f"<h1>{text}</h1>"] + (
        [str(macro("figure")(chart(fig, "nl")))] if fig is not None else []
    )
    cell = nbformat.v4.new_code_cell(
        outputs=[nbformat.v4.new_output("display_data", data={"text/html": b}) for b in blocks]
    )
    path = tmp_path / f"{name}.html"
    path.write_text(
        notebook_to_html(nbformat.v4.new_notebook(cells=[cell]), text), encoding="utf-8"
    )
    return path


def _trend(instrument) -> go.Figure:
    dims = [d.id for d in instrument.dimensions]
    change = pd.DataFrame(
        {"dimension_id": dims, "difference": 0.2, "ci_low": 0.1, "ci_high": 0.3, "reliable": True}
    )
    return charts.trend(change, instrument)


def test_the_printer_draws_a_report_static_with_plotly_loaded_once(tmp_path, page, data_strategy):
    """The printer's page loads plotly.js once and takes reports without their own packed copy;
    their charts are drawn static and laid out with plotly's styles, as in the file itself."""
    report = _report_page(tmp_path, "gouda", "Gouda", _trend(data_strategy))
    page.goto(report.as_uri())
    page.wait_for_function(printing.CHARTS_READY)
    assert page.locator(".modebar").count() == 1  # on screen: the toolbar and hover
    svg = "document.querySelector('.main-svg')"
    on_screen = page.evaluate(f"{svg}.getBoundingClientRect().height")
    page.goto("about:blank")
    page.add_script_tag(content=plotly_source())
    page.evaluate(printing.STATIC_CHARTS)
    styles = page.evaluate(printing.PLOTLY_STYLES)
    printed = printing.for_printing(report.read_text(encoding="utf-8"), styles, "nl")
    assert f'id="{PACKED_PLOTLY_ID}"' not in printed and len(printed) < report.stat().st_size / 10
    for _ in range(2):  # the second report is written into the page the first one used
        page.evaluate(printing.RELEASE_CHARTS)
        page.set_content(printed)
        page.wait_for_function(printing.CHARTS_READY)
        assert page.locator(".modebar").count() == 0
        assert page.evaluate("document.querySelector('.js-plotly-plot')._context.staticPlot")
        assert page.evaluate(f"getComputedStyle({svg}).position") == "absolute"  # plotly's styles
        assert page.evaluate(f"{svg}.getBoundingClientRect().height") == on_screen
    assert page.evaluate("document.querySelectorAll('.js-plotly-plot').length") == 1


def test_pages_printed_at_once_each_land_in_their_own_pdf(tmp_path, data_strategy):
    names = ["gouda", "hoorn", "zwolle", "utrecht", "delft"]
    pages = [
        _report_page(tmp_path, n, n.title(), _trend(data_strategy) if k % 2 else None)
        for k, n in enumerate(names)
    ]
    try:
        printing.print_pdfs([(p, p.with_suffix(".pdf"), "nl") for p in pages])
        for name, p in zip(names, pages, strict=True):
            reader = PdfReader(p.with_suffix(".pdf"))
            text = "\n".join(pg.extract_text() for pg in reader.pages)
            assert name.title() in text and not any(o.title() in text for o in names if o != name)
            assert "pagina 1 van" in text
    finally:
        printing.discard_printer()


def test_a_failed_print_is_raised_and_the_next_print_starts_afresh(tmp_path):
    good = _report_page(tmp_path, "gouda", "Gouda")
    try:
        with pytest.raises(FileNotFoundError, match="missing.html"):
            printing.print_pdfs(
                [
                    (tmp_path / "missing.html", tmp_path / "missing.pdf", "nl"),
                    (good, good.with_suffix(".pdf"), "nl"),
                ]
            )
        assert not (tmp_path / "missing.pdf").exists()
        printing.print_pdf(good, tmp_path / "again.pdf")
        assert (tmp_path / "again.pdf").read_bytes().startswith(b"%PDF")
    finally:
        printing.discard_printer()


def test_a_printer_keeps_at_most_its_pages_open_and_replaces_a_worn_page(
    tmp_path, data_strategy, monkeypatch
):
    """Memory stays bounded over a round: never more than ``PAGES`` pages, each replaced by a
    fresh one (plotly.js loaded, charts static) after ``PAGE_PRINTS`` reports; every report
    still lands in its own PDF with its charts."""
    monkeypatch.setattr(printing, "PAGE_PRINTS", 2)
    names = ["gouda", "hoorn", "zwolle", "utrecht", "delft", "emmen", "breda"]
    pages = [_report_page(tmp_path, n, n.title(), _trend(data_strategy)) for n in names]
    printer = printing.Printer()
    seen = set()
    try:
        for page in pages:
            printer.print_all([(page, page.with_suffix(".pdf"), "nl")])
            open_pages = printer._context.pages
            assert len(open_pages) <= printing.PAGES
            seen.update(open_pages)  # the objects themselves: an id could be reused
        assert len(seen) > printing.PAGES  # worn pages were replaced
        for name, page in zip(names, pages, strict=True):
            text = "\n".join(pg.extract_text() for pg in PdfReader(page.with_suffix(".pdf")).pages)
            assert name.title() in text and "pagina 1 van" in text
    finally:
        printer.close()


def test_a_section_is_kept_once_in_a_notebook(data_strategy):
    """The plain-text form of a section (kept beside its HTML in every executed notebook and
    sent with it from the kernel) names it instead of repeating the markup."""
    from IPython.core.formatters import DisplayFormatter

    from dwp_assess.reports.sections.common import Html

    section = Html("<section>" + "<p>Gouda</p>" * 5000 + "</section>")
    formats, _ = DisplayFormatter().format(section)
    assert formats["text/html"] == str(section)
    assert len(formats["text/plain"]) < 100

"""The management summary and printing: a short second output per organisation that prints
on at most four A4 pages with page numbers, and full reports printed without chart toolbars,
every dimension heading on the page of its chart.
"""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from dwp_assess.data import store
from dwp_assess.instruments.messages import t
from dwp_assess.reports import run as reports
from dwp_assess.reports.options import ReportOptions

ROUND = "data-strategy-2026"
COLOPHON = {"sender": "Gemeente Testdorp, team Data", "contact": "data@testdorp.example"}


@pytest.fixture(scope="module")
def printed(tmp_path_factory, sample_store):
    folder = tmp_path_factory.mktemp("summary")
    engine = store.connect(sample_store.copy_to(folder / "dwp.sqlite"))
    summary = reports.generate_reports(
        engine,
        ReportOptions(
            ROUND,
            folder / "reports",
            units=["gouda", "zuid-holland"],
            lang="nl,en",
            pdf=True,
            jobs=2,
            colophon=COLOPHON,
        ),
    )
    assert (summary.ok, summary.failed) == (4, 0)
    return engine, folder / "reports" / ROUND


def pdf_text(path) -> tuple[int, str]:
    reader = PdfReader(path)
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def squeezed(text: str) -> str:
    """Text without spaces and line-break hyphens: pypdf sets a soft-hyphenated word apart
    ("Prio ri tei ten"), so phrases are compared without them."""
    return re.sub(r"[\s\u2010\u00ad]", "", text)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_summary_prints_on_at_most_four_numbered_a4_pages(printed, lang):
    _, out = printed
    mark = "" if lang == "nl" else ".en"
    for org in ("gouda", "zuid-holland"):
        path = out / f"{org}.samenvatting{mark}.pdf"
        pages, text = pdf_text(path)
        assert 2 <= pages <= 4 and path.stat().st_size <= 500_000
        numbers = t("report.page_of", lang).format(page=1, total=pages)
        assert numbers in text and t("report.page_of", lang).format(page=pages, total=pages) in text
        assert squeezed(t("summary.priorities", lang)) in squeezed(text)
        assert squeezed(t("summary.reliability", lang)) in squeezed(text)
        assert PdfReader(path).pages[0].mediabox.width == pytest.approx(595.9, abs=1)


def test_the_summary_holds_the_ladder_priorities_change_and_response(printed):
    engine, out = printed
    page = (out / "gouda.samenvatting.html").read_text(encoding="utf-8")
    assert "<script" not in page  # static: no chart library, no toolbar
    ladder = page[page.index('id="ladder"') : page.index('id="priorities"')]
    rows = re.findall(r"<tr>\s*<td><strong>(.*?)</strong>", ladder)
    assert len(rows) == 9  # one ladder row per dimension of data-strategy v2
    assert page.count('class="rung at"') == 9
    priorities = page[page.index('id="priorities"') : page.index('id="position"')]
    actions = re.findall(r'<li value="\d+"><strong>', priorities)
    assert 1 <= len(actions) <= 3 and t("advice.owner", "nl") in priorities
    assert "2025" in page[page.index('id="change-words"') :]  # the previous round by its period
    assert "68" in page[page.index('id="reliability"') :]  # Gouda's number invited
    assert t("report.synthetic_warning", "nl") in page


def test_the_index_links_the_summaries_and_their_pdfs(printed):
    _, out = printed
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="gouda.samenvatting.html"' in index and 'href="gouda.samenvatting.pdf"' in index


def test_a_printed_report_hides_the_chart_toolbar(printed, page):
    """On paper, plotly's toolbar would sit over the chart titles: the print style hides it."""
    _, out = printed
    page.goto((out / "gouda.html").as_uri())
    page.wait_for_function("document.body.dataset.chartsReady === 'true'", timeout=60_000)
    assert page.locator(".modebar").count() > 0
    page.emulate_media(media="print")
    shown = page.evaluate(
        "[...document.querySelectorAll('.modebar')].filter(e => getComputedStyle(e).display !== 'none').length"
    )
    assert shown == 0
    pages, text = pdf_text(out / "gouda.pdf")
    assert t("report.page_of", "nl").format(page=pages, total=pages) in text


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_printed_dimension_heading_stays_with_its_chart(printed, lang):
    """Each dimension's heading and figures line land on the page of its level chart, never at
    the foot of the page before it."""
    _, out = printed
    mark = "" if lang == "nl" else ".en"
    stats = re.escape(t("report.dimension_stats", lang).split("{median}")[0].replace("{n} ", ""))
    legends = [t("chart.ladder_chosen", lang), t("chart.ladder_estimate", lang)]
    headings = 0
    for page in PdfReader(out / f"gouda{mark}.pdf").pages:
        text = page.extract_text()
        on_page = len(re.findall(rf"\d+ {stats}", text))
        assert on_page == sum(text.count(legend) for legend in legends)
        headings += on_page
    assert headings == 9  # every dimension of data-strategy v2


@pytest.mark.parametrize(
    "name", ["gouda.html", "gouda.en.html", "gouda.samenvatting.html", "gouda.samenvatting.en.html"]
)
def test_report_and_summary_end_with_the_projects_colophon(printed, name):
    """The sender and contact of the project's settings (passed as ``generate_reports(colophon=)``)
    reach the colophon of the report (through the notebook's parameters) and of the summary."""
    _, out = printed
    page = (out / name).read_text(encoding="utf-8")
    colophon = page[page.index('id="colophon"') :]
    assert COLOPHON["sender"] in colophon and COLOPHON["contact"] in colophon
    assert "Gouda" in colophon and "2026" in colophon

"""The organisation report and its summary as a municipality prints them, on a generated round
(another population than the sample's): no page is left emptier than the next block needs,
every heading prints on the page of what it introduces, and plotly's toolbar speaks the
report's language on screen and is not on paper.

The page fill is measured from the printed PDF: per page, the share of the text area (A4 less
the printer's margins) below its lowest line of text. Gouda's v2 report printed 31 pages, of
which 9 were more than a fifth empty and 3 to 4 more than 30% (up to 43%), because a dimension's
answers were charts of three statements that cannot break and a recommendation could not break
at all; on this generated round the reports had 5 to 8 pages more than 30% empty, up to 54%. In
parts of two statements, with smaller margins and recommendations that break between their
paragraphs, Gouda's reports have none and these at most one (a page before the large radar
chart, 47%): ``RATHER_EMPTY`` and ``ROOMY_PAGES`` say so, ``MOST_EMPTY`` bounds that one.
"""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from dwp_assess.data import importers, registry, store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.messages import t
from dwp_assess.reports import run as reports
from dwp_assess.reports.options import ReportOptions
from tests.generated_rounds import population_round

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

ROUND = "ds-2028"
SEED = 2028  # another seed than the sample's and the other generated rounds'
MM = 72 / 25.4  # PDF points per millimetre
TOP_MM, BOTTOM_MM = 14, 16  # the printer's margins (printing.MARGINS); the footer is below
RATHER_EMPTY = 0.3  # a page with more of its text area left empty ...
ROOMY_PAGES = 1  # ... is the exception: at most this many in a document (the last page aside)
MOST_EMPTY = 0.5  # and none but the last is half empty


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """Reports and summaries, in Dutch and English and as PDFs, of two organisations of a
    generated round of data-strategy v2."""
    folder = tmp_path_factory.mktemp("pages")
    engine = store.connect(f"sqlite:///{folder / 'dwp.sqlite'}")
    instrument = get_instrument("data-strategy", 2)
    population = population_round(folder / "imports", instrument, n_orgs=6, rho=0.5, seed=SEED)
    registry.import_registry(engine, population.registry)
    store.create_round(engine, instrument, "2028", ROUND)
    registry.import_registry(engine, population.registry, round_id=ROUND)
    for path in population.exports:
        importers.import_file(engine, path, ROUND)
    units = list(population.organisations["id"].iloc[:2])
    summary = reports.generate_reports(
        engine, ReportOptions(ROUND, folder / "reports", units=units, lang="nl,en", pdf=True)
    )
    assert summary.failed == 0
    yield folder / "reports" / ROUND, units
    engine.dispose()


def empty_shares(pdf) -> list[float]:
    """Per page: the share of its text area below its lowest line of text (the page number
    in the footer, below the text area, does not count)."""
    shares = []
    for page in PdfReader(pdf).pages:
        bottom, top = BOTTOM_MM * MM, float(page.mediabox.height) - TOP_MM * MM
        lines = []

        def visit(text, cm, tm, font, size, lines=lines):
            if text.strip():  # where the text's line starts on the page: tm × cm
                lines.append(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])

        page.extract_text(visitor_text=visit)
        inside = [y for y in lines if bottom < y < top]
        shares.append((min(inside) - bottom) / (top - bottom) if inside else 1.0)
    return shares


def outputs(out, units) -> list:
    return [
        out / f"{unit}{kind}{mark}.pdf"
        for unit in units
        for kind in ("", ".samenvatting")
        for mark in ("", ".en")
    ]


def test_no_page_but_the_last_is_left_half_empty(printed):
    """A chart, a table row or an action that does not fit moves to the next page and leaves
    room behind: at most ``ROOMY_PAGES`` page of a document more than ``RATHER_EMPTY`` empty,
    none more than ``MOST_EMPTY``, in either language."""
    out, units = printed
    for pdf in outputs(out, units):
        shares = empty_shares(pdf)[:-1]  # the last page ends where the document ends
        roomy = [(n + 1, round(share, 2)) for n, share in enumerate(shares) if share > RATHER_EMPTY]
        assert len(roomy) <= ROOMY_PAGES, (pdf.name, roomy)
        assert all(share <= MOST_EMPTY for share in shares), (pdf.name, roomy)


def _squeezed(text: str) -> str:
    return re.sub(r"[\s\u00ad\u2010-]", "", text)


def _headings(reader: PdfReader) -> list[tuple[str, int]]:
    """Every bookmark (a heading of the tagged PDF) with its page, in the document's order."""
    found, todo = [], list(reader.outline)
    while todo:
        entry = todo.pop(0)
        if isinstance(entry, list):
            todo = entry + todo
            continue
        found.append((entry.title, reader.get_destination_page_number(entry)))
    return found


def test_every_heading_prints_on_the_page_of_what_follows_it(printed):
    """No heading at the foot of a page with its text on the next: on each heading's page,
    some text follows the heading (also the practice headings of "Organisaties met een
    vergelijkbaar profiel", which a chain of kept blocks once left alone at a page's foot)."""
    out, units = printed
    alone = []
    for pdf in outputs(out, units):
        reader = PdfReader(pdf)
        texts = [_squeezed(page.extract_text()) for page in reader.pages]
        footer = [
            _squeezed(
                t("report.page_of", "en" if ".en." in pdf.name else "nl").format(
                    page=n + 1, total=len(texts)
                )
            )
            for n in range(len(texts))
        ]
        for title, number in _headings(reader):
            text = texts[number].replace(footer[number], "")
            heading = _squeezed(title)
            at = text.rfind(heading)
            if at >= 0 and len(text) - (at + len(heading)) < 20:
                alone.append((pdf.name, title, number + 1))
    assert alone == []


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_chart_toolbar_speaks_the_reports_language_and_stays_off_paper(printed, page, lang):
    """On screen a chart's toolbar holds one button (save as an image) named in the report's
    language from the message catalogue; printed, no toolbar and none of plotly's English."""
    out, units = printed
    mark = "" if lang == "nl" else ".en"
    page.goto((out / f"{units[0]}{mark}.html").as_uri())
    page.wait_for_function("document.body.dataset.chartsReady === 'true'", timeout=60_000)
    titles = page.evaluate(
        "[...document.querySelectorAll('.modebar')].map(bar => [...bar.querySelectorAll('.modebar-btn')].map(b => b.dataset.title))"
    )
    assert len(titles) >= 10 and all(
        names == [t("chart.toolbar_download", lang)] for names in titles
    )
    page.emulate_media(media="print")
    shown = page.evaluate(
        "[...document.querySelectorAll('.modebar')].filter(e => getComputedStyle(e).display !== 'none').length"
    )
    assert shown == 0
    text = " ".join(p.extract_text() for p in PdfReader(out / f"{units[0]}{mark}.pdf").pages)
    assert "Download plot" not in text and t("chart.toolbar_download", lang) not in text

"""On paper nothing is cut off and nothing is shrunk: every output of every instrument, laid
out for print in Chromium at the width of the A4 column, fits that column.

A table wider than the column made Chromium shrink the whole document (the reflection table of
the workshop report: every page printed at 64%), and a table in a scrolling box was cut (the
team's members matrix, the parties of a project plan).
"""

from __future__ import annotations

import html
import re
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from dwp_assess.data import store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.messages import t
from dwp_assess.reports import printing
from dwp_assess.reports import run as reports
from dwp_assess.reports.options import ReportOptions
from dwp_assess.reports.typography import SOFT_HYPHEN, hyphenate_html

# The module's fixture makes the reports of four rounds in two languages inside the first test:
# on a machine loaded 20 times over it took longer than the suite's 300 s limit (a hang guard).
pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

A4_COLUMN_CSS_PX = 688  # 210 mm less two margins of 14 mm, at 96 px per inch
# One unit of each output, the widest the sample has: five parties, eight competences.
UNITS = {
    "data-strategy-2026": ["gouda"],
    "competences-2026": ["almere-datateam-sociaal-domein"],
    "data-sharing-2026": ["energiearmoede-noord"],
    "digital-governance-2026": ["almere-programma-energietransitie"],
}
OVERFLOW = """() => {
  const column = document.querySelector("main").getBoundingClientRect().right;
  const problems = [];
  for (const el of document.querySelectorAll("main *")) {
    if (el.closest(".js-plotly-plot")) continue;
    const style = getComputedStyle(el);
    if (["auto", "hidden", "scroll", "clip"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1)
      problems.push(`cut: ${el.tagName}.${el.className} ${el.scrollWidth} > ${el.clientWidth}`);
    else if (el.getBoundingClientRect().right > column + 1)
      problems.push(`outside: ${el.tagName}.${el.className} ${Math.round(el.getBoundingClientRect().right)} > ${Math.round(column)}`);
  }
  return problems.slice(0, 3);
}"""


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, sample_store):
    folder = tmp_path_factory.mktemp("print")
    engine = store.connect(sample_store.copy_to(folder / "dwp.sqlite"))
    pages = []
    for round_id, units in UNITS.items():
        summary = reports.generate_reports(
            engine, ReportOptions(round_id, folder / "reports", units=units, lang="nl,en", jobs=2)
        )
        assert summary.failed == 0
        pages += [
            p
            for p in (folder / "reports" / round_id).glob("*.html")
            if not p.name.startswith("index")
        ]
    return pages


def test_every_output_fits_the_a4_column_in_print(outputs, page):
    assert len(outputs) == 2 * (4 + 1)  # four outputs and the summary, in two languages
    page.set_viewport_size({"width": A4_COLUMN_CSS_PX, "height": 1000})
    for path in outputs:  # as the printer lays it out: typeset for paper in its language
        lang = "en" if path.name.endswith(".en.html") else "nl"
        page.set_content(hyphenate_html(path.read_text(encoding="utf-8"), lang))
        page.wait_for_function("document.body.dataset.chartsReady === 'true'", timeout=60_000)
        page.emulate_media(media="print")
        assert page.evaluate(OVERFLOW) == [], path.name
        page.emulate_media(media="screen")


def test_a_printed_project_plan_shows_the_checklist_tips(outputs, tmp_path):
    """The tips of the checklist are folded on screen and printed on paper; a report's
    technical details (hashes, in the HTML report) are left off paper, where they cannot unfold."""
    plan = next(p for p in outputs if p.name == "energiearmoede-noord.html")
    report = next(p for p in outputs if p.name == "gouda.html")
    try:
        printing.print_pdfs(
            [(plan, tmp_path / "plan.pdf", "nl"), (report, tmp_path / "gouda.pdf", "nl")]
        )
    finally:
        printing.discard_printer()
    plan_text, report_text = (
        " ".join(" ".join(page.extract_text().split()) for page in PdfReader(tmp_path / name).pages)
        for name in ("plan.pdf", "gouda.pdf")
    )
    tips = [i.tip.get("nl") for i in get_instrument("data-sharing", 1).items if i.tip]
    assert len(tips) >= 10 and all(squeezed(tip)[:40] in squeezed(plan_text) for tip in tips)
    assert t("report.provenance_details", "nl") not in report_text
    assert t("report.provenance.instrument_hash", "nl") not in report_text


# -- paper and screen: words, charts, PDFs ------------------------------------------------

WORD = re.compile(r"[^\W\d_]+")
NARROW_SCREEN_PX = 400
PRINTED = [
    "gouda.html",
    "gouda.en.html",
    "gouda.samenvatting.html",
    "gouda.samenvatting.en.html",
    "almere-datateam-sociaal-domein.html",
    "almere-datateam-sociaal-domein.en.html",
]


def words_of(page: Path, lang: str) -> set[str]:
    """Every word of a page's text, chart labels included (from their JSON), and of its
    printed footer, lowercased."""
    text = html.unescape(
        re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8").replace(SOFT_HYPHEN, ""))
    )
    text += " " + t("report.page_of", lang)
    return {w.lower() for w in WORD.findall(text)}


def words_split_without_a_hyphen(pdf: Path, words: set[str]) -> list[tuple[int, str]]:
    """Lines of a printed PDF whose text is not made of the page's words. pypdf returns a word
    set with soft hyphens as its syllables apart ("Or ga ni sa tie"), ligatures as one
    character and two chart labels on one baseline as one piece ("InfrastructuurMensen"), so
    a line passes when its pieces can be joined into words. A piece of a line before a hyphen
    (U+2010, Chromium's at a soft hyphen; several in one line of side-by-side cells) may be
    the first part of a word, and when the line before had one, a piece may be the rest."""
    prefixes = {w[:n] for w in words for n in range(1, len(w) + 1)}
    suffixes = {w[n:] for w in words for n in range(len(w))}
    infixes = {w[a:b] for w in words for a in range(len(w)) for b in range(a + 1, len(w) + 1)}
    problems = []
    for number, page in enumerate(PdfReader(pdf).pages, 1):
        carry = False
        text = re.sub(
            r"([^\W\d_])(?=[A-Z][a-z])", r"\1 ", unicodedata.normalize("NFKC", page.extract_text())
        )
        for line in text.split("\n"):
            parts = re.split(r"(?<=[^\W\d_])\s*[\u2010\u00ad]", line)
            for n, part in enumerate(parts):
                tokens = [token.lower() for token in WORD.findall(part)]
                last = prefixes if n < len(parts) - 1 else set()
                middle = (
                    carry and n < len(parts) - 1 and "".join(tokens) in infixes
                )  # "Ex‐ / peri‐ / menteren"
                if not middle and not _segments(tokens, words, last, suffixes if carry else set()):
                    problems.append((number, line))
            carry = len(parts) > 1
    return problems


def _segments(tokens: list[str], words: set[str], last: set[str], first: set[str]) -> bool:
    """Whether ``tokens`` join into words, the first group possibly the end of a word
    (``first``) and the last the start of one (``last``)."""
    reachable = {0}
    for start in range(len(tokens)):
        if start not in reachable:
            continue
        for end in range(start + 1, min(len(tokens), start + 12) + 1):
            joined = "".join(tokens[start:end])
            if (
                joined in words
                or (start == 0 and joined in first)
                or (end == len(tokens) and joined in last)
            ):
                reachable.add(end)
    return len(tokens) in reachable


def squeezed(text: str) -> str:
    """Text without spaces and line-break hyphens: pypdf sets a soft-hyphenated word apart."""
    return re.sub(r"[\s\u2010\u00ad]", "", text)


@pytest.fixture(scope="module")
def printed(outputs, tmp_path_factory):
    """The PDFs of Gouda's report and summary and of a team profile, in Dutch and English."""
    folder = tmp_path_factory.mktemp("pdf")
    pages = {p.name: p for p in outputs}
    files = [
        (pages[name], folder / name.replace(".html", ".pdf"), "en" if ".en." in name else "nl")
        for name in PRINTED
    ]
    try:
        printing.print_pdfs(files)
    finally:
        printing.discard_printer()
    return files


def test_a_printed_word_breaks_only_at_a_hyphen(printed):
    """Soft hyphens from the dictionaries, no break inside a word anywhere else (the print
    stylesheet's overflow-wrap: anywhere printed "Verke nnen", "Organisatiestruc tuur")."""
    hyphens = 0
    for page, pdf, lang in printed:
        assert words_split_without_a_hyphen(pdf, words_of(page, lang)) == [], pdf.name
        hyphens += sum(
            len(re.findall(r"[\u00ad\u2010-]\n", p.extract_text())) for p in PdfReader(pdf).pages
        )
    assert hyphens > 0  # narrow columns do break words, at their hyphens


def test_a_printed_pdf_is_tagged_with_language_title_and_bookmarks(printed):
    for page, pdf, lang in printed:
        reader = PdfReader(pdf)
        catalog = reader.trailer["/Root"]
        assert "/StructTreeRoot" in catalog and catalog["/MarkInfo"]["/Marked"], pdf.name
        assert catalog["/Lang"] == lang
        title = re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8")).group(1)
        assert reader.metadata.title == html.unescape(title) and title
        first_heading = re.search(
            r"<h1\b[^>]*>(.*?)</h1>", page.read_text(encoding="utf-8"), re.S
        ).group(1)
        assert html.unescape(re.sub(r"<[^>]+>|\u00ad", "", first_heading)) == reader.metadata.title
        assert len(reader.outline) >= 1


def test_paper_shows_no_hover_or_fold_hints(printed):
    for page, pdf, lang in printed:
        text = " ".join(p.extract_text() for p in PdfReader(pdf).pages)
        for key in ("report.agreement_hover", "report.provenance_details", "chart.figures"):
            assert " ".join(t(key, lang).split()[:3]) not in " ".join(text.split()), (pdf.name, key)
        assert "docs/" not in text
        if 'class="dwp-agreement"' in page.read_text(encoding="utf-8"):  # the figure behind
            # each agreement word, printed in brackets as a plain number (no statistic's name)
            assert re.search(r"\((0|1)[,.]\d\d\)", text) and "rwg(J) =" not in text


# Every chart laid out again at the page's present width, awaited (a resize event and a fixed
# wait of 300 ms could check a chart before plotly had redrawn it on a loaded machine).
RELAID_OUT = """() => Promise.all([...document.querySelectorAll(".js-plotly-plot")]
  .map(chart => Plotly.Plots.resize(chart))).then(() => true)"""
CHART_TEXT_OUTSIDE = """() => {
  const problems = [];
  for (const chart of document.querySelectorAll(".js-plotly-plot")) {
    const box = chart.querySelector("svg.main-svg").getBoundingClientRect();
    for (const text of chart.querySelectorAll("text")) {
      if (!text.textContent.trim()) continue;
      const r = text.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
        problems.push(`${text.textContent.slice(0, 50)}: ${Math.round(r.left)}–${Math.round(r.right)} of ${Math.round(box.left)}–${Math.round(box.right)}`);
    }
  }
  return [document.querySelectorAll(".js-plotly-plot").length, problems.slice(0, 5)];
}"""


@pytest.mark.parametrize(
    "width", [A4_COLUMN_CSS_PX, NARROW_SCREEN_PX], ids=["print", "narrow-screen"]
)
def test_every_chart_keeps_its_text_inside_its_drawing(outputs, page, width):
    """Every chart of every output (both languages), laid out at the printed width and on a
    narrow screen: no label, title, tick or legend runs out of the drawing."""
    page.set_viewport_size({"width": width, "height": 1000})
    drawn = 0
    for path in outputs:
        page.goto(path.as_uri())
        page.wait_for_function("document.body.dataset.chartsReady === 'true'", timeout=60_000)
        if width == A4_COLUMN_CSS_PX:
            page.emulate_media(media="print")
            page.evaluate(RELAID_OUT)
        count, problems = page.evaluate(CHART_TEXT_OUTSIDE)
        assert problems == [], path.name
        drawn += count
        page.emulate_media(media="screen")
    assert drawn >= 20


def test_every_chart_has_a_text_alternative(outputs, page):
    """A short description on the drawing and its figures as a table a screen reader reaches.
    A drawing with plotly's toolbar is a group (an image holds no buttons), a static one an image."""
    for path in outputs:
        page.goto(path.as_uri())
        page.wait_for_function("document.body.dataset.chartsReady === 'true'", timeout=60_000)
        missing = page.evaluate("""() => [...document.querySelectorAll(".js-plotly-plot")].filter(chart =>
            chart.getAttribute("role") !== (chart.querySelector("button") ? "group" : "img") || !chart.getAttribute("aria-label")
            || !chart.closest("figure").querySelector("details table tbody tr")).length""")
        assert missing == 0, path.name


def test_a_scrolling_box_is_reachable_by_keyboard(outputs, page):
    """On a narrow screen a table wider than the page scrolls in its own box: the keyboard
    reaches it (tabindex) and a screen reader names it (axe-core: scrollable-region-focusable)."""
    page.set_viewport_size({"width": NARROW_SCREEN_PX, "height": 1000})
    scrolling = 0
    for path in outputs:
        page.goto(path.as_uri())
        page.wait_for_function("document.body.dataset.chartsReady === 'true'", timeout=60_000)
        boxes = page.evaluate("""() => [...document.querySelectorAll("main *")].filter(el => {
            const style = getComputedStyle(el);
            return ["auto", "scroll"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1 && el.offsetParent;
        }).map(el => [el.tabIndex, el.getAttribute("role"), el.getAttribute("aria-label")])""")
        for tab_index, role, label in boxes:
            assert tab_index == 0 and role == "region" and label, path.name
        scrolling += len(boxes)
    assert scrolling >= 1

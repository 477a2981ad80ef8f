"""On paper nothing is cut off and nothing is shrunk: every output of every instrument, laid
out for print in Chromium at the width of the A4 column, fits that column.

A table wider than the column made Chromium shrink the whole document (the reflection table of
the workshop report: every page printed at 64%), and a table in a scrolling box was cut (the
team's members matrix, the parties of a project plan).
"""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from dwp_assess.data import store
from dwp_assess.demo import load_sample
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.messages import t
from dwp_assess.reports import printing
from dwp_assess.reports import run as reports

pytestmark = pytest.mark.browser

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
def outputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("print")
    engine = store.connect(f"sqlite:///{folder / 'dwp.sqlite'}")
    load_sample(engine)
    pages = []
    for round_id, units in UNITS.items():
        summary = reports.generate_reports(engine, round_id, folder / "reports", units=units, lang="nl,en", jobs=2)  # fmt: skip
        assert summary.failed == 0
        pages += [p for p in (folder / "reports" / round_id).glob("*.html") if not p.name.startswith("index")]  # fmt: skip
    return pages


def test_every_output_fits_the_a4_column_in_print(outputs, page):
    assert len(outputs) == 2 * (4 + 1)  # four outputs and the summary, in two languages
    page.set_viewport_size({"width": A4_COLUMN_CSS_PX, "height": 1000})
    for path in outputs:
        page.goto(path.as_uri())
        page.wait_for_function("document.body.dataset.chartsReady === 'true'", timeout=60_000)
        page.emulate_media(media="print")
        assert page.evaluate(OVERFLOW) == [], path.name
        page.emulate_media(media="screen")


def test_a_printed_project_plan_shows_the_checklist_tips(outputs, tmp_path):
    """The tips of the checklist are folded on screen and printed on paper; a report's
    technical details stay folded on paper too."""
    plan = next(p for p in outputs if p.name == "energiearmoede-noord.html")
    report = next(p for p in outputs if p.name == "gouda.html")
    try:
        printing.print_pdfs(
            [(plan, tmp_path / "plan.pdf", "nl"), (report, tmp_path / "gouda.pdf", "nl")]
        )
    finally:
        printing.discard_printer()
    plan_text, report_text = (" ".join(" ".join(page.extract_text().split()) for page in PdfReader(tmp_path / name).pages)
                              for name in ("plan.pdf", "gouda.pdf"))  # fmt: skip
    tips = [i.tip.get("nl") for i in get_instrument("data-sharing", 1).items if i.tip]
    assert len(tips) >= 10 and all(" ".join(tip.split())[:40] in plan_text for tip in tips)
    assert t("report.provenance_details", "nl") in report_text
    assert t("report.provenance.instrument_hash", "nl") not in report_text

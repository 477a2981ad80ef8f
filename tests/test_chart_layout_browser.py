"""Charts are laid out before plotly draws them: their margins already hold their labels and
legend, so plotly's automargin finds nothing to push and draws each chart once (twice was half
of a report's drawing and printing time). Checked in Chromium against what plotly measures.
"""

from __future__ import annotations

import json

import pytest

from dwp_assess.data import store
from dwp_assess.reports import charts
from dwp_assess.reports.html import plotly_source
from dwp_assess.reports.printing import A4_COLUMN_PX
from tests import chart_examples

pytestmark = pytest.mark.browser

# The widths a chart is drawn at: in print (the A4 column) and on a screen. Never narrower: on
# a narrow screen a report keeps a chart at the printed width and scrolls it (report.css,
# ``.dwp-chart-scroll``). Margins are made for these widths: plotly draws a chart once.
WIDTHS = {"print": charts.PRINT_CHART_PX, "screen": 944}
# Charts of the analysis notebook only, laid out on the analyst's screen by plotly's automargin:
# no report draws them, so their drawing time does not matter.
NOTEBOOK_ONLY = {"distribution", "heatmap"}
# What the registry found when it first drew every chart (issue 28), expected to fail until
# fixed; a fix turns it into a strict XPASS failure: then remove it here.
# Every text of one chart: where it lies outside the chart's drawing.
DRAW = """async ([fig, width]) => {
    const chart = document.getElementById("chart");
    Plotly.purge(chart);
    chart.style.width = `${width}px`;
    await Plotly.newPlot(chart, fig.data, fig.layout, {responsive: true, displaylogo: false});
    const size = chart._fullLayout._size;
    const box = chart.querySelector("svg.main-svg").getBoundingClientRect();
    const outside = [], shown = [];
    const where = (text, r) => `${text.textContent.slice(0, 50)}: ${Math.round(r.left)}–${Math.round(r.right)} × ${Math.round(r.top)}–${Math.round(r.bottom)}`;
    for (const text of chart.querySelectorAll("text")) {
      const r = text.getBoundingClientRect();
      if (!text.textContent.trim() || r.width === 0) continue;
      shown.push([text, r]);
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
        outside.push(where(text, r));
    }
    // Two texts that cover each other (a label over a tick, one axis title over the other):
    // their boxes, turned as the texts are (a slanted tick label's box is slanted too), overlap
    // by more than a pixel; boxes that a line between them separates do not (the separating
    // axis theorem: for convex shapes it suffices to try the normals of their edges).
    const corners = (text) => {
      const b = text.getBBox(), m = text.getScreenCTM();
      return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
        .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
    };
    const separated = (p, q) => [p, q].some(shape => shape.some((c, k) => {
      const d = shape[(k + 1) % 4], normal = [d[1] - c[1], c[0] - d[0]];
      const length = Math.hypot(...normal) || 1;
      const along = s => s.map(([x, y]) => (x * normal[0] + y * normal[1]) / length);
      const a = along(p), b = along(q);
      return Math.max(...a) - Math.min(...b) <= 1 || Math.max(...b) - Math.min(...a) <= 1;
    }));
    const overlapping = [];
    const boxes = shown.map(([text]) => corners(text));
    for (let i = 0; i < shown.length; i++)
      for (let j = i + 1; j < shown.length; j++)
        if (!separated(boxes[i], boxes[j]))
          overlapping.push(`${where(...shown[i])} / ${where(...shown[j])}`);
    return [{l: size.l, r: size.r, t: size.t, b: size.b}, outside, overlapping];
}"""


@pytest.fixture(scope="module")
def rounds(tmp_path_factory, sample_store):
    engine = store.connect(sample_store.copy_to(tmp_path_factory.mktemp("layout") / "dwp.sqlite"))
    yield chart_examples.analyse(engine)
    engine.dispose()


def drawn(page, figures, width: int) -> list[tuple[dict, dict, list[str], list[str]]]:
    """(margins set, margins plotly drew with, texts outside the drawing, texts over each
    other) of every figure drawn ``width`` px wide, as a report page draws it."""
    out = []
    for fig in figures:
        layout = json.loads(fig.to_json())
        margins, outside, overlapping = page.evaluate(DRAW, [layout, width])
        out.append((layout["layout"].get("margin", {}), margins, outside, overlapping))
    return out


@pytest.fixture(scope="module")
def chart_page(browser):
    """One page with plotly.js loaded for every chart of the module (loading it takes seconds)."""
    page = browser.new_page(viewport={"width": A4_COLUMN_PX + 400, "height": 1000})
    page.set_content('<div id="chart"></div>')
    page.add_script_tag(content=plotly_source())
    yield page
    page.close()


@pytest.fixture(scope="module")
def drawings(chart_page, rounds):
    """``(chart, width, language)`` → what ``drawn`` found for its examples, drawn once for
    both tests below."""
    made = {}

    def drawing(name: str, width: str, lang: str) -> list[tuple[dict, dict, list[str]]]:
        if (name, width, lang) not in made:
            figures = chart_examples.figures(name, rounds, lang)
            made[name, width, lang] = drawn(chart_page, figures, WIDTHS[width])
        return made[name, width, lang]

    return drawing


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("name", sorted(charts.CHARTS))
def test_every_chart_keeps_its_text_inside_its_drawing(drawings, name, width, lang):
    """Every chart of the registry (``charts.CHARTS``, built from the sample's rounds as
    ``tests/chart_examples.py`` says), in both languages, at every width it is drawn at: no
    label, title, tick or legend runs out of the drawing."""
    outside = [
        (n, texts) for n, (_, _, texts, _) in enumerate(drawings(name, width, lang)) if texts
    ]
    assert outside == [], name


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("name", sorted(charts.CHARTS))
def test_no_text_of_a_chart_covers_another(drawings, name, width, lang):
    """Every chart of the registry, in both languages, at every width it is drawn at: no
    label lies over another text (the radar's "Visie en strategie" lay over its axis's tick
    "5"; the answers' axis title ran into "geen oordeel")."""
    overlapping = [(n, texts) for n, (*_, texts) in enumerate(drawings(name, width, lang)) if texts]
    assert overlapping == [], name


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("name", sorted(set(charts.CHARTS) - NOTEBOOK_ONLY))
def test_every_report_chart_is_drawn_in_one_pass(drawings, name, width, lang):
    """At the widths its margins are made for, plotly draws a report's chart once with them:
    its automargin finds nothing to push (a second drawing was half of a report's drawing and
    printing time)."""
    pushed = [
        (n, set_margins, margins)
        for n, (set_margins, margins, *_) in enumerate(drawings(name, width, lang))
        if margins != {side: set_margins[side] for side in "lrtb"}
    ]
    assert pushed == [], name


def test_a_narrower_screen_still_fits_the_labels(chart_page, rounds):
    """Below the printed width the legend needs more rows: plotly's automargin, kept on, makes
    room instead of cutting the chart."""
    figure = chart_examples.figures("diverging_likert", rounds, "nl")[0]  # with its legend
    ((set_margins, margins, *_),) = drawn(chart_page, [figure], 420)
    assert margins["b"] > set_margins["b"]


@pytest.mark.parametrize("size", [12, 13])
def test_text_width_is_what_chromium_measures(page, data_strategy_v2, size):
    """The widths of DejaVu Sans in the package are the font's own: a label is never narrower
    than Chromium's canvas measures it (a margin made for it would cut it) and at most 1%
    wider (Chromium kerns some pairs of letters a little closer)."""
    labels = [i.text.get(lang) for i in data_strategy_v2.rated_items[:12] for lang in ("nl", "en")]
    labels += ["Ja, én ‘weet ik niet’ · n.v.t. – 100%", "Gemeente Súdwest-Fryslân"]
    page.set_content("<canvas></canvas>")
    measured = page.evaluate(
        """([labels, size]) => document.fonts.load(`${size}px "DejaVu Sans"`).then(() => {
        const context = document.querySelector("canvas").getContext("2d");
        context.font = `${size}px "DejaVu Sans"`;
        return labels.map(label => context.measureText(label).width);
    })""",
        [labels, size],
    )
    for label, width in zip(labels, measured, strict=True):
        assert width - 0.5 <= charts.text_width(label, size) <= 1.01 * width, label

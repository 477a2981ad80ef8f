"""Charts are laid out before plotly draws them: their margins already hold their labels and
legend, so plotly's automargin finds nothing to push and draws each chart once (twice was half
of a report's drawing and printing time). Checked in Chromium against what plotly measures.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dwp_assess.analysis.profiles import item_summary
from dwp_assess.reports import charts
from dwp_assess.reports.html import plotly_source
from dwp_assess.reports.printing import A4_COLUMN_PX

pytestmark = pytest.mark.browser

WIDTHS = {"print": charts.PRINT_CHART_PX, "screen": 944}


def answers(instrument, dimension_id: str, seed: int) -> pd.DataFrame:
    """26 answers to every rated item of one dimension, with "weet ik niet" and "n.v.t."."""
    rng = np.random.default_rng(seed)
    rows = []
    for item in (i for i in instrument.rated_items if i.dimension == dimension_id):
        scale = instrument.scale_by_id[item.scale]
        for n in range(26):
            code = rng.choice(["dont_know", "not_applicable", None], p=[0.1, 0.05, 0.85])
            value = None if code else int(rng.choice([p.value for p in scale.points]))
            rows.append((f"r{n}", item.id, value, code))
    frame = pd.DataFrame(rows, columns=["response_id", "item_id", "value", "code"])
    return frame.assign(respondent_id=frame["response_id"], organisation_id="gouda", team_id=None,
                        role="beleid", text=None)  # fmt: skip


def ladder(instrument, dimension_id: str, basis: str, lang: str):
    numbers = [lv.level for lv in instrument.scoring.levels]
    distribution = pd.DataFrame({"organisation_id": "gouda", "dimension_id": dimension_id, "level": numbers,
                                 "n": [1, 6, 9, 5, 3], "level_basis": basis})  # fmt: skip
    level = pd.Series({"level": 3, "level_basis": basis, "q1": 2, "q3": 4, "level_low": 2.4, "level_high": 3.6})  # fmt: skip
    return charts.level_ladder(distribution, level, instrument, dimension_id, lang)


def report_charts(instrument, lang: str, basis: str) -> list:
    """A report's charts: the comparison with peers, the change since the last round, and per
    dimension the level ladder and the answer chart."""
    dims = [d.id for d in instrument.dimensions]
    means = pd.DataFrame({"dimension_id": dims, "mean": np.linspace(2.1, 3.9, len(dims))})
    peers = means.assign(mean=3.0, suppressed=False)
    change = pd.DataFrame({"dimension_id": dims, "difference": 0.3, "ci_low": -0.1, "ci_high": 0.7,
                           "reliable": [n % 2 == 0 for n in range(len(dims))]})  # fmt: skip
    figures = [charts.radar(means, instrument, peers, lang), charts.trend(change, instrument, lang)]
    for n, dim in enumerate(instrument.dimensions):
        items = item_summary(answers(instrument, dim.id, seed=n), instrument)
        figures += [ladder(instrument, dim.id, basis, lang), charts.diverging_likert(items, instrument, lang)]  # fmt: skip
    return figures


def drawn_margins(page, figures, width: int) -> list[tuple[dict, dict]]:
    """(margins set, margins plotly drew with) of every figure drawn ``width`` px wide."""
    page.set_viewport_size({"width": A4_COLUMN_PX, "height": 1000})
    page.set_content(f'<div id="chart" style="width: {width}px"></div>')
    page.add_script_tag(content=plotly_source())
    out = []
    for fig in figures:
        out.append(page.evaluate("""async (fig) => {
            const chart = document.getElementById("chart");
            Plotly.purge(chart);
            await Plotly.newPlot(chart, fig.data, fig.layout);
            const size = chart._fullLayout._size;
            return [fig.layout.margin, {l: size.l, r: size.r, t: size.t, b: size.b}];
        }""", json.loads(fig.to_json())))  # fmt: skip
    return out


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("width", ["print", "screen"])
def test_every_report_chart_is_drawn_in_one_pass(
    page, data_strategy_v2, data_strategy, lang, width
):
    figures = report_charts(data_strategy_v2, lang, "chosen") + report_charts(data_strategy, lang, "estimate")[:4]  # fmt: skip
    for set_margins, drawn in drawn_margins(page, figures, WIDTHS[width]):
        assert drawn == {side: set_margins[side] for side in "lrtb"}


def test_a_narrower_screen_still_fits_the_labels(page, data_strategy_v2):
    """Below the printed width the legend needs more rows: plotly's automargin, kept on, makes
    room instead of cutting the chart."""
    figure = report_charts(data_strategy_v2, "nl", "chosen")[3]  # an answer chart with its legend
    ((set_margins, drawn),) = drawn_margins(page, [figure], 420)
    assert drawn["b"] > set_margins["b"]


@pytest.mark.parametrize("size", [12, 13])
def test_text_width_is_what_chromium_measures(page, data_strategy_v2, size):
    """The widths of DejaVu Sans in the package are the font's own: a label is never narrower
    than Chromium's canvas measures it (a margin made for it would cut it) and at most 1%
    wider (Chromium kerns some pairs of letters a little closer)."""
    labels = [i.text.get(lang) for i in data_strategy_v2.rated_items[:12] for lang in ("nl", "en")]
    labels += ["Ja, én ‘weet ik niet’ · n.v.t. – 100%", "Gemeente Súdwest-Fryslân"]
    page.set_content("<canvas></canvas>")
    measured = page.evaluate("""([labels, size]) => document.fonts.load(`${size}px "DejaVu Sans"`).then(() => {
        const context = document.querySelector("canvas").getContext("2d");
        context.font = `${size}px "DejaVu Sans"`;
        return labels.map(label => context.measureText(label).width);
    })""", [labels, size])  # fmt: skip
    for label, width in zip(labels, measured, strict=True):
        assert width - 0.5 <= charts.text_width(label, size) <= 1.01 * width, label

"""Plotly figures for reports and notebooks, in one colour-blind-safe palette.

Every function takes tidy DataFrames (from ``profiles``) and returns a
``plotly.graph_objects.Figure``; labels come from the instrument (Dutch by
default, ``lang="en"`` for English) and the message catalogue.
Palette: Okabe & Ito (2008), distinguishable with the common colour-vision deficiencies.
Every chart is in ``CHARTS`` (``@registered``): the tests draw each one in both languages at
every width a report is read at and check its number format, so a new chart is checked
without a list to update (``tests/chart_examples.py`` says how to build it from a round).

A chart is written as plain data (a list of trace dicts and a layout dict) and made a figure
in one step (``_figure``). Adding traces and layout one property at a time makes plotly look
up and check each property as it is set: 33 ms of CPU per answer chart, most of a report's
building time with about 35 charts; the same figure made at once from data costs about 1 ms.
What a chart needs does not grow with the respondents: every chart draws counts or means per
answer, level or dimension, never one point per respondent (except ``distribution``, the
researchers' box plot, which is not in a report).
"""

from __future__ import annotations

import json
import math
import re
import textwrap
from collections.abc import Callable
from functools import cache
from importlib import resources

import pandas as pd
import plotly.colors
import plotly.graph_objects as go
import plotly.io as pio
from _plotly_utils.basevalidators import is_homogeneous_array
from _plotly_utils.utils import is_skipped_key, to_typed_array_spec

from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import Instrument
from dwp_assess.locale import interval, number, percent, plotly_separators

OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}
# Diverging scale for answers by meaning: unfavourable warm, favourable blue, neutral grey.
# One mapping from scale position to colour (``scale_colour``) for every chart: most
# unfavourable, mildly unfavourable, neutral, mildly favourable, most favourable (for a
# reverse-keyed item the positions are read in reverse, see ``diverging_likert``).
LIKERT_COLOURS = ["#D55E00", "#E69F00", "#BBBBBB", "#56B4E9", "#0072B2"]
NEUTRAL_COLOUR = LIKERT_COLOURS[2]
# Answers without a position on the scale: shown apart, in greys that no scale point uses.
SPECIAL_CODES = ("dont_know", "not_applicable")
SPECIAL_COLOURS = {"dont_know": "#7F7F7F", "not_applicable": "#D9D9D9"}
FONT = dict(family="DejaVu Sans, Arial, sans-serif", size=13)
TEMPLATE = "plotly_white"
TITLE_SPACE = 2.0  # an axis title's line and its distance from the tick labels, in font sizes
AXIS_PAD = 16  # px between a chart's edge and its widest tick label
# A chart's width in a printed report: the printer's page (``printing.A4_COLUMN_PX``, 720 px) less
# the report's padding (2 × 1.5rem). Margins and legends are sized for it; on a wider screen
# they have room to spare, on a narrower one plotly's automargin makes room.
PRINT_CHART_PX = 672

# Every chart, by its function's name (``registered``).
CHARTS: dict[str, Callable[..., go.Figure]] = {}


def registered(builder: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
    """Put a chart in ``CHARTS``, where the layout and number-format tests find it."""
    CHARTS[builder.__name__] = builder
    return builder


def _layout(title: str, lang: str, height: int = 460, **extra) -> dict:
    """Shared look for every figure: font, the language's number format (a decimal comma in
    Dutch) and an explicit height, because report pages size figures by it; ``extra`` adds to
    (or replaces) these layout properties."""
    return {
        "margin": dict(l=40, r=30, t=60, b=40),
        "title": {"text": title},
        "font": dict(FONT),
        "height": height,
        "separators": plotly_separators(lang),
    } | extra


def _figure(data: list[dict], layout: dict) -> go.Figure:
    """The figure of ``data`` (one dict per trace, with its ``type``) and ``layout``, with the
    template, as plotly would make it property by property (see the module docstring).

    It is made without plotly's checks, which is what makes it fast; a test builds every chart
    again with the checks on and compares the JSON (``tests/test_charts.py``), so a property
    plotly would refuse or change cannot slip in. The checks are switched on again on the
    figure made, so whatever a caller changes afterwards is checked as usual. The template
    keeps its layout and the defaults of the trace types the chart has, not those of the
    thirty others: 7 KB less JSON per chart and about 15% less of plotly.js's drawing time
    (it copies and walks the template for every chart), with the same drawing."""
    template = _template_data()
    used = {trace["type"] for trace in data}  # the template's other trace types are never read
    template["data"] = {kind: value for kind, value in template["data"].items() if kind in used}
    fig = go.Figure({"data": data, "layout": {"template": template} | layout}, _validate=False)
    for part in (fig, fig.layout, *fig.data):
        part._validate = True
    return fig


def to_json(fig: go.Figure) -> str:
    """``fig.to_json()``, the same text, made without copying the figure first: plotly's
    ``to_json`` deep-copies the figure and then walks the copy to turn arrays into binary
    (``to_dict``), 8 ms of CPU per chart, most of a chart's cost in a report with ~38 charts.
    One pass here makes the new containers and turns the same values into binary as
    plotly's walk does (a dict's values that are arrays, its skipped keys left as they are),
    so the JSON is byte for byte plotly's (``tests/test_charts.py`` compares them)."""
    spec = {"data": [_for_json(trace) for trace in fig._data], "layout": _for_json(fig._layout)}
    for trace in spec["data"]:
        trace.pop("uid", None)  # as ``to_json`` (remove_uids)
    return pio.json.to_json_plotly(spec, pretty=False)


_SCALARS = (str, int, float, bool, type(None))


def _for_json(value):
    """``value`` with new dicts and lists, every dict value that is an array (plotly's
    ``is_homogeneous_array``) made plotly's typed array (``to_typed_array_spec``)."""
    if isinstance(value, dict):
        return {
            key: item
            if is_skipped_key(key)
            else to_typed_array_spec(item)
            if not isinstance(item, (*_SCALARS, dict, list, tuple)) and is_homogeneous_array(item)
            else _for_json(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_for_json(item) for item in value]
    return value


def describe(
    fig: go.Figure, title: str, description: str, header: list[str], rows: list[list]
) -> go.Figure:
    """Give ``fig`` its text alternative, in ``layout.meta`` where the report finds it: a title
    (shown above the chart as text, which wraps at any width), a short description of what it
    shows, and its figures as a table (``header`` and ``rows`` of text) that a screen reader
    reaches (``sections.common.chart``)."""
    fig.layout.meta = {"title": title, "description": description, "header": header, "rows": rows}
    return fig


@cache
def _template_json() -> str:
    """``TEMPLATE`` as plotly gives it to a figure that names it, as JSON (read once)."""
    return json.dumps(pio.templates[TEMPLATE].to_plotly_json())


def _template_data() -> dict:
    """A figure's own copy of the template's data (changing one figure's template never
    changes another's)."""
    return json.loads(_template_json())


@cache
def _font_widths() -> tuple[int, dict[str, int], int]:
    """Advance widths of DejaVu Sans (font units per em, width per character, the widest)."""
    font = json.loads(
        resources.files("dwp_assess.reports")
        .joinpath("fonts/dejavu-sans-widths.json")
        .read_text("utf-8")
    )
    return font["units_per_em"], font["widths"], max(font["widths"].values())


def text_width(label: str, size: float) -> float:
    """Width in px of the widest line of a chart label (lines split at ``<br>``, ``<i>`` marks
    dropped) at font ``size``, measured in DejaVu Sans, the first font of ``FONT``. Its fallbacks
    (Arial, Helvetica) are narrower, so a margin made for it holds the label in each; a
    character outside the table counts as the widest one."""
    per_em, widths, widest = _font_widths()
    lines = re.sub(r"</?i>", "", label).split("<br>")
    return max(sum(widths.get(c, widest) for c in line) for line in lines) * size / per_em


def margin_for(labels: list[str], size: float, extra: float = 0) -> int:
    """A margin (px) that holds the widest of ``labels`` at ``size`` next to its axis, plus
    ``extra`` (an axis title). plotly's ``automargin`` (on, from the template) measures the
    labels after drawing and, when the margin is too small, draws the whole chart again: a
    margin that already fits saves that second pass, which took half of a report's drawing."""
    widest = max((text_width(label, size) for label in labels), default=0)
    return math.ceil(widest + extra) + AXIS_PAD


def score_axis(instrument: Instrument) -> list[float]:
    """An axis of scores: the instrument's scored range (``Instrument.scored_range``) with 5% of
    it to spare at each end, so a mark at the lowest or highest score is drawn whole."""
    low, high = instrument.scored_range
    spare = (high - low) / 20
    return [low - spare, high + spare]


def _dimension_labels(instrument: Instrument, lang: str) -> dict[str, str]:
    return {d.id: d.label.get(lang) for d in instrument.dimensions}


@registered
def radar(
    dimensions: pd.DataFrame,
    instrument: Instrument,
    peers: pd.DataFrame | None = None,
    lang: str = "nl",
) -> go.Figure:
    """Mean score per dimension of one organisation, against its peer group where shown.

    The dimension names around the circle are wrapped (``RADAR_LABEL_WIDTH`` characters per
    line) and the margins hold the widest line left and right and the tallest label above and
    below, wherever on the circle a name falls: at any width of the chart, no name is cut. The
    legend sits under the chart; the title is the chart's caption (``describe``)."""
    labels = _dimension_labels(instrument, lang)
    order = [d.id for d in instrument.dimensions]
    own = dimensions.set_index("dimension_id").reindex(order)
    theta = [labels[d] for d in order]
    data = [
        dict(
            type="scatterpolar",
            r=own["mean"].round(2).tolist(),
            theta=theta,
            fill="toself",
            name=t("chart.own_organisation", lang),
            line=dict(color=OKABE_ITO["blue"]),
        )
    ]
    header, rows = (
        [t("report.dimension", lang), t("chart.own_organisation", lang)],
        [[theta[n], number(v, 1, lang)] for n, v in enumerate(own["mean"])],
    )
    if peers is not None and len(peers) and not peers["suppressed"].all():
        peer = peers.set_index("dimension_id").reindex(order)
        data.append(
            dict(
                type="scatterpolar",
                r=peer["mean"].round(2).tolist(),
                theta=theta,
                name=t("chart.peer_group", lang),
                line=dict(color=OKABE_ITO["orange"], dash="dash"),
            )
        )
        header.append(t("chart.peer_group", lang))
        rows = [[*row, number(v, 1, lang)] for row, v in zip(rows, peer["mean"], strict=True)]
    low, high = instrument.scored_range
    wrapped = [_wrap(label, RADAR_LABEL_WIDTH) for label in theta]
    side = margin_for(wrapped, FONT["size"])
    lines = max(label.count("<br>") + 1 for label in wrapped)
    above = lines * RADAR_LINE_PX + AXIS_PAD
    legend = _legend_px([trace["name"] for trace in data], PRINT_CHART_PX - 2 * side)
    fig = _figure(
        data,
        _layout(
            "",
            lang,
            height=380 + 2 * above + legend,
            showlegend=True,
            margin=dict(l=side, r=side, t=above, b=above + legend),
            polar=dict(
                # the scale's axis between the first two names, not under the first one (whose
                # name lay over the axis's last tick)
                radialaxis=dict(range=[low, high], dtick=1, angle=180 / len(theta)),
                angularaxis=dict(tickmode="array", tickvals=theta, ticktext=wrapped),
            ),
            legend=foot_legend(),
        ),
    )
    title = t("chart.radar_title", lang, range=interval(low, high, 0, lang))
    return describe(fig, title, title, header, rows)


def _blend(a: str, b: str, share: float) -> str:
    """The colour ``share`` of the way from hex colour ``a`` to ``b``."""
    ca, cb = (tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in (a, b))
    return "#" + "".join(f"{round(x + (y - x) * share):02X}" for x, y in zip(ca, cb, strict=True))


def scale_colour(position: int, size: int) -> str:
    """The one colour of answer ``position`` (0 = lowest) on a scale of ``size`` points.

    The middle of an odd scale is neutral grey; below it warm, above it blue, the
    extremes the strongest colours; the same position always gets the same colour.
    """
    half = size // 2
    if size % 2 and position == half:
        return NEUTRAL_COLOUR
    low = position < half
    rank = (half - 1 - position) if low else (position - (size + 1) // 2)  # 0 = mildest
    mild, strong = (
        (LIKERT_COLOURS[1], LIKERT_COLOURS[0]) if low else (LIKERT_COLOURS[3], LIKERT_COLOURS[4])
    )
    return _blend(mild, strong, rank / (half - 1)) if half > 1 else strong


# Layout of the answer chart for a report column of about 700 px (A4 print) or wider.
LABEL_WIDTH = 42  # characters per line of a statement
LINE_PX = 16  # height of one label line
LABEL_SIZE = 12  # font size of the statements
RIGHT_PX = 26  # right margin: holds the last tick label of the "geen oordeel" axis
LEGEND_SIZE = 12
# plotly's horizontal legend at font size 12 (measured in Chromium): an entry is its text plus
# 40 px for the symbol, entries 5 px apart, 19 px per row and 10 px of padding.
LEGEND_SYMBOL_PX, LEGEND_GAP_PX, LEGEND_ROW_PX, LEGEND_PAD_PX = 40, 5, 19, 10
LEGEND_SIDE_PAD_PX = 24  # a vertical legend right of the plot: its offset and padding
RADAR_LABEL_WIDTH = 16  # characters per line of a dimension's name around the radar
RADAR_LINE_PX = 17  # height of one line of those names (font size 13)


def _wrap(text: str, width: int = LABEL_WIDTH) -> str:
    """The whole text, broken into lines of about ``width`` characters at word boundaries."""
    return "<br>".join(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False))


def _scale_groups(item_ids: list[str], by_id: dict, instrument: Instrument) -> list[tuple]:
    """(scale, reverse-keyed) pairs of the items, in the instrument's scale order; each pair
    gets its own traces, so that a reverse-keyed item's colours follow the meaning."""
    present = {(by_id[i].scale, by_id[i].reverse) for i in item_ids}
    return [(s, r) for s in instrument.scales for r in (False, True) if (s.id, r) in present]


@registered
def diverging_likert(
    items: pd.DataFrame, instrument: Instrument, lang: str = "nl", legend: bool = True
) -> go.Figure:
    """Answer distribution per statement as diverging stacked bars (shares of all answers).

    Each scale's lower half extends left of zero and its upper half right, from the
    middle outward: the mildest category next to zero, the strongest outermost; the
    middle category of an odd scale is centred on zero (Robbins & Heiberger, 2011).
    "Weet ik niet" and "n.v.t." are a separate column right of the axis. Each label
    holds the full statement, the number of answers n and a mark for reverse-keyed items.
    Colours follow the meaning: on a reverse-keyed statement ("Veel gegevens zitten
    opgesloten…") agreeing is unfavourable, so its agree side takes the warm colours that
    mean "unfavourable" everywhere; its label says so, its traces are named with a mark and
    stay out of the legend, which lists each answer once, in its ordinary colour.
    Bars are placed with an explicit ``base``, so the traces (and the legend) follow
    the scale order while each bar sits at its place from the middle outward.
    With ``legend=False`` the chart leaves the legend to the page (``sections.common.chart`` writes
    it as text from the traces that would be in it, which wraps at any width).
    """
    by_id = instrument.item_by_id
    specials = [c for c in SPECIAL_CODES if f"n_{c}" in items.columns]
    records = _statement_records(items, instrument)  # rated statements only
    totals = {
        r["item_id"]: _answer_total(r, instrument.scale_of(r["item_id"]), specials) for r in records
    }
    labels = {r["item_id"]: _statement_label(by_id[r["item_id"]], totals, lang) for r in records}
    data: list[dict] = []
    in_legend: set[tuple[str, str]] = set()
    for scale, reverse in _scale_groups([r["item_id"] for r in records], by_id, instrument):
        rows = [
            r
            for r in records
            if (by_id[r["item_id"]].scale, by_id[r["item_id"]].reverse) == (scale.id, reverse)
        ]
        data += _scale_traces(rows, scale, reverse, labels, totals, in_legend, lang)
    special_data, no_opinion = _special_traces(records, specials, instrument, labels, totals, lang)
    data += special_data
    layout = _answers_layout(data, records, labels, instrument, no_opinion, legend, lang)
    rows = [_answers_row(r, instrument, specials, totals, lang) for r in records]
    title = t("chart.likert_title", lang)
    return describe(
        _figure(data, layout),
        title,
        title,
        [t("report.statement", lang), t("chart.answers_column", lang)],
        rows,
    )


def _count(row: dict, column: str) -> float:
    """The number of answers in ``column`` of a statement's row (0 where it has none)."""
    value = row.get(column, 0)
    return 0.0 if pd.isna(value) else float(value)


def _share(row: dict, column: str, totals: dict[str, float]) -> float:
    """The percentage of a statement's answers in ``column``, to one decimal."""
    total = totals[row["item_id"]]
    return round(100 * _count(row, column) / total, 1) if total else 0.0


def _statement_records(items: pd.DataFrame, instrument: Instrument) -> list[dict]:
    """One dict per rated statement (its first row), in instrument order, read cell by cell by
    the chart: a few statements, for which pandas' selections cost more than the chart."""
    order = {i.id: n for n, i in enumerate(instrument.rated_items)}
    first: dict[str, dict] = {}
    for row in items.to_dict("records"):
        if row["item_id"] in order:
            first.setdefault(row["item_id"], row)
    return sorted(first.values(), key=lambda row: order[row["item_id"]])


def _answer_total(row: dict, scale, specials: list[str]) -> float:
    """All answers to a statement: its scale's points and the special answers shown."""
    return sum(_count(row, f"n_{p.value}") for p in scale.points) + sum(
        _count(row, f"n_{c}") for c in specials
    )


def _statement_label(item, totals: dict[str, float], lang: str) -> str:
    """A statement's axis label: its whole text, then (n answers · reverse-keyed) in italics."""
    note = t("chart.n_answers", lang, n=int(totals[item.id]))
    if item.reverse:
        note += " · " + t("chart.reverse_keyed", lang)
    return _wrap(item.text.get(lang)) + "<br><i>" + _wrap(f"({note})") + "</i>"


def _scale_traces(
    rows: list[dict],
    scale,
    reverse: bool,
    labels: dict[str, str],
    totals: dict[str, float],
    in_legend: set[tuple[str, str]],
    lang: str,
) -> list[dict]:
    """The bars of the statements of one scale and keying: each answer's share placed from the
    middle outward (a neutral middle answer split over both sides of zero), coloured by its
    meaning. ``in_legend`` holds the (answer, colour) pairs listed so far: each once."""
    y = [labels[r["item_id"]] for r in rows]
    k = len(scale.points)
    shares = {p.value: [_share(r, f"n_{p.value}", totals) for r in rows] for p in scale.points}
    counts = {p.value: [int(_count(r, f"n_{p.value}")) for r in rows] for p in scale.points}
    middle = [0.0] * len(y)
    if k % 2:
        middle = [s / 2 for s in shares[scale.points[k // 2].value]]
    suffix = f" ({t('chart.reverse_legend', lang)})" if reverse else ""
    data = []
    for n, point in enumerate(scale.points):
        mine = shares[point.value]
        if k % 2 and n == k // 2:
            zero = [0.0] * len(y)
            parts = [([-s / 2 for s in mine], zero, True), ([s / 2 for s in mine], zero, False)]
        elif n < k / 2:  # lower half: from the middle outward to the left
            inner = [shares[q.value] for q in scale.points[n + 1 : k // 2]]
            base = [-(m + sum(v[j] for v in inner)) for j, m in enumerate(middle)]
            parts = [([-s for s in mine], base, True)]
        else:
            inner = [shares[q.value] for q in scale.points[(k + 1) // 2 : n]]
            base = [m + sum(v[j] for v in inner) for j, m in enumerate(middle)]
            parts = [(mine, base, True)]
        colour = scale_colour(k - 1 - n if reverse else n, k)  # colour by meaning
        # Each answer and colour once in the legend: a reverse-keyed statement's answers
        # with their own, warm-for-agreeing colours and a name that says so.
        listed = (point.label.get(lang), colour) not in in_legend
        in_legend.add((point.label.get(lang), colour))
        for x, base, first in parts:
            data.append(
                dict(
                    type="bar",
                    y=y,
                    x=[round(v, 2) for v in x],
                    base=[round(b, 2) for b in base],
                    orientation="h",
                    name=point.label.get(lang) + suffix,
                    marker=dict(color=colour),
                    showlegend=first and listed,
                    customdata=[list(pair) for pair in zip(mine, counts[point.value], strict=True)],
                    hovertemplate=f"{point.label.get(lang)}: %{{customdata[0]:.1f}}% (%{{customdata[1]}})<extra></extra>",
                )
            )
    return data


def _special_traces(
    records: list[dict],
    specials: list[str],
    instrument: Instrument,
    labels: dict[str, str],
    totals: dict[str, float],
    lang: str,
) -> tuple[list[dict], float]:
    """The bars of the special answers ("weet ik niet", "n.v.t.") stacked on their own axis
    right of the answers, and the top of that axis."""
    base = [0.0] * len(records)
    scales = [instrument.scale_of(r["item_id"]) for r in records]
    data = []
    for code in specials:
        label = next(
            (o.label.get(lang) for s in scales for o in s.special if o.code == code),
            t(f"chart.{code}", lang),
        )
        x = [_share(r, f"n_{code}", totals) for r in records]
        data.append(
            dict(
                type="bar",
                y=[labels[r["item_id"]] for r in records],
                x=x,
                base=base,
                orientation="h",
                name=label,
                marker=dict(color=SPECIAL_COLOURS[code]),
                xaxis="x2",
                customdata=[int(_count(r, f"n_{code}")) for r in records],
                hovertemplate=f"{label}: %{{x:.1f}}% (%{{customdata}})<extra></extra>",
            )
        )
        base = [b + v for b, v in zip(base, x, strict=True)]
    return data, _axis_top(max(base, default=0.0))


def _answers_layout(
    data: list[dict],
    records: list[dict],
    labels: dict[str, str],
    instrument: Instrument,
    no_opinion: float,
    legend: bool,
    lang: str,
) -> dict:
    """The answer chart's layout: a left margin that holds the statements, a row height for
    the longest label, the answers' axis and the special answers' axis side by side, and a
    legend at the foot sized for its entries (or none, when the page writes it)."""
    lines = max((label.count("<br>") + 1 for label in labels.values()), default=1)
    left = margin_for(list(labels.values()), LABEL_SIZE)
    names = [trace["name"] for trace in data if trace.get("showlegend") is not False]
    legend_px = _legend_px(names, PRINT_CHART_PX - left - RIGHT_PX) if legend else 0
    rows_px = len(records) * (LINE_PX * lines + 14)  # a category axis: every row the same height
    axis_title = _answer_axis_title(records, instrument, lang)
    no_opinion_title = t("chart.no_opinion", lang)
    if _titles_collide(axis_title, no_opinion_title, PRINT_CHART_PX - left - RIGHT_PX):
        axis_title = axis_title.replace(" (", "<br>(", 1)
    title_px = AXIS_TITLE_LINE_PX * axis_title.count("<br>")  # a second line of the title
    return _layout(
        "",
        lang,
        height=rows_px + ANSWER_TOP_PX + ANSWER_BOTTOM_PX + 20 + title_px + legend_px,
        margin=dict(l=left, r=RIGHT_PX, t=ANSWER_TOP_PX, b=ANSWER_BOTTOM_PX + title_px + legend_px),
        barmode="overlay",
        xaxis=dict(
            title=dict(text=axis_title, font=dict(size=12)),
            range=[-100, 100],
            domain=list(ANSWER_DOMAIN),
            zeroline=True,
            zerolinecolor="#333333",
            tickvals=[-100, -50, 0, 50, 100],
            ticktext=["100", "50", "0", "50", "100"],
        ),
        xaxis2=dict(
            title=dict(text=no_opinion_title, font=dict(size=12)),
            range=[0, no_opinion],
            domain=list(NO_OPINION_DOMAIN),
            anchor="y",
            tickvals=[0, no_opinion],
        ),
        yaxis=dict(
            categoryorder="array",
            categoryarray=[labels[r["item_id"]] for r in records],
            autorange="reversed",
            automargin=True,
            tickfont=dict(size=LABEL_SIZE),
        ),
        # a neutral bar is two traces
        legend=foot_legend(traceorder="normal", itemclick=False, itemdoubleclick=False),
        showlegend=legend,
    )


def _answers_row(
    row: dict, instrument: Instrument, specials: list[str], totals: dict[str, float], lang: str
) -> list[str]:
    """A statement's row of the chart's text alternative: the statement, then every answer's
    share and count and the number of answers."""
    item = instrument.item_by_id[row["item_id"]]
    scale = instrument.scale_of(item.id)
    answers = [(p.label.get(lang), f"n_{p.value}") for p in scale.points]
    answers += [(o.label.get(lang), f"n_{o.code}") for o in scale.special if o.code in specials]
    total = totals[item.id]
    shares = " · ".join(
        f"{label}: {percent(_count(row, column) / total if total else 0.0, lang)} ({int(_count(row, column))})"
        for label, column in answers
    )
    note = f" ({t('chart.reverse_keyed', lang)})" if item.reverse else ""
    return [item.text.get(lang) + note, f"{shares} · n = {int(total)}"]


def _answer_axis_title(records: list[dict], instrument: Instrument, lang: str) -> str:
    """The answer axis's title in the words of the statements' own scale: left are the lower
    answers, right the higher, so "← mee oneens · mee eens →" on an agreement scale and
    "← zelden · vaak →" on a frequency scale (the mildest answer on either side of the middle);
    statements on different scales get neutral words."""
    by_id = {i.id: i for i in instrument.rated_items}
    scales = {by_id[row["item_id"]].scale for row in records}
    if len(scales) != 1:
        return t("chart.share_of_answers_mixed", lang)
    points = instrument.scale_by_id[scales.pop()].points
    inner = 1 if len(points) > 2 else 0  # a two-point scale has only its ends
    low, high = points[inner].label.get(lang), points[-1 - inner].label.get(lang)
    return t("chart.share_of_answers", lang, low=_lower_first(low), high=_lower_first(high))


# The answer chart's two axes side by side: the answers' axis left, "geen oordeel" right.
ANSWER_DOMAIN, NO_OPINION_DOMAIN = (0, 0.8), (0.86, 1)
AXIS_TITLE_LINE_PX = 15  # one more line of an axis title at font size 12
# The answer chart's margins above the bars and below them (the tick labels and one line of
# axis title): no more than they hold, so that a printed page holds more statements.
ANSWER_TOP_PX, ANSWER_BOTTOM_PX = 10, 58
TITLE_GAP_PX = 12  # the least room between the two axis titles


def _titles_collide(answers: str, no_opinion: str, plot_width: float) -> bool:
    """Whether the answers' axis title, centred under its axis, runs into the "geen oordeel"
    title centred under its own, in a plot area ``plot_width`` px wide (then the first is
    written on two lines)."""
    right_end = sum(ANSWER_DOMAIN) / 2 * plot_width + text_width(answers, 12) / 2
    left_end = sum(NO_OPINION_DOMAIN) / 2 * plot_width - text_width(no_opinion, 12) / 2
    return right_end + TITLE_GAP_PX > left_end


def _lower_first(label: str) -> str:
    return label[:1].lower() + label[1:]


def _axis_top(largest: float) -> int:
    """The end of the "geen oordeel" axis: 25, 50 or 100%, whichever first holds the largest bar."""
    return next(top for top in (25, 50, 100) if largest <= top - 2 or top == 100)


def foot_legend(**extra) -> dict:
    """A horizontal legend at the foot of the whole drawing (container coordinates), under
    the axis title; the chart's bottom margin holds its ``_legend_px`` rows."""
    return dict(
        orientation="h",
        xref="container",
        yref="container",
        x=0.01,
        y=0.005,
        xanchor="left",
        yanchor="bottom",
        font=dict(size=LEGEND_SIZE),
        **extra,
    )


def _legend_px(names: list[str], plot_width: float) -> int:
    """The height of plotly's horizontal legend of ``names`` under a plot area ``plot_width`` px
    wide, computed as plotly lays it out (``computeLegendDimensions`` in its legend/draw.js):
    every entry on one row when they all fit, else in columns as wide as the widest entry."""
    entries = [LEGEND_SYMBOL_PX + text_width(name, LEGEND_SIZE) for name in names]
    if not entries:
        return 0
    widest = max(entries)
    if sum(entries) + LEGEND_GAP_PX * (len(entries) - 1) < plot_width:
        rows = 1
    else:
        per_row = max(1, math.floor((plot_width - widest) / (widest + LEGEND_GAP_PX)) + 1)
        rows = math.ceil(len(entries) / per_row)
    return LEGEND_PAD_PX + LEGEND_ROW_PX * rows


@registered
def distribution(scores: pd.DataFrame, instrument: Instrument, lang: str = "nl") -> go.Figure:
    """Box plots of respondent scores per dimension: median, quartiles and outliers."""
    labels = _dimension_labels(instrument, lang)
    data = []
    for n, dim in enumerate(instrument.dimensions):
        values = scores.loc[scores["dimension_id"] == dim.id, "score"].dropna()
        colour = list(OKABE_ITO.values())[n % len(OKABE_ITO)]
        data.append(
            dict(
                type="box",
                y=values.round(2).tolist(),
                name=labels[dim.id],
                marker=dict(color=colour),
                boxmean=True,
            )
        )
    return _figure(
        data,
        _layout(
            t("chart.distribution_title", lang),
            lang,
            yaxis=dict(title=dict(text=t("chart.score", lang)), range=score_axis(instrument)),
            showlegend=False,
        ),
    )


@registered
def heatmap(
    matrix: pd.DataFrame, title: str, instrument: Instrument, lang: str = "nl"
) -> go.Figure:
    """A rows × columns heatmap of scores of ``instrument``, e.g. items × organisations (means) or
    anonymised respondents; its colours span the instrument's scored range."""
    zmin, zmax = instrument.scored_range
    data = [
        dict(
            type="heatmap",
            z=matrix.to_numpy(),
            x=[str(c) for c in matrix.columns],
            y=[str(i) for i in matrix.index],
            zmin=zmin,
            zmax=zmax,
            colorscale=plotly.colors.get_colorscale("Cividis"),
            colorbar=dict(title=dict(text=t("chart.score", lang), side="right")),
        )
    ]
    return _figure(data, _layout(title, lang, height=180 + 20 * len(matrix)))


@registered
def trend(change: pd.DataFrame, instrument: Instrument, lang: str = "nl") -> go.Figure:
    """Change in mean score per dimension since the previous round, with 95% intervals;
    colours by meaning: a reliable rise blue, a reliable decline vermillion, a change that is
    not reliable (``comparison.change_since``) grey. Dimension names are wrapped
    (``TREND_LABEL_WIDTH``) and the left margin holds the widest line; the title is the
    chart's caption (``describe``), so it wraps with the page instead of being cut."""
    labels = _dimension_labels(instrument, lang)
    frame = change.assign(label=change["dimension_id"].map(labels))
    wrapped = [_wrap(label, TREND_LABEL_WIDTH) for label in frame["label"]]
    colours = [
        (LIKERT_COLOURS[4] if d > 0 else LIKERT_COLOURS[0]) if r else OKABE_ITO["grey"]
        for r, d in zip(frame["reliable"], frame["difference"], strict=True)
    ]
    data = [
        dict(
            type="bar",
            x=frame["difference"].round(2).tolist(),
            y=frame["label"].tolist(),
            orientation="h",
            marker=dict(color=colours),
            error_x=dict(
                type="data",
                symmetric=False,
                array=(frame["ci_high"] - frame["difference"]).round(2).tolist(),
                arrayminus=(frame["difference"] - frame["ci_low"]).round(2).tolist(),
            ),
        )
    ]
    left = margin_for(wrapped, FONT["size"])
    lines = max((label.count("<br>") + 1 for label in wrapped), default=1)
    zero = dict(
        type="line", x0=0, x1=0, xref="x", y0=0, y1=1, yref="y domain", line=dict(color="#333333")
    )
    fig = _figure(
        data,
        _layout(
            "",
            lang,
            height=100 + (10 + 16 * lines) * len(frame),
            margin=dict(l=left, r=30, t=20, b=60),
            shapes=[zero],
            xaxis=dict(title=dict(text=t("chart.change_axis", lang))),
            yaxis=dict(
                autorange="reversed",
                tickmode="array",
                tickvals=frame["label"].tolist(),
                ticktext=wrapped,
            ),
        ),
    )  # rows in the table's order
    rows = [
        [label, number(r.difference, 2, lang, signed=True), interval(r.ci_low, r.ci_high, 2, lang)]
        for label, r in zip(frame["label"], frame.itertuples(), strict=True)
    ]
    header = [t("report.dimension", lang), t("report.difference", lang), t("report.interval", lang)]
    title = t("chart.trend_title", lang)
    return describe(fig, title, title, header, rows)


TREND_LABEL_WIDTH = 24  # characters per line of a dimension's name beside the change bars


PERCENT_TICKS = ["0%", "25%", "50%", "75%", "100%"]
# The height of the level ladder's plot area: five bars and the mark above them read at a glance
# in a sixth of an A4 page, so a dimension's heading, figures, ladder and first answers share one.
LADDER_PLOT_PX = 130


@registered
def level_ladder(
    distribution: pd.DataFrame,
    level: pd.Series | None,
    instrument: Instrument,
    dimension_id: str,
    lang: str = "nl",
) -> go.Figure:
    """The five levels of one dimension left to right, with the share of respondents at each
    level and the organisation's position marked.

    ``distribution`` is ``level_distribution`` (``levels.py``) and ``level`` one row of
    ``levels`` for this organisation and dimension. With ``level_basis`` "chosen" the bars
    are the shares of respondents who chose each level and the mark spans the middle half
    (Q1–Q3) of the choices; with "estimate" (version 1, the level was not asked) the bars
    are the shares of respondents whose own score falls in each level and the mark is the
    estimate with its 95% interval. Shares are percentages of the respondents with a level.
    """
    numbers = [lv.level for lv in instrument.scoring.levels]
    names = [f"{lv.level} · {lv.label.get(lang)}" for lv in instrument.scoring.levels]
    ticks = [
        f"{lv.level} ·<br>{lv.label.get(lang)}" for lv in instrument.scoring.levels
    ]  # two lines: five fit side by side
    dist = distribution[distribution["dimension_id"] == dimension_id].set_index("level")
    basis = (
        level["level_basis"]
        if level is not None
        else (dist["level_basis"].iloc[0] if len(dist) else "estimate")
    )
    counts = [int(dist["n"].get(n, 0)) if len(dist) else 0 for n in numbers]
    total = sum(counts)
    shares = [round(100 * c / total, 1) if total else 0.0 for c in counts]
    data = [
        dict(
            type="bar",
            x=numbers,
            y=shares,
            name=t(f"chart.ladder_{basis}", lang),
            customdata=counts,
            marker=dict(color=OKABE_ITO["sky_blue"]),
            hovertemplate="%{y:.1f}% (%{customdata})<extra></extra>",
        )
    ]
    if level is not None and pd.notna(level["level"]):
        data.append(_position_mark(level, basis, max([*shares, 0.0]) + 12, names, lang))
    left = margin_for(PERCENT_TICKS, FONT["size"], extra=TITLE_SPACE * FONT["size"])
    legend = _legend_px(
        [trace["name"] for trace in data], PRINT_CHART_PX - left - 30
    )  # above the plot
    fig = _figure(
        data,
        _layout(
            "",
            lang,
            height=legend + 16 + LADDER_PLOT_PX + 66,
            margin=dict(l=left, r=30, t=legend + 16, b=66),
            xaxis=dict(
                tickmode="array", tickvals=numbers, ticktext=ticks, range=[0.5, len(numbers) + 0.5]
            ),
            yaxis=dict(
                title=dict(text=t("chart.ladder_axis", lang)),
                range=[0, 120],
                tickvals=[0, 25, 50, 75, 100],
                ticktext=PERCENT_TICKS,
            ),  # room above 100% for the mark
            legend=dict(
                orientation="h", x=0, y=1.02, yanchor="bottom", font=dict(size=LEGEND_SIZE)
            ),
            bargap=0.35,
        ),
    )
    description = t(f"chart.ladder_{basis}", lang)
    if len(fig.data) > 1:
        description += f"; {fig.data[1].name}: {names[int(level['level']) - 1]}"
    rows = [
        [name, percent(c / total if total else 0.0, lang), str(c)]
        for name, c in zip(names, counts, strict=True)
    ]
    return describe(
        fig, "", description, [t("report.level", lang), t(f"chart.ladder_{basis}", lang), "n"], rows
    )


def _position_mark(level: pd.Series, basis: str, top: float, names: list[str], lang: str) -> dict:
    """The organisation's level as a mark above the ladder's bars at height ``top``, with the
    middle half of the choices (levels chosen) or the estimate's 95% interval as its span."""
    at = int(level["level"])
    if basis == "chosen":
        low, high = level["q1"], level["q3"]
    else:
        low, high = level["level_low"], level["level_high"]
    error = (
        {
            "error_x": dict(
                type="data",
                symmetric=False,
                array=[float(high) - at],
                arrayminus=[at - float(low)],
            )
        }
        if pd.notna(low) and pd.notna(high)
        else {}
    )
    return dict(
        type="scatter",
        x=[at],
        y=[top],
        mode="markers",
        name=t(f"chart.ladder_position_{basis}", lang),
        marker=dict(symbol="triangle-down", size=16, color=OKABE_ITO["vermillion"]),
        hovertemplate=f"{names[at - 1]}<extra></extra>",
        **error,
    )


@registered
def agreement_distribution(
    distribution: pd.DataFrame, instrument: Instrument, aspect: str, lang: str = "nl"
) -> go.Figure:
    """Stacked horizontal bars of one aspect of an agreements instrument (relevance or
    safeguarding): per public value how many members gave each answer, "weet ik niet" apart in
    grey; colours from the report palette, from unfavourable to favourable. ``distribution``
    is a team's ``TeamAgreements.distribution`` (value × aspect × answer: n)."""
    values = instrument.public_values
    scale = instrument.scale_of(instrument.value_item(values[0].id, aspect).id)
    counts = distribution[distribution["aspect"] == aspect]
    table = counts.pivot_table(
        index="value_id", columns="answer", values="n", aggfunc="sum", fill_value=0
    )
    labels = [v.label.get(lang) for v in reversed(values)]
    fig = go.Figure()
    answers = [
        (str(p.value), p.label.get(lang), scale_colour(n, len(scale.points)))
        for n, p in enumerate(scale.points)
    ]
    answers.append(("dont_know", t("chart.dont_know", lang), SPECIAL_COLOURS["dont_know"]))
    for code, label, colour in answers:
        column = table[code] if code in table else pd.Series(dtype=int)
        fig.add_bar(
            y=labels,
            x=[int(column.get(v.id, 0)) for v in reversed(values)],
            name=label,
            orientation="h",
            marker_color=colour,
        )
    left = margin_for(labels, FONT["size"])
    # the legend sits at the foot of the drawing, below the axis title, with the room it needs
    legend_px = _legend_px([label for _, label, _ in answers], PRINT_CHART_PX - left - 20)
    fig.update_layout(
        barmode="stack",
        font=FONT,
        template="plotly_white",
        height=100 + 26 * len(values) + legend_px,
        separators=plotly_separators(lang),
        legend=foot_legend(),
        margin=dict(l=left, r=20, t=20, b=60 + legend_px),
        xaxis=dict(title=t("agreements.n_members", lang), dtick=1),
    )
    rows = [
        [
            v.label.get(lang),
            " · ".join(
                f"{label}: {int(table[code].get(v.id, 0)) if code in table else 0}"
                for code, label, _ in answers
            ),
        ]
        for v in values
    ]
    title = t(f"agreements.chart_{aspect}", lang)
    return describe(
        fig, title, title, [t("agreements.value", lang), t("agreements.n_members", lang)], rows
    )

"""The item chart and the number format of every chart, read from the figure's data.

Each item-chart test builds a small answers frame, summarises it the way reports do
(``profiles.item_summary``) and checks where each bar lies: no pixels, no browser. The
number format is checked for every chart in ``charts.CHARTS``, built from the sample's
rounds as ``tests/chart_examples.py`` says.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dwp_assess.analysis.profiles import item_summary
from dwp_assess.data import store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import Instrument
from dwp_assess.locale import plotly_separators
from dwp_assess.reports import charts
from tests import chart_examples

AGREE = ["Helemaal mee oneens", "Mee oneens", "Neutraal", "Mee eens", "Helemaal mee eens"]


def answers(values: dict[str, list], org: str = "gouda") -> pd.DataFrame:
    """Answers per item: a number is a scale point, a string a code ("dont_know", ...)."""
    rows = [
        (f"r{n}", item, None if isinstance(v, str) else v, v if isinstance(v, str) else None)
        for item, column in values.items()
        for n, v in enumerate(column)
    ]
    frame = pd.DataFrame(rows, columns=["response_id", "item_id", "value", "code"])
    return frame.assign(
        respondent_id=frame["response_id"],
        organisation_id=org,
        team_id=None,
        role="beleid",
        text=None,
    )


# Gouda on two vision items: VS1 agreement-keyed, VS5 reverse-keyed; 26 answers each, of which
# some "weet ik niet" / "n.v.t." (as in the issue: 14 of 26 answered DA1).
DK, NA = "dont_know", "not_applicable"
GOUDA = {
    "VS1": [1] * 2 + [2] * 4 + [3] * 4 + [4] * 3 + [5] * 1 + [DK] * 10 + [NA] * 2,
    "VS5": [1] * 1 + [2] * 3 + [3] * 6 + [4] * 8 + [5] * 4 + [DK] * 4,
}


def spans(fig) -> dict[tuple[str, str], tuple[float, float]]:
    """(legend name, statement label) → (left, right) end of its bar on the main axis.

    Reads explicit ``base`` values, or stacks in trace order for ``barmode="relative"``
    (negatives and positives separately), so the check does not depend on how the chart
    positions its bars.
    """
    out: dict[tuple[str, str], tuple[float, float]] = {}
    stack: dict[tuple[str, bool], float] = {}
    for trace in fig.data:
        if trace.xaxis not in (None, "x"):
            continue
        bases = trace.base if trace.base is not None else [None] * len(trace.x)
        for y, x, base in zip(trace.y, trace.x, bases, strict=True):
            if base is None:
                base = stack.get((y, x < 0), 0.0)
                stack[(y, x < 0)] = base + x
            lo, hi = sorted((base, base + x))
            key = (trace.name, y)
            # The middle category comes in two halves: join them into one span.
            if key in out:
                lo, hi = min(lo, out[key][0]), max(hi, out[key][1])
            out[key] = (lo, hi)
    return out


def label_of(fig, item_text: str) -> str:
    return next(y for trace in fig.data for y in trace.y if item_text[:20] in y)


def with_scale(instrument: Instrument, labels: list[str]) -> Instrument:
    """The instrument with its agreement scale replaced by one with ``labels`` (1..k)."""
    data = instrument.model_dump(mode="json")
    for scale in data["scales"]:
        scale["points"] = [
            {"value": n + 1, "label": {"nl": label, "en": label}, "aliases": []}
            for n, label in enumerate(labels)
        ]
    return Instrument.model_validate(data)


@pytest.fixture(scope="module")
def gouda_chart(data_strategy):
    items = item_summary(answers(GOUDA), data_strategy)
    return charts.diverging_likert(items, data_strategy), data_strategy


def test_disagree_side_runs_from_the_middle_outward_and_the_neutral_is_centred(gouda_chart):
    fig, instrument = gouda_chart
    y = label_of(fig, instrument.item_by_id["VS1"].text.get("nl"))
    bar = {name: spans(fig)[(name, y)] for name in AGREE}
    total = 26
    # VS1: 2 / 4 / 4 / 3 / 1 of 26 answers; the neutral category half left, half right of zero.
    assert bar["Helemaal mee oneens"] == pytest.approx((-800 / total, -600 / total), abs=0.1)
    assert bar["Mee oneens"] == pytest.approx((-600 / total, -200 / total), abs=0.1)
    assert bar["Neutraal"] == pytest.approx((-200 / total, 200 / total), abs=0.1)
    assert bar["Mee eens"] == pytest.approx((200 / total, 500 / total), abs=0.1)
    assert bar["Helemaal mee eens"] == pytest.approx((500 / total, 600 / total), abs=0.1)
    # Every disagree trace lies left of zero, every agree trace right of it.
    for trace in fig.data:
        if trace.name in AGREE[:2]:
            assert all(x <= 0 for x in trace.x)
        if trace.name in AGREE[3:]:
            assert all(x >= 0 for x in trace.x)


@pytest.mark.parametrize(
    "labels",
    [
        ["Oneens", "Enigszins oneens", "Enigszins eens", "Eens"],
        ["1", "2", "3", "4", "5", "6", "7"],
    ],
    ids=["four-points", "seven-points"],
)
def test_any_scale_runs_from_the_middle_outward(data_strategy, labels):
    instrument = with_scale(data_strategy, labels)
    k = len(labels)
    column = [v for v in range(1, k + 1) for _ in range(v)] + [DK]  # value v given v times
    items = item_summary(answers({"VS1": column}), instrument)
    fig = charts.diverging_likert(items, instrument)
    y = label_of(fig, instrument.item_by_id["VS1"].text.get("nl"))
    bar = {name: spans(fig)[(name, y)] for name in labels}
    low, high = labels[: k // 2], labels[(k + 1) // 2 :]
    # Left side: each category further out than the milder one before it; the strongest outermost.
    for milder, stronger in zip(low[::-1], low[::-1][1:], strict=False):
        assert bar[stronger][1] == pytest.approx(bar[milder][0])
    for milder, stronger in zip(high, high[1:], strict=False):
        assert bar[stronger][0] == pytest.approx(bar[milder][1])
    if k % 2:
        lo, hi = bar[labels[k // 2]]
        assert lo == pytest.approx(-hi) and hi > 0
        assert bar[low[-1]][1] == pytest.approx(lo) and bar[high[0]][0] == pytest.approx(hi)
    else:
        assert bar[low[-1]][1] == pytest.approx(0) and bar[high[0]][0] == pytest.approx(0)
    assert min(b[0] for b in bar.values()) == bar[labels[0]][0]
    assert max(b[1] for b in bar.values()) == bar[labels[-1]][1]


def test_dont_know_is_a_separate_share_and_every_statement_sums_to_100(gouda_chart):
    fig, instrument = gouda_chart
    y = label_of(fig, instrument.item_by_id["VS1"].text.get("nl"))
    beside = {
        trace.name: dict(zip(trace.y, trace.x, strict=True))
        for trace in fig.data
        if trace.xaxis not in (None, "x")
    }
    assert beside["Weet ik niet"][y] == pytest.approx(100 * 10 / 26, abs=0.1)
    assert beside["Niet van toepassing"][y] == pytest.approx(100 * 2 / 26, abs=0.1)
    totals: dict[str, float] = {}
    for trace in fig.data:
        for label, x in zip(trace.y, trace.x, strict=True):
            totals[label] = totals.get(label, 0) + abs(x)
    assert list(totals.values()) == pytest.approx([100, 100], abs=0.3)


def test_labels_hold_the_full_text_wrapped_n_and_the_reverse_mark(gouda_chart):
    fig, instrument = gouda_chart
    for item_id in GOUDA:
        item = instrument.item_by_id[item_id]
        label = label_of(fig, item.text.get("nl"))
        assert "…" not in label
        text, note = label.split("<br><i>", 1)
        assert text.replace("<br>", " ") == item.text.get("nl")
        assert all(len(line) <= charts.LABEL_WIDTH for line in text.split("<br>"))
        assert "n = 26" in note
        assert ("omgekeerd" in note) == item.reverse
    assert instrument.item_by_id["VS5"].reverse and not instrument.item_by_id["VS1"].reverse


def test_a_long_statement_is_never_cut(data_strategy):
    longest = max(data_strategy.rated_items, key=lambda i: len(i.text.get("nl")))
    assert len(longest.text.get("nl")) > 70
    items = item_summary(answers({longest.id: [2, 3, 4]}), data_strategy)
    fig = charts.diverging_likert(items, data_strategy)
    label = fig.data[0].y[0]
    assert "…" not in label
    assert label.rsplit("<br>", 1)[0].replace("<br>", " ") == longest.text.get("nl")


def test_one_colour_per_scale_position(gouda_chart):
    fig, _ = gouda_chart
    colours = {trace.name: trace.marker.color for trace in fig.data if trace.name in AGREE}
    assert [colours[name] for name in AGREE] == charts.LIKERT_COLOURS
    assert [charts.scale_colour(n, 5) for n in range(5)] == charts.LIKERT_COLOURS
    four = [charts.scale_colour(n, 4) for n in range(4)]
    assert four == [charts.LIKERT_COLOURS[i] for i in (0, 1, 3, 4)]  # no neutral grey
    assert charts.NEUTRAL_COLOUR not in [charts.scale_colour(n, 6) for n in range(6)]


@pytest.fixture(scope="module")
def rounds(tmp_path_factory, sample_store):
    engine = store.connect(sample_store.copy_to(tmp_path_factory.mktemp("charts") / "dwp.sqlite"))
    yield chart_examples.analyse(engine)
    engine.dispose()


def test_every_chart_is_registered_and_has_an_example():
    """Each public function of charts.py that makes a figure is in ``charts.CHARTS``, and
    each registered chart has an example in tests/chart_examples.py: the layout and
    number-format tests run over them all."""
    made_there = {
        name
        for name, function in inspect.getmembers(charts, inspect.isfunction)
        if function.__module__ == charts.__name__
        and not name.startswith("_")
        and function.__annotations__.get("return") == "go.Figure"
        and next(iter(inspect.signature(function).parameters)) != "fig"  # describe(fig, ...)
    }
    assert made_there == set(charts.CHARTS), "register a chart with @charts.registered"
    missing = set(charts.CHARTS) - set(chart_examples.EXAMPLES)
    assert not missing, f"give {sorted(missing)} an example in tests/chart_examples.py"


def test_no_figure_is_made_outside_charts_py():
    """A chart made elsewhere (as ``reports/agreements`` made one) escapes the registry."""
    package = Path(charts.__file__).resolve().parent.parent
    making = re.compile(r"go\.Figure\(|make_subplots\(|plotly\.express|\bpx\.")
    elsewhere = [
        str(path.relative_to(package))
        for path in sorted(package.rglob("*.py")) + sorted(package.rglob("*.ipynb"))
        if path.resolve() != Path(charts.__file__).resolve()
        and making.search(path.read_text(encoding="utf-8"))
    ]
    assert elsewhere == []


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("name", sorted(charts.CHARTS))
def test_every_chart_uses_its_languages_number_format(rounds, name, lang):
    """plotly's separators (ticks, hover texts) and the figures of the text alternative in
    the language's format: a decimal comma in Dutch, a decimal point in English."""
    other = {"nl": ".", "en": ","}[lang]
    for fig in chart_examples.figures(name, rounds, lang):
        assert fig.layout.separators == plotly_separators(lang)
        cells = [str(cell) for row in (fig.layout.meta or {}).get("rows", []) for cell in row]
        assert [c for c in cells if re.search(rf"\d{re.escape(other)}\d", c)] == []


def test_statements_on_different_scales_keep_their_own_labels_and_order():
    from dwp_assess.instruments.loading import get_instrument

    v2 = get_instrument("data-strategy", 2)  # data: DA1 agreement, DA9 frequency
    assert (v2.item_by_id["DA1"].scale, v2.item_by_id["DA9"].scale) == ("agree5", "freq5")
    column = [1, 2, 2, 3, 4, 4, 4, 5, DK]
    items = item_summary(answers({"DA9": column, "DA1": column}), v2)
    fig = charts.diverging_likert(items, v2)
    order = list(fig.layout.yaxis.categoryarray)
    assert [
        v2.item_by_id["DA1"].text.get("nl")[:20] in order[0],
        v2.item_by_id["DA9"].text.get("nl")[:20] in order[1],
    ] == [True, True]  # instrument order
    da1, da9 = order
    frequency = [p.label.get("nl") for p in v2.scale_by_id["freq5"].points]
    names = {trace.name for trace in fig.data if da9 in trace.y and trace.xaxis in (None, "x")}
    assert names == set(frequency)  # DA9 is not drawn with agreement labels
    bar = spans(fig)
    assert bar[(frequency[0], da9)][0] < bar[(frequency[1], da9)][0]  # "Nooit" outermost
    assert bar[(frequency[0], da9)] == pytest.approx(bar[(AGREE[0], da1)])
    colour = {(trace.name, y): trace.marker.color for trace in fig.data for y in trace.y}
    assert colour[(frequency[0], da9)] == colour[(AGREE[0], da1)] == charts.LIKERT_COLOURS[0]


def made_as_plotly_makes_it(fig: go.Figure) -> go.Figure:
    """``fig`` made again the checked way: every trace added and every layout property set
    through plotly's checks, the template named."""
    spec = fig.to_dict()
    made = go.Figure()
    for trace in spec["data"]:
        made.add_trace(trace)
    made.update_layout(
        template=charts.TEMPLATE, **{k: v for k, v in spec["layout"].items() if k != "template"}
    )
    return made


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_chart_is_the_figure_plotly_makes_with_its_checks(
    data_strategy, data_strategy_v2, lang
):
    """Charts are made from plain data in one step, without plotly's checks (33 ms of CPU per
    answer chart made property by property, about 1 ms so): each is exactly what the checked
    way makes, so no property plotly would refuse or change slips in."""
    figures = []
    for instrument, basis in ((data_strategy, "estimate"), (data_strategy_v2, "chosen")):
        dims = [d.id for d in instrument.dimensions]
        means = pd.DataFrame({"dimension_id": dims, "mean": np.linspace(2.25, 3.75, len(dims))})
        peers = means.assign(mean=3.0, suppressed=False)
        change = pd.DataFrame(
            {
                "dimension_id": dims,
                "difference": np.linspace(-0.4, 0.4, len(dims)),
                "ci_low": -0.5,
                "ci_high": 0.6,
                "reliable": [n % 2 == 0 for n in range(len(dims))],
            }
        )
        numbers = [lv.level for lv in instrument.scoring.levels]
        levels = pd.DataFrame(
            {"dimension_id": dims[0], "level": numbers, "n": [1, 6, 9, 5, 3], "level_basis": basis}
        )
        level = pd.Series(
            {
                "level": 3,
                "level_basis": basis,
                "q1": 2,
                "q3": 4,
                "level_low": 2.4,
                "level_high": 3.6,
            }
        )
        rated = [i.id for i in instrument.rated_items][:8]  # agreement and reverse-keyed items
        column = [1, 2, 2, 3, 4, 4, 4, 5, DK, NA]
        items = item_summary(answers({i: column for i in rated}), instrument)
        figures += [
            charts.radar(means, instrument, peers, lang),
            charts.radar(means, instrument, lang=lang),
            charts.trend(change, instrument, lang),
            charts.level_ladder(levels, level, instrument, dims[0], lang),
            charts.level_ladder(levels, None, instrument, dims[0], lang),
            charts.diverging_likert(items, instrument, lang),
            charts.diverging_likert(items, instrument, lang, legend=False),
            charts.distribution(means.rename(columns={"mean": "score"}), instrument, lang),
        ]
    figures.append(
        charts.heatmap(
            pd.DataFrame([[2.5, 3.5]], index=["VS1"], columns=["gouda", "almere"]),
            "items",
            data_strategy,
            lang,
        )
    )
    for fig in figures:
        checked = json.loads(made_as_plotly_makes_it(fig).to_json())
        used = {trace["type"] for trace in checked["data"]}
        # the template's defaults of trace types the chart does not have are never read: left out
        template = checked["layout"]["template"]
        template["data"] = {kind: value for kind, value in template["data"].items() if kind in used}
        assert json.loads(fig.to_json()) == checked


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_answer_axis_says_the_statements_own_scale_not_agree_on_a_frequency_question(lang):
    """The answer chart's axis names the lower and higher answers of the scale its statements
    use: a frequency question ("zelden · vaak") is not labelled with agreement words."""
    instrument = get_instrument("data-strategy", 2)
    first = {}
    for item in instrument.rated_items:
        first.setdefault(item.scale, item)
    for scale_id, item in first.items():
        points = instrument.scale_by_id[scale_id].points
        row = {"item_id": item.id} | {f"n_{p.value}": 3 for p in points}
        fig = charts.diverging_likert(pd.DataFrame([row]), instrument, lang)
        title = fig.layout.xaxis.title.text
        low, high = points[1].label.get(lang).lower(), points[-2].label.get(lang).lower()
        assert f"← {low} · {high} →" in title, (scale_id, title)
    mixed = pd.DataFrame(
        [{"item_id": i.id} | {f"n_{v}": 3 for v in range(1, 6)} for i in first.values()]
    )
    title = charts.diverging_likert(mixed, instrument, lang).layout.xaxis.title.text
    # on two lines where one would run into the "geen oordeel" axis's title
    assert title.replace("<br>", " ") == t("chart.share_of_answers_mixed", lang)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_charts_json_is_plotlys_byte_for_byte(rounds, lang):
    """``charts.to_json`` (one pass, no deep copy) writes what plotly's ``to_json`` writes, for
    every chart a report draws and for figures holding arrays plotly turns into binary (numpy
    integers and floats, a pandas Series, a 2-D array, an array under a key plotly skips)."""
    figures = [
        fig for name in sorted(charts.CHARTS) for fig in chart_examples.figures(name, rounds, lang)
    ]
    figures += [
        go.Figure(
            [
                go.Bar(x=np.arange(4), y=pd.Series([1.5, 2.0, np.nan, 4.25]), name="a</script>"),
                go.Heatmap(
                    z=np.arange(6, dtype=np.int64).reshape(2, 3) * 1000, customdata=[np.arange(2)]
                ),
                go.Scatter(x=[1, 2], y=np.array([0.5, 1.5], dtype=np.float32), uid="kept-out"),
            ],
            layout={"xaxis": {"range": np.array([0, 5])}, "meta": {"rows": [[1, "x"]]}},
        )
    ]
    for fig in figures:
        assert charts.to_json(fig) == fig.to_json()

"""Measurement rules of the reports, each on a small case worked out by hand here:
peer widening, the breakdown by role, stage coverage from the items' DIKW stages, the
change correction, bounds that keep their sign, and colours by meaning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dwp_assess.analysis.comparison import change_since
from dwp_assess.analysis.peers import assign_peer_groups, class_order, peer_groups
from dwp_assess.analysis.privacy import pool_to_minimum
from dwp_assess.analysis.profiles import analyse_answers, team_view
from dwp_assess.analysis.roles import POOLED, role_breakdown
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.messages import t
from dwp_assess.reports import charts
from dwp_assess.reports.html import macro
from dwp_assess.reports.sections import change as change_sections
from dwp_assess.reports.sections import common, organisation, team
from tests.test_small_groups import META, organisations, visible_text

# -- peers ------------------------------------------------------------------------------------

CLASSES = {"10.000-20.000": 2, "20.000-50.000": 2, "50.000-100.000": 3, "100.000-150.000": 6}


def registry() -> pd.DataFrame:
    rows = [
        (f"{size.split('-')[0]}-{n}", "gemeente", size)
        for size, k in CLASSES.items()
        for n in range(k)
    ]
    rows += [
        ("zuid-holland", "provincie", "provincie"),
        ("utrecht-provincie", "provincie", "provincie"),
    ]
    return pd.DataFrame(rows, columns=["organisation_id", "kind", "size_class"])


def test_size_classes_are_ordered_by_their_lower_bound():
    assert class_order("250.000 en meer") == 250_000
    assert class_order("50.000-100.000") == 50_000
    assert class_order("provincie") is None


def test_peer_groups_widen_to_adjacent_classes_then_to_the_kind():
    groups = assign_peer_groups(registry(), min_orgs=5).set_index("organisation_id")
    own = groups.loc["100.000-0"]  # six in its own class
    assert (own["step"], own["classes"], own["n_organisations"]) == (
        "size_class",
        ["100.000-150.000"],
        6,
    )
    middle = groups.loc["20.000-0"]  # 2 + the classes below (2) and above (3) = 7
    assert middle["step"] == "adjacent" and middle["n_organisations"] == 7
    assert middle["classes"] == ["10.000-20.000", "20.000-50.000", "50.000-100.000"]
    smallest = groups.loc["10.000-0"]  # 2 + 2 above = 4 < 5: all 13 municipalities
    assert (smallest["step"], smallest["n_organisations"]) == ("kind", 13)
    province = groups.loc["zuid-holland"]  # two provinces: no group, and how many there are
    assert pd.isna(province["step"]) and province["n_organisations"] == 2


def test_a_peer_mean_is_the_mean_of_its_members_means(data_strategy):
    orgs = registry()
    dims = pd.DataFrame(
        {
            "organisation_id": orgs["organisation_id"],
            "dimension_id": "data",
            "mean": np.linspace(1.5, 4.5, len(orgs)),
        }
    )
    peers, assignment = peer_groups(dims, orgs, 5, data_strategy)
    key = assignment.set_index("organisation_id").loc["20.000-0", "peer_group"]
    assert key == "gemeente · 10.000-20.000 + 20.000-50.000 + 50.000-100.000"
    members = dims[dims["organisation_id"].str.match(r"^(10|20|50)\.000-")]
    row = peers[peers["peer_group"] == key].iloc[0]
    assert row["n_organisations"] == 7 and row["mean"] == pytest.approx(members["mean"].mean())


@pytest.mark.parametrize(
    ("step", "words"),
    [
        ("size_class", ["6 gemeenten", "100.000–150.000"]),
        ("adjacent", ["aangrenzende grootteklassen", "7 gemeenten"]),
        ("kind", ["alle 13 gemeenten"]),
        (None, ["geen vergelijking", "telt 2 provincies", "minstens 5"]),
    ],
)
def test_the_report_names_the_peer_group_used(step, words):
    kind = "provincie" if step is None else "gemeente"
    n = {"size_class": 6, "adjacent": 7, "kind": 13, None: 2}[step]
    meta = {
        "peer_kind": kind,
        "peer_step": step,
        "peer_classes": "100.000-150.000",
        "peer_n": n,
        "min_group_size": 5,
    }
    text = organisation.peer_note(meta, "nl")
    for word in words:
        assert word in text
    assert organisation.peer_note(meta, "en") != text
    if step == "size_class":  # the class in English marks: "100.000" reads as a hundred there
        assert "100,000–150,000" in organisation.peer_note(meta, "en")


# -- roles ------------------------------------------------------------------------------------


def test_a_pool_below_the_minimum_takes_the_smallest_role_along():
    roles = pd.Series(["beleid"] * 6 + ["ict"] * 5 + ["juridisch_privacy"] * 2 + [None])
    pooled = pool_to_minimum(roles, 5)
    # juridisch (2) and the unknown role (1) make a pool of 3; ict (5, the smallest) joins it
    assert pooled.value_counts().to_dict() == {"beleid": 6} and pooled.isna().sum() == 8


def scores_of(roles: list[str | None], org: str, values: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "response_id": [f"{org}-{n}" for n in range(len(roles))],
            "organisation_id": org,
            "role": roles,
            "dimension_id": "data",
            "score": values,
        }
    )


def test_role_breakdown_shows_only_groups_of_the_minimum_size():
    split = scores_of(["beleid"] * 5 + ["ict"] * 5 + ["ict"], "a", [2.0] * 5 + [4.0] * 6)
    single = scores_of(["beleid"] * 7, "b", [3.0] * 7)
    short = scores_of(
        ["beleid"] * 5 + ["ict"] * 4, "c", [1.0] * 9
    )  # ict (4) pools alone: one group
    out = role_breakdown(pd.concat([split, single, short]), 5)
    assert set(out["organisation_id"]) == {"a"}
    means = out.set_index("role_group")["mean"]
    assert means.to_dict() == {"beleid": 2.0, "ict": 4.0}
    assert POOLED not in means.index


def test_a_dimension_where_a_role_group_has_too_few_scores_is_left_out():
    scores = scores_of(["beleid"] * 5 + ["ict"] * 5, "a", [2.0] * 5 + [4.0] * 5)
    other = scores.assign(dimension_id="infrastructure")
    other.loc[other.index[-1], "score"] = np.nan  # ict has 4 scores on infrastructure
    out = role_breakdown(pd.concat([scores, other]), 5)
    assert set(out["dimension_id"]) == {"data"}


# -- stage coverage ---------------------------------------------------------------------------


def test_stage_coverage_comes_from_the_items_that_serve_each_stage():
    """Data literacy, rule "everyone": three members answer its data items "on my own" (4)
    and its decision items "with help" (2): covered at the data step, not at decision."""
    instrument = get_instrument("competences", 2)
    literacy = instrument.rated_items_of("data_literacy")
    data_only = {i.id for i in literacy if i.dikw_stages == ["data"]}
    decision_only = {i.id for i in literacy if i.dikw_stages == ["decision"]}
    assert data_only and decision_only
    rows = []
    for n in range(3):
        for item in instrument.items:
            value = 4.0 if item.id in data_only else 2.0 if item.id in decision_only else 3.0
            rows.append(
                {
                    "response_id": f"r{n}",
                    "respondent_id": f"p{n}",
                    "organisation_id": "gouda",
                    "team_id": "t1",
                    "role": None,
                    "item_id": item.id,
                    "value": value,
                    "code": None,
                    "text": None,
                }
            )
    analysis = analyse_answers(
        pd.DataFrame(rows),
        instrument,
        organisations("gouda"),
        META | {"instrument_id": instrument.id, "instrument_version": 2},
    )
    coverage = analysis.team_coverage.set_index(["dimension_id", "dikw_stage"])
    assert coverage.loc[("data_literacy", "decision"), "met"] == False  # noqa: E712
    stages = analysis.team_stages.set_index(["member", "dimension_id", "dikw_stage"])["score"]
    # the data step holds the data-only items (4) and the items shared with another step (3)
    shared = [i for i in literacy if "data" in i.dikw_stages and i.id not in data_only]
    expected = (4 * len(data_only) + 3 * len(shared)) / (len(data_only) + len(shared))
    assert stages.loc[("lid 1", "data_literacy", "data")] == pytest.approx(expected)
    assert coverage.loc[("data_literacy", "data"), "met"] == (expected >= 3)
    html = visible_text(team.coverage(team_view(analysis, "t1"), instrument, "nl"))
    assert t("report.stages_from_items", "nl") in html


def test_version_1_says_its_stages_repeat_the_competence(competences):
    from tests.test_small_groups import team_analysis

    analysis = team_analysis(competences, ["data_scientist"] * 3)
    html = visible_text(team.coverage(team_view(analysis, "t1"), competences, "nl"))
    assert t("report.stages_from_competence", "nl") in html


# -- change -----------------------------------------------------------------------------------


def change_frames(
    shifts: dict[str, float], n: int = 30, seed: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    frames = []
    for label, shift in (("before", 0.0), ("after", 1.0)):
        for dim, size in shifts.items():
            frames.append(
                pd.DataFrame(
                    {
                        "organisation_id": "gouda",
                        "response_id": [f"{label}{k}" for k in range(n)],
                        "dimension_id": dim,
                        "score": 3 + shift * size + rng.normal(0, 0.8, n),
                    }
                )
            )
    both = pd.concat(frames)
    return both[both["response_id"].str.startswith("before")], both[
        both["response_id"].str.startswith("after")
    ]


def test_change_is_corrected_with_benjamini_hochberg_per_organisation():
    before, after = change_frames({"a": 1.0, "b": 0.45, "c": 0.0, "d": 0.0, "e": 0.05, "f": -0.05})
    change = change_since(before, after).sort_values("p_value")
    m = len(change)
    ranks = np.arange(1, m + 1)
    by_hand = np.minimum.accumulate((change["p_value"].to_numpy() * m / ranks)[::-1])[::-1]
    assert change["p_adjusted"].to_numpy() == pytest.approx(np.minimum(by_hand, 1))
    assert change.set_index("dimension_id").loc["a", "reliable"]
    assert not (change["reliable"] & ~change["interval_excludes_zero"]).any()


def test_a_change_that_does_not_survive_the_correction_says_so(data_strategy):
    row = pd.Series({"reliable": False, "interval_excludes_zero": True})
    assert change_sections._change_verdict(row) == "report.change_not_after_correction"
    assert "correctie" in t("report.change_not_after_correction", "nl")


# -- charts -----------------------------------------------------------------------------------


def test_a_reverse_keyed_statement_is_coloured_by_meaning(data_strategy_v2):
    reverse = next(i for i in data_strategy_v2.rated_items if i.reverse and i.scale == "agree5")
    normal = next(
        i
        for i in data_strategy_v2.rated_items_of(reverse.dimension)
        if not i.reverse and i.scale == "agree5"
    )
    counts = {f"n_{v}": [1, 1] for v in (1, 2, 3, 4)} | {
        "n_5": [6, 6],
        "n_dont_know": [0, 0],
        "n_not_applicable": [0, 0],
    }
    items = pd.DataFrame(
        {"item_id": [normal.id, reverse.id], "dimension_id": reverse.dimension} | counts
    )
    fig = charts.diverging_likert(items, data_strategy_v2)
    strongly_agree = data_strategy_v2.scale_by_id["agree5"].points[-1].label.nl
    colour = {}
    for trace in fig.data:
        if trace.name.startswith(strongly_agree):
            for label in trace.y:
                colour[reverse.id if "omgekeerd" in label else normal.id] = (
                    trace.marker.color,
                    trace.name,
                )
    assert colour[normal.id] == (charts.LIKERT_COLOURS[4], strongly_agree)
    assert colour[reverse.id][0] == charts.LIKERT_COLOURS[0]  # agreeing is unfavourable here
    assert t("chart.reverse_legend", "nl") in colour[reverse.id][1]


def legend_of(fig) -> dict[str, str]:
    """The legend as a reader sees it: name → colour of every entry shown."""
    return {trace.name: trace.marker.color for trace in fig.data if trace.showlegend is not False}


def bars_by_colour(fig) -> set[tuple[str, str]]:
    """(answer, colour) of every bar drawn on the answer scale (the name's answer part)."""
    return {
        (trace.name.split(" (")[0], trace.marker.color)
        for trace in fig.data
        if trace.xaxis in (None, "x")
    }


@pytest.mark.parametrize("scale", ["agree5", "freq5"])
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_colour_drawn_has_a_legend_entry_that_says_what_it_means(
    data_strategy_v2, scale, lang
):
    """A reverse-keyed statement's "eens" bars take the warm colours of "unfavourable": the
    legend lists them under their own answer, marked reverse-keyed, in those colours (before,
    its colours were explained by the entries of the opposite answers); a chart of only
    reverse-keyed statements, such as a frequency question, has its legend too."""
    reverse = [i for i in data_strategy_v2.rated_items if i.reverse and i.scale == scale]
    normal = [i for i in data_strategy_v2.rated_items if not i.reverse and i.scale == scale]
    counts = {f"n_{v}": [2, 2] for v in (1, 2, 3, 4, 5)} | {
        "n_dont_know": [1, 1],
        "n_not_applicable": [0, 0],
    }
    for ids in ([reverse[0].id], [normal[0].id, reverse[0].id]):
        items = pd.DataFrame(
            {"item_id": ids, "dimension_id": reverse[0].dimension}
            | {k: v[: len(ids)] for k, v in counts.items()}
        )
        fig = charts.diverging_likert(items, data_strategy_v2, lang)
        legend = legend_of(fig)
        for answer, colour in bars_by_colour(fig):
            assert any(name.startswith(answer) and c == colour for name, c in legend.items()), (
                answer,
                colour,
                legend,
            )
        marked = [name for name in legend if t("chart.reverse_legend", lang) in name]
        points = data_strategy_v2.scale_by_id[scale].points
        agree = next(name for name in marked if name.startswith(points[-1].label.get(lang)))
        assert legend[agree] == charts.LIKERT_COLOURS[0]


def test_an_answer_chart_in_a_report_writes_its_legend_as_text(data_strategy_v2):
    """In a report the legend is text under the chart (it wraps at any width): the same
    entries and colours the chart would show."""
    reverse = next(i for i in data_strategy_v2.rated_items if i.reverse and i.scale == "agree5")
    counts = {f"n_{v}": [2] for v in (1, 2, 3, 4, 5)} | {
        "n_dont_know": [1],
        "n_not_applicable": [0],
    }
    items = pd.DataFrame({"item_id": [reverse.id], "dimension_id": reverse.dimension} | counts)
    with_legend = charts.diverging_likert(items, data_strategy_v2)
    without = charts.diverging_likert(items, data_strategy_v2, legend=False)
    shown = common.chart(without, "nl")
    assert without.layout.showlegend is False and without.layout.height < with_legend.layout.height
    assert dict(shown["legend"]) == legend_of(with_legend)
    html = str(macro("figure")(shown))
    assert all(f"background: {colour}" in html and name in html for name, colour in shown["legend"])


def test_the_ladder_axis_shows_percentages_up_to_100(data_strategy_v2):
    distribution = pd.DataFrame(
        {"dimension_id": "data", "level": [1, 2, 3], "n": [1, 8, 1], "level_basis": "chosen"}
    )
    fig = charts.level_ladder(distribution, None, data_strategy_v2, "data")
    assert max(fig.layout.yaxis.tickvals) == 100 and fig.layout.separators == ",."
    assert list(fig.data[0].y) == [10.0, 80.0, 10.0, 0.0, 0.0]


def test_the_trend_colours_a_reliable_decline_as_unfavourable(data_strategy):
    change = pd.DataFrame(
        {
            "dimension_id": ["data", "infrastructure", "technology"],
            "difference": [0.5, -0.6, 0.1],
            "ci_low": [0.2, -0.9, -0.1],
            "ci_high": [0.8, -0.3, 0.3],
            "reliable": [True, True, False],
        }
    )
    colours = list(charts.trend(change, data_strategy).data[0].marker.color)
    assert colours == [charts.LIKERT_COLOURS[4], charts.LIKERT_COLOURS[0], charts.OKABE_ITO["grey"]]


def test_a_charts_figures_table_never_prints_minus_zero(data_strategy):
    """A difference that rounds to zero reads "0,00" in the chart's table, never "-0,00"."""
    change = pd.DataFrame(
        {
            "dimension_id": ["data"],
            "difference": [-0.001],
            "ci_low": [-0.004],
            "ci_high": [0.3],
            "reliable": [False],
        }
    )
    rows = charts.trend(change, data_strategy, "nl").layout.meta["rows"]
    assert rows[0][1:] == ["0,00", "< 0 – 0,30"]  # and the low bound keeps its side of zero

"""Researcher methods: weights, missingness, change tests with BH, within-organisation alpha,
agreement per dimension, and tables formatted for reading."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dwp_assess.analysis import formatting, missingness, research, weights
from dwp_assess.analysis.comparison import change_since
from dwp_assess.analysis.rater_agreement import expected_by_chance
from dwp_assess.analysis.stats import cronbach_alpha


def test_weights_sum_to_the_population_per_cell_and_overall():
    respondents = pd.DataFrame(
        {
            "response_id": [f"r{n}" for n in range(9)],
            "organisation_id": ["a"] * 3 + ["b"] * 6,
            "role": ["x", "y", "y", "x", "x", "y", "y", "y", "y"],
        }
    )
    invited = pd.DataFrame({"organisation_id": ["a", "b"], "invited": [10, 12]})
    by_role = pd.DataFrame({"organisation_id": ["b", "b"], "role": ["x", "y"], "invited": [2, 10]})
    w = weights.nonresponse_weights(respondents, invited, by_role)
    assert w["weight"].sum() == pytest.approx(22)
    assert w.groupby("organisation_id")["weight"].sum().to_dict() == pytest.approx(
        {"a": 10, "b": 12}
    )
    assert w.set_index("response_id").at["r3", "weight"] == pytest.approx(1.0)  # b · x: 2 of 2
    assert w.set_index("response_id").at["r5", "weight"] == pytest.approx(2.5)  # b · y: 10 over 4


def test_unknown_invited_gets_no_weight_and_weighted_means_sit_beside_unweighted():
    respondents = pd.DataFrame(
        {"response_id": ["r1", "r2", "r3"], "organisation_id": ["a", "a", "c"], "role": None}
    )
    invited = pd.DataFrame({"organisation_id": ["a", "c"], "invited": [8, None]})
    w = weights.nonresponse_weights(respondents, invited)
    assert w["weight"].isna().tolist() == [False, False, True]
    scores = pd.DataFrame(
        {"response_id": ["r1", "r2", "r3"], "dimension_id": "d", "score": [2.0, 4.0, 5.0]}
    )
    table = weights.weighted_summary(scores, w).iloc[0]
    assert table["mean_unweighted"] == pytest.approx(11 / 3) and table[
        "mean_weighted"
    ] == pytest.approx(3.0)
    assert table["n_weighted"] == 2 and table["effective_n"] == pytest.approx(2.0)


def test_missingness_per_item_and_organisation(data_strategy):
    items = [i.id for i in data_strategy.rated_items]
    answers = pd.DataFrame(
        {
            "response_id": ["r1", "r1", "r2", "r2"],
            "organisation_id": ["a", "a", "b", "b"],
            "item_id": [items[0], items[1], items[0], items[2]],
            "value": [3.0, np.nan, np.nan, 4.0],
            "code": [None, "dont_know", "not_applicable", None],
        }
    )
    per_item = missingness.item_missingness(answers, data_strategy).set_index("item_id")
    assert per_item.loc[items[0], ["answered", "not_applicable"]].tolist() == [0.5, 0.5]
    assert per_item.loc[items[1], "dont_know"] == 0.5 and per_item.index[0] == items[1]
    assert per_item.loc[items[3], "blank"] == 1.0
    per_org = missingness.organisation_missingness(answers, data_strategy).set_index(
        "organisation_id"
    )
    k = len(items)
    assert per_org.at["a", "dont_know"] == pytest.approx(1 / k)
    assert (
        per_org.at["a", "most_dont_know_dimension"] == data_strategy.item_by_id[items[1]].dimension
    )
    assert pd.isna(per_org.at["b", "most_dont_know_dimension"])


def test_change_tests_adjust_over_the_round_and_count_chance():
    """The reports' tests (bootstrap per organisation), adjusted again over all the round's
    tests: three planted changes of 20 organisations survive, the rest do not."""
    rng = np.random.default_rng(5)
    rows = []
    for org in range(20):
        for period, shift in (("before", 0.0), ("after", 1.5 if org < 3 else 0.0)):
            for n in range(15):
                rows.append(
                    (period, f"o{org}", f"{period}-{org}-{n}", "d", 3 + shift + rng.normal(0, 0.5))
                )
    frame = pd.DataFrame(
        rows, columns=["period", "organisation_id", "response_id", "dimension_id", "score"]
    )
    change = change_since(frame[frame.period == "before"], frame[frame.period == "after"])
    tests = research.change_tests(change)
    assert len(tests) == 20 and (tests["p_adjusted_round"] >= tests["p"]).all()
    assert set(tests.loc[tests["significant_bh"], "organisation_id"]) == {"o0", "o1", "o2"}
    m, ranked = len(tests), tests.sort_values("p")
    by_hand = np.minimum.accumulate((ranked["p"].to_numpy() * m / np.arange(1, m + 1))[::-1])[::-1]
    assert ranked["p_adjusted_round"].to_numpy() == pytest.approx(np.minimum(by_hand, 1))
    summary = research.change_summary(tests)
    assert summary["tests"] == 20 and summary["expected_by_chance"] == expected_by_chance(20)


def test_within_alpha_is_not_inflated_by_differences_between_organisations():
    rng = np.random.default_rng(2)
    groups = pd.Series(np.repeat(np.arange(20), 10))
    level = rng.normal(0, 3, 20)[groups]  # large differences between organisations
    items = pd.DataFrame(rng.normal(size=(200, 4)) + level[:, None])  # items unrelated within
    pooled = cronbach_alpha(items)["alpha"]
    within = research.within_alpha(items, groups)
    assert pooled > 0.9 and abs(within["alpha"]) < 0.3
    assert within["ci_low"] < within["alpha"] < within["ci_high"] and within["groups"] == 20


def test_readable_tables_have_no_nan_rows_no_scientific_notation_and_name_suppression():
    frame = pd.DataFrame(
        {
            "group": ["a", "b", "c"],
            "mean": [-0.178, np.nan, np.nan],
            "p": [4e-7, np.nan, 0.2],
            "n": [12, 3, 4],
            "suppressed": [False, True, False],
        }
    )
    frame.loc[2, "p"] = np.nan
    out = formatting.readable(
        frame, decimals=3, suppressed="suppressed", signed=("mean",), p_columns=("p",)
    )
    assert out["group"].tolist() == ["a", "b"] and out.attrs["rows_left_out"] == 1
    assert out.loc[0, "mean"] == "−0,178" and out.loc[0, "p"] == "< 0,001"
    assert out.loc[1, "mean"].startswith("onderdrukt")
    assert "e-" not in out.to_string() and "nan" not in out.to_string().lower()


@pytest.mark.parametrize(
    ("low", "high", "decimals", "expected"),
    [
        (-0.0012, 0.3, 2, "< 0 – 0,30"),
        (0.004, 0.2, 3, "0,004–0,200"),
        (0.004, 0.2, 2, "> 0 – 0,20"),
        (-0.25, -0.00001, 2, "−0,25 – < 0"),
        (1.5, 2.25, 2, "1,50–2,25"),
        (np.nan, 2.25, 2, "–"),
    ],
)
def test_intervals_never_hide_a_sign(low, high, decimals, expected):
    frame = pd.DataFrame({"group": ["a"], "ci_low": [low], "ci_high": [high], "n": [12]})
    table = formatting.with_interval(frame, "ci_low", "ci_high", "interval", decimals)
    assert list(table.columns) == ["group", "interval", "n"]
    assert table.loc[0, "interval"] == expected

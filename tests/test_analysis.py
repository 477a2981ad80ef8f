"""Scoring, statistics, profiles and charts, checked against worked examples and
independent computations written out in the tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from dwp_assess.analysis.profiles import RoundAnalysis, analyse_round, organisation_view, team_view
from dwp_assess.analysis.scoring import item_matrix, score_round
from dwp_assess.analysis.stats import (
    bootstrap_mean_difference,
    cronbach_alpha,
    item_rest_correlations,
    ordinal_dispersion,
)
from dwp_assess.data import store
from dwp_assess.reports import charts


def long(rows: list[tuple], org="gouda", team=None, role="beleid") -> pd.DataFrame:
    """Answers from (response, item, value, code) tuples."""
    frame = pd.DataFrame(rows, columns=["response_id", "item_id", "value", "code"])
    return frame.assign(
        respondent_id=frame["response_id"], organisation_id=org, team_id=team, role=role, text=None
    )


# -- scoring ----------------------------------------------------------------------------


def test_reverse_keying_codes_and_the_minimum_share(data_strategy):
    vs = [i.id for i in data_strategy.items_of("vision_strategy")]  # VS5 is reverse-keyed
    assert [
        i.id for i in data_strategy.items if i.reverse and i.dimension == "vision_strategy"
    ] == ["VS5"]
    rows = [
        ("a", "VS1", 4, None),
        ("a", "VS2", 5, None),
        ("a", "VS5", 2, None),
        ("a", "VS3", None, "dont_know"),
        ("a", "VS4", None, "not_applicable"),
        ("b", "VS1", 5, None),
        ("b", "VS2", None, "dont_know"),
        ("b", "VS3", None, "dont_know"),
    ]
    scores = score_round(long(rows), data_strategy).set_index(["response_id", "dimension_id"])
    a = scores.loc[("a", "vision_strategy")]
    assert a["score"] == pytest.approx((4 + 5 + (1 + 5 - 2)) / 3)  # VS5 mirrored: 2 → 4
    assert (
        a["n_items"],
        a["n_answered"],
        a["n_dont_know"],
        a["n_not_applicable"],
        a["n_missing"],
    ) == (len(vs), 3, 1, 1, 1)
    assert a["level"] == data_strategy.level_for(a["score"])
    b = scores.loc[("b", "vision_strategy")]
    assert pd.isna(b["score"]) and pd.isna(b["level"])  # 1 of 6 answered < 60%: missing, not zero
    assert pd.isna(scores.loc[("a", "technology"), "score"])  # nothing answered on a dimension


def test_score_round_matches_a_per_respondent_loop(data_strategy):
    rng = np.random.default_rng(1)
    rows = []
    for r in range(40):
        for item in data_strategy.items:
            draw = rng.random()
            if draw < 0.1:
                rows.append((f"r{r}", item.id, None, "dont_know"))
            elif draw > 0.05 + 0.1:
                rows.append((f"r{r}", item.id, int(rng.integers(1, 6)), None))
    answers = long(rows)
    vectorised = score_round(answers, data_strategy).set_index(["response_id", "dimension_id"])[
        "score"
    ]
    for (response, dim), score in vectorised.items():
        mine = answers[(answers["response_id"] == response)]
        values, applicable = [], 0
        for item in data_strategy.items_of(dim):
            cell = mine[mine["item_id"] == item.id]
            if cell.empty or cell["code"].iloc[0] != "not_applicable":
                applicable += 1
            if len(cell) and pd.notna(cell["value"].iloc[0]):
                v = cell["value"].iloc[0]
                values.append(6 - v if item.reverse else v)
        expected = np.mean(values) if values and len(values) / applicable >= 0.6 else np.nan
        assert score == pytest.approx(expected, nan_ok=True)


# -- statistics -------------------------------------------------------------------------


def test_cronbach_alpha_worked_example():
    # Worked example: three items, five respondents; alpha by hand from the variances.
    items = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    item_var = items.var(ddof=1).sum()  # 2.5 + 2.3 + 1.5 = 6.3
    total_var = items.sum(axis=1).var(ddof=1)  # totals 4, 7, 9, 13, 14: var 17.3
    assert (item_var, total_var) == pytest.approx((6.3, 17.3))
    result = cronbach_alpha(items)
    assert result["alpha"] == pytest.approx(1.5 * (1 - 6.3 / 17.3))
    assert (result["n"], result["k"]) == (5, 3)
    assert result["ci_low"] < result["alpha"] < result["ci_high"]


def test_cronbach_alpha_against_an_independent_implementation_with_missing_answers():
    rng = np.random.default_rng(3)
    trait = rng.normal(size=200)
    items = pd.DataFrame({f"i{k}": trait + rng.normal(scale=1.0, size=200) for k in range(6)})
    items.iloc[rng.integers(0, 200, 30), 2] = np.nan
    complete = items.dropna().to_numpy()
    k, n = complete.shape[1], complete.shape[0]
    cov = np.cov(complete, rowvar=False)
    expected = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
    result = cronbach_alpha(items)
    assert result["alpha"] == pytest.approx(expected)
    assert result["n"] == n
    low = 1 - (1 - expected) * sps.f.ppf(0.975, n - 1, (n - 1) * (k - 1))
    assert result["ci_low"] == pytest.approx(low)


def test_cronbach_alpha_degenerate_cases():
    assert np.isnan(cronbach_alpha(pd.DataFrame({"a": [1, 2, 3]}))["alpha"])
    constant = cronbach_alpha(pd.DataFrame({"a": [3, 3, 3], "b": [3, 3, 3]}))
    assert np.isnan(constant["alpha"]) and constant["note"] == "no variance in the total score"


def test_item_rest_correlation_flags_a_wrongly_keyed_item():
    rng = np.random.default_rng(5)
    trait = rng.normal(size=300)
    items = pd.DataFrame({f"i{k}": trait + rng.normal(size=300) for k in range(4)})
    items["bad"] = -trait + rng.normal(size=300)
    items["flat"] = 3.0
    r = item_rest_correlations(items)
    rest = items[["i0", "i1", "i2", "i3", "flat"]].sum(axis=1)
    assert r["bad"] == pytest.approx(np.corrcoef(items["bad"], rest)[0, 1])
    assert r["bad"] < 0 < r["i0"] and np.isnan(r["flat"])


def test_leik_ordinal_dispersion():
    counts = pd.DataFrame([[0, 0, 10, 0, 0], [5, 0, 0, 0, 5], [2, 2, 2, 2, 2], [0, 0, 0, 0, 0]])
    d = ordinal_dispersion(counts)
    assert d[0] == 0 and d[1] == pytest.approx(1.0)
    # uniform over 5 categories: F = .2,.4,.6,.8 → 2/4·(.2+.4+.4+.2) = 0.6
    assert d[2] == pytest.approx(0.6) and np.isnan(d[3])


def test_bootstrap_interval_covers_a_known_difference():
    rng = np.random.default_rng(9)
    before = rng.normal(2.0, 0.5, (200, 2))
    after = np.column_stack([rng.normal(2.5, 0.5, 200), rng.normal(2.0, 0.5, 200)])
    result = bootstrap_mean_difference(before, after, seed=1)
    assert result.loc[0, "ci_low"] > 0.3 and result.loc[0, "ci_high"] < 0.7
    assert result.loc[1, "ci_low"] < 0 < result.loc[1, "ci_high"]
    se = np.sqrt(before[:, 0].var(ddof=1) / 200 + after[:, 0].var(ddof=1) / 200)
    width = result.loc[0, "ci_high"] - result.loc[0, "ci_low"]
    assert width == pytest.approx(2 * 1.96 * se, rel=0.15)


def test_bootstrap_means_are_those_of_the_resampled_respondents():
    """The bootstrap's means per draw come from how often each respondent is drawn; they are
    the means of the resampled respondents' scores, missing scores and all-missing columns
    included, for the draws the seed gives."""
    rng = np.random.default_rng(4)
    before, after = (
        rng.integers(1, 6, (37, 4)).astype(float),
        rng.integers(1, 6, (23, 4)).astype(float),
    )
    before[rng.random(before.shape) < 0.2] = np.nan
    after[rng.random(after.shape) < 0.2] = np.nan
    after[:, 3] = np.nan
    draws = np.random.default_rng(5)
    means = [
        np.nanmean(s[draws.integers(0, len(s), size=(500, len(s)))], axis=1)
        for s in (after, before)
    ]
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        diff = means[0] - means[1]
        low, high = np.nanpercentile(diff, [2.5, 97.5], axis=0)
    result = bootstrap_mean_difference(before, after, n_boot=500, seed=5)
    assert result["ci_low"].to_numpy()[:3] == pytest.approx(low[:3], abs=1e-12)
    assert result["ci_high"].to_numpy()[:3] == pytest.approx(high[:3], abs=1e-12)
    assert result["ci_low"].isna().tolist() == [False, False, False, True]


# -- profiles on the sample ---------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_engine(tmp_path_factory, sample_store):
    return store.connect(sample_store.copy_to(tmp_path_factory.mktemp("a") / "dwp.sqlite"))


@pytest.fixture(scope="module")
def organisation_round(sample_engine):
    return analyse_round(sample_engine, "data-strategy-2026", "data-strategy-2025")


@pytest.fixture(scope="module")
def team_round(sample_engine):
    return analyse_round(sample_engine, "competences-2026", "competences-2025")


def test_organisation_summary_is_recomputable_from_the_store(sample_engine, organisation_round):
    answers = store.load_answers(sample_engine, "data-strategy-2026")
    ins = organisation_round.instrument
    gouda = answers[answers["organisation_id"] == "gouda"]
    matrix = item_matrix(gouda, ins, "data")
    per_person = matrix.mean(axis=1)[matrix.notna().sum(axis=1) / len(matrix.columns) >= 0.6]
    row = organisation_round.dimensions.set_index(["organisation_id", "dimension_id"]).loc[
        ("gouda", "data")
    ]
    assert row["n"] == len(per_person)
    assert row["mean"] == pytest.approx(per_person.mean())
    assert row["median"] == pytest.approx(per_person.median())
    assert row["iqr"] == pytest.approx(per_person.quantile(0.75) - per_person.quantile(0.25))
    shares = [row[f"share_level_{n}"] for n in range(1, 6)]
    assert sum(shares) == pytest.approx(1.0)


def test_response_rates_and_reliability(organisation_round):
    response = organisation_round.response.set_index("organisation_id")
    assert (response["response_rate"].between(0.1, 1)).all()
    overall = organisation_round.reliability[
        organisation_round.reliability["organisation_id"].isna()
    ]
    n_dimensions = len(organisation_round.instrument.dimensions)
    assert len(overall) == n_dimensions and overall["alpha"].between(0.6, 0.95).all()


def test_peers_are_shown_only_for_groups_of_five_or_more(organisation_round):
    peers = organisation_round.peers
    assert (peers.loc[peers["n_organisations"] < 5, "mean"].isna()).all()
    assert peers.loc[peers["n_organisations"] < 5, "suppressed"].all()
    shown = peers[~peers["suppressed"]]
    assert len(shown) and (shown["n_organisations"] >= 5).all()


def test_change_has_intervals_and_flags_unreliable_change(organisation_round):
    change = organisation_round.change
    assert set(change["organisation_id"]) == set(
        organisation_round.organisations["organisation_id"]
    )
    assert (change["ci_low"] <= change["difference"]).all() and (
        change["difference"] <= change["ci_high"]
    ).all()
    includes_zero = (change["ci_low"] <= 0) & (change["ci_high"] >= 0)
    assert (change["interval_excludes_zero"] == ~includes_zero).all()
    # reliable: the interval excludes zero and the change survives Benjamini–Hochberg
    # over the organisation's dimensions; never reliable with zero inside the interval
    assert not (change["reliable"] & includes_zero).any()
    assert (change["reliable"] == (~includes_zero & (change["p_adjusted"] <= 0.05))).all()
    assert (change["p_adjusted"] >= change["p_value"]).all()
    assert change["reliable"].any() and (~change["reliable"]).any()


def test_organisation_view_holds_no_other_organisation(organisation_round):
    view = organisation_view(organisation_round, "woerden")
    for frame in (view.dimensions, view.items, view.change, view.free_text):
        assert set(frame["organisation_id"]) <= {"woerden"}
    strengths, priorities = view.strengths_and_priorities()
    assert strengths["mean"].min() >= priorities["mean"].max()
    agenda = view.agenda()
    assert agenda["disagreement"].is_monotonic_decreasing and (agenda["n"] >= 5).all()
    with pytest.raises(KeyError, match="no data in round"):
        organisation_view(organisation_round, "atlantis")


def test_team_coverage_applies_the_group_rules(team_round):
    coverage = team_round.team_coverage
    stages = team_round.team_stages
    row = coverage[coverage["group_rule"] == "everyone"].iloc[0]
    team = stages[
        (stages["team_id"] == row["team_id"])
        & (stages["dimension_id"] == row["dimension_id"])
        & (stages["dikw_stage"] == row["dikw_stage"])
    ]
    scored = team.dropna(subset=["score"])
    assert row["met"] == bool((scored["score"] >= 3).all() and len(scored))
    missing = sorted(scored.loc[scored["score"] < 3, "member"])
    assert row["not_covering"] == "; ".join(missing)
    one = coverage[coverage["group_rule"] == "at_least_one"]
    assert (one["met"] == (one["n_covering"] > 0)).all()
    assert (~coverage["met"]).any() and coverage["met"].any()
    view = team_view(team_round, row["team_id"])
    assert view.gaps()["stage_order"].is_monotonic_increasing
    assert view.members["member"].str.match(r"^lid \d+$").all()
    assert not view.members.columns.isin(["respondent_id", "response_id"]).any()


def test_analysis_round_trips_through_parquet(tmp_path, organisation_round):
    loaded = RoundAnalysis.load(organisation_round.save(tmp_path / "analysis"))
    pd.testing.assert_frame_equal(loaded.dimensions, organisation_round.dimensions)
    assert loaded.meta["snapshot_hash"] == organisation_round.meta["snapshot_hash"]


# -- charts -------------------------------------------------------------------------------


def test_radar_shows_own_scores_and_peers_with_dutch_labels(organisation_round):
    view = organisation_view(organisation_round, "gouda")
    fig = charts.radar(view.dimensions, organisation_round.instrument, view.peers)
    own = view.dimensions.set_index("dimension_id")["mean"]
    assert fig.data[0].name == "Uw organisatie"
    assert fig.data[0].theta[0] == "Visie en strategie"
    assert fig.data[0].r[0] == pytest.approx(round(own["vision_strategy"], 2))
    assert fig.data[1].name == "Vergelijkbare organisaties"
    english = charts.radar(view.dimensions, organisation_round.instrument, view.peers, lang="en")
    assert (
        english.data[0].theta[0] == "Vision and strategy"
        and english.data[0].name == "Your organisation"
    )


def test_radar_without_a_peer_group_has_one_trace(organisation_round):
    view = organisation_view(organisation_round, "zuid-holland")  # two provinces: no group
    assert view.meta["peer_step"] is None and view.peers.empty
    assert len(charts.radar(view.dimensions, organisation_round.instrument, view.peers).data) == 1


def test_diverging_likert_shares_add_up_to_100_per_statement(organisation_round):
    """Every statement's segments (disagree, neutral halves, agree, no opinion) cover all its
    answers, also when the statements of one dimension use different scales (v2)."""
    items = organisation_view(organisation_round, "gouda").items.head(3)
    fig = charts.diverging_likert(items, organisation_round.instrument)
    totals: dict[str, float] = {}
    for trace in fig.data:
        for label, x in zip(trace.y, trace.x, strict=True):
            if x is not None:
                totals[label] = totals.get(label, 0.0) + abs(x)
    assert len(totals) == 3
    assert list(totals.values()) == pytest.approx([100, 100, 100], abs=0.3)
    strongest = next(t for t in fig.data if t.name == "Helemaal mee oneens")
    assert all(x <= 0 for x in strongest.x if x is not None)


def test_trend_colours_only_reliable_changes(organisation_round):
    change = organisation_view(organisation_round, "gouda").change
    trend = charts.trend(change, organisation_round.instrument)
    grey = [c == charts.OKABE_ITO["grey"] for c in trend.data[0].marker.color]
    assert grey == (~change["reliable"]).tolist()

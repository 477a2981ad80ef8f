"""Agreement, ICC and multiple comparisons against published worked examples.

Expected numbers come from the literature or from the published documentation of
R and Python packages, never from this code's own output; where no published
example with numbers exists, the example is worked out by hand in the docstring.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dwp_assess.analysis.rater_agreement import (
    NOTE_F_BELOW_1,
    NOTE_FEW_GROUPS,
    NOTE_FEW_RATERS,
    NOTE_NO_VARIANCE,
    NOTE_SINGLETONS,
    NOTE_TRUNCATED,
    benjamini_hochberg,
    expected_by_chance,
    icc1_icc2,
    rwg,
    rwg_j,
    uniform_null_variance,
    words_for_agreement,
)
from dwp_assess.instruments.messages import catalogue

# Shrout & Fleiss (1979, p. 423): four judges rate six targets (rows: targets).
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    dtype=float,
)

# Benjamini & Hochberg (1995), worked example: the 15 p-values of the myocardial infarction
# trial of Neuhaus et al. (1992).
BH_1995 = [
    0.0001,
    0.0004,
    0.0019,
    0.0095,
    0.0201,
    0.0278,
    0.0298,
    0.0344,
    0.0459,
    0.3240,
    0.4262,
    0.5719,
    0.6528,
    0.7590,
    1.000,
]


def shrout_fleiss_long() -> pd.DataFrame:
    """The 6 × 4 table in long form: one row per rating, the target as the group."""
    targets, judges = np.indices(SHROUT_FLEISS.shape)
    return pd.DataFrame(
        {
            "target": targets.ravel() + 1,
            "judge": judges.ravel() + 1,
            "rating": SHROUT_FLEISS.ravel(),
        }
    )


# --- rwg and rwg(J) ---------------------------------------------------------------------------


@pytest.mark.parametrize("n_options, expected", [(5, 2.0), (7, 4.0), (2, 0.25)])
def test_uniform_null_variance(n_options, expected):
    """σ²_EU = (A² − 1)/12 (James, Demaree & Wolf, 1984): 2 for five options, the value
    R's multilevel::rwg documents as its default ``ranvar = 2`` "for 5 response options";
    (49 − 1)/12 = 4 for seven; (4 − 1)/12 = .25 for two."""
    assert uniform_null_variance(n_options) == pytest.approx(expected)


@pytest.mark.parametrize("bad", [1, 0, 4.5, True])
def test_uniform_null_variance_needs_a_real_scale(bad):
    with pytest.raises(ValueError, match="n_options"):
        uniform_null_variance(bad)


def test_rwg_critical_value_of_dunlap_burke_smith_crowe_2003():
    """Dunlap, Burke & Smith-Crowe (2003, Table 2): with 10 raters on a 5-point scale,
    rwg must reach .53 to be significant at p = .05 under the uniform null (the value
    R's multilevel::rwg.sim documentation quotes). Groups of 10 random answers, run
    through ``rwg``: the smallest rwg reached by at most 5% of them is .53. (With n
    instead of n − 1 in the variance it would come out .575.)"""
    rng = np.random.default_rng(2003)
    n_groups = 100_000
    answers = rng.integers(1, 6, size=n_groups * 10)
    result = rwg(answers, 5, groups=np.repeat(np.arange(n_groups), 10))["rwg"].round(6)
    upper_tail = result.value_counts(normalize=True).sort_index(ascending=False).cumsum()
    assert round(upper_tail[upper_tail <= 0.05].index.min(), 2) == 0.53


def test_rwg_j_hand_worked_example():
    """No published rwg(J) example with its raw answers was found, so this one is worked
    by hand from the published formula (James, Demaree & Wolf, 1984).

    Five raters, three items, five-point scale (A = 5):

    - item 1: 4, 4, 5, 4, 3 → mean 4, squared deviations 0+0+1+0+1 = 2, s² = 2/4 = .5
    - item 2: 3, 4, 4, 5, 4 → mean 4, squared deviations 1+0+0+1+0 = 2, s² = .5
    - item 3: 2, 4, 3, 4, 2 → mean 3, squared deviations 1+1+0+1+1 = 4, s² = 1.0

    s̄² = (.5 + .5 + 1)/3 = 2/3; σ²_EU = (25 − 1)/12 = 2; s̄²/σ²_EU = 1/3;
    J(1 − s̄²/σ²_EU) = 3 · 2/3 = 2; rwg(J) = 2 / (2 + 1/3) = 6/7 ≈ .857.
    """
    items = pd.DataFrame({"i1": [4, 4, 5, 4, 3], "i2": [3, 4, 4, 5, 4], "i3": [2, 4, 3, 4, 2]})
    row = rwg_j(items, 5).iloc[0]
    assert row["rwg_j"] == pytest.approx(6 / 7)
    assert row["mean_variance"] == pytest.approx(2 / 3)
    assert (row["n_raters"], row["n_items"], row["null_variance"], row["note"]) == (5, 3, 2.0, "")


def test_rwg_single_item_hand_worked_example():
    """Item 3 above: s² = 1.0, rwg = 1 − 1.0/2 = .5 (JDW 1984); on a seven-point
    scale the same answers give 1 − 1.0/4 = .75. rwg is rwg(J) with J = 1."""
    answers = [2, 4, 3, 4, 2]
    assert rwg(answers, 5)["rwg"].iloc[0] == pytest.approx(0.5)
    assert rwg(answers, 7)["rwg"].iloc[0] == pytest.approx(0.75)
    assert rwg_j(pd.DataFrame({"i3": answers}), 5)["rwg_j"].iloc[0] == pytest.approx(0.5)
    assert list(rwg(answers, 5).columns) == [
        "group",
        "rwg",
        "n_raters",
        "variance",
        "null_variance",
        "note",
    ]


def test_rwg_j_per_group():
    """Each group on its own; a group with one rater has no rwg(J) (NaN, with the reason).

    Team a: item 1 answers 4, 5 (s² = .5), item 2 answers 4, 4 (s² = 0): s̄² = .25,
    ratio .125, rwg(J) = 2 · .875 / (2 · .875 + .125) = 1.75/1.875 = .9333.
    Team b: identical answers, rwg(J) = 1.
    """
    items = pd.DataFrame({"i1": [4, 5, 2, 2, 3], "i2": [4, 4, 3, 3, 1]})
    result = rwg_j(items, 5, groups=["a", "a", "b", "b", "c"]).set_index("group")
    assert result.loc["a", "rwg_j"] == pytest.approx(1.75 / 1.875)
    assert result.loc["b", "rwg_j"] == pytest.approx(1.0)
    assert np.isnan(result.loc["c", "rwg_j"])
    assert result.loc["c", "note"] == NOTE_FEW_RATERS
    assert result["n_raters"].tolist() == [2, 2, 1]


def test_groups_as_a_series_follow_the_index():
    items = pd.DataFrame({"i1": [4, 5, 2, 2]}, index=[10, 11, 12, 13])
    groups = pd.Series(["b", "b", "a", "a"], index=[12, 13, 10, 11])
    result = rwg_j(items, 5, groups=groups).set_index("group")
    assert result.loc["b", "rwg_j"] == pytest.approx(1.0)  # 2, 2
    assert result.loc["a", "rwg_j"] == pytest.approx(0.75)  # 4, 5: s² = .5
    with pytest.raises(ValueError, match="no group"):
        rwg_j(items, 5, groups=pd.Series(["a", "b"], index=[10, 11]))


def test_dont_know_and_not_applicable_are_missing_not_scores():
    """A "weet ik niet" (NaN) is left out item by item: item 1 keeps the three answers
    4, 4, 5 (s² = 1/3), item 2 all four 4, 4, 4, 4 (s² = 0); s̄² = 1/6, ratio 1/12,
    rwg(J) = 2 · 11/12 / (2 · 11/12 + 1/12) = 22/23. A respondent who answered nothing
    is no rater. A code left in as text is an error that names the column."""
    items = pd.DataFrame({"i1": [4, 4, 5, np.nan, np.nan], "i2": [4, 4, 4, 4, np.nan]})
    row = rwg_j(items, 5).iloc[0]
    assert row["rwg_j"] == pytest.approx(22 / 23)
    assert row["n_raters"] == 4
    with pytest.raises(ValueError, match=r"'i1'.*'weet ik niet'.*missing"):
        rwg_j(items.astype(object).assign(i1=[4, "weet ik niet", 5, 4, 4]), 5)


def test_an_item_answered_once_in_a_group_does_not_count():
    """Item 2 has one answer in the group, so J = 1 and rwg(J) = rwg of item 1."""
    items = pd.DataFrame({"i1": [4, 5, 4], "i2": [2, np.nan, np.nan]})
    row = rwg_j(items, 5).iloc[0]
    assert row["n_items"] == 1
    assert row["rwg_j"] == pytest.approx(1 - (1 / 3) / 2)


def test_variance_above_the_null_is_truncated_to_zero():
    """James et al. (1984) and LeBreton & Senter (2008) recommend truncating: answers 1, 5, 1, 5 have s² = 16/3 > 2,
    so 1 − s²/σ²_EU = −1.67 would be meaningless; rwg is 0 with a note. For rwg(J) the raw
    formula gives a negative value (3 items, s̄² = 2.5: 3(1 − 1.25)/(3(1 − 1.25) + 1.25)
    = −1.5) or, past s̄²/σ²_EU = J/(J − 1), a value above 1 (s̄² = 3.2: +6); both become 0."""
    single = rwg([1, 5, 1, 5], 5).iloc[0]
    assert (single["rwg"], single["note"]) == (0.0, NOTE_TRUNCATED)
    assert single["variance"] == pytest.approx(16 / 3)

    # 1, 3, 4, 5, 2: mean 3, squares 4+0+1+4+1 = 10, s² = 10/4 = 2.5;
    # 1, 5, 1, 4, 3: mean 2.8, squares 3.24+4.84+3.24+1.44+.04 = 12.8, s² = 3.2.
    negative = pd.DataFrame({f"i{j}": [1, 3, 4, 5, 2] for j in range(3)})
    above_one = pd.DataFrame({f"i{j}": [1, 5, 1, 4, 3] for j in range(3)})
    assert negative.var().iloc[0] == pytest.approx(2.5)
    assert above_one.var().iloc[0] == pytest.approx(3.2)
    for items in (negative, above_one):
        row = rwg_j(items, 5).iloc[0]
        assert (row["rwg_j"], row["note"]) == (0.0, NOTE_TRUNCATED)


def test_fewer_than_two_raters_is_undefined():
    row = rwg([3], 5).iloc[0]
    assert np.isnan(row["rwg"]) and row["note"] == NOTE_FEW_RATERS
    empty = rwg_j(pd.DataFrame({"i1": [np.nan, np.nan]}), 5).iloc[0]
    assert np.isnan(empty["rwg_j"]) and empty["n_raters"] == 0


def test_answers_off_the_scale_are_an_error():
    with pytest.raises(ValueError, match="5 options"):
        rwg([1, 6], 5)


# --- ICC(1) and ICC(2) ----------------------------------------------------------------------


def test_icc_shrout_fleiss_1979():
    """Shrout & Fleiss (1979): one-way ANOVA of the 6 × 4 example, BMS = 11.24 and
    WMS = 6.26; ICC(1,1) = .17 and ICC(1,4) = .44. R's psych::ICC documents the same
    example (ICC1 = 0.17, F = 1.8, df 5 and 18, p = 0.16; ICC1k = 0.44), and its own
    test suite checks .17 and .44."""
    row = icc1_icc2(shrout_fleiss_long(), group="target", value="rating").iloc[0]
    assert round(row["icc1"], 2) == 0.17
    assert round(row["icc2"], 2) == 0.44
    assert round(row["msb"], 2) == 11.24
    assert round(row["msw"], 2) == 6.26
    assert round(row["F"], 1) == 1.8
    assert (row["df1"], row["df2"]) == (5, 18)
    assert round(row["p"], 2) == 0.16
    assert (row["groups"], row["n"], row["k"], row["note"]) == (6, 24, 4.0, "")


def test_icc_unequal_groups_hand_worked():
    """Unequal groups use k₀ = (N − Σn_j²/N)/(G − 1) (Searle, Casella & McCulloch, 1992).

    A: 2, 4, 3 (mean 3); B: 5, 7 (mean 6); C: 3, 5, 4, 4 (mean 4). N = 9, G = 3,
    grand mean 37/9. SSB = 3(10/9)² + 2(17/9)² + 4(1/9)² = 882/81 = 98/9, MSB = 49/9;
    SSW = 2 + 2 + 2 = 6, MSW = 6/6 = 1; F = 49/9.
    k₀ = (9 − (9 + 4 + 16)/9)/2 = 26/9.
    ICC(1) = (49/9 − 1)/(49/9 + (26/9 − 1) · 1) = (40/9)/(66/9) = 40/66.
    ICC(2) = (49/9 − 1)/(49/9) = 40/49.
    """
    frame = pd.DataFrame({"g": list("AAABBCCCC"), "x": [2, 4, 3, 5, 7, 3, 5, 4, 4]})
    row = icc1_icc2(frame, "g", "x").iloc[0]
    assert row["k"] == pytest.approx(26 / 9)
    assert row["icc1"] == pytest.approx(40 / 66)
    assert row["icc2"] == pytest.approx(40 / 49)
    assert row["F"] == pytest.approx(49 / 9)
    assert (row["df1"], row["df2"]) == (2, 6)


def test_icc2_is_spearman_brown_of_icc1_at_k():
    """ICC(2) = k·ICC(1)/(1 + (k − 1)·ICC(1)) (Bliese, 2000), also with unequal groups."""
    frame = pd.DataFrame({"g": list("AAABBCCCC"), "x": [2, 4, 3, 5, 7, 3, 5, 4, 4]})
    for data, group, value in ((frame, "g", "x"), (shrout_fleiss_long(), "target", "rating")):
        row = icc1_icc2(data, group, value).iloc[0]
        k, icc1 = row["k"], row["icc1"]
        assert row["icc2"] == pytest.approx(k * icc1 / (1 + (k - 1) * icc1))


def test_icc_per_dimension_in_one_call():
    """``by`` gives one ANOVA per dimension, the same as separate calls."""
    sf = shrout_fleiss_long().rename(columns={"target": "org", "rating": "score"})
    other = pd.DataFrame({"org": list("AAABBCCCC"), "score": [2, 4, 3, 5, 7, 3, 5, 4, 4]})
    both = pd.concat([sf.assign(dimension="D1"), other.assign(dimension="D2")])
    result = icc1_icc2(both, "org", "score", by="dimension").set_index("dimension")
    assert result.loc["D1", "icc1"] == pytest.approx(icc1_icc2(sf, "org", "score")["icc1"][0])
    assert result.loc["D2", "icc2"] == pytest.approx(40 / 49)
    assert list(result.columns) == [
        "icc1",
        "icc2",
        "groups",
        "n",
        "k",
        "F",
        "df1",
        "df2",
        "p",
        "msb",
        "msw",
        "note",
    ]


def test_icc_leaves_missing_answers_out():
    frame = shrout_fleiss_long()
    with_missing = pd.concat([frame, pd.DataFrame({"target": [1, 7], "rating": [np.nan, np.nan]})])
    row = icc1_icc2(with_missing, "target", "rating").iloc[0]
    assert (row["n"], row["groups"]) == (24, 6)
    assert round(row["icc1"], 2) == 0.17


def test_icc_negative_estimate_is_not_a_number():
    """Groups with equal means (F = 0 < 1) would give ICC(1) = −1/(k − 1) and ICC(2) = −∞;
    they are NaN with the reason, while F and p stay for the researcher."""
    frame = pd.DataFrame({"g": list("AAABBB"), "x": [1, 2, 3, 3, 2, 1]})
    row = icc1_icc2(frame, "g", "x").iloc[0]
    assert np.isnan(row["icc1"]) and np.isnan(row["icc2"])
    assert row["note"] == NOTE_F_BELOW_1
    assert row["F"] == pytest.approx(0.0)
    assert row["p"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "g, x, note",
    [
        (list("AAA"), [1, 2, 3], NOTE_FEW_GROUPS),
        (list("ABC"), [1, 2, 3], NOTE_SINGLETONS),
        (list("AABB"), [2, 2, 2, 2], NOTE_NO_VARIANCE),
        ([], [], NOTE_FEW_GROUPS),
    ],
)
def test_icc_undefined_cases(g, x, note):
    row = icc1_icc2(pd.DataFrame({"g": g, "x": pd.Series(x, dtype=float)}), "g", "x").iloc[0]
    assert np.isnan(row["icc1"]) and np.isnan(row["icc2"])
    assert row["note"] == note


def test_icc_groups_that_agree_perfectly_inside():
    """No variance within groups but some between: ICC(1) = ICC(2) = 1."""
    row = icc1_icc2(pd.DataFrame({"g": list("AABB"), "x": [1, 1, 3, 3]}), "g", "x").iloc[0]
    assert (row["icc1"], row["icc2"], row["note"]) == (1.0, 1.0, "")


# --- words ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, band, word",
    [
        (0.0, "lack", "verdeeld"),
        (0.30, "lack", "verdeeld"),
        (0.31, "weak", "verdeeld"),
        (0.50, "weak", "verdeeld"),
        (0.51, "moderate", "wisselend"),
        (0.70, "moderate", "wisselend"),
        (0.1 + 0.6, "moderate", "wisselend"),  # .7000000000000001: floating point, still .70
        (0.71, "strong", "eensgezind"),
        (0.90, "strong", "eensgezind"),
        (0.91, "very_strong", "eensgezind"),
        (1.0, "very_strong", "eensgezind"),
    ],
)
def test_words_follow_lebreton_senter_table_3(value, band, word):
    """LeBreton & Senter (2008, Table 3): .00–.30 lack, .31–.50 weak, .51–.70 moderate,
    .71–.90 strong, .91–1.00 very strong; mapped to three words."""
    row = words_for_agreement(value).iloc[0]
    assert (row["band"], row["word"]) == (band, word)


def test_words_in_english_and_for_missing_values():
    result = words_for_agreement(pd.Series([0.95, 0.6, 0.2, np.nan], index=list("abcd")), "en")
    assert result["word"].to_dict() == {
        "a": "in agreement",
        "b": "mixed",
        "c": "divided",
        "d": "cannot be determined",
    }
    assert result.loc["a", "band_label"] == "very strong agreement"
    assert pd.isna(result.loc["d", "band"])


def test_words_refuse_values_outside_zero_to_one():
    with pytest.raises(ValueError, match="between 0 and 1"):
        words_for_agreement([-0.2])


def test_agreement_texts_exist_in_both_languages():
    texts = {k: v for k, v in catalogue().items() if k.startswith("agreement.")}
    assert len(texts) == 9
    assert all(v.get("nl") and v.get("en") for v in texts.values())


# --- multiple comparisons ---------------------------------------------------------------------


def test_benjamini_hochberg_1995_example():
    """Benjamini & Hochberg (1995), worked example: at q = .05 the step-up procedure rejects the
    four smallest p-values (p_(4) = .0095 ≤ 4 · .05/15 = .0133, p_(5) = .0201 > .0167). The
    adjusted values are those printed in SciPy's documentation of
    ``scipy.stats.false_discovery_control`` for the same example."""
    result = benjamini_hochberg(BH_1995, q=0.05)
    assert result["reject"].tolist() == [True] * 4 + [False] * 11
    published = [
        0.0015,
        0.003,
        0.0095,
        0.035625,
        0.0603,
        0.06385714,
        0.06385714,
        0.0645,
        0.0765,
        0.486,
        0.58118182,
        0.714875,
        0.75323077,
        0.81321429,
        1.0,
    ]
    assert result["p_adjusted"].to_numpy() == pytest.approx(published, abs=5e-9)
    assert result["p"].tolist() == BH_1995


@pytest.mark.parametrize(
    "p, published",
    [
        # SciPy documentation, false_discovery_control: unsorted input keeps its order.
        ([0.5, 0.6, 0.1, 0.001], [0.6, 0.6, 0.2, 0.004]),
        # stdlib-js documentation of @stdlib/stats/padjust, method 'bh'.
        ([0.008, 0.03, 0.123, 0.6, 0.2], [0.04, 0.075, 0.205, 0.6, 0.25]),
    ],
)
def test_benjamini_hochberg_documented_examples(p, published):
    assert benjamini_hochberg(p)["p_adjusted"].to_numpy() == pytest.approx(published)


def test_benjamini_hochberg_keeps_the_index_and_skips_missing():
    """Missing p-values stay missing and do not count in m (as in R's p.adjust):
    with m = 3, .001 · 3 = .003, .1 · 3/2 = .15, .5."""
    p = pd.Series([0.5, np.nan, 0.1, 0.001], index=["D1", "D2", "D3", "D4"])
    result = benjamini_hochberg(p)
    assert result.index.tolist() == ["D1", "D2", "D3", "D4"]
    assert result["p_adjusted"].tolist()[0] == pytest.approx(0.5)
    assert np.isnan(result.loc["D2", "p_adjusted"]) and not result.loc["D2", "reject"]
    assert result.loc[["D3", "D4"], "p_adjusted"].tolist() == pytest.approx([0.15, 0.003])


def test_benjamini_hochberg_is_monotone_and_capped():
    p = pd.Series(np.random.default_rng(7).uniform(size=40))
    result = benjamini_hochberg(p).sort_values("p")
    assert result["p_adjusted"].is_monotonic_increasing
    assert (result["p_adjusted"] >= result["p"] - 1e-12).all()
    assert (result["p_adjusted"] <= 1).all()


@pytest.mark.parametrize("p, q", [([0.2, 1.2], 0.05), ([-0.1], 0.05), ([0.2], 0.0), ([0.2], 1.5)])
def test_benjamini_hochberg_refuses_bad_input(p, q):
    with pytest.raises(ValueError):
        benjamini_hochberg(p, q)


def test_expected_by_chance():
    """Issue #13: 176 changes tested at 5% → about 9 (8.8) expected by chance alone."""
    assert expected_by_chance(176, 0.05) == pytest.approx(8.8)
    assert expected_by_chance(8) == pytest.approx(0.4)
    with pytest.raises(ValueError):
        expected_by_chance(-1)
    with pytest.raises(ValueError):
        expected_by_chance(10, 1.0)

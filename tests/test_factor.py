"""CFA fit and measurement invariance against published lavaan results for the
Holzinger & Swineford (1939) data (shipped with semopy: ``semopy.examples.holzinger39``).

Published values, lavaan 0.6 (Rosseel, 2012, "lavaan: An R package for structural equation
modeling", J. Stat. Softw. 48(2); the lavaan tutorial, sections "A first example:
confirmatory factor analysis (CFA)" and "Multiple groups: measurement invariance", which
print these figures for ``HolzingerSwineford1939``):

* three-factor model: χ² = 85.306, df = 24, CFI = 0.931, TLI = 0.896, RMSEA = 0.092,
  SRMR = 0.065;
* by school: configural χ² = 115.85 (df 48), equal loadings 124.04 (df 54, Δχ² = 8.192,
  p = .2244), equal loadings and intercepts 164.10 (df 60, Δχ² = 40.059, p = 4.435e-07).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from semopy.examples import holzinger39

from dwp_assess.analysis import factor

FACTORS = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


@pytest.fixture(scope="module")
def hs():
    return holzinger39.get_data()


def test_three_factor_model_matches_lavaan(hs):
    fit = factor.fit_cfa(hs, FACTORS)
    assert fit["n"] == 301 and fit["df"] == 24 and fit["converged"]
    assert fit["chi2"] == pytest.approx(85.306, abs=1e-3)
    for index, published in {"cfi": 0.931, "tli": 0.896, "rmsea": 0.092, "srmr": 0.065}.items():
        assert round(fit[index], 3) == published, index


def test_invariance_across_schools_matches_lavaan(hs):
    table = factor.invariance({s: g for s, g in hs.groupby("school")}, FACTORS).set_index("level")
    assert table["df"].tolist() == [48, 54, 60]
    assert table["chi2"].round(2).tolist() == [115.85, 124.04, 164.10]
    assert table.loc["metric", "delta_chi2"] == pytest.approx(8.192, abs=1e-3)
    assert table.loc["metric", "p_delta"] == pytest.approx(0.2244, abs=1e-4)
    assert table.loc["scalar", "delta_chi2"] == pytest.approx(40.059, abs=1e-3)
    assert table.loc["scalar", "p_delta"] == pytest.approx(4.435e-07, rel=1e-3)
    assert table["converged"].all()


def test_configural_fit_is_the_sum_of_the_separate_group_fits(hs):
    separate = sum(factor.fit_cfa(g, FACTORS)["chi2"] for _, g in hs.groupby("school"))
    configural = factor.invariance({s: g for s, g in hs.groupby("school")}, FACTORS)
    assert configural.loc[0, "chi2"] == pytest.approx(separate, rel=1e-4)


def test_identical_groups_are_invariant_and_a_shifted_intercept_is_not():
    rng = np.random.default_rng(3)
    latent = rng.normal(size=(800, 2))
    loadings = np.array([[1, 0], [0.8, 0], [0.9, 0], [0, 1], [0, 0.7], [0, 1.1]])
    items = latent @ loadings.T + rng.normal(scale=0.6, size=(800, 6))
    frame = pd.DataFrame(items, columns=[f"i{n}" for n in range(6)])
    factors = {"a": ["i0", "i1", "i2"], "b": ["i3", "i4", "i5"]}
    first, second = frame.iloc[:400], frame.iloc[400:].copy()
    same = factor.invariance({"x": first, "y": second}, factors).set_index("level")
    assert same.loc["scalar", "p_delta"] > 0.01 and same.loc["scalar", "delta_cfi"] > -0.01
    second["i1"] += 0.8  # one item reads higher in the second group at the same factor level
    shifted = factor.invariance({"x": first, "y": second}, factors).set_index("level")
    assert shifted.loc["metric", "p_delta"] > 0.01
    assert shifted.loc["scalar", "p_delta"] < 1e-6

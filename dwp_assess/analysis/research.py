"""The researcher's view of a round: agreement, reliability and change tests, tidy.

Composes the tested statistics of ``agreement`` and ``stats`` per dimension and
organisation, as reviewers of a publication ask for them (``docs/research.md``):

* agreement within organisations: rwg(J) per organisation × dimension, ICC(1) and ICC(2)
  per dimension (``agreement.rwg_j``, ``agreement.icc1_icc2``);
* reliability: Cronbach's alpha per dimension with its Feldt interval, pooled over the
  round and within organisations (on the pooled within-organisation covariance matrix,
  so that differences between organisations do not inflate it; Geldhof, Preacher &
  Zyphur, 2014);
* change since the previous round per organisation × dimension: a Welch t-test, with the
  Benjamini–Hochberg adjustment over all the round's tests and the number of "changes"
  expected by chance alone (``agreement.benjamini_hochberg``, ``expected_by_chance``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from dwp_assess.analysis.agreement import benjamini_hochberg, expected_by_chance, icc1_icc2, rwg_j
from dwp_assess.analysis.scoring import item_matrix
from dwp_assess.analysis.stats import cronbach_alpha
from dwp_assess.instruments.model import Instrument


def _org_of(answers: pd.DataFrame) -> pd.Series:
    return answers.drop_duplicates("response_id").set_index("response_id")["organisation_id"]


def agreement_by_dimension(
    answers: pd.DataFrame, scores: pd.DataFrame, instrument: Instrument
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rwg(J) per organisation × dimension, ICC(1)/ICC(2) per dimension)."""
    org_of = _org_of(answers)
    everything = item_matrix(answers, instrument)
    rows = []
    for dim in instrument.dimensions:
        items = [i.id for i in instrument.rated_items_of(dim.id)]
        scale = instrument.scale_by_id[instrument.rated_items_of(dim.id)[0].scale]
        table = rwg_j(everything[items], scale.max - scale.min + 1, org_of.reindex(everything.index))  # fmt: skip
        rows.append(table.rename(columns={"group": "organisation_id"}).assign(dimension_id=dim.id))
    rwg = pd.concat(rows, ignore_index=True)
    icc = icc1_icc2(scores.dropna(subset=["score"]), "organisation_id", "score", by="dimension_id")
    return rwg, icc


def within_alpha(items: pd.DataFrame, groups: pd.Series, ci: float = 0.95) -> pd.Series:
    """Cronbach's alpha on the pooled within-group covariance matrix (complete cases,
    items centred on their group means; Geldhof, Preacher & Zyphur, 2014), with the Feldt
    interval on ``n − G`` degrees of freedom for the respondents. Returns ``alpha, ci_low,
    ci_high, n, k, groups``."""
    complete = items.dropna().astype(float)
    keys = groups.reindex(complete.index)
    centred = complete - complete.groupby(keys).transform("mean")
    n, k, g = len(complete), complete.shape[1], keys.nunique()
    if k < 2 or n - g < 2:
        return pd.Series({"alpha": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": n, "k": k, "groups": g})  # fmt: skip
    cov = centred.T @ centred / (n - g)
    alpha = k / (k - 1) * (1 - np.trace(cov) / cov.to_numpy().sum())
    df1, df2 = n - g, (n - g) * (k - 1)
    low = 1 - (1 - alpha) * sps.f.isf((1 - ci) / 2, df1, df2)
    high = 1 - (1 - alpha) * sps.f.isf((1 + ci) / 2, df1, df2)
    return pd.Series({"alpha": alpha, "ci_low": low, "ci_high": high, "n": n, "k": k, "groups": g})


def reliability_table(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Per dimension: pooled alpha with its interval (``stats.cronbach_alpha``) and the
    within-organisation alpha with its interval (``within_alpha``)."""
    org_of = _org_of(answers)
    everything = item_matrix(answers, instrument)
    rows = []
    for dim in instrument.dimensions:
        matrix = everything[[i.id for i in instrument.rated_items_of(dim.id)]]
        pooled = cronbach_alpha(matrix)
        within = within_alpha(matrix, org_of)
        rows.append({"dimension_id": dim.id, "alpha": pooled["alpha"], "ci_low": pooled["ci_low"],
                     "ci_high": pooled["ci_high"], "n": pooled["n"], "k": pooled["k"],
                     "alpha_within": within["alpha"], "within_ci_low": within["ci_low"],
                     "within_ci_high": within["ci_high"], "organisations": within["groups"]})  # fmt: skip
    return pd.DataFrame(rows)


def change_tests(before: pd.DataFrame, after: pd.DataFrame, q: float = 0.05) -> pd.DataFrame:
    """Organisation × dimension change of the mean score between two rounds' scores
    (``comparison.change_scores``): Welch's t-test (unequal variances; Welch, 1947), the
    Benjamini–Hochberg adjusted p over all tests of the round and the decision at false
    discovery rate ``q``. Pairs with fewer than two scores on a side are left out."""
    keys = ["organisation_id", "dimension_id"]
    a = before.dropna(subset=["score"]).groupby(keys)["score"].agg(n_before="count", mean_before="mean", var_before="var")  # fmt: skip
    b = after.dropna(subset=["score"]).groupby(keys)["score"].agg(n_after="count", mean_after="mean", var_after="var")  # fmt: skip
    both = a.join(b, how="inner")
    both = both[(both["n_before"] >= 2) & (both["n_after"] >= 2)]
    se2_a, se2_b = both["var_before"] / both["n_before"], both["var_after"] / both["n_after"]
    se = np.sqrt(se2_a + se2_b)
    df = (se2_a + se2_b) ** 2 / (se2_a**2 / (both["n_before"] - 1) + se2_b**2 / (both["n_after"] - 1))  # fmt: skip
    out = both.reset_index()
    out["difference"] = (both["mean_after"] - both["mean_before"]).to_numpy()
    out["t"] = (out["difference"] / se.to_numpy()).to_numpy()
    out["df"] = df.to_numpy()
    half = sps.t.isf(0.025, out["df"]) * se.to_numpy()
    out["ci_low"], out["ci_high"] = out["difference"] - half, out["difference"] + half
    out["p"] = 2 * sps.t.sf(out["t"].abs(), out["df"])
    adjusted = benjamini_hochberg(out["p"], q)
    out["p_adjusted"], out["significant_bh"] = adjusted["p_adjusted"], adjusted["reject"]
    return out.drop(columns=["var_before", "var_after"])


def change_summary(tests: pd.DataFrame, alpha: float = 0.05) -> dict:
    """How many of the round's change tests are significant unadjusted and after
    Benjamini–Hochberg, against the number expected by chance alone (``m · α``)."""
    m = int(tests["p"].notna().sum())
    return {"tests": m, "significant": int((tests["p"] < alpha).sum()),
            "expected_by_chance": expected_by_chance(m, alpha),
            "significant_bh": int(tests["significant_bh"].sum())}  # fmt: skip

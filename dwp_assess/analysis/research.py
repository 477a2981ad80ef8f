"""The researcher's view of a round: reliability and change tests, tidy.

Composes the tested statistics of ``agreement`` and ``stats`` per dimension and
organisation, as reviewers of a publication ask for them (``docs/research.md``). Agreement
within organisations (rwg(J), ICC(1), ICC(2)) is the round analysis's own
(``RoundAnalysis.agreement``, ``mean_reliability``; ``analysis.reliability``), the figures
the reports turn into words. Here:

* reliability: Cronbach's alpha per dimension with its Feldt interval, pooled over the
  round and within organisations (on the pooled within-organisation covariance matrix,
  so that differences between organisations do not inflate it; Geldhof, Preacher &
  Zyphur, 2014);
* change since the previous round: the reports' tests per organisation × dimension
  (``comparison.change_since``), adjusted with Benjamini–Hochberg over all the round's
  tests, and the number of "changes" expected by chance alone
  (``agreement.benjamini_hochberg``, ``expected_by_chance``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from dwp_assess.analysis.rater_agreement import benjamini_hochberg, expected_by_chance
from dwp_assess.analysis.scoring import item_matrix
from dwp_assess.analysis.stats import cronbach_alpha
from dwp_assess.instruments.model import Instrument


def _org_of(answers: pd.DataFrame) -> pd.Series:
    return answers.drop_duplicates("response_id").set_index("response_id")["organisation_id"]


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
        return pd.Series(
            {"alpha": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": n, "k": k, "groups": g}
        )
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
        rows.append(
            {
                "dimension_id": dim.id,
                "alpha": pooled["alpha"],
                "ci_low": pooled["ci_low"],
                "ci_high": pooled["ci_high"],
                "n": pooled["n"],
                "k": pooled["k"],
                "alpha_within": within["alpha"],
                "within_ci_low": within["ci_low"],
                "within_ci_high": within["ci_high"],
                "organisations": within["groups"],
            }
        )
    return pd.DataFrame(rows)


def change_tests(change: pd.DataFrame, q: float = 0.05) -> pd.DataFrame:
    """The round's change tests, as the reports compute them (``comparison.change_since``:
    bootstrap interval and p-value per organisation × dimension, Benjamini–Hochberg within
    each organisation), adjusted once more with Benjamini–Hochberg over **all** the round's
    tests, as a publication about the round needs: ``p_adjusted_round`` and the decision
    ``significant_bh`` at false discovery rate ``q``. ``p`` is the unadjusted p-value."""
    out = change.dropna(subset=["p_value"]).rename(columns={"p_value": "p"}).reset_index(drop=True)
    adjusted = benjamini_hochberg(out["p"], q)
    out["p_adjusted_round"], out["significant_bh"] = adjusted["p_adjusted"], adjusted["reject"]
    return out


def change_summary(tests: pd.DataFrame, alpha: float = 0.05) -> dict:
    """How many of the round's change tests are significant unadjusted and after
    Benjamini–Hochberg, against the number expected by chance alone (``m · α``)."""
    m = int(tests["p"].notna().sum())
    return {
        "tests": m,
        "significant": int((tests["p"] < alpha).sum()),
        "expected_by_chance": expected_by_chance(m, alpha),
        "significant_bh": int(tests["significant_bh"].sum()),
    }

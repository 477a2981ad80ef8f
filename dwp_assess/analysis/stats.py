"""Statistics for survey scales: reliability, disagreement and uncertainty.

One function per statistic, pandas in, pandas out (after pingouin). These
functions never touch the store; they take the frames that ``scoring`` makes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats as sps


def cronbach_alpha(
    items: pd.DataFrame, ci: float = 0.95, nan_policy: str = "listwise"
) -> pd.Series:
    """Cronbach's alpha of a respondents × items frame, with a confidence interval.

    ``alpha = k / (k − 1) · (1 − Σ var(item) / var(total))`` (Cronbach, 1951), on
    complete cases (``nan_policy="listwise"``) or on the pairwise covariance matrix
    (``"pairwise"``: ``alpha = k / (k − 1) · (1 − trace(C) / sum(C))``).
    The interval follows Feldt, Woodruff & Salih (1987):
    ``1 − (1 − alpha) · F(q; n − 1, (n − 1)(k − 1))`` for q = (1 ± ci) / 2.

    Returns ``alpha, ci_low, ci_high, n, k, note``; alpha is missing (with a note)
    with fewer than two items or respondents, or when the total does not vary.
    """
    items = items.loc[:, items.notna().any()].astype(float)
    if nan_policy == "listwise":
        items = items.dropna()
    k, n = items.shape[1], len(items)
    result = {"alpha": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": n, "k": k, "note": ""}
    if k < 2 or n < 2:
        return pd.Series(result | {"note": "fewer than 2 items or respondents"})
    cov = items.cov(min_periods=2).to_numpy()
    total_var = np.nansum(cov)
    if not np.isfinite(total_var) or total_var <= 0:
        return pd.Series(result | {"note": "no variance in the total score"})
    alpha = k / (k - 1) * (1 - np.trace(cov) / total_var)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1 - (1 - alpha) * sps.f.isf((1 - ci) / 2, df1, df2)
    high = 1 - (1 - alpha) * sps.f.isf((1 + ci) / 2, df1, df2)
    return pd.Series(result | {"alpha": alpha, "ci_low": low, "ci_high": high})


def item_rest_correlations(items: pd.DataFrame) -> pd.Series:
    """Correlation of each item with the sum of the other items (complete cases).

    Low or negative values point to an item that measures something else or is
    keyed the wrong way. A constant item gets ``NaN``.
    """
    complete = items.dropna().astype(float)
    total = complete.sum(axis=1)
    result = {}
    for col in complete.columns:
        item, rest = complete[col], total - complete[col]
        result[col] = item.corr(rest) if item.std() > 0 and rest.std() > 0 else np.nan
    return pd.Series(result, name="item_rest_r", dtype=float)


def ordinal_dispersion(counts: pd.DataFrame) -> pd.Series:
    """Leik's ordinal dispersion D per row of category counts (columns in scale order).

    ``D = 2 / (K − 1) · Σ_{i<K} min(F_i, 1 − F_i)`` with ``F_i`` the cumulative share
    up to category i (Leik, 1966). 0 = everyone gives the same answer; 1 = answers
    split evenly between the two extremes. Rows without answers get ``NaN``.
    """
    counts = counts.astype(float)
    totals = counts.sum(axis=1)
    cumulative = counts.cumsum(axis=1).div(totals.where(totals > 0), axis=0).iloc[:, :-1]
    k = counts.shape[1]
    return (2 / (k - 1) * np.minimum(cumulative, 1 - cumulative).sum(axis=1)).where(totals > 0)


def bootstrap_mean_difference(
    before: np.ndarray, after: np.ndarray, n_boot: int = 2000, ci: float = 0.95, seed: int = 0
) -> pd.DataFrame:
    """Percentile bootstrap interval of ``mean(after) − mean(before)`` per column.

    ``before`` and ``after`` are respondents × dimensions arrays of two independent
    samples (two rounds, different respondents); missing scores are ignored. Each
    bootstrap draw resamples whole respondents, so dimensions keep their
    correlation (Efron & Tibshirani, 1993, ch. 13).

    ``p_value`` is the two-sided bootstrap p-value of "no change": twice the smaller
    share of draws on either side of zero, each counted as ``(#draws + 1) / (B + 1)``
    so that it is never 0 (Davison & Hinkley, 1997, eq. 4.11), capped at 1. It is below
    ``1 − ci`` exactly when the percentile interval lies on one side of zero, up to that
    one draw. Returns ``difference, ci_low, ci_high, p_value, n_before, n_after`` per column.
    """
    rng = np.random.default_rng(seed)
    before, after = np.atleast_2d(before), np.atleast_2d(after)

    def draws(sample: np.ndarray) -> np.ndarray:
        """The mean of each column in each of ``n_boot`` resamples: from how often each
        respondent is drawn, as two matrix products (sums and counts of the scores present),
        not by indexing a draws × respondents × columns array of scores (the same draws and
        means, in a tenth of the time: one organisation's work, done per organisation)."""
        n = len(sample)
        picks = rng.integers(0, n, size=(n_boot, n))
        times = np.bincount((np.arange(n_boot)[:, None] * n + picks).ravel(), minlength=n_boot * n)
        times = times.reshape(n_boot, n).astype(float)
        present = ~np.isnan(sample)
        return (times @ np.where(present, sample, 0.0)) / (times @ present)

    with warnings.catch_warnings():  # all-missing columns give NaN, which is the answer
        warnings.simplefilter("ignore", RuntimeWarning)
        diff = draws(after) - draws(before)
        point = np.nanmean(after, axis=0) - np.nanmean(before, axis=0)
        low, high = np.nanpercentile(diff, [(1 - ci) / 2 * 100, (1 + ci) / 2 * 100], axis=0)
    below = (np.sum(diff <= 0, axis=0) + 1) / (n_boot + 1)
    above = (np.sum(diff >= 0, axis=0) + 1) / (n_boot + 1)
    p_value = np.where(np.isnan(point), np.nan, np.minimum(1.0, 2 * np.minimum(below, above)))
    return pd.DataFrame(
        {
            "difference": point,
            "ci_low": low,
            "ci_high": high,
            "p_value": p_value,
            "n_before": np.sum(~np.isnan(before), axis=0),
            "n_after": np.sum(~np.isnan(after), axis=0),
        }
    )

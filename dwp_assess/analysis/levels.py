"""An organisation's maturity level per dimension, with its uncertainty.

Two bases, recorded in every row as ``level_basis`` (rules also in ``docs/scoring.md``):

``"chosen"`` — the instrument asks the level (items with ``type: level_choice``, version 2
of data-strategy): each respondent picks the level description that fits best. Per
organisation and dimension, on the n chosen levels x₍₁₎ ≤ … ≤ x₍ₙ₎ ("weet ik niet" is
counted in ``n_dont_know`` and left out):

* distribution: the number and share of respondents per level;
* ``level`` = x₍⌈n/2⌉₎, the lower median: at least half chose this level or a higher
  one, and at least half this level or a lower one; it never claims a level that half
  of the respondents did not reach;
* ``median``, ``q1``, ``q3`` and ``iqr`` with linear interpolation between order
  statistics (Hyndman & Fan 1996, type 7; R's and pandas' default);
* ``level_low``–``level_high``: the distribution-free confidence interval of the median
  from order statistics, [x₍ⱼ₎, x₍ₙ₋ⱼ₊₁₎] with j the largest integer ≥ 1 for which
  P(B ≤ j − 1) ≤ α/2, B ~ Binomial(n, ½); its exact coverage 1 − 2·P(B ≤ j − 1) ≥ 95%
  is ``interval_coverage`` (Conover 1999, §3.2). Below n = 6 no such j exists and the
  interval is missing.

``"estimate"`` — the instrument does not ask the level (version 1): the level is
estimated from the agreement items as before, ``level`` = the level of the mean
dimension score (``scoring.levels_for``). Its uncertainty is the 95% t-interval of that
mean, ``mean ± t(0.975; n − 1) · sd / √n`` (``mean_low``, ``mean_high``), and
``level_low``/``level_high`` are the levels of its ends. The distribution and quartiles
are those of the respondents' own score levels.

Level-choice answers are never part of a dimension score (``scoring``): an average of
chosen levels would treat "which description fits" as a rating.

References: Conover, W. J. (1999). *Practical nonparametric statistics* (3rd ed.). Wiley.
Hyndman, R. J., & Fan, Y. (1996). Sample quantiles in statistical packages. *The American
Statistician, 50*, 361–365.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats as sps

from dwp_assess.analysis.scoring import levels_for
from dwp_assess.instruments.model import Instrument

CONFIDENCE = 0.95
KEYS = ["organisation_id", "dimension_id"]
SUMMARY_COLUMNS = [
    *KEYS,
    "level_basis",
    "n",
    "n_dont_know",
    "level",
    "level_low",
    "level_high",
    "interval_method",
    "interval_coverage",
    "median",
    "q1",
    "q3",
    "iqr",
    "mean_score",
    "mean_low",
    "mean_high",
]
DISTRIBUTION_COLUMNS = [*KEYS, "level_basis", "level", "n", "share"]
ORDER_STATISTICS = [
    "n",
    "level",
    "level_low",
    "level_high",
    "interval_coverage",
    "median",
    "q1",
    "q3",
    "iqr",
]


def level_basis(instrument: Instrument) -> str:
    """``"chosen"`` when the instrument asks the level, else ``"estimate"``."""
    return "chosen" if instrument.level_items else "estimate"


def chosen_levels(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Answers to the level-choice items: organisation, dimension, chosen ``level`` (missing
    for "weet ik niet") and ``code``; one row per response and dimension answered."""
    dims = {i.id: i.dimension for i in instrument.level_items}
    frame = answers[answers["item_id"].isin(dims)]
    frame = frame.assign(dimension_id=frame["item_id"].map(dims), level=frame["value"])
    return frame[["response_id", "organisation_id", "dimension_id", "level", "code"]].reset_index(
        drop=True
    )


def median_interval(
    values: np.ndarray, confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """(low, high, coverage) of the order-statistic confidence interval of the median;
    missing values when n is too small for ``confidence`` (see the module docstring)."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    j, coverage = _median_rank(n, confidence)
    if n == 0 or j == 0:
        return np.nan, np.nan, np.nan
    return float(x[j - 1]), float(x[n - j]), coverage


@lru_cache(maxsize=4096)
def _median_rank(n: int, confidence: float) -> tuple[int, float]:
    """The rank ``j`` of the median interval's ends (``x[j − 1]``, ``x[n − j]``) among ``n``
    values and its coverage; ``j`` 0 when ``n`` is too small. It depends on ``n`` alone,
    so a round's thousands of organisation × dimension groups share a few dozen."""
    tails = sps.binom.cdf(np.arange(n), n, 0.5)  # P(B ≤ j − 1) for j = 1 … n
    fits = np.flatnonzero(tails <= (1 - confidence) / 2)
    if n == 0 or len(fits) == 0:
        return 0, np.nan
    j = int(fits[-1]) + 1
    return j, float(1 - 2 * tails[j - 1])


def _order_statistics(values: np.ndarray) -> dict:
    """Level (lower median), quartiles and the median's interval of one group's levels."""
    x = np.sort(values.astype(float))
    low, high, coverage = median_interval(x)
    q1, median, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    return {
        "n": len(x),
        "level": x[(len(x) + 1) // 2 - 1],
        "level_low": low,
        "level_high": high,
        "interval_coverage": coverage,
        "median": median,
        "q1": q1,
        "q3": q3,
        "iqr": q3 - q1,
    }


def level_distribution(levels: pd.DataFrame, instrument: Instrument, basis: str) -> pd.DataFrame:
    """Organisation × dimension × level: the number and share of respondents at each level
    (every level of the instrument appears, with zero where nobody is there)."""
    valid = levels.dropna(subset=["level"])
    counts = valid.groupby(KEYS)["level"].value_counts().unstack(fill_value=0)
    numbers = [lv.level for lv in instrument.scoring.levels]
    counts = counts.reindex(columns=[float(v) for v in numbers], fill_value=0)
    counts.columns = numbers
    long = counts.stack().rename("n").reset_index().rename(columns={"level_2": "level"})
    long.columns = [*KEYS, "level", "n"]
    long["share"] = long["n"] / long.groupby(KEYS)["n"].transform("sum")
    long["level_basis"] = basis
    return long[DISTRIBUTION_COLUMNS]


def chosen_level_summary(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Organisation × dimension statistics of the chosen levels (basis ``"chosen"``)."""
    chosen = chosen_levels(answers, instrument)
    valid = chosen.dropna(subset=["level"])
    # one pass over the groups with numpy, one frame at the end (a pandas ``apply`` made a
    # Series per organisation × dimension: 3,300 of them in a national round)
    out = pd.DataFrame(
        [
            dict(zip(KEYS, key, strict=True)) | _order_statistics(group.to_numpy())
            for key, group in valid.groupby(KEYS)["level"]
        ],
        columns=[*KEYS, *ORDER_STATISTICS],
    )
    dont_know = chosen[chosen["code"].eq("dont_know")].groupby(KEYS).size().rename("n_dont_know")
    out = out.merge(dont_know.reset_index(), on=KEYS, how="outer")
    out = out.assign(
        level_basis="chosen",
        interval_method="order statistics of the median",
        mean_score=np.nan,
        mean_low=np.nan,
        mean_high=np.nan,
    )
    return _finish(out)


def estimated_level_summary(scores: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Organisation × dimension level from the mean score (basis ``"estimate"``, version 1)."""
    valid = scores.dropna(subset=["score"])
    grouped = valid.groupby(KEYS)["score"]
    out = grouped.agg(n="count", mean_score="mean", sd="std").reset_index()
    half = sps.t.ppf(0.5 + CONFIDENCE / 2, out["n"] - 1) * out["sd"] / np.sqrt(out["n"])
    out["mean_low"], out["mean_high"] = out["mean_score"] - half, out["mean_score"] + half
    out["level"] = levels_for(out["mean_score"], instrument)
    out["level_low"] = levels_for(out["mean_low"], instrument)
    out["level_high"] = levels_for(out["mean_high"], instrument)
    own = valid.assign(level=levels_for(valid["score"], instrument).astype(float))
    spread = own.groupby(KEYS)["level"].quantile([0.25, 0.5, 0.75]).unstack()
    spread.columns = ["q1", "median", "q3"]
    out = out.merge(spread.reset_index(), on=KEYS)
    out = out.assign(
        iqr=out["q3"] - out["q1"],
        n_dont_know=0,
        level_basis="estimate",
        interval_method="t interval of the mean score",
        interval_coverage=CONFIDENCE,
    )
    return _finish(out)


def _finish(out: pd.DataFrame) -> pd.DataFrame:
    out = out.reindex(columns=SUMMARY_COLUMNS)
    for col in ("n", "n_dont_know"):
        out[col] = out[col].fillna(0).astype(int)
    for col in ("level", "level_low", "level_high"):
        out[col] = pd.to_numeric(out[col]).astype("Int64")
    return out.sort_values(KEYS, ignore_index=True)


def level_statistics(
    answers: pd.DataFrame, scores: pd.DataFrame, instrument: Instrument
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary, distribution) of the organisations' levels on the instrument's basis."""
    basis = level_basis(instrument)
    if basis == "chosen":
        levels = chosen_levels(answers, instrument)
        summary = chosen_level_summary(answers, instrument)
    else:
        levels = scores.dropna(subset=["score"])
        levels = levels.assign(level=levels_for(levels["score"], instrument).astype(float))
        summary = estimated_level_summary(scores, instrument)
    return summary, level_distribution(levels, instrument, basis)

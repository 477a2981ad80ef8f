"""Agreement within a group, reliability of group means, and multiple comparisons.

One function per statistic, pandas in, pandas out (after pingouin); every rule is
written out for outside readers in ``docs/scoring.md`` ("Agreement within an
organisation or team", "Multiple comparisons").

Answers are numbers on a scale with ``n_options`` answer options. "Weet ik niet"
and "n.v.t." are not answers: they must arrive as missing values (``NaN``) and
are left out, never scored. A statistic that is undefined or would be negative
for lack of information comes out as ``NaN`` with the reason in ``note``, never
as a misleading number.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from dwp_assess.instruments.messages import t

NOTE_FEW_RATERS = "fewer than 2 raters on every item"
NOTE_TRUNCATED = "observed variance exceeds the uniform null: set to 0 (LeBreton & Senter 2008)"
NOTE_FEW_GROUPS = "fewer than 2 groups"
NOTE_SINGLETONS = "no group with 2 or more members"
NOTE_NO_VARIANCE = "no variance at all"
NOTE_F_BELOW_1 = (
    "F < 1: groups differ less than chance predicts; the variance component is negative"
)

# LeBreton & Senter (2008), Table 3: upper bounds of the bands, read as half-open
# intervals (.30, .50] etc.; the last band ends at 1.
BAND_UPPER_BOUNDS = (0.30, 0.50, 0.70, 0.90)
BANDS = ("lack", "weak", "moderate", "strong", "very_strong")
WORD_OF_BAND = {
    "lack": "divided",
    "weak": "divided",
    "moderate": "mixed",
    "strong": "in_agreement",
    "very_strong": "in_agreement",
}
BOUNDARY_TOLERANCE = 1e-9  # a value that is .70 up to floating-point error stays in the .70 band


def uniform_null_variance(n_options: int) -> float:
    """Variance of the uniform ("rectangular") null distribution: ``σ²_EU = (A² − 1) / 12``.

    The variance of answers given completely at random on ``A`` equally likely
    options (James, Demaree & Wolf, 1984): 2.0 for a five-point and 4.0 for a
    seven-point scale.
    """
    if isinstance(n_options, bool) or int(n_options) != n_options or n_options < 2:
        raise ValueError(f"n_options must be a whole number of at least 2, got {n_options!r}")
    return (n_options**2 - 1) / 12


def _numeric(items: pd.DataFrame) -> pd.DataFrame:
    """The answers as floats; a text or code in a cell is an error that names the column."""
    numeric = items.apply(pd.to_numeric, errors="coerce").astype(float)
    wrong = items.notna() & numeric.isna()
    if wrong.any().any():
        column = wrong.any().idxmax()
        value = items.loc[wrong[column], column].iloc[0]
        raise ValueError(
            f"column {column!r}: {value!r} is not a number; code 'weet ik niet' and "
            f"'n.v.t.' as missing (NaN), not as an answer"
        )
    return numeric


def _on_scale(answers: pd.DataFrame, n_options: int) -> pd.DataFrame:
    """``answers`` unchanged, after checking that they fit on a scale of ``n_options`` options."""
    spread = answers.max().max() - answers.min().min()
    if spread > n_options - 1:
        raise ValueError(
            f"the answers lie {spread:g} scale points apart, more than a scale with "
            f"{n_options} options allows ({n_options - 1})"
        )
    return answers


def _group_keys(groups: Sequence | pd.Series | None, index: pd.Index) -> pd.Series:
    """Group label per row: a Series is matched on the index, anything else by position."""
    if groups is None:
        return pd.Series(0, index=index)
    keys = (
        groups.reindex(index)
        if isinstance(groups, pd.Series)
        else pd.Series(list(groups), index=index)
    )
    if keys.isna().any():
        raise ValueError(f"{int(keys.isna().sum())} rows have no group")
    return keys


def rwg_j(
    items: pd.DataFrame, n_options: int, groups: Sequence | pd.Series | None = None
) -> pd.DataFrame:
    """Within-group agreement rwg(J) on a multi-item scale, per group (James, Demaree & Wolf, 1984).

    ``items`` holds one row per respondent and one column per item of the scale;
    ``groups`` gives each row's group (organisation, team); ``None`` is one group.

    ``rwg(J) = J(1 − s̄²/σ²_EU) / [J(1 − s̄²/σ²_EU) + s̄²/σ²_EU]``

    with ``s̄²`` the mean over items of the within-group sample variance (n − 1 in
    the denominator), ``σ²_EU = (A² − 1)/12`` the variance of the uniform null
    distribution and ``J`` the number of items (James, Demaree & Wolf, 1984;
    1993). Missing answers ("weet ik niet", "n.v.t.") are left out item by
    item: ``s̄²`` averages the items that at least two raters in the group
    answered, and ``J`` counts those items.

    Conventions at the edges: when ``s̄² > σ²_EU`` the formula gives a negative
    value or one above 1; as James et al. (1984) and LeBreton & Senter (2008)
    recommend, ``s̄²`` is then truncated to ``σ²_EU`` so that rwg(J) = 0 (no agreement beyond
    random answering), and ``note`` says so. With fewer than two raters on every
    item, rwg(J) is undefined: ``NaN`` with a note.

    Returns one row per group: ``group, rwg_j, n_raters`` (respondents with at
    least one answer), ``n_items`` (J), ``mean_variance`` (s̄²),
    ``null_variance`` (σ²_EU), ``note``.
    """
    null = uniform_null_variance(n_options)
    answers = _on_scale(_numeric(items), n_options)
    keys = _group_keys(groups, answers.index)
    grouped = answers.groupby(keys, sort=True)
    variances = grouped.var(ddof=1).where(grouped.count() >= 2)
    n_items = variances.notna().sum(axis=1)
    mean_variance = variances.mean(axis=1)
    ratio = (mean_variance / null).clip(upper=1.0)
    stepped_up = n_items * (1 - ratio)
    note = pd.Series("", index=variances.index)
    note[mean_variance > null] = NOTE_TRUNCATED
    note[n_items == 0] = NOTE_FEW_RATERS
    return pd.DataFrame(
        {
            "group": None if groups is None else variances.index,
            "rwg_j": (stepped_up / (stepped_up + ratio)).where(n_items > 0),
            "n_raters": answers.notna().any(axis=1).groupby(keys, sort=True).sum(),
            "n_items": n_items,
            "mean_variance": mean_variance,
            "null_variance": null,
            "note": note,
        }
    ).reset_index(drop=True)


def rwg(
    values: Sequence | pd.Series, n_options: int, groups: Sequence | pd.Series | None = None
) -> pd.DataFrame:
    """Within-group agreement rwg on one item, per group (James, Demaree & Wolf, 1984).

    ``rwg = 1 − s²/σ²_EU`` with ``s²`` the within-group sample variance of the
    answers and ``σ²_EU = (A² − 1)/12`` the uniform null (JDW 1984). This is
    rwg(J) with J = 1, and the same conventions hold: an observed variance above
    the null is truncated so that rwg = 0 (LeBreton & Senter, 2008), fewer than
    two raters give ``NaN``; missing answers are left out.

    Returns one row per group: ``group, rwg, n_raters, variance, null_variance, note``.
    """
    values = values if isinstance(values, pd.Series) else pd.Series(values)
    single = rwg_j(values.to_frame("value"), n_options, groups)
    return single.drop(columns="n_items").rename(
        columns={"rwg_j": "rwg", "mean_variance": "variance"}
    )


def icc1_icc2(frame: pd.DataFrame, group: str, value: str, by: str | None = None) -> pd.DataFrame:
    """ICC(1) and ICC(2) from a one-way random-effects ANOVA of ``value`` on ``group``.

    With ``N`` answers in ``G`` groups of sizes ``n_j``, the one-way ANOVA gives
    ``MSB = Σ n_j (x̄_j − x̄)² / (G − 1)`` and ``MSW = Σ_j Σ_i (x_ij − x̄_j)² / (N − G)``,
    ``F = MSB/MSW`` on (G − 1, N − G) degrees of freedom, and:

    - ``ICC(1) = (MSB − MSW) / (MSB + (k − 1)·MSW)``: the share of the variance
      that lies between groups, the reliability of one member's answer as a
      measure of the group (Bliese, 2000; Shrout & Fleiss, 1979, ICC(1,1));
    - ``ICC(2) = (MSB − MSW) / MSB = 1 − 1/F``: the reliability of the group
      mean (Bliese, 2000; Shrout & Fleiss, 1979, ICC(1,k)); it equals the
      Spearman–Brown step-up of ICC(1) to ``k`` members.

    ``k`` is the group size. With unequal groups it is the ANOVA estimator's
    ``k₀ = (N − Σ n_j² / N) / (G − 1)`` (Snedecor & Cochran, 1989; Searle,
    Casella & McCulloch, 1992, the one-way classification; Donner, 1986), which equals the common size
    when all groups are equally large. (R's ``multilevel::ICC1`` uses the mean
    group size ``N/G`` instead; the two agree for equal groups.)

    Missing values are left out. When ``F < 1`` the between-group variance
    component is negative: ICC(1) and ICC(2) are then ``NaN`` with a note (``F``
    and ``p`` stay, so the raw estimates ``(F − 1)/(F + k − 1)`` and ``1 − 1/F``
    can still be recomputed). Fewer than two groups, no group with two members,
    or no variance at all also give ``NaN`` with a note.

    ``by`` (optional) names a column such as ``dimension_id``: one ANOVA per value
    of ``by``, all computed in one pass. Returns one row (per ``by``) with ``icc1,
    icc2, groups, n, k, F, df1, df2, p, msb, msw, note``.
    """
    keys = [by, group] if by else [group]
    data = frame[[*keys, value]].copy()
    data[value] = _numeric(data[[value]])[value]
    data = data.dropna(subset=[value])
    if data[keys].isna().any().any():
        raise ValueError(f"rows without {' or '.join(keys)}")
    cells = data.groupby(keys, sort=True)[value].agg(n="count", mean="mean", var="var")
    outer = cells.index.get_level_values(by) if by else np.zeros(len(cells), dtype=int)
    totals = (cells["n"] * cells["mean"]).groupby(outer).transform("sum")
    grand_mean = totals / cells["n"].groupby(outer).transform("sum")
    cells["ssb"] = cells["n"] * (cells["mean"] - grand_mean) ** 2
    cells["ssw"] = cells["var"].fillna(0.0) * (cells["n"] - 1)
    cells["n_squared"] = cells["n"] ** 2
    anova = cells.groupby(outer).agg(
        groups=("n", "size"),
        n=("n", "sum"),
        ssb=("ssb", "sum"),
        ssw=("ssw", "sum"),
        n_squared=("n_squared", "sum"),
    )
    if not by:
        anova = anova.reindex([0]).fillna({"groups": 0, "n": 0, "ssb": 0, "ssw": 0, "n_squared": 0})
    result = _icc_from_anova(anova)
    return result.rename_axis(by).reset_index() if by else result.reset_index(drop=True)


def _icc_from_anova(anova: pd.DataFrame) -> pd.DataFrame:
    """ICC(1), ICC(2), F and p from the sums of squares per ANOVA (see ``icc1_icc2``)."""
    df1 = anova["groups"] - 1
    df2 = anova["n"] - anova["groups"]
    with np.errstate(divide="ignore", invalid="ignore"):
        msb = anova["ssb"] / df1.where(df1 > 0)
        msw = anova["ssw"] / df2.where(df2 > 0)
        f = msb / msw
        k = (anova["n"] - anova["n_squared"] / anova["n"]) / df1.where(df1 > 0)
        icc1 = (msb - msw) / (msb + (k - 1) * msw)
        icc2 = (msb - msw) / msb
    note = pd.Series("", index=anova.index)
    note[f < 1] = NOTE_F_BELOW_1
    note[(msb == 0) & (msw == 0)] = NOTE_NO_VARIANCE
    note[df2 < 1] = NOTE_SINGLETONS
    note[df1 < 1] = NOTE_FEW_GROUPS
    defined = note.eq("")
    return pd.DataFrame(
        {
            "icc1": icc1.where(defined),
            "icc2": icc2.where(defined),
            "groups": anova["groups"].astype(int),
            "n": anova["n"].astype(int),
            "k": k,
            "F": f,
            "df1": df1.clip(lower=0).astype(int),
            "df2": df2.clip(lower=0).astype(int),
            "p": sps.f.sf(f, df1, df2),
            "msb": msb,
            "msw": msw,
            "note": note,
        }
    )


def words_for_agreement(rwg_j: float | Sequence | pd.Series, lang: str = "nl") -> pd.DataFrame:
    """The plain word a municipality reads for an rwg(J): eensgezind, wisselend or verdeeld.

    The five bands of LeBreton & Senter (2008, Table 3), read as half-open
    intervals: lack of agreement [0, .30], weak (.30, .50], moderate (.50, .70],
    strong (.70, .90], very strong (.90, 1]. They map to three words:

    - lack of agreement and weak agreement → "verdeeld" (divided),
    - moderate agreement → "wisselend" (mixed),
    - strong and very strong agreement → "eensgezind" (in agreement),

    so "eensgezind" starts just above .70, the usual rule of thumb for aggregating
    answers (see Lance, Butts & Michels, 2006); .70 itself is "moderate", as in
    Table 3. A missing rwg(J) reads "niet te bepalen". Values outside [0, 1] are an error:
    truncate first (``rwg_j`` does). Texts come from the message catalogue
    (``agreement.word.*``, ``agreement.band.*``).

    Returns ``rwg_j, band`` (key: lack, weak, moderate, strong, very_strong),
    ``band_label``, ``word``, aligned to the input.
    """
    values = (
        rwg_j.astype(float)
        if isinstance(rwg_j, pd.Series)
        else pd.Series(np.atleast_1d(np.asarray(rwg_j, dtype=float)))
    )
    if ((values < 0) | (values > 1)).any():
        raise ValueError("rwg(J) must lie between 0 and 1; truncate values outside first")
    upper = np.asarray(BAND_UPPER_BOUNDS) + BOUNDARY_TOLERANCE
    band = pd.Series(np.take(BANDS, np.searchsorted(upper, values.fillna(0))), index=values.index)
    band = band.where(values.notna())
    word = band.map(WORD_OF_BAND).fillna("undetermined")
    return pd.DataFrame(
        {
            "rwg_j": values,
            "band": band,
            "band_label": band.map(lambda b: t(f"agreement.band.{b}", lang), na_action="ignore"),
            "word": word.map(lambda w: t(f"agreement.word.{w}", lang)),
        }
    )


def rwg_of_counts(counts: pd.DataFrame) -> pd.Series:
    """rwg of one item per row from its answer counts (columns: the ``K`` options in scale
    order): ``1 − s²/σ²_EU`` with ``s²`` the sample variance of the answers (n − 1 in the
    denominator) and ``σ²_EU = (K² − 1)/12`` (James, Demaree & Wolf, 1984), truncated at 0
    as ``rwg`` is; fewer than two answers give ``NaN``. It lets a report judge agreement on a
    distribution it shows (e.g. of chosen levels) with the same bands as rwg(J)."""
    counts = counts.astype(float)
    options = np.arange(1, counts.shape[1] + 1, dtype=float)
    n = counts.sum(axis=1)
    mean = (counts * options).sum(axis=1) / n.where(n > 0)
    squares = (counts * (options[None, :] - mean.to_numpy()[:, None]) ** 2).sum(axis=1)
    variance = squares / (n - 1).where(n >= 2)
    return (1 - variance / uniform_null_variance(counts.shape[1])).clip(lower=0.0)


def weakest_band(*bands: pd.Series, cap: pd.Series | None = None) -> pd.Series:
    """Per row the weakest of several agreement bands (``BANDS`` order; missing ones are
    skipped, but a missing first band stays missing: without rwg(J) there is no word);
    where ``cap`` is true, at most "moderate" ("wisselend"). Rule and reason in
    ``docs/scoring.md``, "From rwg(J) to a word"."""
    order = {band: n for n, band in enumerate(BANDS)}
    ranks = pd.concat([b.map(order) for b in bands], axis=1).min(axis=1)
    if cap is not None:
        ranks = ranks.where(~cap.astype(bool), ranks.clip(upper=order["moderate"]))
    ranks = ranks.where(bands[0].notna())
    return ranks.map(lambda r: BANDS[int(r)], na_action="ignore")


def band_words(bands: pd.Series, lang: str = "nl") -> pd.Series:
    """The word for each band key (``words_for_agreement``); "niet te bepalen" where missing."""
    return (
        bands.map(WORD_OF_BAND).fillna("undetermined").map(lambda w: t(f"agreement.word.{w}", lang))
    )


def benjamini_hochberg(p_values: Sequence | pd.Series, q: float = 0.05) -> pd.DataFrame:
    """Benjamini–Hochberg adjusted p-values and the step-up decision at false discovery rate ``q``.

    With the ``m`` non-missing p-values sorted, ``p_(1) ≤ … ≤ p_(m)``, the adjusted
    value is ``p̃_(i) = min_{j ≥ i} min(1, m·p_(j)/j)`` (step-up, monotone, capped at
    1); hypothesis ``(i)`` is rejected when ``p̃_(i) ≤ q``, which is the same as
    rejecting ``H_(1) … H_(k)`` for the largest ``k`` with ``p_(k) ≤ k·q/m``
    (Benjamini & Hochberg, 1995, eq. 1). Missing p-values stay missing and do not
    count in ``m`` (as in R's ``p.adjust``).

    Returns ``p, p_adjusted, reject`` aligned to the input's index.
    """
    if not 0 < q < 1:
        raise ValueError(f"q must lie between 0 and 1, got {q!r}")
    p = (
        p_values.astype(float)
        if isinstance(p_values, pd.Series)
        else pd.Series(np.asarray(p_values, dtype=float))
    )
    if ((p < 0) | (p > 1)).any():
        raise ValueError("p-values must lie between 0 and 1")
    present = np.flatnonzero(p.notna().to_numpy())
    order = present[np.argsort(p.to_numpy()[present], kind="stable")]
    m = len(order)
    stepped = p.to_numpy()[order] * m / np.arange(1, m + 1)
    adjusted = np.full(len(p), np.nan)
    adjusted[order] = np.minimum(np.minimum.accumulate(stepped[::-1])[::-1], 1.0)
    return pd.DataFrame({"p": p, "p_adjusted": adjusted, "reject": adjusted <= q}, index=p.index)


def expected_by_chance(n_tests: int, alpha: float = 0.05) -> float:
    """Number of tests expected to come out "significant" by chance alone: ``n_tests · α``.

    When no true change exists, each test at level α rejects with probability α,
    so the expected number of rejections is ``m·α`` whatever the dependence
    between the tests (linearity of expectation). 176 tests at 5% → 8.8.
    """
    if isinstance(n_tests, bool) or int(n_tests) != n_tests or n_tests < 0:
        raise ValueError(f"n_tests must be a whole number of 0 or more, got {n_tests!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie between 0 and 1, got {alpha!r}")
    return n_tests * alpha

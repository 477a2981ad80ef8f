"""How far an organisation's or team's average can be trusted, per dimension.

Three views, each computed for the whole round at once:

- ``agreement_by_unit``: agreement within each organisation or team, rwg(J) against the
  uniform null (James, Demaree & Wolf, 1984), with the band of LeBreton & Senter (2008)
  that reports turn into a word ("eensgezind", "wisselend", "verdeeld");
- ``mean_reliability``: ICC(1) and ICC(2) of the dimension scores across the round's
  organisations (Bliese, 2000): how much organisations differ, and how reliable one
  organisation's mean is;
- ``alpha_reliability``: Cronbach's alpha per dimension, for researchers. Reports for
  municipalities never print it: a negative or undefined alpha says nothing a reader can
  act on (``docs/scoring.md``, "Agreement within an organisation or team").
"""

from __future__ import annotations

import pandas as pd

from dwp_assess.analysis.rater_agreement import icc1_icc2, rwg_j, words_for_agreement
from dwp_assess.analysis.scoring import item_matrix
from dwp_assess.analysis.stats import cronbach_alpha
from dwp_assess.instruments.model import Instrument

ORG_ALPHA_MIN_N = 10
AGREEMENT_COLUMNS = ["unit_id", "dimension_id", "rwg_j", "band", "n_raters", "n_items", "note"]


def _options_of(instrument: Instrument, item_ids: list[str]) -> dict[int, list[str]]:
    """The items grouped by the number of answer options of their scale."""
    groups: dict[int, list[str]] = {}
    for item_id in item_ids:
        groups.setdefault(len(instrument.scale_of(item_id).points), []).append(item_id)
    return groups


def agreement_by_unit(
    answers: pd.DataFrame, instrument: Instrument, unit: str, matrix: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Unit (``organisation_id`` or ``team_id``) × dimension: rwg(J) on the dimension's
    rating items after reverse keying, "weet ik niet" and "n.v.t." left out.

    rwg(J) needs one null distribution: when a dimension mixes scales with different
    numbers of options, it is computed on the items of the most common number (all
    scales of the packaged instruments have five points). ``matrix`` is
    ``scoring.item_matrix(answers, instrument)`` when the caller has it already.
    """
    matrix = item_matrix(answers, instrument) if matrix is None else matrix
    unit_of = answers.drop_duplicates("response_id").set_index("response_id")[unit]
    unit_of = unit_of.reindex(matrix.index)
    rows = []
    for dim in instrument.dimensions:
        groups = _options_of(instrument, [i.id for i in instrument.rated_items_of(dim.id)])
        if not groups:
            continue
        n_options, item_ids = max(groups.items(), key=lambda kv: len(kv[1]))
        known = unit_of.notna()
        result = rwg_j(matrix.loc[known, item_ids], n_options, unit_of[known])
        rows.append(result.rename(columns={"group": "unit_id"}).assign(dimension_id=dim.id))
    if not rows:
        return pd.DataFrame(columns=AGREEMENT_COLUMNS)
    out = pd.concat(rows, ignore_index=True)
    out["band"] = words_for_agreement(out["rwg_j"])["band"].to_numpy()
    return out[AGREEMENT_COLUMNS]


def mean_reliability(scores: pd.DataFrame) -> pd.DataFrame:
    """Per dimension ICC(1) and ICC(2) of the respondents' dimension scores with the
    organisation as group (``agreement.icc1_icc2``), and the number of organisations."""
    valid = scores.dropna(subset=["score", "organisation_id"])
    if valid.empty:
        return pd.DataFrame(
            columns=["dimension_id", "icc1", "icc2", "groups", "k", "F", "p", "note"]
        )
    out = icc1_icc2(valid, group="organisation_id", value="score", by="dimension_id")
    return out[["dimension_id", "icc1", "icc2", "groups", "k", "F", "p", "note"]]


def _alpha_by_group(matrix: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Cronbach's alpha per group on complete cases, vectorised over groups."""
    complete = matrix.dropna()
    if complete.empty or complete.shape[1] < 2:
        return pd.DataFrame(columns=["alpha", "n", "k"])
    g = groups.reindex(complete.index)
    item_var = complete.groupby(g).var(ddof=1).sum(axis=1)
    total_var = complete.sum(axis=1).groupby(g).var(ddof=1)
    n = complete.groupby(g).size()
    k = complete.shape[1]
    alpha = (k / (k - 1) * (1 - item_var / total_var.where(total_var > 0))).where(n >= 2)
    return pd.DataFrame({"alpha": alpha, "n": n, "k": k})


def alpha_reliability(
    answers: pd.DataFrame, instrument: Instrument, matrix: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Cronbach's alpha per dimension for the whole round (``organisation_id`` empty, with
    Feldt intervals) and per organisation with at least ``ORG_ALPHA_MIN_N`` complete
    responses; for researchers (``analyse_round.ipynb``), never in a municipality's report.

    ``n_organisations`` counts the organisations whose complete responses went into the
    figure.
    """
    org_of = answers.drop_duplicates("response_id").set_index("response_id")["organisation_id"]
    everything = item_matrix(answers, instrument) if matrix is None else matrix
    rows = []
    for dim in instrument.dimensions:
        matrix = everything[[i.id for i in instrument.rated_items_of(dim.id)]]
        overall = cronbach_alpha(matrix)
        contributing = org_of.reindex(matrix.dropna().index).nunique()
        rows.append(
            {
                "organisation_id": None,
                "dimension_id": dim.id,
                **overall.to_dict(),
                "n_organisations": contributing,
            }
        )
        per_org = _alpha_by_group(matrix, org_of).reset_index(names="organisation_id")
        per_org = per_org[per_org["n"] >= ORG_ALPHA_MIN_N]
        rows.extend(per_org.assign(dimension_id=dim.id, n_organisations=1).to_dict("records"))
    return pd.DataFrame(rows)

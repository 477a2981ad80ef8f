"""Scores per respondent role within an organisation (the multi-respondent view).

Different roles often see their organisation differently: management rates the data
strategy higher than the people who work with the data (Data Orchard's main
multi-respondent finding). Per organisation, respondents are grouped by role; roles
held by fewer than the minimum group size are pooled into "overige rollen", and the
pool grows until it reaches the minimum too (``privacy.pool_to_minimum``). A
breakdown is shown only when at least two groups remain, and a dimension only when
every group has the minimum number of scores on it (``docs/scoring.md``, "Roles").
"""

from __future__ import annotations

import pandas as pd

from dwp_assess.analysis.privacy import pool_to_minimum

COLUMNS = ["organisation_id", "role_group", "dimension_id", "n", "mean"]
POOLED = "_pooled"


def role_groups(scores: pd.DataFrame, min_size: int) -> pd.DataFrame:
    """Per response its role group within its organisation: the role, ``POOLED``, or
    nothing when the organisation cannot be broken down (fewer than two groups)."""
    responses = scores.drop_duplicates("response_id")[["response_id", "organisation_id", "role"]]
    parts = []
    for _, group in responses.groupby("organisation_id"):
        pooled = pool_to_minimum(group["role"].reset_index(drop=True), min_size)
        if pooled.nunique() + int(pooled.isna().any()) < 2:
            continue
        parts.append(group.assign(role_group=pooled.fillna(POOLED).to_numpy()))
    if not parts:
        return pd.DataFrame(columns=["response_id", "organisation_id", "role_group"])
    return pd.concat(parts, ignore_index=True)[["response_id", "organisation_id", "role_group"]]


def role_breakdown(scores: pd.DataFrame, min_size: int) -> pd.DataFrame:
    """Organisation × role group × dimension: number of scores and mean score, for the
    dimensions where every group of the organisation has at least ``min_size`` scores."""
    groups = role_groups(scores, min_size)
    if groups.empty:
        return pd.DataFrame(columns=COLUMNS)
    valid = scores.dropna(subset=["score"])[["response_id", "dimension_id", "score"]]
    merged = valid.merge(groups, on="response_id")
    out = merged.groupby(["organisation_id", "role_group", "dimension_id"])["score"].agg(
        n="count", mean="mean"
    )
    out = out.reset_index()
    n_groups = groups.groupby("organisation_id")["role_group"].nunique()
    cells = out.groupby(["organisation_id", "dimension_id"])["n"].agg(["min", "size"])
    complete = cells[
        (cells["min"] >= min_size)
        & (cells["size"] == cells.index.get_level_values(0).map(n_groups))
    ]
    keep = out.set_index(["organisation_id", "dimension_id"]).index.isin(complete.index)
    return out[keep][COLUMNS].reset_index(drop=True)

"""Non-response weights: each respondent stands for the invited people of their cell.

Response rates differ per organisation (33–60% in the sample), so a round-wide mean of
respondents over-represents the organisations that responded well. The weight of a
respondent in cell ``c`` (an organisation, or an organisation × role where the number
invited per role is known) is ``w = N_c / n_c``, invited over responded (inverse response
rate; Kalton & Flores-Cervantes, 2003, weighting-class adjustment). The weights of a cell
add up to its number invited, so all weights add up to the population. A cell without a
known number invited gets no weight (``NaN``) and stays out of weighted figures, which the
result says.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def nonresponse_weights(
    respondents: pd.DataFrame, invited: pd.DataFrame, by_role: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Weight per response: ``response_id, organisation_id, cell, invited, responded, weight``.

    ``respondents``: ``response_id, organisation_id, role``; ``invited``: ``organisation_id,
    invited``; ``by_role`` (optional): ``organisation_id, role, invited`` — organisations
    listed there are weighted per role, the others per organisation.
    """
    frame = respondents[["response_id", "organisation_id", "role"]].drop_duplicates("response_id")
    per_role = set(by_role["organisation_id"]) if by_role is not None else set()
    frame = frame.assign(
        cell_role=np.where(frame["organisation_id"].isin(per_role), frame["role"], None)
    )
    sizes = invited.set_index("organisation_id")["invited"].rename("invited").to_frame()
    sizes["cell_role"] = None
    if by_role is not None:
        role_sizes = by_role.rename(columns={"role": "cell_role"}).set_index("organisation_id")
        sizes = pd.concat([sizes[~sizes.index.isin(per_role)], role_sizes])
    sizes = sizes.reset_index()
    keys = ["organisation_id", "cell_role"]
    frame = frame.merge(sizes, on=keys, how="left")
    frame["responded"] = frame.groupby(keys, dropna=False)["response_id"].transform("size")
    frame["weight"] = frame["invited"] / frame["responded"]
    frame["cell"] = frame["organisation_id"] + np.where(
        frame["cell_role"].notna(), " · " + frame["cell_role"].astype(str), ""
    )
    return frame[["response_id", "organisation_id", "cell", "invited", "responded", "weight"]]


def weighted_summary(scores: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Per dimension the unweighted and the weighted mean of respondents' scores side by
    side: ``dimension_id, n, mean_unweighted, mean_weighted, n_weighted`` (respondents with
    a weight), ``effective_n`` (Kish, 1965: ``(Σw)² / Σw²``) and ``difference``."""
    frame = scores.dropna(subset=["score"]).merge(
        weights[["response_id", "weight"]], on="response_id", how="left"
    )
    rows = []
    for dim, group in frame.groupby("dimension_id", sort=False):
        weighted = group.dropna(subset=["weight"])
        w = weighted["weight"].to_numpy()
        mean_w = float(np.average(weighted["score"], weights=w)) if w.sum() > 0 else np.nan
        rows.append(
            {
                "dimension_id": dim,
                "n": len(group),
                "mean_unweighted": group["score"].mean(),
                "mean_weighted": mean_w,
                "n_weighted": len(weighted),
                "effective_n": w.sum() ** 2 / (w**2).sum() if len(w) else np.nan,
            }
        )
    out = pd.DataFrame(rows)
    out["difference"] = out["mean_weighted"] - out["mean_unweighted"]
    return out

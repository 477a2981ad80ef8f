"""Missing answers and "weet ik niet", per item and per organisation.

A question can go unanswered in three ways, and each says something else: "weet ik niet"
(the respondent cannot judge: knowledge, a signal in itself), "niet van toepassing" (the
item does not apply) and a blank (skipped or broken off). Shares are of the responses that
could have answered the item (every response of the round, or of the organisation).
"""

from __future__ import annotations

import pandas as pd

from dwp_assess.instruments.model import Instrument

SHARES = ("answered", "dont_know", "not_applicable", "blank")


def _cells(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Every response × rating item, with how it was (not) answered."""
    responses = answers[["response_id", "organisation_id"]].drop_duplicates("response_id")
    items = pd.DataFrame({"item_id": [i.id for i in instrument.rated_items]})
    grid = responses.merge(items, how="cross")
    given = answers[answers["item_id"].isin(items["item_id"])][
        ["response_id", "item_id", "value", "code"]
    ]
    grid = grid.merge(given, on=["response_id", "item_id"], how="left")
    grid["answered"] = grid["value"].notna()
    grid["dont_know"] = grid["code"].eq("dont_know")
    grid["not_applicable"] = grid["code"].eq("not_applicable")
    grid["blank"] = ~(grid["answered"] | grid["dont_know"] | grid["not_applicable"])
    return grid


def item_missingness(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Per item: ``item_id, dimension_id, responses`` and the share answered, "weet ik
    niet", "n.v.t." and blank; most "weet ik niet" first."""
    grid = _cells(answers, instrument)
    out = grid.groupby("item_id")[list(SHARES)].mean()
    out.insert(0, "responses", grid.groupby("item_id").size())
    out = out.reset_index()
    out.insert(1, "dimension_id", out["item_id"].map({i.id: i.dimension for i in instrument.items}))
    return out.sort_values(["dont_know", "item_id"], ascending=[False, True], ignore_index=True)


def organisation_missingness(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Per organisation: ``responses`` and the share of its response × item cells answered,
    "weet ik niet", "n.v.t." and blank, and the dimension with the most "weet ik niet"."""
    grid = _cells(answers, instrument)
    out = grid.groupby("organisation_id")[list(SHARES)].mean()
    out.insert(0, "responses", grid.groupby("organisation_id")["response_id"].nunique())
    grid["dimension_id"] = grid["item_id"].map({i.id: i.dimension for i in instrument.items})
    by_dim = grid.groupby(["organisation_id", "dimension_id"])["dont_know"].mean().unstack()
    out["most_dont_know_dimension"] = by_dim.idxmax(axis=1).where(by_dim.max(axis=1) > 0)
    return out.reset_index()

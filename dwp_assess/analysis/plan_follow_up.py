"""Improvement plans in the analysis: the draft's rows and the follow-up in the next round.

``draft_rows`` turns an organisation's advice (``recommend.recommend_organisation``) into
the rows of its draft plan (``data.plans.write_draft``). ``follow_up`` joins the adopted
actions of the previous round's plans with what moved since: per action and indicator item
the item's mean before and after, where both rounds asked the same statement (the pairs of
``comparison.shared_items``). The dimension's change with its interval is in the round's
``change`` table and is joined where the report shows it.
"""

from __future__ import annotations

import pandas as pd

from dwp_assess.analysis.recommend import (
    RuleSet,
    indicator_items,
    recommend_organisation,
    rules_for,
)
from dwp_assess.data.plan_files import KnownAction
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import Instrument

FOLLOW_UP_COLUMNS = [
    "organisation_id",
    "plan_version",
    "action_id",
    "dimension_id",
    "action",
    "status",
    "owner_name",
    "due_date",
    "item_before",
    "item_after",
    "mean_before",
    "mean_after",
]


def known_actions(instrument: Instrument, rules: RuleSet | None = None) -> dict[str, KnownAction]:
    """Every organisation action of the rules for ``instrument``, with its dimension and the
    indicator items this version asks: what a plan file may name."""
    own = rules_for(instrument, rules)
    dims = {d.id for d in instrument.dimensions}
    return {
        a.id: KnownAction(a.dimension, tuple(indicator_items(a, instrument)))
        for a in (own.actions if own else ())
        if a.dimension in dims
    }


def draft_rows(view, instrument: Instrument, lang: str = "nl") -> pd.DataFrame:
    """The rows of an organisation's draft plan: its advice with the columns of
    ``data.plans.COLUMNS`` up to ``tool``, in the advice's order."""
    advice = recommend_organisation(view, instrument, lang=lang)
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    return pd.DataFrame(
        {
            "organisation_id": view.meta["organisation_id"],
            "round_id": view.meta["round_id"],
            "action_id": advice["action_id"],
            "dimension": advice["dimension_id"].map(labels),
            "action": advice["action"],
            "reasons": advice["reasons"].map("; ".join),
            "owner_role": advice["owner"],
            "horizon": advice["horizon"].map(lambda h: t(f"advice.horizon.{h}", lang)),
            "target": advice["target"],
            "indicator": advice["indicator"].map(", ".join),
            "tool": advice["tool"] + advice["tool_url"].map(lambda u: f" ({u})" if u else ""),
        }
    )


def follow_up(
    plans: pd.DataFrame,
    pairs: pd.DataFrame,
    items_before: pd.DataFrame,
    items_after: pd.DataFrame,
) -> pd.DataFrame:
    """Per adopted action (``data.plans.adopted_actions`` of the previous round) and indicator
    item: the item it maps to in this round (``pairs``: ``item_before, item_after`` of the items
    both rounds share) and the organisation's keyed item means before and after
    (``organisation_id, item_id, mean`` tables; missing where the statement was not asked alike)."""
    if plans.empty:
        return pd.DataFrame(columns=FOLLOW_UP_COLUMNS)
    long = plans.explode("indicator").rename(columns={"indicator": "item_before"})
    long = long.merge(
        pairs[["item_before", "item_after"]].drop_duplicates("item_before"),
        on="item_before",
        how="left",
    )
    before = items_before[["organisation_id", "item_id", "mean"]].rename(
        columns={"item_id": "item_before", "mean": "mean_before"}
    )
    after = items_after[["organisation_id", "item_id", "mean"]].rename(
        columns={"item_id": "item_after", "mean": "mean_after"}
    )
    long = long.merge(before, on=["organisation_id", "item_before"], how="left")
    long = long.merge(after, on=["organisation_id", "item_after"], how="left")
    long["due_date"] = long["due_date"].astype(str).where(long["due_date"].notna(), None)
    return long.reindex(columns=FOLLOW_UP_COLUMNS).reset_index(drop=True)

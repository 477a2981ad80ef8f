"""Scores of two rounds on the items they share, for the change between rounds.

Two rounds of the same instrument version share every item. Rounds of different versions
share only the comparable items of the version mappings between them (one mapping, or the
chain v1 → v2 → v3 of ``instruments.versions.chained_items``): each
round is then scored again on those items alone, per dimension, with the usual rules
(reverse keying, minimum share answered), so that a change is a change of the
organisation and not of the questionnaire. The pairs used are returned so that a report
can say which items the change rests on.

``change_since`` then tests the change per organisation and dimension, and corrects for
the several dimensions one report tests at once (Benjamini & Hochberg, 1995).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from dwp_assess.analysis.rater_agreement import benjamini_hochberg
from dwp_assess.analysis.scoring import score_round
from dwp_assess.analysis.stats import bootstrap_mean_difference
from dwp_assess.instruments.loading import mapping_chain
from dwp_assess.instruments.model import Instrument
from dwp_assess.instruments.versions import chained_items, comparable_items, dimension_items

FALSE_DISCOVERY_RATE = 0.05
CHANGE_COLUMNS = [
    "organisation_id",
    "dimension_id",
    "difference",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "n_before",
    "n_after",
    "interval_excludes_zero",
    "reliable",
]


def restricted(instrument: Instrument, item_ids: Iterable[str]) -> Instrument:
    """``instrument`` with only the rating items ``item_ids`` and the dimensions they are in;
    a competence keeps the DIKW stages its remaining items serve."""
    keep = set(item_ids)
    raw = instrument.model_dump(mode="json")
    raw["items"] = [i for i in raw["items"] if i["id"] in keep]
    served: dict[str, set[str]] = {}
    for item in raw["items"]:
        served.setdefault(item["dimension"], set()).update(item["dikw_stages"])
    raw["dimensions"] = [d for d in raw["dimensions"] if d["id"] in served]
    if any(served.values()):
        raw["dimensions"] = [
            d | {"dikw_stages": [s for s in d["dikw_stages"] if s in served[d["id"]]]}
            for d in raw["dimensions"]
        ]
    return Instrument.model_validate(raw)


def shared_items(before: Instrument, after: Instrument) -> pd.DataFrame:
    """Per dimension the item pairs a change between rounds of ``before`` and ``after`` uses:
    ``dimension_id, item_before, item_after, status``."""
    if before.id != after.id:
        raise ValueError(f"rounds of {before.key} and {after.key} cannot be compared")
    if before.key == after.key:
        return dimension_items(comparable_items(before, after))
    versions, mappings = mapping_chain(before.id, before.version, after.version)
    return dimension_items(chained_items([before, *versions[1:-1], after], mappings))


def change_scores(
    previous_answers: pd.DataFrame,
    previous_instrument: Instrument,
    answers: pd.DataFrame,
    instrument: Instrument,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(scores before, scores after, items used): both rounds scored on their shared items."""
    items = shared_items(previous_instrument, instrument)
    if previous_instrument.key == instrument.key:
        return score_round(previous_answers, instrument), score_round(answers, instrument), items
    before = score_round(previous_answers, restricted(previous_instrument, items["item_before"]))
    after = score_round(answers, restricted(instrument, items["item_after"]))
    return before, after, items


def change_since(previous: pd.DataFrame, current: pd.DataFrame, seed: int = 2026) -> pd.DataFrame:
    """Organisation × dimension change in mean score between two rounds.

    Per organisation a 95% bootstrap interval and p-value for every dimension
    (``stats.bootstrap_mean_difference``); the p-values of one organisation's dimensions
    are adjusted together with Benjamini–Hochberg, because its report tests them all at
    once. A change is ``reliable`` when its interval lies on one side of zero and its
    adjusted p-value is at most ``FALSE_DISCOVERY_RATE``; ``interval_excludes_zero``
    alone is the uncorrected reading, kept so that a report can say which changes do not
    survive the correction.
    """
    dims = sorted(set(current["dimension_id"]))

    def wide(scores):
        return scores.pivot_table(
            index=["organisation_id", "response_id"], columns="dimension_id", values="score"
        ).reindex(columns=dims)

    before, after = wide(previous), wide(current)
    rows = []
    common = sorted(set(before.index.get_level_values(0)) & set(after.index.get_level_values(0)))
    for org in common:
        boot = bootstrap_mean_difference(
            before.loc[org].to_numpy(), after.loc[org].to_numpy(), seed=seed
        )
        boot["p_adjusted"] = benjamini_hochberg(boot["p_value"])["p_adjusted"]
        rows.append(boot.assign(organisation_id=org, dimension_id=dims))
    if not rows:
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    out = pd.concat(rows, ignore_index=True)
    out["interval_excludes_zero"] = (out["ci_low"] > 0) | (out["ci_high"] < 0)
    out["reliable"] = out["interval_excludes_zero"] & (out["p_adjusted"] <= FALSE_DISCOVERY_RATE)
    return out[CHANGE_COLUMNS]

"""Item → dimension scores and maturity levels, by the instrument's rules.

Rules (written out for readers of reports in ``docs/scoring.md``):

1. Reverse-keyed items are mirrored: ``score = min + max − value``.
2. "Weet ik niet" and "niet van toepassing" are not answers: they are counted,
   never averaged. "Niet van toepassing" also lowers the number of items that
   apply to the respondent.
3. A respondent's dimension score is the mean of the answered items, provided the
   share answered (answered ÷ applicable items) reaches ``min_answered_share``;
   otherwise the score is missing (``NaN``), never zero.
4. The maturity level of a score is the highest level whose ``min_score`` it reaches.
5. Only rating items make up scores: a level-choice answer (the level a respondent
   chose, ``analysis.levels``) is never averaged into a dimension score.

Everything is vectorised over a whole round: one groupby, no loop per respondent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dwp_assess.instruments.model import Instrument

RESPONSE_FIELDS = ["response_id", "respondent_id", "organisation_id", "team_id", "role"]


def item_table(instrument: Instrument) -> pd.DataFrame:
    """One row per rating item: dimension, reverse flag and the scale's minimum and maximum."""
    items = instrument.rated_items
    return pd.DataFrame(
        {
            "item_id": [i.id for i in items],
            "dimension_id": [i.dimension for i in items],
            "reverse": [i.reverse for i in items],
            "scale_min": [instrument.scale_by_id[i.scale].min for i in items],
            "scale_max": [instrument.scale_by_id[i.scale].max for i in items],
        }
    )


def keyed_answers(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Answers to the instrument's rating items with ``keyed`` = the value after reverse-keying."""
    items = item_table(instrument)
    frame = answers.merge(items, on="item_id", how="inner")
    mirrored = frame["scale_min"] + frame["scale_max"] - frame["value"]
    frame["keyed"] = np.where(frame["reverse"], mirrored, frame["value"])
    return frame


def levels_for(scores: pd.Series | np.ndarray, instrument: Instrument) -> pd.Series:
    """Maturity level (nullable integer) of each score; missing where the score is missing."""
    thresholds = np.array([lv.min_score for lv in instrument.scoring.levels])
    values = np.asarray(scores, dtype=float)
    level = np.searchsorted(thresholds, values, side="right").astype(float)
    level[level == 0] = 1  # below the lowest threshold is still the first level
    level[np.isnan(values)] = np.nan
    return pd.Series(level, index=getattr(scores, "index", None)).astype("Int64")


def _responses(answers: pd.DataFrame) -> pd.DataFrame:
    present = [c for c in RESPONSE_FIELDS if c in answers.columns]
    return answers[present].drop_duplicates("response_id")


def score_round(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Scores of every response on every dimension of ``instrument``.

    ``answers`` is the long table of ``store.load_answers``. Returns one row per
    response × dimension: response fields, ``dimension_id``, ``score``, ``level``,
    ``n_items``, ``n_answered``, ``n_dont_know``, ``n_not_applicable``, ``n_missing``.
    """
    frame = keyed_answers(answers, instrument)
    frame["answered"] = frame["keyed"].notna()
    frame["dont_know"] = frame["code"].eq("dont_know")
    frame["not_applicable"] = frame["code"].eq("not_applicable")
    grouped = frame.groupby(["response_id", "dimension_id"], sort=False).agg(
        total=("keyed", "sum"),
        n_answered=("answered", "sum"),
        n_dont_know=("dont_know", "sum"),
        n_not_applicable=("not_applicable", "sum"),
    )
    responses = _responses(answers)
    dims = [d.id for d in instrument.dimensions]
    full = pd.MultiIndex.from_product([responses["response_id"], dims], names=grouped.index.names)
    scores = grouped.reindex(full, fill_value=0).reset_index()
    n_items = pd.Series({d: len(instrument.rated_items_of(d)) for d in dims})
    scores["n_items"] = scores["dimension_id"].map(n_items).astype(int)
    for col in ("n_answered", "n_dont_know", "n_not_applicable"):
        scores[col] = scores[col].astype(int)
    scores["n_missing"] = scores["n_items"] - scores[["n_answered", "n_dont_know", "n_not_applicable"]].sum(axis=1)  # fmt: skip
    applicable = scores["n_items"] - scores["n_not_applicable"]
    share = scores["n_answered"] / applicable.where(applicable > 0)
    enough = share >= instrument.scoring.min_answered_share
    scores["score"] = (scores["total"] / scores["n_answered"].where(scores["n_answered"] > 0)).where(enough)  # fmt: skip
    scores["level"] = levels_for(scores["score"], instrument)
    scores = responses.merge(scores.drop(columns="total"), on="response_id")
    columns = [*responses.columns, "dimension_id", "score", "level", "n_items", "n_answered",
               "n_dont_know", "n_not_applicable", "n_missing"]  # fmt: skip
    return scores[columns]


def item_matrix(
    answers: pd.DataFrame, instrument: Instrument, dimension_id: str | None = None
) -> pd.DataFrame:
    """Respondents × items after reverse-keying; codes and blanks are ``NaN``.

    The input for reliability: one column per item (of ``dimension_id`` when given),
    one row per response.
    """
    frame = keyed_answers(answers, instrument)
    if dimension_id is not None:
        frame = frame[frame["dimension_id"] == dimension_id]
    wide = frame.pivot_table(index="response_id", columns="item_id", values="keyed", aggfunc="first")  # fmt: skip
    items = [i.id for i in instrument.rated_items if dimension_id in (None, i.dimension)]
    return wide.reindex(index=_responses(answers)["response_id"], columns=items)

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

Everything is vectorised over a whole round, no loop per respondent: responses, items and
dimensions become integer codes once (``positions``), and sums per response and dimension are
``np.bincount`` over them (a national round has over two million answers).
"""

from __future__ import annotations

from collections.abc import Sequence

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


def positions(values: pd.Series, wanted: Sequence) -> np.ndarray:
    """Position of each of ``values`` in ``wanted``; -1 where it is not there or missing.

    The distinct values are looked up once (``factorize``), not every row: a round has a
    few dozen items and thousands of responses, against millions of answers."""
    codes, uniques = values.factorize()
    found = pd.Index(wanted).get_indexer(uniques)
    return np.append(found, -1)[codes]


def keyed_values(
    answers: pd.DataFrame, instrument: Instrument
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the answers to rating items: their rows in ``answers``, their item's row in
    ``item_table``, and their value after reverse-keying (``NaN`` for codes and blanks).

    ``keyed_answers`` as arrays, for counting on integer codes without copying the answers."""
    items = item_table(instrument)
    at = positions(answers["item_id"], items["item_id"])
    rows = np.flatnonzero(at >= 0)
    item_rows = at[rows]
    value = answers["value"].to_numpy(dtype=float)[rows]
    mirrored = (items["scale_min"] + items["scale_max"]).to_numpy()[item_rows] - value
    return rows, item_rows, np.where(items["reverse"].to_numpy()[item_rows], mirrored, value)


def keyed_answers(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Answers to the instrument's rating items with ``keyed`` = the value after reverse-keying.

    Besides the answer's columns: the item's ``dimension_id``, ``reverse``, ``scale_min`` and
    ``scale_max``; in the answers' order, numbered from 0."""
    rows, item_rows, keyed = keyed_values(answers, instrument)
    items = item_table(instrument).take(item_rows).reset_index(drop=True)
    frame = answers.take(rows).reset_index(drop=True)
    for column in ("dimension_id", "reverse", "scale_min", "scale_max"):
        frame[column] = items[column]
    frame["keyed"] = keyed
    return frame


def levels_for(scores: pd.Series | np.ndarray, instrument: Instrument) -> pd.Series:
    """Maturity level (nullable integer) of each score; missing where the score is missing."""
    thresholds = np.array([lv.min_score for lv in instrument.scoring.levels])
    values = np.asarray(scores, dtype=float)
    level = np.searchsorted(thresholds, values, side="right").astype(float)
    level[level == 0] = 1  # below the lowest threshold is still the first level
    level[np.isnan(values)] = np.nan
    return pd.Series(level, index=getattr(scores, "index", None)).astype("Int64")


def _responses(answers: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per response (its fields, in the order responses first appear in ``answers``),
    and the row of each answer in it."""
    present = [c for c in RESPONSE_FIELDS if c in answers.columns]
    codes, _ = answers["response_id"].factorize(use_na_sentinel=False)
    # codes count up in order of first appearance: a response's first answer raises their maximum
    first = np.flatnonzero(np.diff(np.maximum.accumulate(codes), prepend=-1) > 0)
    return answers[present].take(first).reset_index(drop=True), codes


def score_round(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Scores of every response on every dimension of ``instrument``.

    ``answers`` is the long table of ``store.load_answers``. Returns one row per
    response × dimension: response fields, ``dimension_id``, ``score``, ``level``,
    ``n_items``, ``n_answered``, ``n_dont_know``, ``n_not_applicable``, ``n_missing``.
    Responses keep the order of their first answer, dimensions that of the instrument.
    The sums per response and dimension are counted on integer codes (``np.bincount``).
    """
    responses, response_of = _responses(answers)
    rows, item_rows, keyed = keyed_values(answers, instrument)
    dims = [d.id for d in instrument.dimensions]
    dimension_of = positions(item_table(instrument)["dimension_id"], dims)
    cell = response_of[rows] * len(dims) + dimension_of[item_rows]
    size = len(responses) * len(dims)
    count = lambda weights: np.bincount(cell, weights, minlength=size)  # noqa: E731
    code = answers["code"].take(rows)
    answered = ~np.isnan(keyed)
    scores = responses.take(np.repeat(np.arange(len(responses)), len(dims))).reset_index(drop=True)
    scores["dimension_id"] = pd.Series(
        np.tile(np.array(dims, dtype=object), len(responses)), dtype="str"
    )
    total = count(np.where(answered, keyed, 0.0))
    n_items = np.tile([len(instrument.rated_items_of(d)) for d in dims], len(responses))
    n_answered = count(answered).astype(int)
    n_dont_know = count(code.eq("dont_know").to_numpy()).astype(int)
    n_not_applicable = count(code.eq("not_applicable").to_numpy()).astype(int)
    applicable = pd.Series(n_items - n_not_applicable)
    share = n_answered / applicable.where(applicable > 0)
    enough = share >= instrument.scoring.min_answered_share
    scores["score"] = (pd.Series(total) / pd.Series(n_answered).where(n_answered > 0)).where(enough)
    scores["level"] = levels_for(scores["score"], instrument)
    scores["n_items"] = n_items
    scores["n_answered"] = n_answered
    scores["n_dont_know"] = n_dont_know
    scores["n_not_applicable"] = n_not_applicable
    scores["n_missing"] = n_items - n_answered - n_dont_know - n_not_applicable
    return scores


def item_matrix(
    answers: pd.DataFrame, instrument: Instrument, dimension_id: str | None = None
) -> pd.DataFrame:
    """Respondents × items after reverse-keying; codes and blanks are ``NaN``.

    The input for reliability: one column per item (of ``dimension_id`` when given),
    one row per response (in the order of ``score_round``). Where an item was answered
    twice in a response, its first answer counts.
    """
    responses, response_of = _responses(answers)
    rows, item_rows, keyed = keyed_values(answers, instrument)
    items = [i.id for i in instrument.rated_items if dimension_id in (None, i.dimension)]
    column = positions(item_table(instrument)["item_id"], items)[item_rows]
    keep = np.flatnonzero((column >= 0) & ~np.isnan(keyed))
    cell = response_of[rows][keep] * len(items) + column[keep]
    if len(cell) and np.bincount(cell).max() > 1:  # an item answered twice: the first counts
        keep = keep[np.sort(np.unique(cell, return_index=True)[1])]
        cell = response_of[rows][keep] * len(items) + column[keep]
    matrix = np.full(len(responses) * len(items), np.nan)
    matrix[cell] = keyed[keep]
    matrix = matrix.reshape(len(responses), len(items))
    index = pd.Index(responses["response_id"], name="response_id")
    return pd.DataFrame(matrix, index=index, columns=pd.Index(items, name="item_id"))

"""Privacy rules: minimum group sizes, suppression and pseudonyms.

A report may show data of another organisation only as an aggregate over at
least ``min_group_size`` units, and team members only under a pseudonym.
"""

from __future__ import annotations

import hashlib
import os

import pandas as pd

SALT_VARIABLE = "DWP_PSEUDONYM_SALT"


def suppress_small_groups(
    frame: pd.DataFrame, size_column: str, min_size: int, value_columns: list[str]
) -> pd.DataFrame:
    """Blank ``value_columns`` where ``size_column`` is below ``min_size``, and say why.

    Adds ``suppressed`` (bool) so that reports can state plainly that a figure is
    withheld, instead of showing an empty cell without explanation.
    """
    frame = frame.copy()
    small = frame[size_column] < min_size
    frame.loc[small, value_columns] = float("nan")
    frame["suppressed"] = small
    return frame


def member_pseudonyms(respondent_ids: pd.Series, round_id: str, label: str = "lid") -> pd.Series:
    """Stable, non-reversible member labels within a team: "lid 1", "lid 2", ...

    Members are ordered by a keyed hash of their id (salt from ``DWP_PSEUDONYM_SALT``
    and the round), so the numbering reveals nothing about the order of responses
    and is the same each time a report is generated.
    """
    salt = os.environ.get(SALT_VARIABLE, "dwp-assess") + round_id
    keys = respondent_ids.map(lambda r: hashlib.sha256(f"{salt}:{r}".encode()).hexdigest())
    order = keys.rank(method="dense").astype(int)
    return order.map(lambda n: f"{label} {n}")

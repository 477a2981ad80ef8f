"""Privacy rules: minimum group sizes, suppression and pseudonyms.

A report may show data of another organisation only as an aggregate over at
least the minimum group size of organisations, team members only under a
pseudonym, a member's role only where at least the minimum group size of the
team's members share it, and a per-member grid only for teams of at least that
size. ``min_group_size`` is the one place that decides the minimum.
"""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

import pandas as pd

from dwp_assess import project

if TYPE_CHECKING:
    from dwp_assess.instruments.model import Instrument

SALT_VARIABLE = "DWP_PSEUDONYM_SALT"


def min_group_size(instrument: Instrument, settings: project.Settings | None = None) -> int:
    """The smallest group any figure may cover: the larger of the instrument's
    ``scoring.min_group_size`` and the project's ``min_group_size``.

    ``settings`` defaults to this process's project (``project.active()``); without a
    project only the instrument's minimum applies. Neither can lower the other: an
    instrument made for small teams cannot undercut a project's stricter rule.
    """
    settings = settings if settings is not None else project.active()
    project_minimum = settings.min_group_size if settings is not None else 0
    return max(instrument.scoring.min_group_size, project_minimum)


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


def pool_small_categories(values: pd.Series, min_size: int) -> pd.Series:
    """``values`` with every category held by fewer than ``min_size`` entries (and every
    missing value) replaced by ``None``, to be shown as one pooled "other" group.

    Used for members' roles: a role that only one or two members of a team have would
    identify them next to their pseudonym.
    """
    counts = values.map(values.value_counts())
    pooled = values.astype(object).copy()
    pooled[~(values.notna() & (counts >= min_size))] = None
    return pooled


def pool_to_minimum(values: pd.Series, min_size: int) -> pd.Series:
    """``pool_small_categories``, then, while the pooled group is not empty but smaller
    than ``min_size``, the smallest remaining category (by count, then name) joins it.

    For figures per group next to the figure of the whole: with every group but one
    shown, the one left out follows by subtraction, so it must reach the minimum too.
    The result may be a single group (then there is nothing to break down).
    """
    pooled = pool_small_categories(values, min_size)
    while 0 < pooled.isna().sum() < min_size and pooled.notna().any():
        counts = pooled.value_counts()
        smallest = sorted(counts.index, key=lambda c: (counts[c], str(c)))[0]
        pooled[pooled == smallest] = None
    return pooled


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

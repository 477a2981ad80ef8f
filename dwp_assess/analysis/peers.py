"""Peer groups: which organisations an organisation is compared with, widened step by step.

The first choice is the organisations of the same kind and size class. When that group
has fewer organisations with a score than the minimum group size, it is widened: first
to the adjacent size classes of the same kind (the classes just below and above in the
round, ordered by their lower bound), then to all organisations of the same kind. An
organisation whose kind has too few organisations even then gets no comparison, and its
report says so. Every report names the group used (``docs/scoring.md``, "Peer comparison").
"""

from __future__ import annotations

import re

import pandas as pd

from dwp_assess.analysis.privacy import suppress_small_groups
from dwp_assess.analysis.scoring import levels_for
from dwp_assess.instruments.model import Instrument

STEPS = ("size_class", "adjacent", "kind")
UNKNOWN_CLASS = "?"


def class_order(size_class: str) -> float | None:
    """The lower bound of a size class such as "50.000-100.000" or "250.000 en meer"
    (thousands marks ignored), to order classes; ``None`` for a class without a number
    (e.g. "provincie"), which has no neighbours."""
    match = re.search(r"\d[\d.\s]*", str(size_class))
    return float(re.sub(r"[.\s]", "", match.group())) if match else None


def _neighbours(size_class: str, classes: list[str]) -> list[str]:
    """``size_class`` and the classes just below and above it among ``classes``, in order."""
    ordered = sorted((c for c in classes if class_order(c) is not None), key=class_order)
    if size_class not in ordered:
        return [size_class]
    at = ordered.index(size_class)
    return ordered[max(at - 1, 0) : at + 2]


def assign_peer_groups(scored: pd.DataFrame, min_orgs: int) -> pd.DataFrame:
    """Per organisation the peer group it is compared with.

    ``scored`` has one row per organisation with a score: ``organisation_id, kind,
    size_class``. Returns ``organisation_id, kind, step`` (``size_class``, ``adjacent``,
    ``kind`` or ``None`` when even the whole kind is too small), ``classes`` (the size
    classes in the group, in order; empty for the whole kind), ``members`` (the
    organisation ids in the group; the whole kind when it is too small) and
    ``n_organisations``.
    """
    frame = scored.assign(size_class=scored["size_class"].fillna(UNKNOWN_CLASS).astype(str))
    rows = []
    for org in frame.itertuples():
        same_kind = frame[frame["kind"] == org.kind]
        candidates = {
            "size_class": [org.size_class],
            "adjacent": _neighbours(org.size_class, sorted(set(same_kind["size_class"]))),
            "kind": [],
        }
        chosen = None
        for step in STEPS:
            classes = candidates[step]
            members = (
                same_kind if step == "kind" else same_kind[same_kind["size_class"].isin(classes)]
            )
            if step == "adjacent" and len(classes) < 2:
                continue  # no neighbour to widen with
            if len(members) >= min_orgs:
                chosen = (step, classes, members)
                break
        step, classes, members = chosen or (None, [], same_kind)
        rows.append(
            {
                "organisation_id": org.organisation_id,
                "kind": org.kind,
                "step": step,
                "classes": list(classes),
                "members": sorted(members["organisation_id"]),
                "n_organisations": len(members),
            }
        )
    return pd.DataFrame(
        rows, columns=["organisation_id", "kind", "step", "classes", "members", "n_organisations"]
    )


def group_key(kind: str, step: str | None, classes: list[str]) -> str | None:
    """A stable name of a peer group, e.g. "gemeente · 20.000-50.000 + 50.000-100.000"."""
    if step is None or pd.isna(step):
        return None
    return f"{kind}" if step == "kind" else f"{kind} · {' + '.join(classes)}"


def peer_groups(
    dimensions: pd.DataFrame, orgs: pd.DataFrame, min_orgs: int, instrument: Instrument
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(peers, assignment): per peer group and dimension the mean and median of the
    member organisations' means, blanked where fewer than ``min_orgs`` organisations have
    a score on that dimension; and per organisation the group it is compared with
    (``assign_peer_groups`` plus ``peer_group``, the group's key)."""
    scored_ids = dimensions.dropna(subset=["mean"])["organisation_id"].unique()
    scored = orgs[orgs["organisation_id"].isin(scored_ids)][
        ["organisation_id", "kind", "size_class"]
    ]
    assignment = assign_peer_groups(scored, min_orgs)
    assignment["peer_group"] = [
        group_key(r.kind, r.step, r.classes) for r in assignment.itertuples()
    ]
    groups = assignment.dropna(subset=["peer_group"]).drop_duplicates("peer_group")
    rows = []
    for group in groups.itertuples():
        own = dimensions[dimensions["organisation_id"].isin(group.members)]
        stats = own.groupby("dimension_id")["mean"].agg(
            n_organisations="count", mean="mean", median="median"
        )
        rows.append(stats.reset_index().assign(peer_group=group.peer_group, step=group.step))
    columns = ["peer_group", "step", "dimension_id", "n_organisations", "mean", "median"]
    peers = pd.concat(rows, ignore_index=True)[columns] if rows else pd.DataFrame(columns=columns)
    peers = suppress_small_groups(peers, "n_organisations", min_orgs, ["mean", "median"])
    peers["level"] = levels_for(peers["mean"], instrument)
    assignment["classes"] = assignment["classes"].map(" + ".join)
    return peers, assignment.drop(columns="members")

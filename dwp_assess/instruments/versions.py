"""Mappings between two versions of an instrument, and which items the versions share.

A mapping file (``questionnaires/<id>-v<a>-to-v<b>.yaml``) says for every item of the older
version whether it was kept, reworded, rescaled, moved to another dimension, split into
new items or dropped, and lists the items that are new. ``mapping_problems`` checks it
against both instruments: every item id of both versions must be accounted for exactly
once, and a status must agree with the files (a "kept" item has the same text, scale,
dimension and keying in both).

``comparable_items`` then gives the pairs of items whose answers can be compared across
the versions. Why: a change between a v1 and a v2 round is only a change of the
organisation when it is measured with the same questions; a split or rescaled item
measures something else. The rule (also in ``docs/scoring.md``):

* an item is comparable when it is kept, or reworded or moved on the same answer scale
  (same values and Dutch labels); rescaled, split, dropped and new items are not;
* it counts in a dimension's change only when it sits in the same dimension in both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from dwp_assess.instruments.model import Instrument, Item

if TYPE_CHECKING:  # pandas is imported where a table is made: `validate` needs none
    import pandas as pd

ONE_TO_ONE = ("kept", "reworded", "rescaled", "moved")
COMPARABLE_COLUMNS = [
    "item_before",
    "item_after",
    "status",
    "dimension_before",
    "dimension_after",
    "same_scale",
    "comparable",
    "same_dimension",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemChange(_Model):
    """What happened to one item of the older version."""

    status: Literal["kept", "reworded", "rescaled", "moved", "split", "dropped"]
    into: list[str] = Field(default_factory=list, description="split only: the new items")
    why: str | None = None


class NewItem(_Model):
    id: str
    why: str | None = None


class VersionMapping(_Model):
    """The relation between the items of ``from_version`` and ``to_version`` of an instrument."""

    instrument: str
    from_version: int = Field(ge=1)
    to_version: int = Field(ge=2)
    items: dict[str, ItemChange]
    new: list[NewItem] = Field(default_factory=list)

    def targets(self, item_id: str) -> list[str]:
        """The newer version's items that an older item became (empty when dropped)."""
        change = self.items[item_id]
        if change.status == "split":
            return list(change.into)
        return [] if change.status == "dropped" else [item_id]


def _scale_key(instrument: Instrument, item: Item) -> list[tuple[int, str]]:
    return [(p.value, p.label.nl) for p in instrument.scale_by_id[item.scale].points]


def _status_problems(item_id: str, status: str, before: Instrument, after: Instrument) -> list[str]:
    """Whether a one-to-one status agrees with the two instrument files."""
    old, new = before.item_by_id[item_id], after.item_by_id[item_id]
    same_text = old.text.nl == new.text.nl
    same_scale = _scale_key(before, old) == _scale_key(after, new)
    same_place = old.dimension == new.dimension and old.reverse == new.reverse
    expected = {
        "kept": same_text and same_scale and same_place,
        "moved": same_text and same_scale and old.dimension != new.dimension,
        "rescaled": same_text and not same_scale,
        "reworded": not same_text,
    }[status]
    if expected:
        return []
    return [
        f"items.{item_id}.status: '{status}' does not fit the files (text same: {same_text}, scale same: {same_scale}, dimension {old.dimension} → {new.dimension})"
    ]


def mapping_problems(mapping: VersionMapping, before: Instrument, after: Instrument) -> list[str]:
    """Every way ``mapping`` disagrees with the two instruments (empty when it fits)."""
    problems = []
    old_ids, new_ids = [i.id for i in before.items], [i.id for i in after.items]
    missing = [i for i in old_ids if i not in mapping.items]
    if missing:
        problems.append(f"items: no entry for v{before.version} item(s) {', '.join(missing)}")
    claimed: list[str] = []
    for item_id, change in mapping.items.items():
        if item_id not in before.item_by_id:
            problems.append(f"items.{item_id}: not an item of {before.key}")
            continue
        if (change.status == "split") != bool(change.into):
            problems.append(f"items.{item_id}.into: needed for status split and only there")
        if change.status == "split" and len(change.into) < 2:
            problems.append(f"items.{item_id}.into: a split needs at least two items")
        targets = mapping.targets(item_id)
        unknown = [t for t in targets if t not in after.item_by_id]
        if unknown:
            problems.append(f"items.{item_id}: {', '.join(unknown)} not an item of {after.key}")
        elif change.status in ONE_TO_ONE:
            problems += _status_problems(item_id, change.status, before, after)
        claimed += targets
    claimed += [n.id for n in mapping.new]
    unknown_new = [n.id for n in mapping.new if n.id not in after.item_by_id]
    if unknown_new:
        problems.append(f"new: {', '.join(unknown_new)} not an item of {after.key}")
    twice = sorted({i for i in claimed if claimed.count(i) > 1})
    if twice:
        problems.append(f"{after.key} item(s) accounted for more than once: {', '.join(twice)}")
    unaccounted = [i for i in new_ids if i not in claimed]
    if unaccounted:
        problems.append(
            f"{after.key} item(s) not accounted for (a split target or under new): {', '.join(unaccounted)}"
        )
    return problems


def comparable_items(
    before: Instrument, after: Instrument, mapping: VersionMapping | None = None
) -> pd.DataFrame:
    """The one-to-one item pairs of two versions and whether each is comparable (rule in the
    module docstring); the same version compares every rating item with itself."""
    import pandas as pd

    if before.key == after.key:
        pairs = [(i.id, i.id, "same version") for i in before.rated_items]
    elif mapping is None:
        raise ValueError(f"comparing {before.key} with {after.key} needs a version mapping")
    else:
        pairs = [(i, i, c.status) for i, c in mapping.items.items() if c.status in ONE_TO_ONE]
    rows = []
    for old_id, new_id, status in pairs:
        old, new = before.item_by_id[old_id], after.item_by_id[new_id]
        same_scale = _scale_key(before, old) == _scale_key(after, new)
        comparable = same_scale and status != "rescaled" and "rating" == old.type == new.type
        rows.append(
            (
                old_id,
                new_id,
                status,
                old.dimension,
                new.dimension,
                same_scale,
                comparable,
                old.dimension == new.dimension,
            )
        )
    return pd.DataFrame(rows, columns=COMPARABLE_COLUMNS)


def dimension_items(pairs: pd.DataFrame) -> pd.DataFrame:
    """The comparable pairs that count in a dimension's change (same dimension in both)."""
    usable = pairs[pairs["comparable"] & pairs["same_dimension"]]
    return usable.rename(columns={"dimension_after": "dimension_id"})[
        ["dimension_id", "item_before", "item_after", "status"]
    ].reset_index(drop=True)

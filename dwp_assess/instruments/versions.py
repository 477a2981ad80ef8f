"""Mappings between two versions of an instrument, and which items the versions share.

A mapping file (``questionnaires/<id>-v<a>-to-v<b>.yaml``) says for every item of the older
version whether it was kept, reworded, rescaled, moved to another dimension, split into
new items or dropped, and lists the items that are new. ``mapping_problems`` checks it
against both instruments: every item id of both versions must be accounted for exactly
once, and a status must agree with the files (a "kept" item has the same text, scale,
dimension and keying in both).

A mapping may also declare, under ``scales``, that a scale was reworded: the same values
with the same meaning, in other words (for a level-choice template: the level descriptions
that are its answers). Without that declaration another label is another scale. Why it is
declared and not guessed: whether "niet geborgd" and "niet geregeld" mean the same is a
decision of the instrument's authors, and the file is where a reader can check it.

``comparable_items`` then gives the pairs of items whose answers can be compared across
the versions. Why: a change between a v1 and a v2 round is only a change of the
organisation when it is measured with the same questions; a split or rescaled item
measures something else. The rule (also in ``docs/scoring.md``):

* an item is comparable when it is kept, or reworded or moved on the same answer scale
  (same values, and the same Dutch labels or a scale the mapping declares reworded);
  rescaled, split, dropped and new items are not;
* it counts in a dimension's change only when it sits in the same dimension in both.

Versions further apart (a v1 round against a v3 round) are compared along the chain of
mappings between them (``chained_items``): a pair is comparable only when it is comparable
at every step, so a direct mapping file is needed only to say something the steps do not.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from dwp_assess.instruments.model import Instrument, Item, level_scale_id

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


class ScaleChange(_Model):
    """A scale whose labels were reworded and whose points keep their values and meaning."""

    status: Literal["reworded"]
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
    scales: dict[str, ScaleChange] = Field(
        default_factory=dict,
        description="Scales (or level-choice templates) reworded with the same values and meaning.",
    )

    def targets(self, item_id: str) -> list[str]:
        """The newer version's items that an older item became (empty when dropped)."""
        change = self.items[item_id]
        if change.status == "split":
            return list(change.into)
        return [] if change.status == "dropped" else [item_id]


def _scale_key(instrument: Instrument, item: Item) -> list[tuple[int, str]]:
    return [(p.value, p.label.nl) for p in instrument.scale_by_id[item.scale].points]


def _declared_scale(item: Item, reworded: Iterable[str]) -> str | None:
    """The scale of ``reworded`` that ``item``'s scale is, or is derived from (a level
    question's scale ``<template>_<dimension>``)."""
    for scale_id in reworded:
        if item.scale in (scale_id, level_scale_id(scale_id, item.dimension)):
            return scale_id
    return None


def same_scale(
    before: Instrument, old: Item, after: Instrument, new: Item, reworded: Iterable[str] = ()
) -> bool:
    """Whether ``old`` and ``new`` are answered on one scale: the same values and Dutch
    labels, or the same values on a scale that ``reworded`` (a mapping's ``scales``)
    declares reworded with the same meaning."""
    if _scale_key(before, old) == _scale_key(after, new):
        return True
    values = [p.value for p in before.scale_by_id[old.scale].points]
    declared = _declared_scale(old, reworded)
    return (
        declared is not None
        and declared == _declared_scale(new, reworded)
        and values == [p.value for p in after.scale_by_id[new.scale].points]
    )


def _scale_problems(mapping: VersionMapping, before: Instrument, after: Instrument) -> list[str]:
    """A declared reworded scale exists in both versions with the same values."""
    problems = []
    for scale_id in mapping.scales:
        old, new = before.scale_by_id.get(scale_id), after.scale_by_id.get(scale_id)
        if old is None or new is None:
            missing = before.key if old is None else after.key
            problems.append(f"scales.{scale_id}: not a scale of {missing}")
        elif [p.value for p in old.points] != [p.value for p in new.points]:
            problems.append(
                f"scales.{scale_id}: the values differ between the versions; a scale with other values is another scale, not a rewording"
            )
    return problems


def _status_problems(
    item_id: str, status: str, before: Instrument, after: Instrument, reworded: Iterable[str] = ()
) -> list[str]:
    """Whether a one-to-one status agrees with the two instrument files."""
    old, new = before.item_by_id[item_id], after.item_by_id[item_id]
    same_text = old.text.nl == new.text.nl
    same = same_scale(before, old, after, new, reworded)
    same_place = old.dimension == new.dimension and old.reverse == new.reverse
    expected = {
        "kept": same_text and same and same_place,
        "moved": same_text and same and old.dimension != new.dimension,
        "rescaled": same_text and not same,
        "reworded": not same_text,
    }[status]
    if expected:
        return []
    return [
        f"items.{item_id}.status: '{status}' does not fit the files (text same: {same_text}, scale same: {same}, dimension {old.dimension} → {new.dimension})"
    ]


def mapping_problems(mapping: VersionMapping, before: Instrument, after: Instrument) -> list[str]:
    """Every way ``mapping`` disagrees with the two instruments (empty when it fits)."""
    problems = _scale_problems(mapping, before, after)
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
            problems += _status_problems(item_id, change.status, before, after, mapping.scales)
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
    reworded = mapping.scales if mapping is not None else {}
    rows = []
    for old_id, new_id, status in pairs:
        old, new = before.item_by_id[old_id], after.item_by_id[new_id]
        same = same_scale(before, old, after, new, reworded)
        comparable = same and status != "rescaled" and "rating" == old.type == new.type
        rows.append(
            (
                old_id,
                new_id,
                status,
                old.dimension,
                new.dimension,
                same,
                comparable,
                old.dimension == new.dimension,
            )
        )
    return pd.DataFrame(rows, columns=COMPARABLE_COLUMNS)


def chained_items(
    instruments: Sequence[Instrument], mappings: Sequence[VersionMapping]
) -> pd.DataFrame:
    """``comparable_items`` from the first to the last of ``instruments`` (consecutive
    versions of one instrument, ``mappings[k]`` from ``instruments[k]`` to ``k + 1``),
    composed step by step: a pair runs through every step one-to-one, it is on the same
    scale and comparable only when it is at every step, its status is the one status of
    its steps ("kept" when all are kept, else the changes joined by "+", e.g. "reworded"
    or "moved+reworded"), and its dimensions are those of the first and last version."""
    if len(mappings) != len(instruments) - 1 or not mappings:
        raise ValueError("a chain of n versions needs n - 1 mappings (at least one)")
    steps = [
        comparable_items(a, b, m)
        for a, b, m in zip(instruments[:-1], instruments[1:], mappings, strict=True)
    ]
    chain = steps[0].rename(columns={"status": "status_0"})
    for n, step in enumerate(steps[1:], start=1):
        nxt = step[
            ["item_before", "item_after", "status", "dimension_after", "same_scale", "comparable"]
        ]
        joined = chain.merge(
            nxt.set_axis(["item_after", "item_next", f"status_{n}", "dim", "same", "comp"], axis=1),
            on="item_after",
        )
        chain = joined.assign(
            item_after=joined["item_next"],
            dimension_after=joined["dim"],
            same_scale=joined["same_scale"] & joined["same"],
            comparable=joined["comparable"] & joined["comp"],
        ).drop(columns=["item_next", "dim", "same", "comp"])
    statuses = chain[[f"status_{n}" for n in range(len(steps))]].to_numpy().tolist()
    chain["status"] = [_composed_status(s) for s in statuses]
    chain["same_dimension"] = chain["dimension_before"] == chain["dimension_after"]
    return chain[COMPARABLE_COLUMNS].reset_index(drop=True)


def _composed_status(statuses: list[str]) -> str:
    changes = sorted({s for s in statuses if s != "kept"})
    return "+".join(changes) if changes else "kept"


def dimension_items(pairs: pd.DataFrame) -> pd.DataFrame:
    """The comparable pairs that count in a dimension's change (same dimension in both)."""
    usable = pairs[pairs["comparable"] & pairs["same_dimension"]]
    return usable.rename(columns={"dimension_after": "dimension_id"})[
        ["dimension_id", "item_before", "item_after", "status"]
    ].reset_index(drop=True)


@dataclass(frozen=True)
class FormerWording:
    """How older versions worded what the newest one still asks alike: per item id its
    older Dutch texts (each with the newest older version that used it), per scale id and
    point value its older labels (Dutch and English).
    An import into a round of the newest version accepts them, because a survey tool's
    export made with an older version's form carries its texts (Microsoft Forms names a
    column by the question, and writes the chosen answer's label)."""

    texts: dict[str, dict[str, int]] = field(default_factory=dict)
    labels: dict[str, dict[int, list[str]]] = field(default_factory=dict)


def former_wording(older: Instrument, newer: Instrument, pairs: pd.DataFrame) -> FormerWording:
    """The wording of ``older`` for the items of ``newer`` that ``pairs`` (``chained_items``
    between them) says are asked alike: one-to-one, on the same scale, not rescaled. A
    split, dropped or rescaled item's old text is not accepted: its answers mean something
    else. Texts and labels that ``newer`` uses itself are left out."""
    alike = pairs[pairs["same_scale"] & ~pairs["status"].str.contains("rescaled")]
    wording = FormerWording()
    for old_id, new_id in zip(alike["item_before"], alike["item_after"], strict=True):
        old, new = older.item_by_id[old_id], newer.item_by_id[new_id]
        if old.text.nl != new.text.nl:
            wording.texts.setdefault(new_id, {})[old.text.nl] = older.version
        now = {p.value: p.label for p in newer.scale_by_id[new.scale].points}
        labels = wording.labels.setdefault(new.scale, {})
        for point in older.scale_by_id[old.scale].points:
            for text in (point.label.nl, point.label.en):
                current = now.get(point.value)
                if text and current and text not in (current.nl, current.en):
                    labels.setdefault(point.value, [])
                    if text not in labels[point.value]:
                        labels[point.value].append(text)
    for scale_id in [k for k, v in wording.labels.items() if not v]:
        del wording.labels[scale_id]
    return wording


def merged_wording(wordings: Iterable[FormerWording]) -> FormerWording:
    """The wording of several older versions in one: all of it is accepted."""
    out = FormerWording()
    for w in wordings:
        for item_id, texts in w.texts.items():
            known = out.texts.setdefault(item_id, {})
            known.update({t: v for t, v in texts.items() if v > known.get(t, 0)})
        for scale_id, by_value in w.labels.items():
            target = out.labels.setdefault(scale_id, {})
            for value, labels in by_value.items():
                target.setdefault(value, []).extend(x for x in labels if x not in target[value])
    return out

"""Recommendations: from an organisation's own gaps to concrete actions, owners and tools.

The rules are data, per instrument: the packaged ``questionnaires/recommendations.yaml``
and a project's own file of that name, merged by instrument id and version (``load_rules``):
a project that adds rules for its own instrument, or replaces those of one version, keeps
the packaged rules of every other instrument. They are validated when read: against their
own format (pydantic) and against every version of the instrument they serve (dimensions,
levels and indicator items exist; every dimension has an action at every level; every
action names a tool). Each problem names the file, the rule and the field. A scored
instrument without rules is no error: ``missing_rules`` lists it (``dwp-assess validate``)
and its reports say that they give no advice.

How actions are chosen and ordered (``docs/scoring.md``, "Advice"): every dimension of the
organisation gets its gap reasons — named priority (its mean's 95% interval wholly below the
organisation's own average), reliable decline since the previous round, clearly below its peer
group (beyond the own mean's interval), opinions differing on the discussion agenda — and its
distance to the next level. ``first_actions`` is the one list of priorities the report and the
management summary both show. Dimensions that are a named priority or declined reliably
always get an action; the others fill the list up to ``selection.limit``. An organisation
whose dimensions all sit at the top levels also gets the action to consolidate and share
its strongest dimension.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dwp_assess.instruments.loading import available_instruments, read_yaml, rules_files
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import Instrument, InstrumentError, Text
from dwp_assess.locale import number

ACTION_ID = r"^[a-z0-9][a-z0-9_-]*$"
COLUMNS = [
    "rank",
    "action_id",
    "dimension_id",
    "purpose",
    "level",
    "target_level",
    "target",
    "action",
    "owner",
    "horizon",
    "tool",
    "tool_description",
    "tool_url",
    "tool_kind",
    "indicator",
    "reasons",
    "mean",
    "low",
    "high",
    "tied",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tool(_Model):
    """A Datawerkplaats tool or a national facility an action points to."""

    kind: Literal["datawerkplaats", "national"]
    name: Text
    description: Text
    url: str | None = Field(default=None, pattern=r"^https://\S+$")

    @model_validator(mode="after")
    def _national_has_url(self) -> Tool:
        if self.kind == "national" and not self.url:
            raise ValueError("a national facility needs its url (where a municipality finds it)")
        return self


class OrganisationAction(_Model):
    """One action for a dimension at the current levels ``levels``."""

    id: str = Field(pattern=ACTION_ID, max_length=64)
    dimension: str
    levels: list[int] = Field(min_length=1)
    purpose: Literal["develop", "consolidate"]
    owner: str
    horizon: Literal["0-3", "3-12", "12+"]
    tool: str = Field(min_length=1)
    indicator: list[str] = Field(min_length=1)
    action: Text


class Selection(_Model):
    limit: int = Field(default=5, ge=1)
    priorities: int = Field(default=3, ge=1)
    peer_gap: float = Field(default=0.3, gt=0)


class OrganisationRules(_Model):
    """The organisation actions for one instrument: every version of it, or ``versions``."""

    instrument: str
    versions: list[int] | None = Field(default=None, min_length=1)
    selection: Selection | None = None  # default: the file's
    actions: list[OrganisationAction] = Field(min_length=1)


class TeamRule(_Model):
    competence: str
    action: Text
    tool: str = Field(min_length=1)


class TeamRules(_Model):
    """The team rules for one team instrument: every version of it, or ``versions``."""

    instrument: str
    versions: list[int] | None = Field(default=None, min_length=1)
    rules: list[TeamRule] = Field(min_length=1)


class RulesFile(_Model):
    """One rules file (the packaged one, or a project's): shared owners and tools, and rules
    per instrument (``organisation`` and ``team``: one block per instrument and versions)."""

    selection: Selection = Selection()
    owners: dict[str, Text] = {}
    tools: dict[str, Tool] = {}
    organisation: list[OrganisationRules] = []
    team: list[TeamRules] = []

    @field_validator("organisation", mode="before")
    @classmethod
    def _one_block(cls, value):
        """One instrument's block may stand alone instead of in a list (the older form)."""
        return [value] if isinstance(value, dict) else value

    @field_validator("team", mode="before")
    @classmethod
    def _team_blocks(cls, value):
        """Team rules name their instrument; the older plain list of rules is refused with
        the form to use (which team instrument it served is the analyst's to say)."""
        if isinstance(value, list) and any(
            isinstance(v, dict) and "competence" in v for v in value
        ):
            raise ValueError(
                "name the instrument of the team rules: team: [{instrument: competences, rules: [...]}]"
            )
        return [value] if isinstance(value, dict) else value


@dataclass(frozen=True)
class InstrumentRules:
    """The rules one instrument version's advice uses, merged from every rules file: its
    selection, its actions (organisation instruments) or team rules (team instruments),
    and the owners and tools they name."""

    instrument: str
    version: int
    selection: Selection
    owners: dict[str, Text]
    tools: dict[str, Tool]
    actions: tuple[OrganisationAction, ...] = ()
    team: tuple[TeamRule, ...] = ()
    source: Path | None = None  # the file the actions or team rules come from

    def action(self, action_id: str) -> OrganisationAction | None:
        return next((a for a in self.actions if a.id == action_id), None)

    def digest(self) -> str:
        """A digest of everything these rules put in a report (the actions or team rules,
        the selection, and the owners and tools they name): part of the report's
        up-to-date key, so that a rules change remakes exactly the reports it changes."""
        named = {a.tool for a in self.actions} | {r.tool for r in self.team}
        owners = {a.owner for a in self.actions}
        text = json.dumps(
            [
                self.selection.model_dump(),
                [a.model_dump() for a in self.actions],
                [r.model_dump() for r in self.team],
                {k: v.model_dump() for k, v in sorted(self.owners.items()) if k in owners},
                {k: v.model_dump() for k, v in sorted(self.tools.items()) if k in named},
            ],
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class RuleSet:
    """The recommendation rules of every instrument version, merged from the packaged rules
    and the project's (``load_rules``)."""

    by_version: dict[tuple[str, int], InstrumentRules]

    def for_instrument(self, instrument: Instrument) -> InstrumentRules | None:
        """The rules of ``instrument``'s version; ``None`` when no file has any for it."""
        return self.by_version.get((instrument.id, instrument.version))


def instrument_problems(
    rules: OrganisationRules, versions: list[Instrument], tools: dict, owners: dict
) -> list[str]:
    """What does not fit the instrument versions one block of organisation rules serves:
    unknown tools, owners, dimensions or items, a develop action at the top level (it has
    no next level), a version in which an action has no indicator item of its dimension,
    and a dimension × level without an action (a named priority there would get none)."""
    problems = []
    dimensions = {d.id for v in versions for d in v.dimensions}
    items = {i.id for v in versions for i in v.items}
    ids = [r.id for r in rules.actions]
    problems += [
        f"actions: id '{i}' is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})
    ]
    for n, rule in enumerate(rules.actions):
        where = f"actions.{n} ({rule.id})"
        if rule.tool not in tools:
            problems.append(f"{where}: tool: unknown tool '{rule.tool}'; define it under tools")
        if rule.owner not in owners:
            problems.append(f"{where}: owner: unknown owner '{rule.owner}'; define it under owners")
        if rule.dimension not in dimensions:
            problems.append(
                f"{where}: dimension: unknown dimension '{rule.dimension}' of {rules.instrument}"
            )
            continue
        unknown = [i for i in rule.indicator if i not in items]
        if unknown:
            problems.append(f"{where}: indicator: unknown item(s) {', '.join(unknown)}")
        for version in versions:
            if rule.dimension not in {d.id for d in version.dimensions}:
                continue
            top = max(lv.level for lv in version.scoring.levels)
            bad = [lv for lv in rule.levels if not 1 <= lv <= top]
            if bad:
                problems.append(f"{where}: levels: {bad} outside 1–{top} of {version.key}")
            if rule.purpose == "develop" and top in rule.levels:
                problems.append(
                    f"{where}: levels: a develop action cannot fit the top level {top} (no next level); use purpose consolidate"
                )
            if not indicator_items(rule, version):
                problems.append(
                    f"{where}: indicator: no item of dimension {rule.dimension} in {version.key}"
                )
    for version in versions:
        for dim in version.dimensions:
            for level in (lv.level for lv in version.scoring.levels):
                if not fitting_actions(rules, dim.id, level):
                    problems.append(
                        f"actions: no action for {dim.id} at level {level} ({version.key})"
                    )
            top = max(lv.level for lv in version.scoring.levels)
            if not any(a.purpose == "consolidate" for a in fitting_actions(rules, dim.id, top)):
                problems.append(
                    f"actions: no consolidate action for {dim.id} at the top level {top} ({version.key})"
                )
    return problems


def team_problems(rules: TeamRules, versions: list[Instrument], tools: dict) -> list[str]:
    """Team rules naming an unknown tool or a competence none of their versions has."""
    competences = {d.id for v in versions for d in v.dimensions}
    problems = []
    for n, rule in enumerate(rules.rules):
        if rule.tool not in tools:
            problems.append(
                f"rules.{n} ({rule.competence}): tool: unknown tool '{rule.tool}'; define it under tools"
            )
        if rule.competence not in competences:
            problems.append(
                f"rules.{n}: competence: unknown competence '{rule.competence}' of {rules.instrument}"
            )
    return problems


def load_rules(path: Path | None = None) -> RuleSet:
    """Read, validate and merge the recommendation rules: the packaged file, then the
    project's (``instruments.loading.rules_files``), or only ``path``. Owners and tools
    merge by key; an instrument version's actions (or team rules) come from the last file
    that has rules for it, so a project's rules for its own instrument leave the packaged
    rules of the others in place. ``InstrumentError`` lists every problem with the file,
    the rule and the field."""
    paths = [Path(path)] if path else rules_files()
    instruments = available_instruments()
    stamp = tuple(
        (p, p.stat().st_mtime_ns, p.stat().st_size) if p.is_file() else (p, 0, 0) for p in paths
    )
    return _load_rules(stamp, tuple(sorted((k, i.content_hash) for k, i in instruments.items())))


@cache
def _load_rules(stamp: tuple, _instruments: tuple) -> RuleSet:
    instruments = list(available_instruments().values())
    files = [(path, _read_rules_file(path)) for path, _, _ in stamp]
    owners = {k: v for _, f in files for k, v in f.owners.items()}
    tools = {k: v for _, f in files for k, v in f.tools.items()}
    merged: dict[tuple[str, int], InstrumentRules] = {}
    problems: list[str] = []
    for path, rules_file_ in files:
        seen: dict[tuple[str, int], str] = {}
        blocks = [("organisation", n, b) for n, b in enumerate(rules_file_.organisation)]
        blocks += [("team", n, b) for n, b in enumerate(rules_file_.team)]
        for part, n, block in blocks:
            where = f"{path}: {part}.{n} ({block.instrument})"
            versions, found = _versions(block, instruments)
            if found:
                problems.append(f"{where}: {found}")
                continue
            if part == "organisation":
                problems += [
                    f"{where}: {p}" for p in instrument_problems(block, versions, tools, owners)
                ]
            else:
                problems += [f"{where}: {p}" for p in team_problems(block, versions, tools)]
            for version in versions:
                key = (version.id, version.version)
                if key in seen:
                    problems.append(
                        f"{where}: {version.key} has rules twice in this file (also in {seen[key]})"
                    )
                seen[key] = f"{part}.{n}"
                before = merged.get(key)
                merged[key] = InstrumentRules(
                    version.id,
                    version.version,
                    block.selection or rules_file_.selection
                    if part == "organisation"
                    else rules_file_.selection,
                    owners,
                    tools,
                    actions=tuple(block.actions)
                    if part == "organisation"
                    else (before.actions if before else ()),
                    team=tuple(block.rules) if part == "team" else (before.team if before else ()),
                    source=path,
                )
    if problems:
        raise InstrumentError(problems)
    return RuleSet(merged)


def _read_rules_file(path: Path) -> RulesFile:
    """One rules file, validated against its own format; problems name the file and field."""
    try:
        return RulesFile.model_validate(read_yaml(path))
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            loc = ".".join(map(str, e["loc"])) or "(top level)"
            msg = (
                "required field is missing"
                if e["type"] == "missing"
                else e["msg"].removeprefix("Value error, ")
            )
            problems.append(f"{path}: {loc}: {msg}")
        raise InstrumentError(problems) from None


def _versions(block, instruments: list[Instrument]) -> tuple[list[Instrument], str]:
    """The instrument versions a block of rules serves, or the reason it serves none."""
    every = [i for i in instruments if i.id == block.instrument]
    if not every:
        return [], f"instrument: unknown instrument '{block.instrument}'"
    if block.versions is None:
        return every, ""
    missing = sorted(set(block.versions) - {i.version for i in every})
    if missing:
        return [], f"versions: {block.instrument} has no version(s) {', '.join(map(str, missing))}"
    return [i for i in every if i.version in block.versions], ""


def rules_for(instrument: Instrument, rules: RuleSet | None = None) -> InstrumentRules | None:
    """The rules of ``instrument``'s version (``None``: it has none, so its reports leave
    the advice out)."""
    return (rules or load_rules()).for_instrument(instrument)


# How ``missing_rules`` names each block of rules an output's advice comes from
# (``OutputRules.advice``: a field of ``InstrumentRules``).
_RULE_BLOCKS = {"actions": "organisation actions", "team": "team rules"}


def missing_rules(rules: RuleSet, instruments: list[Instrument]) -> list[str]:
    """The scored instrument versions without rules: their reports leave the advice out
    (``dwp-assess validate`` lists them)."""
    missing = []
    for instrument in instruments:
        block = instrument.output_rules.advice  # the rules its output's advice comes from
        if block is None:
            continue
        needs = _RULE_BLOCKS[block]
        own = rules.for_instrument(instrument)
        if own is None or not getattr(own, block):
            missing.append(
                f"{instrument.key}: no recommendation rules ({needs}) in {', '.join(str(p) for p in rules_files())}; its reports leave the advice out"
            )
    return missing


def fitting_actions(rules, dimension_id: str, level: int) -> list[OrganisationAction]:
    """The actions for ``dimension_id`` at current ``level``, in file order (of an
    ``InstrumentRules`` or one block of ``OrganisationRules``)."""
    return [a for a in rules.actions if a.dimension == dimension_id and level in a.levels]


def indicator_items(rule: OrganisationAction, instrument: Instrument) -> list[str]:
    """The rule's indicator items that ``instrument`` asks, in the rule's order."""
    return [i for i in rule.indicator if i in instrument.item_by_id]


# -- the gaps of one organisation --------------------------------------------------------------


def _level_of(view, dimension_id: str) -> pd.Series | None:
    rows = (
        view.levels[view.levels["dimension_id"] == dimension_id]
        if len(view.levels)
        else view.levels
    )
    return rows.iloc[0] if len(rows) and pd.notna(rows.iloc[0]["level"]) else None


def distance_to_next(row: pd.Series, instrument: Instrument) -> float:
    """How much of a step remains to the next level (0–1; 0 at the top): chosen levels
    measure from the median chosen level, estimated levels from the mean score between the
    level's thresholds."""
    levels = {lv.level: lv.min_score for lv in instrument.scoring.levels}
    level = int(row["level"])
    if level + 1 not in levels:
        return 0.0
    if row["level_basis"] == "chosen":
        position = min(max(float(row["median"]), level), level + 1)
        return level + 1 - position
    step = levels[level + 1] - levels[level]
    return min(max((levels[level + 1] - float(row["mean_score"])) / step, 0.0), 1.0)


def dimension_gaps(
    view, instrument: Instrument, rules: InstrumentRules, lang: str = "nl"
) -> pd.DataFrame:
    """Per dimension with a level: ``level``, ``distance`` to the next, ``priority`` rank
    (1 = lowest mean; missing when not named), the mean with its interval, the reasons as
    text, and the ``group`` that orders it (0: named priority or reliable decline, 1: clearly
    below peers or on the agenda, 2: rest). A named priority scores clearly below the
    organisation's own average, a peer gap counts only beyond the own mean's interval
    (``OrganisationView.strengths_and_priorities``, ``docs/scoring.md``, "Advice")."""
    selection = rules.selection
    _, priorities = view.strengths_and_priorities(selection.priorities)
    evidence = _GapEvidence(
        rank={d: n + 1 for n, d in enumerate(priorities["dimension_id"])},
        centre=priorities["centre"].iloc[0] if len(priorities) else math.nan,
        intervals=view.mean_intervals().set_index("dimension_id"),
        declines=_reliable_declines(view),
        peers=_shown_peer_means(view),
        agenda=_agenda_statements(view),
    )
    rows = []
    for order, dim in enumerate(instrument.dimensions):
        row = _level_of(view, dim.id)
        if row is None:
            continue
        first, reasons = _gap_reasons(dim.id, evidence, selection.peer_gap, instrument, lang)
        intervals = evidence.intervals
        rows.append(
            {
                "dimension_id": dim.id,
                "order": order,
                "level": int(row["level"]),
                "distance": distance_to_next(row, instrument),
                "priority": evidence.rank.get(dim.id, math.inf),
                "mean": intervals["mean"].get(dim.id, math.nan),
                "low": intervals["low"].get(dim.id, math.nan),
                "high": intervals["high"].get(dim.id, math.nan),
                "group": 0 if first else 1 if reasons else 2,
                "reasons": first + reasons,
            }
        )
    gaps = pd.DataFrame(
        rows,
        columns=[
            "dimension_id",
            "order",
            "level",
            "distance",
            "priority",
            "mean",
            "low",
            "high",
            "group",
            "reasons",
        ],
    )
    gaps["n_reasons"] = gaps["reasons"].map(len)
    keys = ["group", "n_reasons", "priority", "level", "distance", "order"]
    return gaps.sort_values(
        keys, ascending=[True, False, True, True, False, True], ignore_index=True
    )


@dataclass(frozen=True)
class _GapEvidence:
    """What ``dimension_gaps`` weighs per dimension: the named priorities' ranks and the
    organisation's own average (``centre``), the means with their intervals, reliable
    declines since the previous round, the peer group's means where shown, and the first
    statement of each dimension on the discussion agenda."""

    rank: dict[str, int]
    centre: float
    intervals: pd.DataFrame
    declines: dict[str, float]
    peers: pd.Series
    agenda: pd.Series


def _reliable_declines(view) -> dict[str, float]:
    """The dimensions whose mean went down reliably since the previous round, with the change."""
    change = view.change
    if not len(change):
        return {}
    change = change[change["reliable"].astype(bool) & (change["difference"] < 0)]
    return dict(zip(change["dimension_id"], change["difference"], strict=True))


def _shown_peer_means(view) -> pd.Series:
    """The peer group's mean per dimension, where the group is large enough to be shown."""
    if not len(view.peers):
        return pd.Series(dtype=float)
    return view.peers[~view.peers["suppressed"].astype(bool)].set_index("dimension_id")["mean"]


def _agenda_statements(view) -> pd.Series:
    """Per dimension the first statement on the discussion agenda (opinions far apart)."""
    if not len(view.items):
        return pd.Series(dtype=str)
    return view.agenda().drop_duplicates("dimension_id").set_index("dimension_id")["item_id"]


def _gap_reasons(
    dimension_id: str, evidence: _GapEvidence, peer_gap: float, instrument: Instrument, lang: str
) -> tuple[list[str], list[str]]:
    """Why a dimension comes first (a named priority, a reliable decline) and why it counts
    at all (clearly below peers beyond the own mean's interval, on the agenda), as text."""
    means, high = evidence.intervals["mean"], evidence.intervals["high"]
    first = []
    if dimension_id in evidence.rank:
        mean, centre = number(means[dimension_id], 1, lang), number(evidence.centre, 1, lang)
        first.append(t("advice.reason.priority", lang, mean=mean, centre=centre))
    if dimension_id in evidence.declines:
        difference = number(evidence.declines[dimension_id], 2, lang, signed=True)
        first.append(t("advice.reason.decline", lang, difference=difference))
    other = []
    peer = evidence.peers.get(dimension_id, math.nan)
    gap = means.get(dimension_id, math.nan) - peer
    if gap <= -peer_gap and high.get(dimension_id, math.nan) < peer:
        own, peers = number(means[dimension_id], 1, lang), number(peer, 1, lang)
        other.append(t("advice.reason.peers", lang, own=own, peers=peers))
    if dimension_id in evidence.agenda.index:
        statement = instrument.item_by_id[evidence.agenda[dimension_id]].text.get(lang)
        other.append(t("advice.reason.agenda", lang, statement=statement))
    return first, other


def _choose(
    rules: InstrumentRules, dimension_id: str, level: int, purpose: str | None = None
) -> OrganisationAction:
    """The first action that fits (a develop action below the top, else consolidate)."""
    fitting = fitting_actions(rules, dimension_id, level)
    wanted = purpose or (
        "develop" if any(a.purpose == "develop" for a in fitting) else "consolidate"
    )
    return next(a for a in fitting if a.purpose == wanted)


def _action_row(
    rule: OrganisationAction,
    level: int,
    reasons: list[str],
    rules: InstrumentRules,
    instrument: Instrument,
    lang: str,
) -> dict:
    dim = next(d for d in instrument.dimensions if d.id == rule.dimension)
    target_level = level + 1 if rule.purpose == "develop" else level
    descriptor = dim.level_descriptors.get(target_level)
    tool = rules.tools[rule.tool]
    return {
        "action_id": rule.id,
        "dimension_id": rule.dimension,
        "purpose": rule.purpose,
        "level": level,
        "target_level": target_level,
        "target": descriptor.get(lang) if descriptor else "",
        "action": rule.action.get(lang),
        "owner": rules.owners[rule.owner].get(lang),
        "horizon": rule.horizon,
        "tool": tool.name.get(lang),
        "tool_description": tool.description.get(lang),
        "tool_url": tool.url or "",
        "tool_kind": tool.kind,
        "indicator": indicator_items(rule, instrument),
        "reasons": reasons,
    }


def _share_strongest(
    gaps: pd.DataFrame, rules: InstrumentRules, instrument: Instrument, lang: str, chosen: set[str]
) -> list[dict]:
    """For an organisation at the top levels: the consolidate action of its strongest
    dimension (to hold it and share how), unless it is already in the list."""
    strongest = gaps.sort_values(["level", "mean"], ascending=False).iloc[0]
    level = int(strongest["level"])
    fitting = [
        a
        for a in fitting_actions(rules, strongest["dimension_id"], level)
        if a.purpose == "consolidate"
    ]
    if not fitting or fitting[0].id in chosen:
        return []
    return [
        _action_row(
            fitting[0], level, [t("advice.reason.strongest", lang)], rules, instrument, lang
        )
    ]


def recommend_organisation(
    view, instrument: Instrument, rules: RuleSet | None = None, lang: str = "nl"
) -> pd.DataFrame:
    """The actions for one organisation (an ``OrganisationView``), ordered by its gaps (see
    the module docstring): one per dimension, every named priority and reliable decline
    included, the rest up to ``selection.limit``. An instrument without rules
    (``rules_for``) is an ``InstrumentError``: reports ask first and leave the advice out."""
    own = rules_for(instrument, rules)
    if own is None or not own.actions:
        raise InstrumentError(
            [
                f"no recommendation rules for {instrument.key} in {', '.join(str(p) for p in rules_files())}"
            ]
        )
    key = ("advice", instrument.key, _Same(own), lang)
    return view.remembered(key, lambda: _recommended(view, instrument, own, lang))


class _Same:
    """A key part that is equal only to the same object, which it keeps alive (rules are
    compared by identity: equal rules from two files are still two sets of rules)."""

    def __init__(self, value) -> None:
        self.value = value

    def __eq__(self, other) -> bool:
        return isinstance(other, _Same) and other.value is self.value

    def __hash__(self) -> int:
        return id(self.value)


def _recommended(view, instrument: Instrument, own: InstrumentRules, lang: str) -> pd.DataFrame:
    """``recommend_organisation`` made: the gaps, one action for each chosen one."""
    gaps = dimension_gaps(view, instrument, own, lang)
    limit = own.selection.limit
    chosen = gaps[(gaps["group"] == 0) | (gaps.index < limit)]
    top = max(lv.level for lv in instrument.scoring.levels)
    rows = []
    previous = None
    for gap in chosen.itertuples():
        rule = _choose(own, gap.dimension_id, gap.level)
        reasons = gap.reasons or [
            t(
                "advice.reason.top"
                if rule.purpose == "consolidate"
                else "advice.reason.next_level",
                lang,
                level=gap.level + 1,
            )
        ]
        rows.append(
            _action_row(rule, gap.level, reasons, own, instrument, lang)
            | {"mean": gap.mean, "low": gap.low, "high": gap.high, "tied": _tied(previous, gap)}
        )
        previous = gap
    if len(gaps) and gaps["level"].min() >= top - 1:
        rows += _share_strongest(gaps, own, instrument, lang, {r["action_id"] for r in rows})
    out = pd.DataFrame(rows, columns=COLUMNS[1:])
    out["tied"] = out["tied"].fillna(False).astype(bool)
    out.insert(0, "rank", range(1, len(out) + 1))
    return out


def _tied(previous, gap) -> bool:
    """Whether ``gap`` comes after ``previous`` only on differences within the noise: the
    same kind and number of reasons, the same level, and overlapping mean intervals."""
    if previous is None:
        return False
    same = (previous.group, previous.n_reasons, previous.level) == (
        gap.group,
        gap.n_reasons,
        gap.level,
    )
    return bool(same and gap.low <= previous.high and gap.high >= previous.low)


def first_actions(
    view, instrument: Instrument, rules: RuleSet | None = None, lang: str = "nl"
) -> pd.DataFrame:
    """The organisation's first ``selection.priorities`` actions, in the order of
    ``recommend_organisation``: the one list of priorities that the report's summary, its
    advice and the management summary all show, in the same order and words."""
    own = rules_for(instrument, rules)
    if own is None or not own.actions:  # no rules for this instrument: no actions
        return pd.DataFrame(columns=COLUMNS)
    return recommend_organisation(view, instrument, rules, lang).head(own.selection.priorities)


def recommend_team(
    gaps: pd.DataFrame, instrument: Instrument, rules: RuleSet | None = None, lang: str = "nl"
) -> pd.DataFrame:
    """Next steps for a team of ``instrument`` from its unmet competences (``competence_id``/
    ``dimension_id``, ``dikw_stage``): one row per competence with the stages where the gap
    bites; every rule names a tool, so ``tool`` is never empty. No rows when the instrument
    has no team rules."""
    own = rules_for(instrument, rules)
    by_competence = {r.competence: r for r in own.team} if own else {}
    key = "competence_id" if "competence_id" in gaps else "dimension_id"
    rows = []
    for competence, group in gaps.groupby(key, sort=False):
        rule = by_competence.get(competence)
        if rule:
            tool = own.tools[rule.tool]
            rows.append(
                {
                    "competence_id": competence,
                    "dikw_stages": list(dict.fromkeys(group["dikw_stage"])),
                    "action": rule.action.get(lang),
                    "tool": tool.name.get(lang),
                    "tool_description": tool.description.get(lang),
                }
            )
    return pd.DataFrame(
        rows, columns=["competence_id", "dikw_stages", "action", "tool", "tool_description"]
    )

"""Instruments as data: the format of a questionnaire YAML file, as pydantic models.

An instrument file (``questionnaires/<id>-v<version>.yaml``) holds everything the
package needs to show, score and explain a questionnaire: texts per language,
answer scales, dimensions (or competences) with level descriptors, items and the
scoring rules. The pydantic models below are the single definition of that
format; ``schema.json`` is exported from them (``loading.export_json_schema``).

Why pydantic: validation errors carry the exact path inside the file, which
``loading.validate_files`` turns into one line per problem for the people who edit the
YAML (researchers, not programmers).

Two kinds of item: ``rating`` items (a statement answered on an agreement, frequency
or ability scale) make up the dimension scores; a ``level_choice`` item asks which of
its dimension's level descriptions fits the organisation best. A level-choice item
names a scale marked ``level_choice: true`` (its points are the levels, its labels the
level names, plus options such as "weet ik niet"); on loading, the model derives from
it one scale per dimension, ``<scale>_<dimension>``, whose labels are that dimension's
level descriptors. Forms, import templates, the XLSForm and the importers therefore
show and accept a level choice like any other answer on a scale.

An instrument whose output is an agreements list (``output: agreements``, the workshop Goed
Digitaal Bestuur) groups its dimensions (principles) under ``foundations`` and names the
``public_values`` of each principle; each of its items asks one ``aspect`` of one value: how
relevant the value is for the project, or how well it is safeguarded now
(``agreements_problems`` checks that every value has exactly one item of each).
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dwp_assess.instruments.kinds import KINDS, OUTPUT_RULES, InstrumentKind, OutputRules
from dwp_assess.locale import Language

SPECIAL_CODES = ("dont_know", "not_applicable")
DIKW_STAGES = ("data", "information", "knowledge", "decision")
# What an item of an agreements instrument asks about its public value.
ASPECTS = ("relevance", "safeguarding")


class InstrumentError(ValueError):
    """An instrument file could not be read or does not follow the format."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    """A text in Dutch (required) and optionally English."""

    nl: str = Field(min_length=1)
    en: str | None = None

    def get(self, lang: str = "nl") -> str:
        """The text in ``lang``, falling back to Dutch when no translation exists."""
        return (self.en if lang == "en" else None) or self.nl


class ScalePoint(_Model):
    """One answer option with a numeric value, e.g. 4 = "Mee eens"."""

    value: int
    label: Text
    aliases: list[str] = Field(
        default_factory=list, description="Other spellings accepted on import."
    )


class SpecialOption(_Model):
    """A non-numeric answer such as "weet ik niet"; stored as a code, never as a number."""

    code: Literal["dont_know", "not_applicable"]
    label: Text
    aliases: list[str] = Field(default_factory=list)


class Scale(_Model):
    """An ordered answer scale plus the non-numeric options it allows."""

    id: str
    points: list[ScalePoint] = Field(min_length=2)
    special: list[SpecialOption] = Field(default_factory=list)
    level_choice: bool = Field(
        default=False,
        description="A template for level-choice items: its point values are the maturity "
        "levels; each dimension's level descriptors become the answer labels.",
    )
    settled: int | None = Field(
        default=None,
        description="A status scale (project-plan output): the point value that means the "
        "point is settled between the parties (geregeld); the other points mean it is still open. "
        "Items on a scale without it ask for a fact the parties' answers should match on.",
    )

    @model_validator(mode="after")
    def _settled_is_a_point(self) -> Scale:
        if self.settled is not None and self.settled not in {p.value for p in self.points}:
            raise ValueError(f"settled: {self.settled} is not a point value of scale '{self.id}'")
        return self

    @field_validator("points")
    @classmethod
    def _ascending(cls, points: list[ScalePoint]) -> list[ScalePoint]:
        values = [p.value for p in points]
        if values != sorted(set(values)):
            raise ValueError("scale point values must be unique and ascending")
        return points

    @property
    def min(self) -> int:
        return self.points[0].value

    @property
    def max(self) -> int:
        return self.points[-1].value

    def special_codes(self) -> list[str]:
        return [s.code for s in self.special]


class Level(_Model):
    """A maturity level and the lowest mean score that reaches it."""

    level: int = Field(ge=1)
    label: Text
    min_score: float


class Dimension(_Model):
    """A dimension of the data-strategy instrument or a competence of the team instrument."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text
    description: Text | None = None
    level_descriptors: dict[int, Text] = Field(
        default_factory=dict, description="What each maturity level means for this dimension."
    )
    group_rule: Literal["everyone", "at_least_one"] | None = Field(
        default=None, description="Competences only: who in a team must have it."
    )
    dikw_stages: list[Literal["data", "information", "knowledge", "decision"]] = Field(
        default_factory=list, description="Competences only: stages of the chain where needed."
    )
    foundation: str | None = Field(
        default=None,
        description="Agreements instruments: the foundation (``foundations``) this principle "
        "gives shape to, e.g. democracy for participation.",
    )


class Item(_Model):
    """One question. ``id`` is stable across versions and is what the store keeps."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    dimension: str
    text: Text
    scale: str
    type: Literal["rating", "level_choice"] = Field(
        default="rating",
        description="rating: counts in the dimension score; level_choice: the respondent "
        "chooses the level description that fits best (never averaged into the score).",
    )
    reverse: bool = False
    themes: list[str] = Field(
        default_factory=list, description="Cross-cutting tags, e.g. data_islands or risk_bias."
    )
    dikw_stages: list[Literal["data", "information", "knowledge", "decision"]] = Field(
        default_factory=list,
        description="Team instruments: the stages of the DIKW chain this item serves.",
    )
    tip: Text | None = Field(
        default=None, description="A hint shown with the question in the form (a tip card)."
    )
    public_value: str | None = Field(
        default=None,
        description="Agreements instruments: the public value (``public_values``) this item "
        "asks about.",
    )
    aspect: Literal["relevance", "safeguarding"] | None = Field(
        default=None,
        description="Agreements instruments: what the item asks about its public value: how "
        "relevant it is for the project, or how well it is safeguarded now.",
    )
    task: Text | None = Field(
        default=None,
        description="Project-plan instruments: the point worded as a task for the plan (a "
        "statement of what is to be settled), required for a fact question, whose text is a "
        "question. Only reports show it, so it is not part of the content hash.",
    )


class Foundation(_Model):
    """A foundation of good governance (e.g. democracy) that principles give shape to."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: Text
    description: Text | None = None


class PublicValue(_Model):
    """A public value (e.g. transparency) of one principle: what a team weighs and agrees on."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    dimension: str = Field(description="The principle (dimension) the value belongs to.")
    label: Text
    description: Text | None = None


class Choice(_Model):
    code: str
    label: Text


class RespondentField(_Model):
    """A background question about the respondent (role, team, ...)."""

    id: str
    label: Text
    required: bool = False
    choices: list[Choice] = Field(default_factory=list)


class FreeText(_Model):
    """An open question; its answers appear in reports only when ``show_in_reports`` is set."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    text: Text
    show_in_reports: bool = False
    item: str | None = Field(
        default=None,
        description="The item this open question explains (asked right after it in the form), "
        "e.g. what has been agreed on a point of the data-sharing checklist.",
    )
    dimension: str | None = Field(
        default=None,
        description="The dimension whose part of the form ends with this open question "
        "(e.g. what a team will agree on for one principle); else it comes after all parts.",
    )


class Scoring(_Model):
    """Scoring rules; ``docs/scoring.md`` explains them in plain language."""

    min_answered_share: float = Field(
        gt=0, le=1, description="Share of a dimension's items a respondent must answer."
    )
    levels: list[Level] = Field(
        default_factory=list,
        description="Maturity levels; required (at least two) for scored outputs.",
    )
    coverage_threshold: float | None = Field(
        default=None, description="Competences: score from which a member covers a competence."
    )
    min_group_size: int = Field(
        default=5, ge=1, description="Smallest group whose aggregates may be shown to others."
    )

    @field_validator("levels")
    @classmethod
    def _levels_ascending(cls, levels: list[Level]) -> list[Level]:
        if [lv.level for lv in levels] != list(range(1, len(levels) + 1)):
            raise ValueError("levels must be numbered 1, 2, 3, ... in order")
        scores = [lv.min_score for lv in levels]
        if scores != sorted(scores) or len(set(scores)) != len(scores):
            raise ValueError("level min_score values must be strictly ascending")
        return levels


class Instrument(_Model):
    """A whole questionnaire, as loaded from one YAML file."""

    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    version: int = Field(ge=1)
    kind: Literal[tuple(KINDS)] = Field(
        description="The unit a report is about: an organisation, a team (of one organisation) "
        "or a collaboration (several organisations sharing data)."
    )
    output: Literal[tuple(OUTPUT_RULES)] | None = Field(
        default=None,
        description="What the round's reports are (reports.outputs): a maturity report per "
        "organisation, a competence profile per team, a project-plan draft per collaboration, "
        "or a reflection with an agreements list per team. Defaults to the kind's usual output.",
    )
    languages: list[Language]
    title: Text
    introduction: Text
    privacy: Text
    scales: list[Scale] = Field(min_length=1)
    dimensions: list[Dimension] = Field(min_length=1)
    items: list[Item] = Field(min_length=1)
    respondent_fields: list[RespondentField] = Field(default_factory=list)
    free_text: list[FreeText] = Field(default_factory=list)
    foundations: list[Foundation] = Field(
        default_factory=list,
        description="Agreements instruments: the foundations the principles (dimensions) rest on.",
    )
    public_values: list[PublicValue] = Field(
        default_factory=list,
        description="Agreements instruments: the values per principle, each asked about by one "
        "relevance and one safeguarding item.",
    )
    scoring: Scoring

    @model_validator(mode="before")
    @classmethod
    def _derive_level_scales(cls, raw: object) -> object:
        """Give every level-choice item a scale of its own dimension (see the module docstring)."""
        if not isinstance(raw, dict):
            return raw
        scales = [s for s in raw.get("scales") or [] if isinstance(s, dict)]
        templates = {s.get("id"): s for s in scales if s.get("level_choice")}
        dimensions = {d.get("id"): d for d in raw.get("dimensions") or [] if isinstance(d, dict)}
        if not templates or not isinstance(raw.get("items"), list):
            return raw
        derived = {s.get("id"): s for s in scales}
        items = []
        for item in raw["items"]:
            template = templates.get(item.get("scale")) if isinstance(item, dict) else None
            dimension = dimensions.get(item.get("dimension")) if template else None
            if template is None or dimension is None or item.get("type") != "level_choice":
                items.append(item)
                continue
            scale_id = level_scale_id(template["id"], dimension["id"])
            derived.setdefault(scale_id, _level_scale(template, dimension, scale_id))
            items.append({**item, "scale": scale_id})
        added = [s for s in derived.values() if s not in scales]
        return {**raw, "scales": [*raw["scales"], *added], "items": items}

    @model_validator(mode="after")
    def _default_output(self) -> Instrument:
        """An instrument that does not name its output gets its kind's usual one."""
        if self.output is None:
            object.__setattr__(self, "output", self.kind_spec.default_output)
        if self.output is None:
            raise ValueError(f"output: required for kind '{self.kind}'")
        return self

    @model_validator(mode="after")
    def _consistent(self) -> Instrument:
        problems: list[str] = []
        if "nl" not in self.languages:
            problems.append("languages: 'nl' is required")
        for name, ids in (
            ("scales", [s.id for s in self.scales]),
            ("dimensions", [d.id for d in self.dimensions]),
            ("items", [i.id for i in self.items] + [f.id for f in self.free_text]),
        ):
            dupes = sorted({x for x in ids if ids.count(x) > 1})
            if dupes:
                problems.append(f"{name}: duplicate id(s) {', '.join(dupes)}")
        scale_ids = {s.id for s in self.scales}
        dim_ids = {d.id for d in self.dimensions}
        for n, item in enumerate(self.items):
            if item.scale not in scale_ids:
                problems.append(f"items.{n}.scale: unknown scale '{item.scale}'")
            if item.dimension not in dim_ids:
                problems.append(f"items.{n}.dimension: unknown dimension '{item.dimension}'")
        for n, question in enumerate(self.free_text):
            if question.item is not None and question.item not in self.item_by_id:
                problems.append(f"free_text.{n}.item: unknown item '{question.item}'")
            if question.dimension is not None and question.dimension not in dim_ids:
                problems.append(
                    f"free_text.{n}.dimension: unknown dimension '{question.dimension}'"
                )
            if question.item is not None and question.dimension is not None:
                problems.append(f"free_text.{n}: give item or dimension, not both")
        problems += self._item_type_problems() + self._dikw_problems() + self._output_problems()
        problems += self._agreements_problems() + self._task_problems() + self._range_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _output_problems(self) -> list[str]:
        """What the declared output needs: scored outputs a rating item in every dimension and
        the levels; a maturity report level descriptors for every level; a team profile each
        competence's group rule and DIKW stages and the coverage threshold."""
        if not self.output_rules.scored:
            return []
        problems = []
        if len(self.scoring.levels) < 2:
            problems.append(f"scoring.levels: a {self.output} needs at least two levels")
        used = {i.dimension for i in self.rated_items}
        for n, dim in enumerate(self.dimensions):
            if dim.id not in used:
                problems.append(f"dimensions.{n}: dimension '{dim.id}' has no rating items")
            if self.output_rules.competences and (dim.group_rule is None or not dim.dikw_stages):
                problems.append(f"dimensions.{n}: a team profile needs group_rule and dikw_stages")
            if self.output_rules.level_descriptors:
                missing = {lv.level for lv in self.scoring.levels} - set(dim.level_descriptors)
                if missing:
                    problems.append(
                        f"dimensions.{n}.level_descriptors: missing level(s) {sorted(missing)}"
                    )
        if self.output_rules.competences and self.scoring.coverage_threshold is None:
            problems.append("scoring.coverage_threshold: required for a team profile")
        return problems

    def _task_problems(self) -> list[str]:
        """A project plan assigns its points as tasks: a fact question (its scale has no
        ``settled`` point) needs its ``task`` wording, so that no question becomes a task."""
        if not self.output_rules.tasks:
            return [
                f"items.{n}.task: only instruments with output project-plan word tasks"
                for n, item in enumerate(self.items)
                if item.task is not None
            ]
        scales = {s.id: s for s in self.scales}
        return [
            f"items.{n}.task: required for fact question '{item.id}' (its text is a question; give the task as a statement)"
            for n, item in enumerate(self.items)
            if item.type == "rating"
            and item.scale in scales
            and scales[item.scale].settled is None
            and item.task is None
        ]

    def _agreements_problems(self) -> list[str]:
        """Foundations, public values and aspects: only for an agreements output, which needs
        them all: every principle on a known foundation, every value on a known principle, every
        item asking the relevance or the safeguarding of a value of its own principle, each value
        asked exactly once per aspect (both aspects on one range of answer values, so that
        relevance minus safeguarding is a difference on one scale: ``_range_problems``)."""
        declared = (
            self.foundations or self.public_values or any(d.foundation for d in self.dimensions)
        )
        asked = [i for i in self.items if i.public_value is not None or i.aspect is not None]
        if not self.output_rules.public_values:
            return (
                ["foundations, public_values, aspect: are for instruments with output agreements"]
                if declared or asked
                else []
            )
        return self._foundation_problems() + self._aspect_problems()

    def _foundation_problems(self) -> list[str]:
        """An agreements instrument's foundations and public values: ids unique, every
        principle (dimension) on a known foundation, at least one value, every value on a known
        principle."""
        problems = _duplicates("foundations", [f.id for f in self.foundations])
        problems += _duplicates("public_values", [v.id for v in self.public_values])
        foundations = {f.id for f in self.foundations}
        for n, dim in enumerate(self.dimensions):
            if dim.foundation not in foundations:
                problems.append(
                    f"dimensions.{n}.foundation: needs one of the foundations {sorted(foundations)}, got {dim.foundation!r}"
                )
        values = {v.id: v for v in self.public_values}
        if not values:
            problems.append("public_values: an agreements instrument needs at least one value")
        for n, value in enumerate(self.public_values):
            if value.dimension not in self.dimension_by_id:
                problems.append(
                    f"public_values.{n}.dimension: unknown dimension '{value.dimension}'"
                )
        return problems

    def _aspect_problems(self) -> list[str]:
        """An agreements instrument's items: each asks the relevance or the safeguarding
        (``aspect``) of a known value of its own principle, and every value is asked exactly
        once per aspect."""
        values = {v.id: v for v in self.public_values}
        problems = []
        seen: dict[tuple[str, str], int] = {}
        for n, item in enumerate(self.items):
            value = values.get(item.public_value)
            if value is None or item.aspect is None:
                problems.append(
                    f"items.{n}: needs public_value (one of public_values) and aspect ({' or '.join(ASPECTS)})"
                )
                continue
            if value.dimension != item.dimension:
                problems.append(
                    f"items.{n}.dimension: value '{value.id}' belongs to '{value.dimension}', not '{item.dimension}'"
                )
            if (value.id, item.aspect) in seen:
                problems.append(
                    f"items.{n}: value '{value.id}' has a second {item.aspect} item ({self.items[seen[value.id, item.aspect]].id})"
                )
            seen.setdefault((value.id, item.aspect), n)
        for n, value in enumerate(self.public_values):
            missing = [a for a in ASPECTS if (value.id, a) not in seen]
            if missing:
                problems.append(
                    f"public_values.{n}: value '{value.id}' has no {' and no '.join(missing)} item"
                )
        return problems

    def _range_problems(self) -> list[str]:
        """The scored scales (``scored_scales``) share one range of values: a score of 3,5 must
        mean the same on every item it averages, and every chart of the instrument's scores has
        one axis."""
        ranges = {}
        for scale in self.scored_scales:
            ranges.setdefault((scale.min, scale.max), []).append(scale.id)
        if len(ranges) < 2:
            return []
        each = "; ".join(
            f"{', '.join(ids)} from {low} to {high}" for (low, high), ids in sorted(ranges.items())
        )
        return [
            f"scales: the scored scales of one instrument must share one range of values, got {each}"
        ]

    def _item_type_problems(self) -> list[str]:
        """Level-choice items: organisation instruments only, one per dimension, on a scale
        derived from a ``level_choice`` scale whose points are the maturity levels."""
        problems: list[str] = []
        templates = {s.id: s for s in self.scales if s.level_choice}
        levels = [lv.level for lv in self.scoring.levels]
        for n, scale in enumerate(self.scales):
            if scale.level_choice and [p.value for p in scale.points] != levels:
                problems.append(
                    f"scales.{n}.points: a level_choice scale needs the values {levels}"
                )
        seen: set[str] = set()
        for n, item in enumerate(self.items):
            if item.scale in templates:
                problems.append(
                    f"items.{n}.scale: scale '{item.scale}' is for items with type: level_choice"
                )
            if item.type != "level_choice":
                continue
            if not self.output_rules.level_choices:
                problems.append(
                    f"items.{n}.type: level_choice needs an instrument with output maturity-report"
                )
            if not any(item.scale == level_scale_id(t, item.dimension) for t in templates):
                problems.append(
                    f"items.{n}.scale: a level_choice item needs a scale with level_choice: true"
                )
            if item.dimension in seen:
                problems.append(
                    f"items.{n}: dimension '{item.dimension}' has a second level_choice item"
                )
            seen.add(item.dimension)
        return problems

    def _dikw_problems(self) -> list[str]:
        """Items' DIKW stages: team instruments only; when any item has them, every rating item
        needs them and a competence's stages must be exactly those its items serve."""
        staged = [i for i in self.items if i.dikw_stages]
        if not staged:
            return []
        if not self.output_rules.competences:
            return ["items: dikw_stages are for instruments with output team-profile"]
        problems = [
            f"items.{n}.dikw_stages: required when other items have them"
            for n, item in enumerate(self.items)
            if item.type == "rating" and not item.dikw_stages
        ]
        for n, dim in enumerate(self.dimensions):
            served = {s for i in self.items_of(dim.id) for s in i.dikw_stages}
            if served != set(dim.dikw_stages):
                problems.append(
                    f"dimensions.{n}.dikw_stages: {sorted(dim.dikw_stages)} differ from the "
                    f"stages its items serve {sorted(served)}"
                )
        return problems

    # -- lookups used everywhere downstream ---------------------------------

    @property
    def kind_spec(self) -> InstrumentKind:
        """What the instrument's kind asks of forms, imports and analyses (``kinds.KINDS``)."""
        return KINDS[self.kind]

    @property
    def output_rules(self) -> OutputRules:
        """What the instrument's output asks of its file and answers (``kinds.OUTPUT_RULES``)."""
        return OUTPUT_RULES[self.output]

    @cached_property
    def scale_by_id(self) -> dict[str, Scale]:
        return {s.id: s for s in self.scales}

    @cached_property
    def item_by_id(self) -> dict[str, Item]:
        return {i.id: i for i in self.items}

    @cached_property
    def dimension_by_id(self) -> dict[str, Dimension]:
        return {d.id: d for d in self.dimensions}

    def items_of(self, dimension_id: str) -> list[Item]:
        """Every question of a dimension, in form order (rating and level-choice items)."""
        return [i for i in self.items if i.dimension == dimension_id]

    @property
    def rated_items(self) -> list[Item]:
        """The items that make up dimension scores (level-choice items never do)."""
        return [i for i in self.items if i.type == "rating"]

    def rated_items_of(self, dimension_id: str) -> list[Item]:
        return [i for i in self.rated_items if i.dimension == dimension_id]

    @property
    def level_items(self) -> list[Item]:
        """The level-choice questions, at most one per dimension."""
        return [i for i in self.items if i.type == "level_choice"]

    @cached_property
    def value_by_id(self) -> dict[str, PublicValue]:
        return {v.id: v for v in self.public_values}

    def value_item(self, value_id: str, aspect: str) -> Item | None:
        """The item that asks ``aspect`` (relevance, safeguarding) of a public value."""
        return next(
            (i for i in self.items if i.public_value == value_id and i.aspect == aspect), None
        )

    @property
    def scored_scales(self) -> list[Scale]:
        """The scales of the rating items whose answers are averaged into scores (outputs in
        ``OutputRules.averaged``), in the instrument's order; none for a project plan."""
        if not self.output_rules.averaged:
            return []
        used = {i.scale for i in self.rated_items}
        return [s for s in self.scales if s.id in used]

    @property
    def scored_range(self) -> tuple[int, int]:
        """The lowest and highest value of the scored scales, which share it (checked on
        loading): the range of every score and mean of this instrument, so the axes of its
        charts, the radar's title and the bars of the form's result follow it."""
        if not self.scored_scales:
            raise ValueError(
                f"{self.key}: output {self.output} averages no answers, so it has no scored range"
            )
        first = self.scored_scales[0]
        return first.min, first.max

    def scale_of(self, item_id: str) -> Scale:
        return self.scale_by_id[self.item_by_id[item_id].scale]

    def level_for(self, score: float) -> int | None:
        """The maturity level a mean score reaches, or None for a missing score."""
        if score is None or score != score:  # NaN check without numpy
            return None
        reached = [lv.level for lv in self.scoring.levels if score >= lv.min_score]
        return max(reached) if reached else self.scoring.levels[0].level

    @property
    def key(self) -> str:
        """``id-vN``: how rounds and reports name the instrument version."""
        return f"{self.id}-v{self.version}"

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of the canonical content; stored with every round so changes are visible."""
        dump = self.model_dump(
            mode="json",
            exclude={"items": {i: set(_REPORT_ONLY_FIELDS) for i in range(len(self.items))}},
        )
        canonical = json.dumps(_without_later_defaults(dump), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# Fields added after rounds were stored, with their defaults: left out of the content hash
# when at the default, so the hash of an unchanged file (and so its rounds) stays valid.
_LATER_FIELDS = {
    "items": {
        "type": "rating",
        "dikw_stages": [],
        "tip": None,
        "public_value": None,
        "aspect": None,
    },
    "scales": {"level_choice": False, "settled": None},
    "free_text": {"item": None, "dimension": None},
    "dimensions": {"foundation": None},
}
# Item fields that only reports show (never a respondent): left out of the content hash, so
# rewording them changes no round's instrument.
_REPORT_ONLY_FIELDS = ("task",)
# Sections added later, left out of the hash while empty.
_LATER_SECTIONS = {"foundations": [], "public_values": []}


def _without_later_defaults(dump: dict) -> dict:
    out = dict(dump)
    if out.get("output") == KINDS[out["kind"]].default_output:
        del out["output"]  # a file that names its kind's usual output keeps its hash
    for section, default in _LATER_SECTIONS.items():
        if out.get(section) == default:
            del out[section]
    for section, defaults in _LATER_FIELDS.items():
        out[section] = [
            {k: v for k, v in entry.items() if defaults.get(k, object()) != v}
            for entry in dump[section]
        ]
    return out


def _duplicates(section: str, ids: list[str]) -> list[str]:
    dupes = sorted({x for x in ids if ids.count(x) > 1})
    return [f"{section}: duplicate id(s) {', '.join(dupes)}"] if dupes else []


def level_scale_id(template_id: str, dimension_id: str) -> str:
    """The id of the scale derived from ``template_id`` for one dimension's level choice."""
    return f"{template_id}_{dimension_id}"


def _level_scale(template: dict, dimension: dict, scale_id: str) -> dict:
    """A copy of a level-choice template scale whose labels are the dimension's descriptors;
    the template's labels ("Verkennen", ...) and "niveau N" stay accepted on import."""
    descriptors = dimension.get("level_descriptors") or {}
    points = []
    for point in template.get("points") or []:
        if not isinstance(point, dict):
            return {**template, "id": scale_id, "level_choice": False}
        value, label = point.get("value"), point.get("label") or {}
        names = [label.get("nl"), label.get("en"), f"niveau {value}", f"level {value}"]
        aliases = [*(point.get("aliases") or []), *(a for a in names if a)]
        described = descriptors.get(value) or descriptors.get(str(value)) or label
        points.append({"value": value, "label": described, "aliases": aliases})
    return {**template, "id": scale_id, "points": points, "level_choice": False}

"""Instruments as data: the format of a questionnaire YAML file, as pydantic models.

An instrument file (``questionnaires/<id>-v<version>.yaml``) holds everything the
package needs to show, score and explain a questionnaire: texts per language,
answer scales, dimensions (or competences) with level descriptors, items and the
scoring rules. The pydantic models below are the single definition of that
format; ``schema.json`` is exported from them (``loading.export_json_schema``).

Why pydantic: validation errors carry the exact path inside the file, which
``loading.validate_files`` turns into one line per problem for the people who edit the
YAML (researchers, not programmers).
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LANGUAGES = ("nl", "en")
SPECIAL_CODES = ("dont_know", "not_applicable")
DIKW_STAGES = ("data", "information", "knowledge", "decision")


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


class Item(_Model):
    """One question. ``id`` is stable across versions and is what the store keeps."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    dimension: str
    text: Text
    scale: str
    reverse: bool = False
    themes: list[str] = Field(
        default_factory=list, description="Cross-cutting tags, e.g. data_islands or risk_bias."
    )


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


class Scoring(_Model):
    """Scoring rules; ``docs/scoring.md`` explains them in plain language."""

    min_answered_share: float = Field(
        gt=0, le=1, description="Share of a dimension's items a respondent must answer."
    )
    levels: list[Level] = Field(min_length=2)
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
    kind: Literal["organisation", "team"]
    languages: list[Literal["nl", "en"]]
    title: Text
    introduction: Text
    privacy: Text
    scales: list[Scale] = Field(min_length=1)
    dimensions: list[Dimension] = Field(min_length=1)
    items: list[Item] = Field(min_length=1)
    respondent_fields: list[RespondentField] = Field(default_factory=list)
    free_text: list[FreeText] = Field(default_factory=list)
    scoring: Scoring

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
        used = {i.dimension for i in self.items}
        for n, dim in enumerate(self.dimensions):
            if dim.id not in used:
                problems.append(f"dimensions.{n}: dimension '{dim.id}' has no items")
            if self.kind == "team" and (dim.group_rule is None or not dim.dikw_stages):
                problems.append(
                    f"dimensions.{n}: a team instrument needs group_rule and dikw_stages"
                )
            if self.kind == "organisation":
                missing = {lv.level for lv in self.scoring.levels} - set(dim.level_descriptors)
                if missing:
                    problems.append(
                        f"dimensions.{n}.level_descriptors: missing level(s) {sorted(missing)}"
                    )
        if self.kind == "team" and self.scoring.coverage_threshold is None:
            problems.append("scoring.coverage_threshold: required for a team instrument")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # -- lookups used everywhere downstream ---------------------------------

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
        return [i for i in self.items if i.dimension == dimension_id]

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
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

"""Recommendations: from gaps to concrete next steps and Datawerkplaats tools.

The rules are data (``questionnaires/recommendations.yaml``), validated like the
instruments, so researchers can change advice without touching code.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dwp_assess.instruments.loading import rules_file
from dwp_assess.instruments.model import InstrumentError, Text


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tool(_Model):
    name: Text
    description: Text


class OrganisationRule(_Model):
    dimension: str
    max_level: int = Field(ge=1)
    priority: int = Field(ge=1)
    action: Text
    tool: str | None = None


class TeamRule(_Model):
    competence: str
    action: Text
    tool: str | None = None


class RuleSet(_Model):
    tools: dict[str, Tool]
    organisation: list[OrganisationRule]
    team: list[TeamRule]

    @model_validator(mode="after")
    def _known_tools(self) -> RuleSet:
        used = {r.tool for r in [*self.organisation, *self.team] if r.tool}
        unknown = sorted(used - set(self.tools))
        if unknown:
            raise ValueError(f"unknown tool(s) {', '.join(unknown)}; define them under tools")
        return self


def load_rules(path: Path | None = None) -> RuleSet:
    """Read and validate the recommendation rules (default: the project's, else the packaged)."""
    path = path or rules_file()
    try:
        return RuleSet.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
    except ValidationError as exc:
        problems = [f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise InstrumentError(problems) from None


def _tool_columns(rules: RuleSet, tool: str | None, lang: str) -> dict:
    if tool is None:
        return {"tool": None, "tool_description": None}
    return {"tool": rules.tools[tool].name.get(lang), "tool_description": rules.tools[tool].description.get(lang)}  # fmt: skip


def recommend_organisation(
    levels: pd.DataFrame, rules: RuleSet | None = None, lang: str = "nl", limit: int | None = None
) -> pd.DataFrame:
    """Next steps for an organisation from its ``dimension_id`` × ``level`` table.

    For each dimension the rule with the lowest ``max_level`` that the level does
    not exceed fires (the most basic step still needed); results are ordered by
    priority, then by level.
    """
    rules = rules or load_rules()
    rows = []
    for rec in levels.dropna(subset=["level"]).to_dict("records"):
        fitting = [r for r in rules.organisation if r.dimension == rec["dimension_id"] and rec["level"] <= r.max_level]  # fmt: skip
        if fitting:
            rule = min(fitting, key=lambda r: r.max_level)
            rows.append({"dimension_id": rec["dimension_id"], "level": int(rec["level"]),
                         "priority": rule.priority, "action": rule.action.get(lang),
                         **_tool_columns(rules, rule.tool, lang)})  # fmt: skip
    columns = ["dimension_id", "level", "priority", "action", "tool", "tool_description"]
    out = pd.DataFrame(rows, columns=columns).sort_values(["priority", "level"], ignore_index=True)
    return out.head(limit) if limit else out


def recommend_team(
    gaps: pd.DataFrame, rules: RuleSet | None = None, lang: str = "nl"
) -> pd.DataFrame:
    """Next steps for a team from its unmet competences (``competence_id``/``dimension_id``,
    ``dikw_stage``): one row per competence with the stages where the gap bites."""
    rules = rules or load_rules()
    by_competence = {r.competence: r for r in rules.team}
    key = "competence_id" if "competence_id" in gaps else "dimension_id"
    rows = []
    for competence, group in gaps.groupby(key, sort=False):
        rule = by_competence.get(competence)
        if rule:
            rows.append({"competence_id": competence, "dikw_stages": list(dict.fromkeys(group["dikw_stage"])),
                         "action": rule.action.get(lang), **_tool_columns(rules, rule.tool, lang)})  # fmt: skip
    return pd.DataFrame(rows, columns=["competence_id", "dikw_stages", "action", "tool", "tool_description"])  # fmt: skip

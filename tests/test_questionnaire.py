"""Instruments as data: the two instruments, the validator's messages, schema and hashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dwp_assess.cli.main import app
from dwp_assess.instruments.loading import (
    QUESTIONNAIRE_DIR,
    get_instrument,
    json_schema,
    load_instrument,
    validate_files,
)
from dwp_assess.instruments.model import DIKW_STAGES, InstrumentError

EVERYONE = {"data_literacy", "critical_thinking", "collaboration"}
AT_LEAST_ONE = {
    "domain_expertise",
    "involving_stakeholders",
    "data_analytic_skills",
    "innovativeness",
    "political_savvy",
}


def test_data_strategy_covers_ictu_gemeentennl_and_risks(data_strategy):
    dims = {d.id for d in data_strategy.dimensions}
    assert {"vision_strategy", "organisation_structure", "infrastructure", "people_culture"} <= dims
    assert {"technology", "data", "purpose_governance", "responsible_use"} <= dims
    assert all(len(data_strategy.items_of(d)) >= 4 for d in dims)
    themes = {t for i in data_strategy.items for t in i.themes}
    assert {"purpose", "fitness_for_purpose", "data_islands", "data_waste", "governance"} <= themes
    assert {"risk_human_measure", "risk_bias", "risk_leaks", "risk_ownership"} <= themes
    assert {"risk_speed", "risk_scaling"} <= themes
    assert len(data_strategy.scoring.levels) == 5
    assert data_strategy.scale_by_id["agree5"].special_codes() == ["dont_know", "not_applicable"]
    for dim in data_strategy.dimensions:
        assert sorted(dim.level_descriptors) == [1, 2, 3, 4, 5]


def test_competences_follow_the_data_team_start(competences):
    rules = {d.id: d.group_rule for d in competences.dimensions}
    assert {k for k, v in rules.items() if v == "everyone"} == EVERYONE
    assert {k for k, v in rules.items() if v == "at_least_one"} == AT_LEAST_ONE
    for dim in competences.dimensions:
        assert set(dim.dikw_stages) <= set(DIKW_STAGES) and dim.dikw_stages
        if dim.id in EVERYONE:
            assert dim.dikw_stages == list(DIKW_STAGES)
    assert 25 <= len(competences.rated_items) <= 40
    role = competences.respondent_fields[0]
    codes = [c.code for c in role.choices]
    assert codes == ["domain_expert", "data_scientist", "business_analyst", "lawyer", "other"]
    scale = competences.scale_by_id["competence5"]
    assert scale.points[0].label.nl == "Dit kan ik (nog) niet"
    assert scale.points[-1].label.nl == "Dit kan ik anderen leren"


@pytest.mark.parametrize("instrument_id", ["data-strategy", "competences"])
def test_every_text_in_dutch_and_english(instrument_id):
    ins = get_instrument(instrument_id)
    texts = [ins.title, ins.introduction, ins.privacy]
    texts += [i.text for i in ins.items] + [d.label for d in ins.dimensions]
    texts += [p.label for s in ins.scales for p in s.points]
    assert all(t.nl and t.en for t in texts)
    assert len({i.id for i in ins.items}) == len(ins.items)


def test_schema_json_is_in_sync_with_the_models():
    committed = json.loads((QUESTIONNAIRE_DIR / "schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(), (
        "questionnaires/schema.json is out of date: run "
        "`python -c 'from dwp_assess.instruments.loading import export_json_schema; export_json_schema()'`"
    )


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "broken-v1.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def raw_instrument() -> dict:
    return yaml.safe_load((QUESTIONNAIRE_DIR / "data-strategy-v1.yaml").read_text("utf-8"))


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("title"), "title: required field is missing"),
        (lambda d: d.update(colour="blue"), "colour: unknown field (check the spelling)"),
        (lambda d: d["items"][0].update(scale="agree7"), "items.0.scale: unknown scale 'agree7'"),
        (lambda d: d["items"][1].update(id="VS1"), "items: duplicate id(s) VS1"),
        (lambda d: d["items"][0].update(dimension="vision"), "unknown dimension 'vision'"),
        (
            lambda d: d["scoring"]["levels"][1].update(min_score=0.5),
            "level min_score values must be strictly ascending",
        ),
        (
            lambda d: d["dimensions"][0]["level_descriptors"].pop(5),
            "dimensions.0.level_descriptors: missing level(s) [5]",
        ),
        (lambda d: d["items"][0]["text"].pop("nl"), "items.0.text.nl: required field is missing"),
    ],
)
def test_validator_names_file_path_and_expectation(tmp_path, raw_instrument, mutate, expected):
    mutate(raw_instrument)
    path = _write(tmp_path, raw_instrument)
    problems = validate_files([path])
    assert any(p.startswith(str(path)) and expected in p for p in problems), problems


def test_validate_command_lists_problems_and_exits_2(tmp_path, raw_instrument):
    raw_instrument["items"][0]["scale"] = "nope"
    raw_instrument["items"][3]["dimension"] = "vision"
    path = _write(tmp_path, raw_instrument)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "items.0.scale: unknown scale 'nope'" in result.output
    assert "items.3.dimension: unknown dimension 'vision'" in result.output
    assert "Traceback" not in result.output


def test_validate_command_accepts_the_committed_instruments():
    result = CliRunner().invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    committed = [p for p in QUESTIONNAIRE_DIR.glob("*.yaml") if p.name != "recommendations.yaml"]
    assert f"{len(committed)} instrument and mapping file(s) valid" in result.output


def test_bad_yaml_is_one_clear_problem(tmp_path):
    path = tmp_path / "x-v1.yaml"
    path.write_text("id: x\nitems: [unclosed\n", encoding="utf-8")
    with pytest.raises(InstrumentError) as err:
        load_instrument(path)
    assert str(path) in str(err.value) and "not valid YAML" in str(err.value)


def test_content_hash_tracks_content_not_formatting(tmp_path, raw_instrument):
    data_strategy = get_instrument("data-strategy", raw_instrument["version"])
    reformatted = tmp_path / "a-v1.yaml"
    reformatted.write_text(yaml.safe_dump(raw_instrument, width=40), encoding="utf-8")
    assert load_instrument(reformatted).content_hash == data_strategy.content_hash
    raw_instrument["items"][0]["text"]["nl"] += " (gewijzigd)"
    assert (
        load_instrument(_write(tmp_path, raw_instrument)).content_hash != data_strategy.content_hash
    )


def test_unknown_instrument_lists_the_known_ones():
    with pytest.raises(
        InstrumentError, match="known instruments: competences, data-sharing, data-strategy"
    ):
        get_instrument("maturity")


def test_levels_from_thresholds(data_strategy):
    assert data_strategy.level_for(1.0) == 1
    assert data_strategy.level_for(2.6) == 3
    assert data_strategy.level_for(4.99) == 5
    assert data_strategy.level_for(float("nan")) is None

"""Advice from the organisation's own results (issue #14): chosen and ordered by its gaps, every
named priority and reliable decline with an action, consolidation at the top of the ladder, every
action with owner, horizon, target, indicator and a tool; the rules file validated with errors
naming file, rule and field, and merged with the project's own by instrument id and version."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from dwp_assess import project
from dwp_assess.analysis.profiles import analyse_round, organisation_view
from dwp_assess.analysis.recommend import load_rules, recommend_organisation, recommend_team
from dwp_assess.data import store
from dwp_assess.instruments.loading import (
    QUESTIONNAIRE_DIR,
    RULES_NAME,
    get_instrument,
    rules_files,
)
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import InstrumentError
from dwp_assess.reports.sections import advice as advice_sections

ROUNDS = {"data-strategy-2025": None, "data-strategy-2026": "data-strategy-2025"}


@pytest.fixture(scope="module")
def analyses(tmp_path_factory, sample_store):
    engine = store.connect(sample_store.copy_to(tmp_path_factory.mktemp("advice") / "dwp.sqlite"))
    yield {r: analyse_round(engine, r, previous) for r, previous in ROUNDS.items()}
    engine.dispose()


def _views(analysis):
    for org in sorted(set(analysis.scores["organisation_id"])):
        yield organisation_view(analysis, org)


@pytest.mark.parametrize("round_id", list(ROUNDS))
def test_every_named_priority_has_a_complete_action(analyses, round_id):
    """Over every sample organisation of both versions: each named priority and each reliable
    decline has an action, and every action has owner, horizon, target, indicator items of the
    round's instrument version, a reason and a tool."""
    analysis = analyses[round_id]
    instrument = analysis.instrument
    for view in _views(analysis):
        advice = recommend_organisation(view, instrument)
        org = view.meta["organisation_id"]
        _, priorities = view.strengths_and_priorities()
        declines = view.change[
            view.change["reliable"].astype(bool) & (view.change["difference"] < 0)
        ]
        missing = (set(priorities["dimension_id"]) | set(declines["dimension_id"])) - set(
            advice["dimension_id"]
        )
        assert not missing, (org, missing)
        for r in advice.itertuples():
            assert r.tool.strip() and r.tool_description.strip() and r.owner and r.target, (org, r)
            assert r.horizon in ("0-3", "3-12", "12+") and r.reasons, (org, r)
            assert r.indicator and set(r.indicator) <= set(instrument.item_by_id), (
                org,
                r.indicator,
            )
            assert r.tool_kind == "datawerkplaats" or r.tool_url.startswith("https://")


def test_a_reliable_decline_is_named_and_put_first(analyses):
    analysis = analyses["data-strategy-2026"]
    view = organisation_view(analysis, "gouda")
    strongest = view.strengths_and_priorities()[0]["dimension_id"].iloc[0]
    change = view.change.copy()
    hit = change["dimension_id"] == strongest
    change.loc[hit, ["difference", "reliable"]] = [-0.6, True]
    view.change = change
    advice = recommend_organisation(view, analysis.instrument)
    row = advice[advice["dimension_id"] == strongest].iloc[0]
    assert any("duidelijk gedaald" in reason for reason in row["reasons"])
    assert row["rank"] <= 4  # among the priorities, before anything that only fills the list


def test_suppressed_peers_give_no_peer_reason(analyses):
    view = organisation_view(analyses["data-strategy-2026"], "gouda")
    assert any(
        "vergelijkbare" in r
        for rs in recommend_organisation(view, analyses["data-strategy-2026"].instrument)["reasons"]
        for r in rs
    )
    view.peers = view.peers.assign(suppressed=True, mean=float("nan"))
    reasons = recommend_organisation(view, analyses["data-strategy-2026"].instrument)["reasons"]
    assert not any("vergelijkbare" in r for rs in reasons for r in rs)


@pytest.mark.parametrize("level", [4, 5])
def test_organisations_at_the_top_levels_get_consolidation_actions(analyses, level):
    """High scorers never get "no recommendations": at the top everything is consolidated, one
    level below they also get the action to hold and share their strongest dimension."""
    analysis = analyses["data-strategy-2026"]
    view = organisation_view(analysis, "gouda")
    view.levels = view.levels.assign(
        level=pd.array([level] * len(view.levels), dtype="Int64"), median=float(level)
    )
    advice = recommend_organisation(view, analysis.instrument)
    assert len(advice) >= 3
    consolidate = advice[advice["purpose"] == "consolidate"]
    assert len(consolidate) == (len(advice) if level == 5 else 1)
    assert all(r.target_level == level for r in consolidate.itertuples())
    html = advice_sections.recommendations(view, analysis.instrument, "nl")
    assert "vasthouden" in html and "Geen aanbevelingen" not in html


def test_the_section_says_why_who_when_target_indicator_and_tool_in_both_languages(analyses):
    analysis = analyses["data-strategy-2025"]
    view = organisation_view(analysis, "gouda")
    nl = advice_sections.recommendations(view, analysis.instrument, "nl")
    for text in (
        "Omdat: duidelijk lager dan uw andere dimensies",
        "Eigenaar:",
        "Termijn:",
        "Doel, niveau",
        "Indicator:",
        "Hulpmiddel:",
    ):
        assert text in nl
    en = advice_sections.recommendations(view, analysis.instrument, "en")
    for text in (
        "Because: clearly lower than your other dimensions",
        "Owner:",
        "Horizon:",
        "Target, level",
        "Tool:",
    ):
        assert text in en
    assert "(nan)" not in nl + en and "None" not in nl + en


def test_a_reverse_keyed_indicator_statement_is_said_to_go_down(analyses):
    analysis = analyses["data-strategy-2026"]
    instrument = analysis.instrument
    shown = 0
    for view in _views(analysis):
        advice = recommend_organisation(view, instrument)
        for indicator in advice["indicator"]:
            for item_id in indicator:
                item = instrument.item_by_id[item_id]
                text = advice_sections._indicator_statement(item, "nl")
                assert ("juist omlaag" in text) == item.reverse
                shown += item.reverse
    assert shown, "the sample's advice names no reverse-keyed indicator: the test checks nothing"


@pytest.mark.parametrize("version", [1, 2])
def test_team_advice_always_names_a_tool(version):
    instrument = get_instrument("competences", version)
    gaps = pd.DataFrame(
        [(d.id, "data") for d in instrument.dimensions], columns=["dimension_id", "dikw_stage"]
    )
    advice = recommend_team(gaps, instrument)
    assert len(advice) == len(instrument.dimensions)
    assert advice["tool"].map(lambda v: isinstance(v, str) and v.strip() != "").all()


def _rules() -> dict:
    return yaml.safe_load((QUESTIONNAIRE_DIR / RULES_NAME).read_text(encoding="utf-8"))


def _without_infrastructure(raw):
    raw["organisation"]["actions"] = [
        a for a in raw["organisation"]["actions"] if a["dimension"] != "infrastructure"
    ]


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            lambda r: r["organisation"]["actions"][0].pop("tool"),
            "organisation.0.actions.0.tool: required field is missing",
        ),
        (
            lambda r: r["organisation"]["actions"][0].update(tool="nothing"),
            "organisation.0 (data-strategy): actions.0 (vision-adopt): tool: unknown tool 'nothing'",
        ),
        (
            lambda r: r["organisation"]["actions"][0].update(tool=""),
            "organisation.0.actions.0.tool",
        ),
        (
            lambda r: r["organisation"]["actions"][0].update(owner="mayor"),
            "organisation.0 (data-strategy): actions.0 (vision-adopt): owner: unknown owner 'mayor'",
        ),
        (
            lambda r: r["organisation"]["actions"][0].update(indicator=["XX9"]),
            "organisation.0 (data-strategy): actions.0 (vision-adopt): indicator: unknown item(s) XX9",
        ),
        (
            lambda r: r["organisation"]["actions"][0].update(indicator=["VS3"]),
            "indicator: no item of dimension vision_strategy in data-strategy-v2",
        ),
        (
            lambda r: r["organisation"]["actions"][1].update(levels=[3, 4, 5]),
            "organisation.0 (data-strategy): actions.1 (vision-plan): levels: a develop action cannot fit the top level 5",
        ),
        (lambda r: r["tools"]["iama"].pop("url"), "tools.iama: a national facility needs its url"),
        (_without_infrastructure, "no action for infrastructure at level 1 (data-strategy-v1)"),
        (lambda r: r["team"][0]["rules"][0].update(tool=None), "team.0.rules.0.tool"),
    ],
)
def test_rule_errors_name_the_file_the_rule_and_the_field(tmp_path, change, expected):
    raw = _rules()
    change(raw)
    path = tmp_path / RULES_NAME
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InstrumentError) as caught:
        load_rules(path)
    assert any(p.startswith(str(path)) and expected in p for p in caught.value.problems), (
        caught.value.problems
    )


def _own_project(tmp_path, rules: dict, *instruments: dict) -> project.Settings:
    """A project with its own rules file (and instrument files), made this process's project."""
    own = project.create(tmp_path / "own", owner="Testgemeente")
    for raw in instruments:
        (own.questionnaires_dir / f"{raw['id']}-v{raw['version']}.yaml").write_text(
            yaml.safe_dump(raw, allow_unicode=True), "utf-8"
        )
    (own.questionnaires_dir / RULES_NAME).write_text(
        yaml.safe_dump(rules, allow_unicode=True), "utf-8"
    )
    return project.activate(own)


def _second_maturity_instrument() -> tuple[dict, dict]:
    """A project's own maturity instrument (the data-strategy v2 file under another id) and
    rules for it only (the packaged data-strategy actions under that id, with a selection of
    its own): what a project adds without touching the packaged rules."""
    raw = yaml.safe_load((QUESTIONNAIRE_DIR / "data-strategy-v2.yaml").read_text(encoding="utf-8"))
    raw.update(id="eigen-volwassenheid", version=1)
    asked = {item["id"] for item in raw["items"]}
    actions = [
        a | {"indicator": [i for i in a["indicator"] if i in asked]}
        for a in _rules()["organisation"]["actions"]
    ]
    rules = {
        "selection": {"limit": 1},
        "organisation": [{"instrument": "eigen-volwassenheid", "actions": actions}],
    }
    return raw, rules


def test_a_project_can_replace_the_rules_of_one_instrument(tmp_path):
    raw = _rules()
    raw["selection"]["limit"] = 1
    del raw["team"]
    _own_project(tmp_path, raw)
    assert rules_files()[-1] == project.active().questionnaires_dir / RULES_NAME
    merged = load_rules()
    assert merged.for_instrument(get_instrument("data-strategy", 2)).selection.limit == 1
    assert merged.for_instrument(
        get_instrument("competences", 2)
    ).team  # the packaged team rules stay


def test_rules_for_a_projects_own_instrument_leave_the_packaged_rules_in_place(tmp_path, analyses):
    instrument_raw, rules = _second_maturity_instrument()
    _own_project(tmp_path, rules, instrument_raw)
    merged = load_rules()
    own = get_instrument("eigen-volwassenheid", 1)
    assert merged.for_instrument(own).selection.limit == 1
    packaged = merged.for_instrument(get_instrument("data-strategy", 2))
    assert packaged.selection.limit == 5 and len(packaged.actions) == len(
        rules["organisation"][0]["actions"]
    )
    view = next(_views(analyses["data-strategy-2026"]))
    assert len(
        recommend_organisation(view, view_instrument(analyses))
    )  # the data-strategy advice still works


def view_instrument(analyses):
    return analyses["data-strategy-2026"].instrument


def test_an_instrument_without_rules_gets_no_advice_and_the_report_says_so(tmp_path, analyses):
    instrument_raw, _ = _second_maturity_instrument()
    _own_project(tmp_path, {"owners": {}}, instrument_raw)
    from dwp_assess.analysis.recommend import missing_rules

    own = get_instrument("eigen-volwassenheid", 1)
    assert [
        m
        for m in missing_rules(load_rules(), [own])
        if m.startswith("eigen-volwassenheid-v1: no recommendation rules")
    ]
    view = next(_views(analyses["data-strategy-2026"]))
    for lang in ("nl", "en"):
        html = str(advice_sections.recommendations(view, own, lang))
        assert t("advice.no_rules", lang) in html and "dwp-advice" not in html


def test_rules_for_an_unknown_instrument_or_version_are_named(tmp_path):
    raw = {
        "organisation": [
            {"instrument": "nergens", "actions": _rules()["organisation"]["actions"]},
            {
                "instrument": "data-strategy",
                "versions": [7],
                "actions": _rules()["organisation"]["actions"],
            },
        ]
    }
    path = tmp_path / RULES_NAME
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InstrumentError) as caught:
        load_rules(path)
    assert any(
        "organisation.0 (nergens): instrument: unknown instrument 'nergens'" in p
        for p in caught.value.problems
    )
    assert any(
        "organisation.1 (data-strategy): versions: data-strategy has no version(s) 7" in p
        for p in caught.value.problems
    )


def test_a_views_advice_is_made_once_handed_out_as_a_copy_and_made_again_after_a_change(analyses):
    """A report and its summary ask one view for its advice, bands and intervals several
    times: made once per view (``OrganisationView.remembered``), each caller gets its own
    copy, and a field set on the view makes them again from the new value."""
    analysis = analyses["data-strategy-2026"]
    view = organisation_view(analysis, "gouda")
    fresh = recommend_organisation(organisation_view(analysis, "gouda"), analysis.instrument)
    first = recommend_organisation(view, analysis.instrument)
    first.loc[0, "action"] = "changed by a caller"
    pd.testing.assert_frame_equal(recommend_organisation(view, analysis.instrument), fresh)
    made = []
    for _ in range(3):
        view.remembered(("example",), lambda: made.append(1) or pd.DataFrame({"n": [1]}))
    assert made == [1]
    assert view.agreement_bands() is not view.agreement_bands()
    view.levels = view.levels.assign(level=1)
    assert set(recommend_organisation(view, analysis.instrument)["level"]) == {1}
    assert set(fresh["level"]) != {1}

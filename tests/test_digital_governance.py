"""Goed Digitaal Bestuur (``digital-governance``): the instrument, the agreements analysis, the
facilitator's live view and the report, on hand-made teams whose answers are known."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from dwp_assess.analysis import agreements
from dwp_assess.instruments.loading import get_instrument, load_instrument
from dwp_assess.instruments.model import InstrumentError

DONT_KNOW = None  # an answer of "weet ik niet" in the hand-made teams below
PACKAGE = Path(agreements.__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def gdb():
    return get_instrument("digital-governance")


def answers_of(instrument, team: str, members: list[dict], org: str = "gouda", texts: dict | None = None) -> pd.DataFrame:  # fmt: skip
    """Long answers of one team: per member ``{value_id: (relevance, safeguarding)}``; a value
    left out is not answered, ``None`` is "weet ik niet". ``texts``: free-text id → texts."""
    rows = []
    for n, member in enumerate(members, start=1):
        base = {"response_id": f"{team}-r{n}", "respondent_id": f"{team}-p{n}", "organisation_id": org,
                "team_id": team, "role": None, "submitted_at": None, "text": None}  # fmt: skip
        for value_id, pair in member.items():
            for aspect, answer in zip(("relevance", "safeguarding"), pair, strict=True):
                item = instrument.value_item(value_id, aspect)
                rows.append(base | {"item_id": item.id, "value": None if answer is None else float(answer),
                                    "code": "dont_know" if answer is None else None})  # fmt: skip
    for item_id, given in (texts or {}).items():
        for n, text in enumerate(given, start=1):
            rows.append({"response_id": f"{team}-r{n}", "respondent_id": f"{team}-p{n}", "organisation_id": org,
                         "team_id": team, "role": None, "submitted_at": None, "item_id": item_id,
                         "value": None, "code": None, "text": text})  # fmt: skip
    return pd.DataFrame(rows)


def analysed(
    instrument, frames: list[pd.DataFrame], min_group: int = 3
) -> agreements.AgreementsAnalysis:
    answers = pd.concat(frames, ignore_index=True)
    teams = pd.DataFrame({"id": sorted(answers["team_id"].unique())})
    teams["organisation_id"], teams["name"], teams["invited"] = "gouda", teams["id"].str.title(), 6
    orgs = pd.DataFrame({"organisation_id": ["gouda"], "name": ["Gouda"]})
    meta = {"round_id": "digital-governance-2026", "period": "2026", "instrument_id": instrument.id,
            "instrument_version": instrument.version}  # fmt: skip
    return agreements.analyse_answers(answers, instrument, orgs, teams, meta, min_group)


# -- the instrument -------------------------------------------------------------------------


def test_instrument_declares_foundations_principles_and_two_questions_per_value(gdb):
    assert (gdb.kind, gdb.output) == ("team", "agreements")
    assert [f.id for f in gdb.foundations] == [
        "democracy",
        "rule_of_law",
        "administrative_capacity",
    ]
    assert {d.id: d.foundation for d in gdb.dimensions} == {
        "participation": "democracy", "societal_value": "democracy",
        "human_rights": "rule_of_law", "procedural_justice": "rule_of_law",
        "quality_of_governance": "administrative_capacity", "responsibility": "administrative_capacity",
    }  # fmt: skip
    named = {v.id for v in gdb.public_values}
    assert {"transparency", "inclusion", "non_discrimination", "privacy", "explainability", "autonomy", "security"} <= named  # fmt: skip
    for value in gdb.public_values:
        for aspect in ("relevance", "safeguarding"):
            item = gdb.value_item(value.id, aspect)
            assert item is not None and item.dimension == value.dimension
            assert "dont_know" in gdb.scale_of(item.id).special_codes()
    proposals = {f.dimension for f in gdb.free_text if f.show_in_reports}
    assert proposals == {d.id for d in gdb.dimensions}
    assert all(
        t.en for t in [gdb.title, gdb.introduction, gdb.privacy] + [i.text for i in gdb.items]
    )


def _raw():
    path = PACKAGE / "questionnaires" / "digital-governance-v1.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["items"].pop(1), "value 'inclusion' has no safeguarding item"),
        (lambda r: r["items"][1].update(aspect="relevance"), "value 'inclusion' has a second relevance item"),
        (lambda r: r["items"][0].update(public_value="nope"), "items.0: needs public_value"),
        (lambda r: r["items"][0].pop("aspect"), "items.0: needs public_value"),
        (lambda r: r["dimensions"][0].update(foundation="monarchy"), "dimensions.0.foundation"),
        (lambda r: r["public_values"][0].update(dimension="nope"), "public_values.0.dimension: unknown dimension"),
        (lambda r: r["items"][0].update(dimension="human_rights"), "items.0.dimension: value 'inclusion' belongs to 'participation'"),
        (lambda r: r.update(output="team-profile"), "are for instruments with output agreements"),
    ],
)  # fmt: skip
def test_the_model_refuses_values_without_both_questions_and_unknown_names(
    tmp_path, change, message
):
    raw = _raw()
    change(raw)
    path = tmp_path / "digital-governance-v1.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InstrumentError) as error:
        load_instrument(path)
    assert message in str(error.value)


# -- the analysis ------------------------------------------------------------------------


def test_priorities_come_first_by_gap_then_relevance_then_disagreement_by_lowest_rwg(gdb):
    members = [
        {"privacy": (5, 1), "transparency": (5, 2), "inclusion": (4, 2), "security": (5, 5),
         "autonomy": (1, 3), "explainability": (2, 2), "accountability": (5, 4)},
        {"privacy": (5, 1), "transparency": (5, 2), "inclusion": (4, 2), "security": (5, 5),
         "autonomy": (5, 3), "explainability": (4, 2), "accountability": (4, 4)},
        {"privacy": (5, 1), "transparency": (5, 2), "inclusion": (4, 2), "security": (5, 5),
         "autonomy": (3, 3), "explainability": (3, 2), "accountability": (5, 4)},
    ]  # fmt: skip
    team = analysed(gdb, [answers_of(gdb, "t1", members)]).team("t1")
    listed = team.agreements[["value_id", "reason"]].values.tolist()
    # privacy gap 4, transparency gap 3, inclusion gap 2 (relevance 4): priorities in that order;
    # autonomy (answers 1, 5, 3: rwg 0) and explainability (2, 4, 3: rwg .5) are divided;
    # security (5 and 5) and accountability (gap under 1) are neither.
    assert listed == [["privacy", "priority"], ["transparency", "priority"], ["inclusion", "priority"],
                      ["autonomy", "disagreement"], ["explainability", "disagreement"]]  # fmt: skip


def test_equal_gaps_are_ordered_by_relevance_then_by_the_instruments_order(gdb):
    same = {"security": (4, 3), "privacy": (5, 4), "transparency": (5, 4), "inclusion": (4, 3)}
    members = [same, same, same]
    values = analysed(gdb, [answers_of(gdb, "t1", members)]).team("t1").values
    values = values.assign(priority=True)  # gap 1 each: every one a priority
    ordered = agreements.agreements_list(values[values["value_id"].isin(same)])
    # relevance 5 before 4; between equals the instrument's order (inclusion before privacy ...)
    assert ordered["value_id"].tolist() == ["privacy", "transparency", "inclusion", "security"]


def test_disagreement_is_flagged_on_planted_cases_and_not_where_the_team_agrees(gdb):
    members = [
        {"privacy": (5, 1), "security": (4, 4), "inclusion": (3, 1)},
        {"privacy": (1, 5), "security": (4, 4), "inclusion": (3, 2)},
        {"privacy": (3, 3), "security": (5, 4), "inclusion": (3, 1)},
        {"privacy": (5, 1), "security": (4, 5), "inclusion": (3, 2)},
    ]
    values = analysed(gdb, [answers_of(gdb, "t1", members)]).team("t1").values.set_index("value_id")
    assert bool(values.at["privacy", "disagreement"])
    assert not values.at["security", "disagreement"] and not values.at["inclusion", "disagreement"]
    assert values.at["privacy", "spread_relevance"] == 4
    assert values.at["security", "rwg_relevance"] > 0.7


def test_counts_medians_dont_know_and_gap_per_value(gdb):
    members = [
        {"privacy": (5, 2)},
        {"privacy": (4, DONT_KNOW)},
        {"privacy": (DONT_KNOW, 1)},
        {"security": (3, 3)},
    ]
    analysis = analysed(gdb, [answers_of(gdb, "t1", members)])
    row = analysis.team("t1").values.set_index("value_id").loc["privacy"]
    assert (row["n_relevance"], row["dont_know_relevance"], row["n_safeguarding"], row["dont_know_safeguarding"]) == (2, 1, 2, 1)  # fmt: skip
    assert row["median_relevance"] == 4.5 and row["mean_safeguarding"] == 1.5
    assert row["gap"] == pytest.approx(3.0) and row["priority"]
    shares = analysis.distribution.query("value_id == 'privacy' and aspect == 'relevance'")
    assert dict(zip(shares["answer"], shares["n"], strict=True)) == {"4": 1, "5": 1, "dont_know": 1}
    assert analysis.teams.set_index("team_id").at["t1", "n_respondents"] == 4


def test_a_team_under_the_minimum_gets_its_count_only(gdb):
    small = [{"privacy": (5, 1)}, {"privacy": (5, 1)}]
    big = [{"privacy": (5, 1)}] * 3
    texts = {"agree_human_rights": ["Een DPIA vóór de start"] * 2}
    analysis = analysed(gdb, [answers_of(gdb, "small", small, texts=texts), answers_of(gdb, "big", big, texts=texts)])  # fmt: skip
    team = analysis.team("small")
    assert team.suppressed and team.team["n_respondents"] == 2
    assert team.distribution.empty and team.proposals.empty and team.agreements.empty
    assert team.values[agreements.FIGURES].isna().all().all()
    assert team.values[agreements.COUNTS].isna().all().all()
    assert not analysis.team("big").suppressed and len(analysis.team("big").agreements) == 1


def test_proposals_are_grouped_per_principle_with_identical_ones_counted(gdb):
    texts = {"agree_human_rights": ["Een DPIA vóór de start", "een dpia  vóór de start", "Bias-toets per kwartaal"],
             "agree_participation": ["Burgerpanel"]}  # fmt: skip
    members = [{"privacy": (5, 1)}] * 3
    proposals = analysed(gdb, [answers_of(gdb, "t1", members, texts=texts)]).team("t1").proposals
    rights = proposals[proposals["dimension_id"] == "human_rights"]
    assert rights[["text", "n"]].values.tolist() == [["Een DPIA vóór de start", 2], ["Bias-toets per kwartaal", 1]]  # fmt: skip
    assert proposals[proposals["dimension_id"] == "participation"]["text"].tolist() == [
        "Burgerpanel"
    ]


def test_reports_go_to_the_teams_own_organisation(gdb):
    members = [{"privacy": (5, 1)}] * 3
    analysis = analysed(gdb, [answers_of(gdb, "t1", members), answers_of(gdb, "t2", members, org="almere")])  # fmt: skip
    assert analysis.report_units() == {"t1": "T1", "t2": "T2"}
    assert analysis.receivers() == {"t1": ["gouda"], "t2": ["gouda"]}


def test_the_analysis_saves_and_loads(gdb, tmp_path):
    members = [{"privacy": (5, 1)}] * 3
    analysis = analysed(gdb, [answers_of(gdb, "t1", members, texts={"agree_human_rights": ["x"]})])
    loaded = agreements.AgreementsAnalysis.load(analysis.save(tmp_path / "a"))
    pd.testing.assert_frame_equal(loaded.values, analysis.values)
    assert loaded.team("t1").agreements["value_id"].tolist() == ["privacy"]


# -- the facilitator's live view -----------------------------------------------------------


def test_session_summary_shows_counts_only_from_the_minimum_and_never_a_respondent(gdb):
    members = [
        {"privacy": (5, 1), "security": (4, 4)},
        {"privacy": (4, 2)},
        {"privacy": (5, DONT_KNOW)},
    ]
    texts = {"agree_human_rights": ["Een DPIA", "Een DPIA"]}
    answers = answers_of(gdb, "t1", members, texts=texts)
    under = agreements.session_summary(answers[answers["respondent_id"] != "t1-p3"], gdb, "t1", 3)
    assert not under.shown and under.n_respondents == 2
    assert under.counts.empty and under.values.empty and under.proposals.empty
    shown = agreements.session_summary(answers, gdb, "t1", 3)
    assert shown.shown and shown.n_respondents == 3
    privacy = shown.counts.query("value_id == 'privacy' and aspect == 'safeguarding'")
    assert dict(zip(privacy["answer"], privacy["n"], strict=True)) == {
        "1": 1,
        "2": 1,
        "dont_know": 1,
    }
    assert shown.proposals[["text", "n"]].values.tolist() == [["Een DPIA", 2]]
    for frame in (shown.counts, shown.values, shown.proposals):
        assert not {"respondent_id", "response_id"} & set(frame.columns)
    assert agreements.session_summary(answers, gdb, "nobody", 3).n_respondents == 0


def test_no_analysis_or_report_module_names_the_instrument():
    for folder in ("analysis", "reports"):
        for path in (PACKAGE / folder).rglob("*.py"):
            assert "digital-governance" not in path.read_text(encoding="utf-8"), path

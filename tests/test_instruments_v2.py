"""Version 2 of the instruments: reverse keying, the level-choice question from template to
level statistics, version mappings and the items two versions can be compared on."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from dwp_assess.analysis.comparison import change_scores, shared_items
from dwp_assess.analysis.levels import level_statistics, median_interval
from dwp_assess.analysis.scoring import item_matrix, keyed_answers, score_round
from dwp_assess.cli.main import app
from dwp_assess.collect.forms import option_pairs
from dwp_assess.collect.xlsform import choice_rows, survey_rows
from dwp_assess.data import store
from dwp_assess.data.import_templates import template_columns
from dwp_assess.data.importers import import_file
from dwp_assess.data.registry import import_registry
from dwp_assess.demo import SAMPLE_DIR
from dwp_assess.instruments.loading import (
    QUESTIONNAIRE_DIR,
    get_instrument,
    get_mapping,
    load_instrument,
    load_mapping,
)
from dwp_assess.instruments.versions import comparable_items, dimension_items


def answers_of(rows: list[tuple[str, str, str, float | None, str | None]]) -> pd.DataFrame:
    """Long answers from (response, organisation, item, value, code) tuples."""
    frame = pd.DataFrame(
        rows, columns=["response_id", "organisation_id", "item_id", "value", "code"]
    )
    return frame.assign(respondent_id=frame["response_id"], team_id=None, role=None, text=None)


# -- the files ------------------------------------------------------------------------


def test_validate_passes_both_v2_instruments_and_the_mappings():
    names = [
        "data-strategy-v2.yaml",
        "competences-v2.yaml",
        "data-strategy-v1-to-v2.yaml",
        "competences-v1-to-v2.yaml",
    ]
    result = CliRunner().invoke(app, ["validate", *(str(QUESTIONNAIRE_DIR / n) for n in names)])
    assert result.exit_code == 0, result.output
    assert "4 instrument and mapping file(s) valid" in result.output


def test_every_v2_text_is_in_dutch_and_english(data_strategy_v2):
    competences = get_instrument("competences", 2)
    assert (data_strategy_v2.version, competences.version) == (2, 2)
    for ins in (data_strategy_v2, competences):
        texts = [i.text for i in ins.items] + [p.label for s in ins.scales for p in s.points]
        assert all(t.nl and t.en for t in texts)


def test_v2_scales_fit_the_items(data_strategy_v2):
    competences = get_instrument("competences", 2)
    assert {i.scale for i in data_strategy_v2.rated_items} == {"agree5", "freq5"}
    assert all(
        i.text.nl.startswith("Hoe vaak") for i in data_strategy_v2.rated_items if i.scale == "freq5"
    )
    attitudes = [i.id for i in competences.items if i.scale == "agree5"]
    assert "COL10" in attitudes and "INNO2" in attitudes and "ANA2" not in attitudes
    assert all(
        i.text.nl.startswith("Ik kan") or i.text.nl.startswith("Ik ken")
        for i in competences.items
        if i.scale == "competence5"
    )


def test_each_dimension_has_one_level_question_whose_options_are_its_descriptors(data_strategy_v2):
    assert sorted(i.dimension for i in data_strategy_v2.level_items) == sorted(
        d.id for d in data_strategy_v2.dimensions
    )
    item = next(i for i in data_strategy_v2.level_items if i.dimension == "data")
    dim = data_strategy_v2.dimension_by_id["data"]
    options = option_pairs(data_strategy_v2, item.id, "nl")
    assert options[:5] == [(dim.level_descriptors[n].nl, str(n)) for n in range(1, 6)]
    assert options[5:] == [("Weet ik niet", "dont_know")]
    survey = {r["name"]: r for r in survey_rows(data_strategy_v2)}
    list_name = survey[item.id]["type"].removeprefix("select_one ")
    labels = [
        r["label::Nederlands (nl)"]
        for r in choice_rows(data_strategy_v2)
        if r["list_name"] == list_name
    ]
    assert labels[:5] == [dim.level_descriptors[n].nl for n in range(1, 6)]


def test_competence_items_name_their_dikw_stages():
    competences = get_instrument("competences", 2)
    assert all(i.dikw_stages for i in competences.items)
    stages = {s for i in competences.items_of("political_savvy") for s in i.dikw_stages}
    assert stages == set(competences.dimension_by_id["political_savvy"].dikw_stages)


def _v2_raw(name: str) -> dict:
    return yaml.safe_load((QUESTIONNAIRE_DIR / name).read_text(encoding="utf-8"))


def _problems(raw: dict, tmp_path) -> str:
    path = tmp_path / "x-v9.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        load_instrument(path)
    return str(caught.value)


def test_bad_level_and_stage_fields_are_errors_naming_file_and_field(tmp_path):
    raw = _v2_raw("data-strategy-v2.yaml")
    raw["items"][8]["scale"] = "agree5"  # VS_LEVEL on an agreement scale
    raw["items"][0]["scale"] = "level5"  # VS1 on the level template
    message = _problems(raw, tmp_path)
    assert "x-v9.yaml" in message
    assert "items.8.scale: a level_choice item needs a scale with level_choice: true" in message
    assert "items.0.scale: scale 'level5' is for items with type: level_choice" in message
    team = _v2_raw("competences-v2.yaml")
    team["items"][0]["dikw_stages"] = ["wisdom"]
    assert "items.0.dikw_stages.0" in _problems(team, tmp_path)
    team = _v2_raw("competences-v2.yaml")
    team["dimensions"][7]["dikw_stages"] = ["decision"]  # political savvy's items serve more
    assert "dimensions.7.dikw_stages" in _problems(team, tmp_path)


# -- reverse keying ---------------------------------------------------------------------


def test_reverse_keyed_items_are_scored_reversed_hand_computed(data_strategy_v2):
    """Vision and strategy, one respondent: VS5 (reverse, agreement) answered 2 counts as
    6 − 2 = 4; VS_LEVEL (level choice) is not in the mean:
    (4 + 5 + 3 + 3 + 2 + 2 + 4 + 3) / 8 = 3.25."""
    given = {
        "VS1": 4,
        "VS2": 5,
        "VS7": 3,
        "VS8": 3,
        "VS9": 2,
        "VS10": 2,
        "VS5": 2,
        "VS6": 3,
        "VS_LEVEL": 5,
        "PC6": 5,
    }
    answers = answers_of([("r1", "gouda", item, value, None) for item, value in given.items()])
    scores = score_round(answers, data_strategy_v2).set_index("dimension_id")
    assert scores.loc["vision_strategy", "score"] == pytest.approx(3.25)
    assert scores.loc["vision_strategy", "n_items"] == 8
    keyed = keyed_answers(answers, data_strategy_v2).set_index("item_id")["keyed"]
    assert (keyed["VS5"], keyed["PC6"]) == (4, 1)  # PC6 is a reverse-keyed frequency item
    assert "VS_LEVEL" not in keyed.index
    assert item_matrix(answers, data_strategy_v2, "vision_strategy").loc["r1", "VS5"] == 4


# -- level statistics -------------------------------------------------------------------------


def test_median_interval_from_order_statistics():
    """n = 8: P(B ≤ 0) = 1/256 ≤ .025 < P(B ≤ 1) = 9/256, so j = 1: [x(1), x(8)], coverage
    1 − 2/256. n = 20: P(B ≤ 5) = .0207 ≤ .025 < P(B ≤ 6) = .0577, so [x(6), x(15)] (Conover
    1999, Table A3). n = 5 has no 95% interval."""
    assert median_interval(np.array([1, 2, 2, 3, 3, 3, 4, 5])) == pytest.approx((1, 5, 1 - 2 / 256))
    low, high, coverage = median_interval(np.arange(1, 21))
    assert (low, high) == (6, 15) and coverage == pytest.approx(0.9586, abs=1e-4)
    assert all(np.isnan(median_interval(np.arange(5))))


def test_levels_of_a_round_where_everyone_answered_dont_know_or_nothing_yet(data_strategy_v2):
    """Only "weet ik niet" on the level questions (or no answers at all): a summary with every
    column and the don't-knows counted, no organisation × dimension without a level made up."""
    level_item = data_strategy_v2.level_items[0]
    dont_know = pd.DataFrame(
        {
            "response_id": ["r1", "r2"],
            "organisation_id": ["gouda", "gouda"],
            "item_id": [level_item.id] * 2,
            "value": [np.nan, np.nan],
            "code": ["dont_know", "dont_know"],
        }
    )
    for answers, expected in ((dont_know, [2]), (dont_know.iloc[:0], [])):
        summary, _ = level_statistics(answers, pd.DataFrame(), data_strategy_v2)
        assert list(summary["n_dont_know"]) == expected
        assert summary["level"].isna().all() and list(summary["n"]) == [0] * len(expected)


def test_level_choice_end_to_end_template_import_store_statistics(
    engine, data_strategy_v2, tmp_path
):
    """Gouda chooses, for vision and strategy, the levels 1, 2, 2, 3, 3, 3, 4, 5 and once
    "weet ik niet" (one level given as its Dutch descriptor text). By hand: distribution
    1/2/3/1/1 of 8; level = x(4) = 3; median 3; Q1 at position 1.75 = 2; Q3 at position
    5.25 = 3 + 0.25·(4 − 3) = 3.25; IQR 1.25; interval of the median [x(1), x(8)] = [1, 5]."""
    import_registry(engine, SAMPLE_DIR / "organisations.csv", SAMPLE_DIR / "teams.csv")
    store.create_round(engine, data_strategy_v2, "2026", "ds-v2-test")
    descriptor_2 = data_strategy_v2.dimension_by_id["vision_strategy"].level_descriptors[2].nl
    chosen = ["1", descriptor_2, "2", "3", "3", "3", "4", "5", "weet ik niet"]
    columns = template_columns(data_strategy_v2)
    path = tmp_path / "levels.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for n, level in enumerate(chosen):
            writer.writerow(
                {c: "" for c in columns}
                | {
                    "response_id": f"t{n}",
                    "organisation_id": "gouda",
                    "role": "beleid",
                    "VS_LEVEL": level,
                    "VS1": "4",
                }
            )
    summary = import_file(engine, path, "ds-v2-test")
    assert (summary.stored, summary.quarantined) == (9, 0)
    answers = store.load_answers(engine, "ds-v2-test")
    levels, distribution = level_statistics(
        answers, score_round(answers, data_strategy_v2), data_strategy_v2
    )
    row = levels.set_index(["organisation_id", "dimension_id"]).loc[("gouda", "vision_strategy")]
    assert (row["level_basis"], row["n"], row["n_dont_know"]) == ("chosen", 8, 1)
    assert (row["level"], row["level_low"], row["level_high"]) == (3, 1, 5)
    assert (row["median"], row["q1"], row["q3"], row["iqr"]) == (3, 2, 3.25, 1.25)
    shares = distribution[distribution["dimension_id"] == "vision_strategy"].set_index("level")
    assert shares["n"].tolist() == [1, 2, 3, 1, 1]
    assert shares["share"].sum() == pytest.approx(1)


def test_level_choices_are_never_in_the_dimension_mean(data_strategy_v2):
    """Every rating item of vision answered 1 (VS5, reverse-keyed, counts as 5) and level 5
    chosen: the mean is (7 · 1 + 5) / 8 = 1.5 whatever level was chosen."""
    rows = [("r1", "gouda", "VS_LEVEL", 5.0, None)]
    rows += [
        ("r1", "gouda", i.id, 1.0, None) for i in data_strategy_v2.rated_items_of("vision_strategy")
    ]
    scores = score_round(answers_of(rows), data_strategy_v2).set_index("dimension_id")
    assert scores.loc["vision_strategy", "score"] == pytest.approx(1.5)


def test_v1_levels_are_an_estimate_with_an_interval(data_strategy):
    """Scores 2.0, 3.0, 4.0 on vision: mean 3.0, sd 1, t(.975; 2) = 4.3027, so 3 ± 2.484:
    the level of 3.0 is 3 (Verbreden) but the interval reaches from level 1 to level 5."""
    rows = [(f"r{n}", "gouda", "VS1", v, None) for n, v in enumerate([2.0, 3.0, 4.0])]
    rows += [(f"r{n}", "gouda", "VS2", v, None) for n, v in enumerate([2.0, 3.0, 4.0])]
    rows += [
        (f"r{n}", "gouda", i, v, None)
        for n, v in enumerate([2.0, 3.0, 4.0])
        for i in ("VS3", "VS4")
    ]
    answers = answers_of(rows)
    levels, _ = level_statistics(answers, score_round(answers, data_strategy), data_strategy)
    row = levels.set_index("dimension_id").loc["vision_strategy"]
    assert (row["level_basis"], row["level"], row["level_low"], row["level_high"]) == (
        "estimate",
        3,
        1,
        5,
    )
    assert row["mean_low"] == pytest.approx(3 - 4.302653 / np.sqrt(3), abs=1e-5)


# -- mappings and comparable items ------------------------------------------------------------------


def _mapping_problems(tmp_path, edit) -> str:
    raw = yaml.safe_load((QUESTIONNAIRE_DIR / "data-strategy-v1-to-v2.yaml").read_text("utf-8"))
    edit(raw)
    path = tmp_path / "data-strategy-v1-to-v2.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        load_mapping(path)
    return str(caught.value)


def test_mapping_accounts_for_every_item_of_both_versions(tmp_path):
    message = _mapping_problems(tmp_path, lambda raw: raw["items"].pop("VS1"))
    assert "data-strategy-v1-to-v2.yaml: items: no entry for v1 item(s) VS1" in message
    assert "data-strategy-v2 item(s) not accounted for" in message and "VS1" in message
    message = _mapping_problems(tmp_path, lambda raw: raw["new"].pop(0))
    assert "not accounted for (a split target or under new): PG10" in message
    message = _mapping_problems(tmp_path, lambda raw: raw["items"]["VS6"].update(status="kept"))
    assert "items.VS6.status: 'kept' does not fit the files" in message
    message = _mapping_problems(
        tmp_path, lambda raw: raw["items"]["VS3"].update(into=["VS7", "XX9"])
    )
    assert "items.VS3: XX9 not an item of data-strategy-v2" in message


def test_comparable_items_between_v1_and_v2(data_strategy, data_strategy_v2):
    pairs = comparable_items(
        data_strategy, data_strategy_v2, get_mapping("data-strategy", 1, 2)
    ).set_index("item_before")
    assert pairs.loc["VS1", "comparable"] and pairs.loc["VS1", "same_dimension"]
    assert not pairs.loc["VS6", "comparable"]  # reworded onto the frequency scale
    assert pairs.loc["RU5", "comparable"] and not pairs.loc["RU5", "same_dimension"]
    assert "VS3" not in pairs.index  # split
    used = dimension_items(pairs.reset_index())
    assert set(used["item_before"]) == set(used["item_after"])
    assert not {"VS6", "PC6", "RU5", "TE4"} & set(used["item_before"])
    assert len(used) == 26  # the kept items
    competences = comparable_items(
        get_instrument("competences", 1),
        get_instrument("competences", 2),
        get_mapping("competences", 1, 2),
    ).set_index("item_before")
    assert competences.loc["LIT2", "comparable"] and not competences.loc["INNO2", "comparable"]


def test_change_between_versions_uses_comparable_items_only(data_strategy, data_strategy_v2):
    """Vision and strategy shares VS1, VS2 and VS5; VS6 changed scale. Before: 2, 2, 4 → VS5
    keyed 2 → mean 2; after: 4, 4, 2 (VS5 keyed 4) → 4, whatever VS6 and the new items say."""
    before = answers_of(
        [("a", "gouda", i, v, None) for i, v in {"VS1": 2, "VS2": 2, "VS5": 4, "VS6": 5}.items()]
    )
    after = answers_of(
        [
            ("b", "gouda", i, v, None)
            for i, v in {"VS1": 4, "VS2": 4, "VS5": 2, "VS6": 1, "VS7": 1}.items()
        ]
    )
    scores_before, scores_after, items = change_scores(
        before, data_strategy, after, data_strategy_v2
    )
    vision = items[items["dimension_id"] == "vision_strategy"]
    assert vision["item_after"].tolist() == ["VS1", "VS2", "VS5"]
    score = lambda s: s.set_index("dimension_id").loc["vision_strategy", "score"]  # noqa: E731
    assert (score(scores_before), score(scores_after)) == (2.0, 4.0)
    assert "openness_participation" not in set(scores_after["dimension_id"])
    assert len(shared_items(data_strategy_v2, data_strategy_v2)) == len(
        data_strategy_v2.rated_items
    )

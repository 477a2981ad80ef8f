"""The organisation report's levels: basis and uncertainty in the summary, the level ladder
chart and the next level as the target (rules in docs/scoring.md, "Levels").

Rounds are built here as small answer frames, so each test knows every chosen level.
The figures are read from their data, never from pixels.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from dwp_assess.analysis.profiles import analyse_answers, organisation_view
from dwp_assess.reports import charts
from dwp_assess.reports.sections import organisation

META = {"round_id": "r-levels", "period": "2026", "snapshot_hash": "x"}
# Gouda's chosen levels for every dimension: 2, 2, 3, 3, 3, 4 and one "weet ik niet".
# Lower median x(3) = 3; Q1 (type 7) at position 1 + 0.25·5 = 2.25: 2 + 0.25·(3 − 2) = 2.25;
# Q3 at position 4.75: 3 + 0.75·(3 − 3) = 3; n = 6.
CHOSEN = [2, 2, 3, 3, 3, 4, None]


def organisations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "organisation_id": ["gouda"],
            "name": ["Gouda"],
            "kind": "gemeente",
            "size_class": "50.000-100.000",
            "invited": 10,
        }
    )


def frame(rows: list[dict]) -> pd.DataFrame:
    base = {"team_id": None, "role": None, "text": None, "code": None}
    return pd.DataFrame([base | r for r in rows])


def v2_view(data_strategy_v2, chosen=CHOSEN):
    rows = []
    for n, level in enumerate(chosen):
        rid = f"r{n}"
        common = {"response_id": rid, "respondent_id": rid, "organisation_id": "gouda"}
        for item in data_strategy_v2.level_items:
            rows.append(
                common
                | {
                    "item_id": item.id,
                    "value": None if level is None else float(level),
                    "code": "dont_know" if level is None else None,
                }
            )
        for item in data_strategy_v2.rated_items:
            rows.append(common | {"item_id": item.id, "value": 3.0})
    meta = META | {
        "instrument_id": data_strategy_v2.id,
        "instrument_version": 2,
        "level_basis": "chosen",
    }
    analysis = analyse_answers(frame(rows), data_strategy_v2, organisations(), meta, min_group=1)
    return organisation_view(analysis, "gouda")


def v1_view(data_strategy, values=(2.0, 3.0, 4.0)):
    """Scores 2, 3 and 4 on every item: mean 3, level 3, 95% t-interval 0,52–5,48 → levels 1–5."""
    rows = []
    for n, value in enumerate(values):
        rid = f"r{n}"
        for item in data_strategy.rated_items:
            rows.append(
                {
                    "response_id": rid,
                    "respondent_id": rid,
                    "organisation_id": "gouda",
                    "item_id": item.id,
                    "value": value,
                }
            )
    meta = META | {
        "instrument_id": data_strategy.id,
        "instrument_version": 1,
        "level_basis": "estimate",
    }
    analysis = analyse_answers(frame(rows), data_strategy, organisations(), meta, min_group=1)
    return organisation_view(analysis, "gouda")


def text_of(html: str) -> str:
    without_figures = re.sub(
        r'<script type="application/json"[^>]*>.*?</script>', " ", html, flags=re.S
    )
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", without_figures))


def figures_of(html: str) -> list[dict]:
    found = re.findall(
        r'<script type="application/json" class="dwp-figure-data">(.*?)</script>', html, flags=re.S
    )
    return [json.loads(f.replace("<\\/", "</")) for f in found]


def ladder_of(view, instrument, dimension_id: str) -> dict:
    level = view.levels[view.levels["dimension_id"] == dimension_id].iloc[0]
    return json.loads(
        charts.level_ladder(view.level_distribution, level, instrument, dimension_id).to_json()
    )


def test_v2_summary_shows_the_chosen_level_with_its_middle_half(data_strategy_v2):
    view = v2_view(data_strategy_v2)
    text = text_of(organisation.summary(view, data_strategy_v2, "nl"))
    label = data_strategy_v2.scoring.levels[2].label.nl
    assert (
        f"niveau 3 · {label} (gekozen; de middelste helft van de invullers koos niveau 2 tot 3; n = 6)"
        in text
    )
    assert "2,25" not in text  # whole levels, never an interpolated quartile
    assert "schatting" not in text
    assert "gemiddeld" in text  # the mean score column stays


def test_v2_ladder_holds_the_chosen_shares_and_the_organisations_level(data_strategy_v2):
    view = v2_view(data_strategy_v2)
    fig = ladder_of(view, data_strategy_v2, "vision_strategy")
    bars = next(tr for tr in fig["data"] if tr["type"] == "bar")
    mark = next(tr for tr in fig["data"] if tr["type"] == "scatter")
    assert list(bars["x"]) == [1, 2, 3, 4, 5]
    assert list(bars["y"]) == pytest.approx([0.0, 33.3, 50.0, 16.7, 0.0], abs=0.05)
    assert sum(bars["y"]) == pytest.approx(100, abs=0.2)
    assert list(bars["customdata"]) == [0, 2, 3, 1, 0]
    assert list(mark["x"]) == [3]
    assert mark["error_x"]["arrayminus"] == [0.75]  # level 3 − Q1 2.25
    assert mark["error_x"]["array"] == [0.0]  # Q3 3 − level 3
    names = fig["layout"]["xaxis"]["ticktext"]
    assert names == [f"{lv.level} ·<br>{lv.label.nl}" for lv in data_strategy_v2.scoring.levels]
    assert fig["layout"]["separators"] == ",."


def test_per_dimension_shows_the_ladder_and_the_next_level_as_the_target(data_strategy_v2):
    view = v2_view(data_strategy_v2)
    html = organisation.per_dimension(view, data_strategy_v2, "nl")
    text = text_of(html)
    for dim in data_strategy_v2.dimensions:
        assert (
            f"Volgende stap, niveau 4 · {data_strategy_v2.scoring.levels[3].label.nl}: {dim.level_descriptors[4].nl}"
            in text
        )
    ladders = [f for f in figures_of(html) if any(tr["type"] == "scatter" for tr in f["data"])]
    assert len(ladders) == len(data_strategy_v2.dimensions)


def test_no_next_step_at_the_highest_level(data_strategy_v2):
    view = v2_view(data_strategy_v2, [5, 5, 5, 4])
    text = text_of(organisation.per_dimension(view, data_strategy_v2, "nl"))
    assert "Volgende stap" not in text
    assert "hoogste niveau" in text


def test_v1_summary_calls_the_level_an_estimate_with_its_interval(data_strategy):
    view = v1_view(data_strategy)
    text = text_of(organisation.summary(view, data_strategy, "nl"))
    label = data_strategy.scoring.levels[2].label.nl
    assert f"schatting: niveau 3 · {label} (95%-interval: niveau 1 tot 5" in text
    assert "gekozen" not in text
    for dim in data_strategy.dimensions:  # the descriptor is never stated as a fact
        assert f"Als de schatting klopt: {dim.level_descriptors[3].nl}" in text


def test_v1_ladder_marks_the_estimate_with_its_interval(data_strategy):
    view = v1_view(data_strategy)
    fig = ladder_of(view, data_strategy, data_strategy.dimensions[0].id)
    bars = next(tr for tr in fig["data"] if tr["type"] == "bar")
    mark = next(tr for tr in fig["data"] if tr["type"] == "scatter")
    assert sum(bars["y"]) == pytest.approx(100, abs=0.2)
    assert list(mark["x"]) == [3]
    assert (mark["error_x"]["arrayminus"], mark["error_x"]["array"]) == ([2.0], [2.0])
    assert "schatting" in mark["name"]
    text = text_of(organisation.per_dimension(view, data_strategy, "nl"))
    assert "Geschat niveau 3" in text and "Volgende stap, niveau 4" in text


def test_english_labels_come_from_the_catalogue(data_strategy_v2):
    view = v2_view(data_strategy_v2)
    text = text_of(organisation.summary(view, data_strategy_v2, "en"))
    assert "(chosen; the middle half of the respondents chose level 2 to 3; n = 6)" in text


def test_v1_interval_within_one_level_is_said_so(data_strategy):
    """Scores 2.9, 3.0, 3.1: mean 3, interval 3 ± 0.25, entirely within level 3 (2.6–3.4)."""
    view = v1_view(data_strategy, (2.9, 3.0, 3.1))
    text = text_of(organisation.summary(view, data_strategy, "nl"))
    assert "schatting: niveau 3 · Verbreden (95%-interval binnen niveau 3;" in text

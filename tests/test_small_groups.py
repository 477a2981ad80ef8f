"""Small groups: one rule for the minimum group size, roles and member grids in team profiles,
and no figure mixing other organisations unless it covers at least the minimum.

The team and round analyses are built from small frames written out here, so that each
test controls exactly how many members share a role and how many organisations a round has.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from dwp_assess import project
from dwp_assess.analysis.privacy import min_group_size, pool_small_categories
from dwp_assess.analysis.profiles import (
    analyse_answers,
    analyse_round,
    organisation_view,
    team_view,
)
from dwp_assess.data import store
from dwp_assess.instruments.messages import t
from dwp_assess.reports import run as reports
from dwp_assess.reports.options import ReportOptions
from dwp_assess.reports.sections import closing
from dwp_assess.reports.sections import team as team_sections

META = {"round_id": "r-test", "period": "2026", "instrument_version": 1, "snapshot_hash": "x"}


def team_answers(
    instrument, roles: list[str | None], team="t1", org="gouda", seed=0
) -> pd.DataFrame:
    """One team whose members have ``roles``; answers vary so that some competences are gaps."""
    rng = np.random.default_rng(seed)
    rows = []
    for n, role in enumerate(roles):
        for item in instrument.items:
            rows.append(
                {
                    "response_id": f"{team}-r{n}",
                    "respondent_id": f"{team}-p{n}",
                    "organisation_id": org,
                    "team_id": team,
                    "role": role,
                    "item_id": item.id,
                    "value": float(rng.integers(1, 5)),
                    "code": None,
                    "text": None,
                }
            )
    return pd.DataFrame(rows)


def organisations(*ids: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "organisation_id": list(ids),
            "name": [i.title() for i in ids],
            "kind": "gemeente",
            "size_class": "20.000-50.000",
            "invited": 10,
        }
    )


def team_analysis(instrument, roles, min_group=None):
    answers = team_answers(instrument, roles)
    return analyse_answers(
        answers,
        instrument,
        organisations("gouda"),
        META | {"instrument_id": instrument.id},
        min_group=min_group,
    )


def visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html).replace("\u00ad", "")  # soft hyphens: unseen


# -- the rule ----------------------------------------------------------------------------------


def test_the_minimum_group_size_is_the_larger_of_instrument_and_project(
    competences, data_strategy, tmp_path
):
    strict = project.create(tmp_path / "strict", min_group_size=8)
    lenient = project.create(tmp_path / "lenient", min_group_size=2)
    assert competences.scoring.min_group_size == 3 and data_strategy.scoring.min_group_size == 5
    assert min_group_size(competences, strict) == 8
    assert min_group_size(competences, lenient) == 3
    assert min_group_size(data_strategy, lenient) == 5


def test_outside_a_project_the_instrument_decides(competences, monkeypatch, tmp_path):
    monkeypatch.delenv(project.PROJECT_ENV)
    monkeypatch.chdir(tmp_path)
    assert project.current() is None
    project.activate(project.current())  # as the command line does outside a project
    assert min_group_size(competences) == competences.scoring.min_group_size


def test_the_project_minimum_reaches_the_analysis_and_its_peer_groups(
    data_strategy, monkeypatch, tmp_path, sample_store
):
    engine = store.connect(sample_store.copy_to(tmp_path / "dwp.sqlite"))
    monkeypatch.setenv("DWP_MIN_GROUP_SIZE", "7")
    project.activate(project.current())  # the settings as the command line resolves them
    analysis = analyse_round(engine, "data-strategy-2026")
    assert analysis.meta["min_group_size"] == 7
    peers = analysis.peers
    assert peers.loc[peers["n_organisations"] < 7, "suppressed"].all()
    assert peers.loc[peers["n_organisations"] < 7, "mean"].isna().all()
    assert (peers.loc[~peers["suppressed"], "n_organisations"] >= 7).all()


def test_rare_categories_are_pooled():
    roles = pd.Series(["jurist", "analist", "analist", None, "analist"])
    assert pool_small_categories(roles, 3).tolist() == [None, "analist", "analist", None, "analist"]
    assert pool_small_categories(roles, 1).tolist() == [
        "jurist",
        "analist",
        "analist",
        None,
        "analist",
    ]


# -- team profiles -----------------------------------------------------------------------------


def test_a_member_with_a_unique_role_shows_no_role(competences):
    analysis = team_analysis(competences, ["data_scientist"] * 5 + ["lawyer"])
    view = team_view(analysis, "t1")
    assert view.shows_members and view.meta["min_group_size"] == 5
    grid = team_sections.members(view, competences, "nl")
    gaps = team_sections.gaps_and_roles(view, competences, "nl")
    for html in (grid, gaps):
        assert "Jurist" not in html and "lawyer" not in html
    assert "Data scientist" in grid and "overige rollen" in grid
    rows = re.findall(r"<tr>(.*?)</tr>", grid)[1:]
    assert len(rows) == 6
    roles_shown = [re.findall(r"<td>(.*?)</td>", row)[1] for row in rows]
    assert sorted(roles_shown) == ["Data scientist"] * 5 + ["overige rollen"]
    mix = visible_text(gaps)
    assert "Data scientist: 5" in mix and "overige rollen: 1" in mix
    assert t("report.roles_pooled", "nl", min=5).replace('"', "&quot;") in gaps


def test_when_every_role_is_rare_the_grid_has_no_role_column(competences):
    analysis = team_analysis(
        competences, ["data_scientist", "lawyer", "domain_expert", "other", None]
    )
    grid = team_sections.members(team_view(analysis, "t1"), competences, "nl")
    for label in (
        "Data scientist",
        "Jurist",
        "Domeinexpert",
        "Anders",
        "overige rollen",
        t("report.role", "nl"),
    ):
        assert f">{label}<" not in grid
    assert len(re.findall(r"<td>lid \d+</td>", grid)) == 5


def test_a_team_below_the_minimum_has_coverage_but_no_member_grid(competences):
    analysis = team_analysis(
        competences, ["data_scientist", "data_scientist", "lawyer", "domain_expert"]
    )
    view = team_view(analysis, "t1")
    assert not view.shows_members and view.members.empty
    assert (view.coverage["not_covering"] == "").all() and len(view.coverage)
    for lang in ("nl", "en"):
        grid = team_sections.members(view, competences, lang)
        assert t("report.members_withheld", lang, n=4, min=5) in grid
        assert "<table" not in grid and not re.search(r"lid \d", grid)
        gaps = team_sections.gaps_and_roles(view, competences, lang)
        assert not re.search(r"lid \d", gaps)
        assert "Data scientist" not in gaps and "Jurist" not in gaps and "Lawyer" not in gaps
        assert "<table" in team_sections.coverage(view, competences, lang)
    assert not view.gaps().empty  # the answers leave gaps, so the lines above were written


def test_the_project_minimum_also_governs_team_profiles(competences):
    roles = ["data_scientist"] * 6
    assert team_view(team_analysis(competences, roles, min_group=5), "t1").shows_members
    assert not team_view(team_analysis(competences, roles, min_group=7), "t1").shows_members


# -- figures mixing organisations ----------------------------------------------------------------


def two_organisation_store(engine, instrument, round_id="data-strategy-2027") -> None:
    """A round of two organisations with six respondents each: too few for an alpha of their own."""
    store.upsert_organisations(
        engine,
        [
            {
                "id": o,
                "name": o.title(),
                "kind": "gemeente",
                "cbs_code": None,
                "size_class": "20.000-50.000",
                "urbanisation": None,
            }
            for o in ("alfadorp", "bravodorp")
        ],
    )
    store.create_round(engine, instrument, "2027", round_id)
    rng = np.random.default_rng(3)
    for org in ("alfadorp", "bravodorp"):
        for n in range(6):
            base = rng.integers(1, 6)
            answers = tuple(
                store.AnswerRecord(i.id, float(np.clip(base + rng.integers(-1, 2), 1, 5)))
                for i in instrument.items
            )
            record = store.ResponseRecord(
                f"{org}-r{n}",
                round_id,
                f"{org}-p{n}",
                org,
                None,
                None,
                "test",
                datetime(2027, 3, 1, tzinfo=UTC),
                answers,
            )
            assert store.store_response(engine, record) == store.STORED


def test_a_round_of_two_organisations_shows_no_round_figures_and_never_alpha(
    data_strategy, engine, tmp_path
):
    """The round's ICCs mix every organisation: with two of them (under the minimum of five)
    they stay out of both reports; Cronbach's alpha is for researchers and never printed."""
    two_organisation_store(engine, data_strategy)
    analysis = analyse_round(engine, "data-strategy-2027")
    overall = analysis.reliability[analysis.reliability["organisation_id"].isna()]
    assert (overall["n_organisations"] == 2).all() and overall["alpha"].notna().all()
    assert (analysis.mean_reliability["groups"] == 2).all()
    for org in ("alfadorp", "bravodorp"):
        view = organisation_view(analysis, org)
        assert view.mean_reliability.empty and len(view.agreement) == len(data_strategy.dimensions)
    summary = reports.generate_reports(
        engine, ReportOptions("data-strategy-2027", tmp_path / "reports")
    )
    assert (summary.ok, summary.failed) == (2, 0)
    for org in ("alfadorp", "bravodorp"):
        page = (tmp_path / "reports" / "data-strategy-2027" / f"{org}.html").read_text(
            encoding="utf-8"
        )
        assert "ICC(1)" not in page and "<th>rwg(J)</th>" in page
        assert t("report.synthetic_warning", "nl") not in page  # a round of real data
        assert "cronbach" not in page.lower() and "alfa (" not in page.lower()
    manifest = json.loads(
        (tmp_path / "reports" / "data-strategy-2027" / "manifest.json").read_text()
    )
    assert set(manifest) == {"alfadorp", "bravodorp"}


def test_the_round_figures_are_shown_once_enough_organisations_count(data_strategy, engine):
    two_organisation_store(engine, data_strategy)
    answers = store.load_answers(engine, "data-strategy-2027")
    orgs = store.load_round_organisations(engine, "data-strategy-2027")
    analysis = analyse_answers(
        answers, data_strategy, orgs, META | {"instrument_id": data_strategy.id}, min_group=2
    )
    view = organisation_view(analysis, "alfadorp")
    assert len(view.mean_reliability) == len(data_strategy.dimensions)
    html = closing.methods(data_strategy, "nl", view.agreement, view.mean_reliability)
    assert "<th>ICC(1)</th>" in html and "<th>ICC(2)</th>" in html


@pytest.mark.parametrize("parameter", ["organisation_id", "team_id"])
def test_a_view_without_its_unit_says_which_parameter_is_missing(
    competences, data_strategy, parameter
):
    analysis = team_analysis(competences, ["data_scientist"] * 3)
    select = organisation_view if parameter == "organisation_id" else team_view
    with pytest.raises(ValueError, match=f"{parameter} is not set"):
        select(analysis, None)

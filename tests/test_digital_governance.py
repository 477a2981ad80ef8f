"""Goed Digitaal Bestuur (``digital-governance``): the instrument, the agreements analysis, the
facilitator's live view and the report, on hand-made teams whose answers are known."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dwp_assess.analysis import workshop_agreements
from dwp_assess.instruments.loading import get_instrument, load_instrument
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import InstrumentError

DONT_KNOW = None  # an answer of "weet ik niet" in the hand-made teams below
PACKAGE = Path(workshop_agreements.__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def gdb():
    return get_instrument("digital-governance")


def answers_of(
    instrument, team: str, members: list[dict], org: str = "gouda", texts: dict | None = None
) -> pd.DataFrame:
    """Long answers of one team: per member ``{value_id: (relevance, safeguarding)}``; a value
    left out is not answered, ``None`` is "weet ik niet". ``texts``: free-text id → texts."""
    rows = []
    for n, member in enumerate(members, start=1):
        base = {
            "response_id": f"{team}-r{n}",
            "respondent_id": f"{team}-p{n}",
            "organisation_id": org,
            "team_id": team,
            "role": None,
            "submitted_at": None,
            "text": None,
        }
        for value_id, pair in member.items():
            for aspect, answer in zip(("relevance", "safeguarding"), pair, strict=True):
                item = instrument.value_item(value_id, aspect)
                rows.append(
                    base
                    | {
                        "item_id": item.id,
                        "value": None if answer is None else float(answer),
                        "code": "dont_know" if answer is None else None,
                    }
                )
    for item_id, given in (texts or {}).items():
        for n, text in enumerate(given, start=1):
            rows.append(
                {
                    "response_id": f"{team}-r{n}",
                    "respondent_id": f"{team}-p{n}",
                    "organisation_id": org,
                    "team_id": team,
                    "role": None,
                    "submitted_at": None,
                    "item_id": item_id,
                    "value": None,
                    "code": None,
                    "text": text,
                }
            )
    return pd.DataFrame(rows)


def analysed(
    instrument, frames: list[pd.DataFrame], min_group: int = 3
) -> workshop_agreements.AgreementsAnalysis:
    answers = pd.concat(frames, ignore_index=True)
    teams = pd.DataFrame({"id": sorted(answers["team_id"].unique())})
    teams["organisation_id"], teams["name"], teams["invited"] = "gouda", teams["id"].str.title(), 6
    orgs = pd.DataFrame({"organisation_id": ["gouda"], "name": ["Gouda"]})
    meta = {
        "round_id": "digital-governance-2026",
        "period": "2026",
        "instrument_id": instrument.id,
        "instrument_version": instrument.version,
    }
    return workshop_agreements.analyse_answers(answers, instrument, orgs, teams, meta, min_group)


# -- the instrument -------------------------------------------------------------------------


def test_instrument_declares_foundations_principles_and_two_questions_per_value(gdb):
    assert (gdb.kind, gdb.output) == ("team", "agreements")
    assert [f.id for f in gdb.foundations] == [
        "democracy",
        "rule_of_law",
        "administrative_capacity",
    ]
    assert {d.id: d.foundation for d in gdb.dimensions} == {
        "participation": "democracy",
        "societal_value": "democracy",
        "human_rights": "rule_of_law",
        "procedural_justice": "rule_of_law",
        "quality_of_governance": "administrative_capacity",
        "responsibility": "administrative_capacity",
    }
    named = {v.id for v in gdb.public_values}
    assert {
        "transparency",
        "inclusion",
        "non_discrimination",
        "privacy",
        "explainability",
        "autonomy",
        "security",
    } <= named
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
        (
            lambda r: r["items"][1].update(aspect="relevance"),
            "value 'inclusion' has a second relevance item",
        ),
        (lambda r: r["items"][0].update(public_value="nope"), "items.0: needs public_value"),
        (lambda r: r["items"][0].pop("aspect"), "items.0: needs public_value"),
        (lambda r: r["dimensions"][0].update(foundation="monarchy"), "dimensions.0.foundation"),
        (
            lambda r: r["public_values"][0].update(dimension="nope"),
            "public_values.0.dimension: unknown dimension",
        ),
        (
            lambda r: r["items"][0].update(dimension="human_rights"),
            "items.0.dimension: value 'inclusion' belongs to 'participation'",
        ),
        (lambda r: r.update(output="team-profile"), "are for instruments with output agreements"),
    ],
)
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
        {
            "privacy": (5, 1),
            "transparency": (5, 2),
            "inclusion": (4, 2),
            "security": (5, 5),
            "autonomy": (1, 3),
            "explainability": (2, 2),
            "accountability": (5, 4),
        },
        {
            "privacy": (5, 1),
            "transparency": (5, 2),
            "inclusion": (4, 2),
            "security": (5, 5),
            "autonomy": (5, 3),
            "explainability": (4, 2),
            "accountability": (4, 4),
        },
        {
            "privacy": (5, 1),
            "transparency": (5, 2),
            "inclusion": (4, 2),
            "security": (5, 5),
            "autonomy": (3, 3),
            "explainability": (3, 2),
            "accountability": (5, 4),
        },
    ]
    team = analysed(gdb, [answers_of(gdb, "t1", members)]).team("t1")
    listed = team.agreements[["value_id", "reason"]].values.tolist()
    # privacy gap 4, transparency gap 3, inclusion gap 2 (relevance 4): priorities in that order;
    # autonomy (answers 1, 5, 3: rwg 0) and explainability (2, 4, 3: rwg .5) are divided;
    # security (5 and 5) and accountability (gap under 1) are neither.
    assert listed == [
        ["privacy", "priority"],
        ["transparency", "priority"],
        ["inclusion", "priority"],
        ["autonomy", "disagreement"],
        ["explainability", "disagreement"],
    ]


def test_equal_gaps_are_ordered_by_relevance_then_by_the_instruments_order(gdb):
    same = {"security": (4, 3), "privacy": (5, 4), "transparency": (5, 4), "inclusion": (4, 3)}
    members = [same, same, same]
    values = analysed(gdb, [answers_of(gdb, "t1", members)]).team("t1").values
    values = values.assign(priority=True)  # gap 1 each: every one a priority
    ordered = workshop_agreements.agreements_list(values[values["value_id"].isin(same)])
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


def test_the_worked_example_of_docs_scoring(gdb):
    members = [{"privacy": pair} for pair in [(5, 2), (5, 1), (4, 2), (5, 2), (5, 1)]]
    row = (
        analysed(gdb, [answers_of(gdb, "t1", members)])
        .team("t1")
        .values.set_index("value_id")
        .loc["privacy"]
    )
    assert (row["mean_relevance"], row["mean_safeguarding"]) == pytest.approx((4.8, 1.6))
    assert row["gap"] == pytest.approx(3.2) and row["rwg_relevance"] == pytest.approx(0.9)
    assert row["priority"] and not row["disagreement"]


def test_counts_medians_dont_know_and_gap_per_value(gdb):
    members = [
        {"privacy": (5, 2)},
        {"privacy": (4, DONT_KNOW)},
        {"privacy": (DONT_KNOW, 1)},
        {"security": (3, 3)},
    ]
    analysis = analysed(gdb, [answers_of(gdb, "t1", members)])
    row = analysis.team("t1").values.set_index("value_id").loc["privacy"]
    assert (
        row["n_relevance"],
        row["dont_know_relevance"],
        row["n_safeguarding"],
        row["dont_know_safeguarding"],
    ) == (2, 1, 2, 1)
    assert row["median_relevance"] == 4.5 and row["mean_safeguarding"] == 1.5
    assert row["gap"] == pytest.approx(3.0) and row["priority"]
    shares = analysis.distribution.query("value_id == 'privacy' and aspect == 'relevance'")
    assert dict(zip(shares["answer"], shares["n"], strict=True)) == {"4": 1, "5": 1, "dont_know": 1}
    assert analysis.teams.set_index("team_id").at["t1", "n_respondents"] == 4


def test_a_team_under_the_minimum_gets_its_count_only(gdb):
    small = [{"privacy": (5, 1)}, {"privacy": (5, 1)}]
    big = [{"privacy": (5, 1)}] * 3
    texts = {"agree_human_rights": ["Een DPIA vóór de start"] * 2}
    analysis = analysed(
        gdb,
        [answers_of(gdb, "small", small, texts=texts), answers_of(gdb, "big", big, texts=texts)],
    )
    team = analysis.team("small")
    assert team.suppressed and team.team["n_respondents"] == 2
    assert team.distribution.empty and team.proposals.empty and team.agreements.empty
    assert team.values[workshop_agreements.FIGURES].isna().all().all()
    assert team.values[workshop_agreements.COUNTS].isna().all().all()
    assert not analysis.team("big").suppressed and len(analysis.team("big").agreements) == 1


def test_proposals_are_grouped_per_principle_with_identical_ones_counted(gdb):
    texts = {
        "agree_human_rights": [
            "Een DPIA vóór de start",
            "een dpia  vóór de start",
            "Bias-toets per kwartaal",
        ],
        "agree_participation": ["Burgerpanel"],
    }
    members = [{"privacy": (5, 1)}] * 3
    proposals = analysed(gdb, [answers_of(gdb, "t1", members, texts=texts)]).team("t1").proposals
    rights = proposals[proposals["dimension_id"] == "human_rights"]
    assert rights[["text", "n"]].values.tolist() == [
        ["Een DPIA vóór de start", 2],
        ["Bias-toets per kwartaal", 1],
    ]
    assert proposals[proposals["dimension_id"] == "participation"]["text"].tolist() == [
        "Burgerpanel"
    ]


def test_reports_go_to_the_teams_own_organisation(gdb):
    members = [{"privacy": (5, 1)}] * 3
    analysis = analysed(
        gdb, [answers_of(gdb, "t1", members), answers_of(gdb, "t2", members, org="almere")]
    )
    assert analysis.report_units() == {"t1": "T1", "t2": "T2"}
    assert analysis.receivers() == {"t1": ["gouda"], "t2": ["gouda"]}


def test_the_analysis_saves_and_loads(gdb, tmp_path):
    members = [{"privacy": (5, 1)}] * 3
    analysis = analysed(gdb, [answers_of(gdb, "t1", members, texts={"agree_human_rights": ["x"]})])
    loaded = workshop_agreements.AgreementsAnalysis.load(analysis.save(tmp_path / "a"))
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
    under = workshop_agreements.session_summary(
        answers[answers["respondent_id"] != "t1-p3"], gdb, "t1", 3
    )
    assert not under.shown and under.n_respondents == 2
    assert under.counts.empty and under.values.empty and under.proposals.empty
    shown = workshop_agreements.session_summary(answers, gdb, "t1", 3)
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
    assert workshop_agreements.session_summary(answers, gdb, "nobody", 3).n_respondents == 0


def test_no_analysis_or_report_module_names_the_instrument():
    for folder in ("analysis", "reports"):
        for path in (PACKAGE / folder).rglob("*.py"):
            assert "digital-governance" not in path.read_text(encoding="utf-8"), path


# -- the report ------------------------------------------------------------------------------

HOSTILE_TEAM = '<script>alert("team")</script> Team & "Co"'
HOSTILE_TEXT = "<img src=x onerror=alert('afspraak')> DPIA eerst"
ROUND = "digital-governance-2026"


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    """The sample's Goed Digitaal Bestuur round in a store of its own, one team renamed to
    hostile markup and given a hostile proposal; reports of a big and the small team."""
    from dwp_assess.data import importers, registry, store
    from dwp_assess.demo import SAMPLE_DIR, sample_rounds
    from dwp_assess.reports import run as reports
    from dwp_assess.reports.options import ReportOptions

    folder = tmp_path_factory.mktemp("gdb-reports")
    engine = store.connect(f"sqlite:///{folder / 'dwp.sqlite'}")
    registry.import_registry(engine, SAMPLE_DIR / "organisations.csv", SAMPLE_DIR / "teams.csv")
    sample = next(r for r in sample_rounds() if r.round_id == ROUND)
    instrument = get_instrument(sample.instrument_id, sample.instrument_version)
    store.create_round(engine, instrument, sample.period, ROUND)
    store.mark_synthetic(engine, ROUND)
    for path, fmt in sample.files:
        importers.import_file(engine, path, ROUND, fmt=fmt)
    teams = store.teams(engine)
    gouda = teams[teams["id"] == "gouda-team-financien"].iloc[0].to_dict()
    store.upsert_teams(engine, [{**gouda, "name": HOSTILE_TEAM}])
    responses = store.load_responses(engine, ROUND)
    first = responses[responses["team_id"] == "gouda-team-financien"].iloc[0]
    record = store.ResponseRecord(
        "test:hostile",
        ROUND,
        "test-hostile-member",
        "gouda",
        "gouda-team-financien",
        None,
        "test",
        first["submitted_at"],
        (
            store.AnswerRecord("agree_human_rights", text=HOSTILE_TEXT),
            store.AnswerRecord("MR1R", 5.0),
            store.AnswerRecord("MR1S", 1.0),
        ),
    )
    assert store.store_response(engine, record) == store.STORED
    units = ["gouda-team-financien", "hendrik-ido-ambacht-datateam-sociaal-domein"]
    summary = reports.generate_reports(
        engine,
        ReportOptions(ROUND, folder / "reports", units=units, lang=["nl", "en"], bundle=True),
    )
    yield engine, folder / "reports" / ROUND, summary, responses
    engine.dispose()


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page)).replace(
        "\u00ad", ""
    )  # soft hyphens: unseen


def test_reports_are_made_per_team_in_both_languages(reported):
    _engine, out, summary, _responses = reported
    assert summary.failed == 0 and summary.ok == 4
    for name in (
        "gouda-team-financien.html",
        "gouda-team-financien.en.html",
        "hendrik-ido-ambacht-datateam-sociaal-domein.html",
    ):
        assert (out / name).is_file(), name


def test_the_report_follows_the_six_steps_and_lists_priorities_first(reported, gdb):
    _engine, out, _summary, _responses = reported
    page = (out / "gouda-team-financien.html").read_text(encoding="utf-8")
    text = visible_text(page)
    steps = [text.index(t(f"agreements.step.{n}", "nl")) for n in range(1, 7)]
    assert steps == sorted(steps)
    assert t("report.synthetic_warning", "nl") in text
    assert "Vertrekpunten" in text and page.count('class="dwp-figure-data"') == 2
    table = page[page.index('class="dwp-table dwp-agreements"') :].replace("\u00ad", "")
    reasons = re.findall(r"<td>(relevant, zwak geborgd|team verdeeld)</td>", table)
    assert reasons and reasons == sorted(reasons, key=lambda r: r != "relevant, zwak geborgd")
    english = visible_text((out / "gouda-team-financien.en.html").read_text(encoding="utf-8"))
    assert "Draft agreements list" in english and "Conceptafsprakenlijst" not in english


def test_hostile_names_and_proposals_are_escaped_and_no_respondent_is_named(reported):
    _engine, out, _summary, responses = reported
    page = (out / "gouda-team-financien.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<img src=x" not in page
    text = visible_text(page)
    assert HOSTILE_TEXT in text and HOSTILE_TEAM in text
    for respondent in set(responses["respondent_id"]) | {"test-hostile-member"}:
        assert respondent not in page


def test_reports_are_offline_and_hold_no_nan_none_minus_zero_or_round_id(reported):
    _engine, out, _summary, _responses = reported
    for path in out.glob("*.html"):
        if path.name.startswith("index"):
            continue
        page = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), path.name
        text = visible_text(page[: page.index('id="provenance"')])
        for wrong in ("NaN", "nan", "None", "-0,0", "-0.0", ROUND):
            assert not re.search(rf"(?<![\w-]){re.escape(wrong)}(?![\w])", text), (path.name, wrong)
        assert "dwp-assess" in visible_text(page[page.index('id="provenance"') :])


def test_a_team_under_the_minimum_gets_its_count_and_no_figures(reported):
    _engine, out, _summary, _responses = reported
    page = (out / "hendrik-ido-ambacht-datateam-sociaal-domein.html").read_text(encoding="utf-8")
    assert 'class="dwp-warning dwp-suppressed"' in page and "dwp-figure-data" not in page
    assert 'class="dwp-table dwp-reflection"' not in page and 'class="dwp-priorities"' not in page
    assert "Een DPIA doen voordat we starten" not in page


def test_a_teams_report_goes_only_to_its_own_organisation(reported):
    from dwp_assess.reports.outputs import output_kind

    engine, _out, _summary, _responses = reported
    analysis = output_kind("agreements").analyse(engine, ROUND, None, 5)
    receivers = analysis.receivers()
    assert receivers["gouda-team-financien"] == ["gouda"]
    assert all(len(orgs) == 1 for orgs in receivers.values())


def test_the_bundle_of_an_organisation_holds_only_its_own_teams_report(reported):
    import zipfile

    _engine, out, _summary, _responses = reported
    with zipfile.ZipFile(out / "bundles" / "gouda.zip") as archive:
        names = archive.namelist()
    assert any("gouda-team-financien" in n for n in names)
    assert not any("hendrik-ido-ambacht" in n for n in names)


def test_the_widget_form_asks_every_principle_and_stores_its_answers(gdb, engine):
    """The Jupyter/Voilà form (``collect.forms``): a page per principle with both questions of
    each value and the principle's open question; one submit stores them for the team."""
    from dwp_assess.collect import forms
    from dwp_assess.data import registry, store
    from dwp_assess.demo import SAMPLE_DIR

    registry.import_registry(engine, SAMPLE_DIR / "organisations.csv", SAMPLE_DIR / "teams.csv")
    store.create_round(engine, gdb, "2026")
    ctx = forms.resolve_context(engine, ROUND, "gouda", "gouda-team-financien", "nl")
    form = forms.QuestionnaireForm(engine, ctx)
    assert set(form.radios) == {i.id for i in gdb.items} and set(form.texts) == {
        f.id for f in gdb.free_text
    }
    for n, radio in enumerate(form.radios.values()):
        radio.value = radio.options[n % len(radio.options)][1]
    form.texts["agree_human_rights"].value = "Een DPIA vóór de start"
    assert form.submit() == store.STORED
    answers = store.load_answers(engine, ROUND)
    assert set(answers["team_id"]) == {"gouda-team-financien"}
    assert (
        answers.loc[answers["item_id"] == "agree_human_rights", "text"].item()
        == "Een DPIA vóór de start"
    )
    assert answers["item_id"].isin(gdb.item_by_id).sum() == len(gdb.items)

"""The data-sharing instrument end to end: collaborations in the registry and the store, import
with membership checks, the project-plan analysis (positions, disagreements, task owners) on
planted cases, the HTML plan and its Word file, and who receives them (members only)."""

from __future__ import annotations

import html
import json
import re
import sqlite3
import zipfile
from pathlib import Path

import docx
import pandas as pd
import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

import dwp_assess
from dwp_assess.analysis.collaboration_positions import analyse_answers
from dwp_assess.cli.main import app
from dwp_assess.data import importers, registry, store
from dwp_assess.data.import_templates import template_columns
from dwp_assess.data.sample_collaborations import PLANTED, ROUND_ID, WITHIN_ORGANISATION
from dwp_assess.data.tables import FileProblem
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.reports import run as reports
from dwp_assess.reports import unit_choice as units_
from dwp_assess.reports.options import ReportOptions

INSTRUMENT = get_instrument("data-sharing", 1)
ORGANISATIONS = "id,name,kind\ngouda,Gouda,gemeente\nalmere,Almere,gemeente\nwoerden,Woerden,gemeente\nemmen,Emmen,gemeente\n"
HOSTILE_TITLE = '<script>alert("samen")</script> Samen & "delen"'
HOSTILE_NOTE = "<img src=x onerror=alert('toelichting')> eerst het convenant"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def registered(engine, tmp_path):
    """Four organisations and one collaboration (gouda leads, with almere and woerden)."""
    orgs = write(tmp_path / "organisations.csv", ORGANISATIONS)
    collabs = write(
        tmp_path / "collaborations.csv",
        "id,title,issue,lead_organisation_id,members\nsamen,Samen delen,Armoede,gouda,gouda;almere;woerden\n",
    )
    registry.import_registry(engine, orgs, collaborations_csv=collabs)
    return engine, orgs


# -- registry ------------------------------------------------------------------------------


def test_collaborations_are_stored_with_their_members_and_updated_on_reimport(registered, tmp_path):
    engine, orgs = registered
    assert store.collaborations(engine).iloc[0][
        ["id", "title", "lead_organisation_id"]
    ].tolist() == ["samen", "Samen delen", "gouda"]
    assert sorted(store.collaboration_members(engine)["organisation_id"]) == [
        "almere",
        "gouda",
        "woerden",
    ]
    fewer = write(
        tmp_path / "c2.csv",
        "id,title,issue,lead_organisation_id,members\nsamen,Samen delen,Armoede,gouda,gouda; emmen\n",
    )
    changed = registry.import_registry(engine, orgs, collaborations_csv=fewer)
    assert changed["collaborations"] == 1
    assert sorted(store.collaboration_members(engine)["organisation_id"]) == ["emmen", "gouda"]


def test_a_collaborations_file_with_problems_is_refused_whole_naming_row_and_column(
    registered, tmp_path
):
    engine, orgs = registered
    bad = write(
        tmp_path / "bad.csv",
        "id,title,issue,lead_organisation_id,members\n"
        "ok-one,Goed,Iets,gouda,gouda;almere\n"
        "ok-one,Dubbel,Iets,gouda,gouda;almere\n"
        "Bad/Id,Ongeldig,Iets,gouda,gouda;almere\n"
        "alleen,Alleen,Iets,gouda,gouda\n"
        "vreemd,Vreemd,Iets,gouda,gouda;atlantis\n"
        "trekker,Trekker,Iets,emmen,gouda;almere\n"
        "stuur,Stuur\x07tekens,Iets,gouda,gouda;almere\n"
        "leeg,,Iets,gouda,gouda;almere\n",
    )
    with pytest.raises(registry.RegistryError) as error:
        registry.import_registry(engine, orgs, collaborations_csv=bad)
    message = str(error.value)
    for expected in (
        "row 3: duplicate id 'ok-one' (also in row 2)",
        "row 4: id 'Bad/Id'",
        "row 5: members: 1 organisation(s) given; a collaboration needs at least 2",
        "row 6: members: unknown organisation 'atlantis'",
        "row 7: lead_organisation_id 'emmen' is not one of the members",
        "row 8: title 'Stuur?tekens' contains control characters",
        "row 9: title is empty",
    ):
        assert expected in message
    assert str(bad) in message
    assert list(store.collaborations(engine)["id"]) == ["samen"]  # nothing of the file was stored


def test_missing_columns_and_an_unknown_lead_are_named(registered, tmp_path):
    engine, orgs = registered
    with pytest.raises(registry.RegistryError, match="missing column.*members"):
        registry.import_registry(
            engine,
            orgs,
            collaborations_csv=write(
                tmp_path / "c.csv", "id,title,issue,lead_organisation_id\nx,X,,gouda\n"
            ),
        )
    with pytest.raises(
        registry.RegistryError, match="lead_organisation_id: unknown organisation 'nergens'"
    ):
        registry.import_registry(
            engine,
            orgs,
            collaborations_csv=write(
                tmp_path / "d.csv",
                "id,title,issue,lead_organisation_id,members\nx,X,,nergens,gouda;almere\n",
            ),
        )


def test_registry_command_takes_the_collaborations_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DWP_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    orgs = write(tmp_path / "organisations.csv", ORGANISATIONS)
    collabs = write(
        tmp_path / "collaborations.csv",
        "id,title,issue,lead_organisation_id,members\nsamen,Samen,,gouda,gouda;almere\n",
    )
    result = CliRunner().invoke(
        app, ["registry", "import", str(orgs), "--collaborations", str(collabs)]
    )
    assert result.exit_code == 0, result.output
    assert "collaborations changed: 1" in result.output


def test_a_store_of_schema_5_gains_the_collaboration_tables_and_column(tmp_path):
    path = tmp_path / "old.sqlite"
    store.connect(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as conn:  # what a store of schema 5 looked like
        conn.execute(
            "CREATE TABLE respondent_old AS SELECT id, organisation_id, team_id, role FROM respondent"
        )
        conn.execute("DROP TABLE respondent")
        conn.execute("ALTER TABLE respondent_old RENAME TO respondent")
        conn.execute("DROP TABLE collaboration_member")
        conn.execute("DROP TABLE collaboration")
        conn.execute("UPDATE schema_info SET value = '5' WHERE key = 'schema_version'")
    engine = store.connect(f"sqlite:///{path}")
    assert "collaboration_id" in {c["name"] for c in inspect(engine).get_columns("respondent")}
    assert {"collaboration", "collaboration_member"} <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT value FROM schema_info").scalar() == str(
            store.SCHEMA_VERSION
        )
    engine.dispose()


# -- import --------------------------------------------------------------------------------


def answers_row(**overrides) -> dict[str, str]:
    """Template cells of one response: every point settled, every fact its first answer."""
    row = {i.id: str(INSTRUMENT.scale_of(i.id).settled or 1) for i in INSTRUMENT.items}
    return row | overrides


def template_file(path: Path, rows: list[dict]) -> Path:
    columns = template_columns(INSTRUMENT)
    pd.DataFrame(rows).reindex(columns=columns).astype(object).fillna("").to_csv(path, index=False)
    return path


def test_import_checks_the_collaboration_and_that_the_organisation_is_a_member(
    registered, tmp_path
):
    engine, _ = registered
    store.create_round(engine, INSTRUMENT, "2026", "ds-test")
    rows = [
        {
            "response_id": "r1",
            "organisation_id": "gouda",
            "collaboration_id": "samen",
            **answers_row(),
        },
        {
            "response_id": "r2",
            "organisation_id": "Almere",
            "collaboration_id": "Samen delen",
            **answers_row(LG1_note="Onze jurist kijkt mee"),
        },
        {
            "response_id": "r3",
            "organisation_id": "emmen",
            "collaboration_id": "samen",
            **answers_row(),
        },
        {
            "response_id": "r4",
            "organisation_id": "woerden",
            "collaboration_id": "elders",
            **answers_row(),
        },
        {
            "response_id": "r5",
            "organisation_id": "woerden",
            "collaboration_id": "",
            **answers_row(),
        },
    ]
    summary = importers.import_file(engine, template_file(tmp_path / "ds.csv", rows), "ds-test")
    assert (summary.stored, summary.quarantined) == (2, 3)
    reasons = " | ".join(store.load_quarantine(engine, "ds-test")["reason"])
    assert "organisation 'emmen' is not a member of collaboration 'samen'" in reasons
    assert "unknown collaboration 'elders'" in reasons
    assert "collaboration is empty (required for a collaboration questionnaire)" in reasons
    stored = store.load_responses(engine, "ds-test")
    assert dict(zip(stored["organisation_id"], stored["collaboration_id"], strict=True)) == {
        "gouda": "samen",
        "almere": "samen",
    }


def test_a_file_without_the_collaboration_column_is_refused_whole(registered, tmp_path):
    engine, _ = registered
    store.create_round(engine, INSTRUMENT, "2026", "ds-test")
    path = tmp_path / "no-collab.csv"
    pd.DataFrame([{"response_id": "r1", "organisation_id": "gouda", **answers_row()}]).to_csv(
        path, index=False
    )
    with pytest.raises(
        FileProblem,
        match="missing column collaboration_id: data-sharing-v1 is a collaboration questionnaire",
    ):
        importers.import_file(engine, path, "ds-test")


def test_the_template_has_a_collaboration_column_only_for_collaboration_instruments():
    assert "collaboration_id" in template_columns(INSTRUMENT)
    assert "team_id" not in template_columns(INSTRUMENT)
    for other in (get_instrument("data-strategy", 2), get_instrument("competences", 2)):
        assert "collaboration_id" not in template_columns(other)


# -- analysis on planted cases ---------------------------------------------------------------


MEMBERS = ("gouda", "almere", "woerden")


def analyse(cells: dict[tuple[str, int], dict[str, float | str]], members=MEMBERS, lead="gouda"):
    """The analysis of one collaboration whose respondents (organisation, n) answer every item
    as in ``answers_row`` but for ``cells`` (item → number or special code)."""
    rows, responses = [], []
    for (org, n), overrides in cells.items():
        response = f"{org}-{n}"
        responses.append(
            {"response_id": response, "organisation_id": org, "collaboration_id": "samen"}
        )
        for item, cell in answers_row(**{k: str(v) for k, v in overrides.items()}).items():
            number = cell not in ("dont_know", "not_applicable")
            rows.append(
                {
                    "response_id": response,
                    "organisation_id": org,
                    "item_id": item,
                    "value": float(cell) if number else None,
                    "code": None if number else cell,
                    "text": None,
                }
            )
    collaborations = pd.DataFrame(
        [{"id": "samen", "title": "Samen", "issue": None, "lead_organisation_id": lead}]
    )
    membership = pd.DataFrame({"collaboration_id": "samen", "organisation_id": list(members)})
    names = {o: o.title() for o in members}
    meta = {"instrument_id": INSTRUMENT.id, "instrument_version": INSTRUMENT.version}
    return analyse_answers(
        pd.DataFrame(rows),
        pd.DataFrame(responses),
        INSTRUMENT,
        collaborations,
        membership,
        names,
        meta,
    )


def point(analysis, item: str) -> pd.Series:
    return analysis.points.set_index("item_id").loc[item]


def test_no_disagreement_where_the_parties_agree():
    analysis = analyse({(o, 1): {} for o in MEMBERS})
    assert not analysis.points["disagreement"].any()
    assert set(analysis.points["state"]) == {"settled"} and analysis.tasks.empty


def test_settled_for_one_party_and_not_discussed_for_another_is_a_disagreement_with_both_sides():
    analysis = analyse({("gouda", 1): {}, ("almere", 1): {}, ("woerden", 1): {"GV4": 1}})
    assert point(analysis, "GV4")[["state", "disagreement", "reason"]].tolist() == [
        "open",
        True,
        "settled_or_not",
    ]
    positions = analysis.positions[analysis.positions["item_id"] == "GV4"].set_index(
        "organisation_id"
    )["value"]
    assert positions.to_dict() == {"almere": 3.0, "gouda": 3.0, "woerden": 1.0}
    assert analysis.points["disagreement"].sum() == 1
    assert analysis.tasks[["item_id", "organisation_id", "basis"]].values.tolist() == [
        ["GV4", "gouda", "lead"]
    ]


def test_one_party_naming_a_legal_basis_the_others_do_not_know_is_a_disagreement():
    analysis = analyse(
        {
            ("gouda", 1): {"LG2_basis": 1},
            ("almere", 1): {"LG2_basis": "dont_know"},
            ("woerden", 1): {"LG2_basis": "dont_know"},
        }
    )
    assert point(analysis, "LG2_basis")[["disagreement", "reason", "question"]].tolist() == [
        True,
        "different_answers",
        "fact",
    ]
    different = analyse(
        {
            ("gouda", 1): {"LG2_basis": 1},
            ("almere", 1): {"LG2_basis": 3},
            ("woerden", 1): {"LG2_basis": 1},
        }
    )
    assert point(different, "LG2_basis")["disagreement"]


def test_a_fact_every_party_gives_is_settled_with_that_answer():
    analysis = analyse({(o, 1): {"DA2_match": 1} for o in MEMBERS})
    assert point(analysis, "DA2_match")[["state", "disagreement", "value"]].tolist() == [
        "settled",
        False,
        1.0,
    ]


def test_open_among_themselves_is_no_disagreement_and_the_party_discussing_it_owns_the_task():
    analysis = analyse(
        {("gouda", 1): {"DA6": 1}, ("almere", 1): {"DA6": 2}, ("woerden", 1): {"DA6": 1}}
    )
    assert point(analysis, "DA6")[["state", "disagreement"]].tolist() == ["open", False]
    assert analysis.tasks[["organisation_id", "basis"]].values.tolist() == [
        ["almere", "discussing"]
    ]
    nobody = analyse({(o, 1): {"DA6": 1} for o in MEMBERS})
    assert nobody.tasks[["organisation_id", "basis"]].values.tolist() == [["gouda", "lead"]]


def test_not_applicable_for_one_party_and_settled_for_another_is_a_disagreement():
    analysis = analyse(
        {("gouda", 1): {"GV6": "not_applicable"}, ("almere", 1): {}, ("woerden", 1): {}}
    )
    assert point(analysis, "GV6")[["disagreement", "reason"]].tolist() == [True, "applicability"]
    everyone = analyse({(o, 1): {"GV6": "not_applicable"} for o in MEMBERS})
    assert point(everyone, "GV6")[["state", "disagreement"]].tolist() == ["not_applicable", False]


def test_an_organisation_answers_with_its_least_settled_representative_and_is_divided_on_facts():
    analysis = analyse(
        {
            ("gouda", 1): {"DA3": 3, "LG3_roles": 1},
            ("gouda", 2): {"DA3": 2, "LG3_roles": 2},
            ("almere", 1): {"DA3": 2, "LG3_roles": 1},
            ("woerden", 1): {"DA3": 2, "LG3_roles": 1},
        }
    )
    positions = analysis.positions.set_index(["item_id", "organisation_id"])
    assert positions.loc[("DA3", "gouda"), "value"] == 2.0
    assert not point(analysis, "DA3")["disagreement"]  # the difference lies within Gouda
    assert positions.loc[("LG3_roles", "gouda"), "code"] == "divided"
    assert point(analysis, "LG3_roles")["disagreement"]


def test_a_point_is_not_settled_while_a_member_has_not_answered():
    analysis = analyse({("gouda", 1): {}, ("almere", 1): {}})
    assert set(analysis.points["state"]) == {"open"} and not analysis.points["disagreement"].any()


# -- the sample round, its reports and who receives them ------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory, sample_store):
    """A copy of the sample store of its own, one collaboration renamed to hostile
    markup with a hostile note, and the plans of two collaborations (Woerden is in both) made
    in Dutch and English with bundles."""
    folder = tmp_path_factory.mktemp("data-sharing")
    engine = store.connect(sample_store.copy_to(folder / "dwp.sqlite"))
    head = store.collaborations(engine).set_index("id").loc["jeugd-utrecht"]
    members = list(
        store.collaboration_members(engine).query("collaboration_id == 'jeugd-utrecht'")[
            "organisation_id"
        ]
    )
    store.upsert_collaborations(
        engine,
        [
            {
                "id": "jeugd-utrecht",
                "title": HOSTILE_TITLE,
                "issue": head["issue"],
                "lead_organisation_id": head["lead_organisation_id"],
                "members": members,
            }
        ],
    )
    responses = store.load_responses(engine, ROUND_ID)
    own = responses.query(
        "organisation_id == 'amersfoort' and collaboration_id == 'jeugd-utrecht'"
    )["response_id"].iloc[0]
    answers = tuple(
        a for a in store.load_response(engine, own).answers if a.text is None
    )  # Amersfoort's answers again
    record = store.ResponseRecord(
        "test:hostile",
        ROUND_ID,
        "test-hostile",
        "amersfoort",
        None,
        None,
        "test",
        pd.Timestamp("2026-04-02", tz="UTC").to_pydatetime(),
        (*answers, store.AnswerRecord("GV1_note", text=HOSTILE_NOTE)),
        "jeugd-utrecht",
    )
    assert store.store_response(engine, record) == store.STORED
    units = units_.choose_units(
        engine, ROUND_ID, collaborations=["armoede-midden-holland", "jeugd-utrecht"]
    )
    summary = reports.generate_reports(
        engine,
        ReportOptions(ROUND_ID, folder / "reports", units, jobs=2, lang="nl,en", bundle=True),
    )
    yield engine, folder / "reports" / ROUND_ID, summary
    engine.dispose()


def test_the_sample_plants_exactly_the_disagreements_the_analysis_finds(sample):
    from dwp_assess.analysis.collaboration_positions import analyse_collaboration_round

    engine, _, _ = sample
    analysis = analyse_collaboration_round(engine, ROUND_ID)
    found = {
        (c, i)
        for c, i in analysis.points.loc[
            analysis.points["disagreement"], ["collaboration_id", "item_id"]
        ].itertuples(index=False)
    }
    assert found == {(c, i) for c, _, i in PLANTED}
    assert not found & {(c, i) for c, _, i in WITHIN_ORGANISATION}
    assert len(analysis.report_units()) >= 4
    assert all(3 <= len(m) <= 5 for m in analysis.receivers().values())


def test_plans_are_made_in_html_and_word_and_listed_in_manifest_and_index(sample):
    _, out, summary = sample
    assert (summary.ok, summary.failed) == (4, 0)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {e["document"] for e in manifest.values()} == {
        "armoede-midden-holland.docx",
        "armoede-midden-holland.en.docx",
        "jeugd-utrecht.docx",
        "jeugd-utrecht.en.docx",
    }
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="armoede-midden-holland.docx"' in index and 'href="jeugd-utrecht.html"' in index
    assert 'href="jeugd-utrecht.en.docx"' in (out / "index.en.html").read_text(encoding="utf-8")


def test_the_word_plan_opens_and_holds_every_theme_and_the_discussion_list(sample):
    _, out, _ = sample
    for name, lang in (
        ("armoede-midden-holland.docx", "nl"),
        ("armoede-midden-holland.en.docx", "en"),
    ):
        document = docx.Document(str(out / name))
        headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
        for number, dimension in enumerate(INSTRUMENT.dimensions, 1):
            assert f"{number}. {dimension.label.get(lang)}" in headings
        discussion = [
            h for h in headings if h.startswith(("Gesprekspunten", "Points of discussion"))
        ]
        assert len(discussion) == len(INSTRUMENT.dimensions)
        text = "\n".join(p.text for p in document.paragraphs)
        assert (
            INSTRUMENT.item_by_id["GV4"].text.get(lang) in text
        )  # planted: Woerden has not discussed it
        assert any(
            "Woerden" in cell.text
            for table in document.tables
            for row in table.rows
            for cell in row.cells
        )
        cells = "\n".join(
            cell.text for table in document.tables for row in table.rows for cell in row.cells
        )
        assert INSTRUMENT.item_by_id["LG2_basis"].text.get(lang) in text + cells


def test_the_html_plan_names_parties_per_side_and_never_respondents(sample):
    engine, out, _ = sample
    page = (out / "armoede-midden-holland.html").read_text(encoding="utf-8")
    disagreements = page[page.index('class="dwp-plan-disagreements"') :].replace("\u00ad", "")
    assert "Provincie Zuid-Holland" in disagreements and "Gouda" in disagreements
    respondents = set(store.load_responses(engine, ROUND_ID)["respondent_id"]) | set(
        store.load_responses(engine, ROUND_ID)["response_id"]
    )
    for path in out.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not [r for r in respondents if r in text], path.name


def test_the_html_plan_escapes_hostile_text_is_offline_synthetic_and_has_provenance(sample):
    engine, out, _ = sample
    page = (
        (out / "jeugd-utrecht.html").read_text(encoding="utf-8").replace("\u00ad", "")
    )  # soft hyphens: unseen
    assert HOSTILE_TITLE in html.unescape(page) and HOSTILE_NOTE in html.unescape(
        page
    )  # shown, but escaped:
    assert "<script>alert" not in page and "<img src=x" not in page
    for path in (p for p in out.glob("*.html") if not p.name.startswith("index")):
        text = path.read_text(encoding="utf-8")
        body = re.sub(r"<[^>]+>", " ", text[text.index("<main>") :])
        assert not re.search(r"\b(NaN|nan|None)\b|-0,00", body), path.name
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), path.name
        assert "synthetische voorbeelddata" in text or "synthetic sample data" in text
        assert 'id="provenance"' in text and store.snapshot_hash(engine, ROUND_ID) in text
    docx_text = "\n".join(p.text for p in docx.Document(str(out / "jeugd-utrecht.docx")).paragraphs)
    assert HOSTILE_TITLE in docx_text and "synthetische voorbeelddata" in docx_text


def test_a_plan_goes_to_every_member_and_never_to_another_organisation(sample):
    engine, out, summary = sample
    members = (
        store.collaboration_members(engine)
        .groupby("collaboration_id")["organisation_id"]
        .apply(set)
    )
    made = {"armoede-midden-holland", "jeugd-utrecht"}
    assert (
        set(summary.bundles.written) == members["armoede-midden-holland"] | members["jeugd-utrecht"]
    )
    for zip_path in (out / "bundles").glob("*.zip"):
        organisation = zip_path.stem
        with zipfile.ZipFile(zip_path) as archive:
            held = {
                Path(n).name.split(".")[0]
                for n in archive.namelist()
                if not n.endswith("README.txt")
            }
            names = archive.namelist()
        assert held == {c for c in made if organisation in members[c]}, organisation
        assert any(n.endswith(".docx") for n in names)
    assert not (out / "bundles" / "emmen.zip").exists()  # registered, in no collaboration
    assert not (out / "bundles" / "hoorn.zip").exists()  # a member of a collaboration not chosen


def test_choosing_units_of_a_collaboration_round_needs_collab_ids(sample):
    engine, _, _ = sample
    with pytest.raises(
        units_.UnitError,
        match=r"has a report per collaboration: name collaborations with --collab, not --org \(e\.g\. --collab armoede-midden-holland, --collab jeugd-utrecht\)",
    ):
        units_.choose_units(engine, ROUND_ID, organisations=["woerden"])
    with pytest.raises(
        units_.UnitError,
        match="unknown collaboration id.*did you mean 'jeugd-utrecht'.*collaborations.csv",
    ):
        units_.choose_units(engine, ROUND_ID, collaborations=["jeugd-utrech"])
    with pytest.raises(
        units_.UnitError,
        match="has a report per organisation: name organisations with --org, not --collab",
    ):
        units_.choose_units(engine, "data-strategy-2026", collaborations=["jeugd-utrecht"])


def test_no_analysis_or_report_module_names_the_data_sharing_instrument():
    package = Path(dwp_assess.__file__).parent
    for folder in ("analysis", "reports"):
        for path in (package / folder).rglob("*.py"):
            assert '"data-sharing"' not in path.read_text(
                encoding="utf-8"
            ) and "'data-sharing'" not in path.read_text(encoding="utf-8"), path


# -- forms -------------------------------------------------------------------------------------


@pytest.fixture
def form_round(registered):
    engine, _ = registered
    store.create_round(engine, INSTRUMENT, "2026", "ds-form")
    return engine


def test_a_form_link_needs_a_collaboration_whose_member_the_organisation_is(form_round):
    from dwp_assess.collect import collaboration_member, rendering
    from dwp_assess.collect import questionnaire as q

    engine = form_round
    ctx = q.resolve_context(engine, "ds-form", "almere", collaboration_id="samen")
    assert (ctx.organisation_id, ctx.collaboration_id) == ("almere", "samen")
    record = q.build_record(ctx, "form:abc", {"LG1": "3"}, "beleid", None)
    assert record.collaboration_id == "samen"
    with pytest.raises(q.FormError) as error:
        q.resolve_context(engine, "ds-form", "emmen", collaboration_id="samen")
    assert (
        error.value.text("nl")
        == 'De organisatie "emmen" doet niet mee aan de samenwerking "Samen delen".'
    )
    for wrong, key in (
        (None, "form.collaboration.missing"),
        ("../x", "form.collaboration.unknown"),
        ("elders", "form.collaboration.unknown"),
    ):
        with pytest.raises(q.FormError) as error:
            q.resolve_context(engine, "ds-form", "gouda", collaboration_id=wrong)
        assert error.value.key == key
    with pytest.raises(collaboration_member.ChooseMember) as choice:
        q.resolve_context(engine, "ds-form", None, collaboration_id="samen")
    assert choice.value.members == [
        ("almere", "Almere"),
        ("gouda", "Gouda"),
        ("woerden", "Woerden"),
    ]
    page = rendering.member_choice_html(
        choice.value, {"round": "ds-form", "collaboration": "samen"}, "en"
    )
    assert 'href="?round=ds-form&amp;collaboration=samen&amp;organisation=gouda"' in page


def test_a_collaboration_in_the_link_of_another_instrument_is_refused(form_round, data_strategy):
    from dwp_assess.collect import questionnaire as q

    engine = form_round
    store.create_round(engine, data_strategy, "2026", "ds-other")
    with pytest.raises(q.FormError, match="not per collaboration"):
        q.resolve_context(engine, "ds-other", "gouda", collaboration_id="samen")


def test_the_widget_form_lets_the_respondent_choose_among_the_members(form_round, sqlite_url):
    from dwp_assess.collect import forms

    widget = forms.app(
        "ds-form", None, database_url=sqlite_url, query="collaboration=samen&lang=en", cookies=""
    )
    assert "For which organisation" in widget.value and "organisation=woerden" in widget.value
    assert "emmen" not in widget.value
    form = forms.app(
        "ds-form", "woerden", database_url=sqlite_url, query="collaboration=samen", cookies=""
    )
    assert isinstance(form, forms.W.VBox)  # the questionnaire itself, not a page naming a problem


def test_collect_prints_one_link_per_member_of_each_collaboration(form_round):
    from dwp_assess.collect import server

    links = server.links(form_round, "ds-form", "http://127.0.0.1:1/")
    assert [(link.organisation_id, link.collaboration_title) for link in links] == [
        ("almere", "Samen delen"),
        ("gouda", "Samen delen"),
        ("woerden", "Samen delen"),
    ]
    assert "collaboration=samen" in links[0].form_url and "organisation=almere" in links[0].form_url


def test_the_xlsform_asks_the_collaboration_then_a_member_and_converts(form_round, tmp_path):
    from pyxform.xls2xform import convert

    from dwp_assess.collect import xlsform

    path = xlsform.write_xlsform(INSTRUMENT, tmp_path / "form.xlsx", form_round)
    survey = pd.read_excel(path, sheet_name="survey", dtype=str).fillna("")
    names = list(survey["name"])
    assert names.index("collaboration_id") < names.index("organisation_id")
    assert survey.set_index("name").loc["organisation_id", "choice_filter"] == xlsform.MEMBER_FILTER
    choices = pd.read_excel(path, sheet_name="choices", dtype=str).fillna("")
    orgs = choices[choices["list_name"] == "organisation"].set_index("name")["collaborations"]
    assert orgs["gouda"] == " samen " and orgs["emmen"] == "  "
    assert list(choices.loc[choices["list_name"] == "collaboration", "name"]) == ["samen"]
    result = convert(xlsform=str(path), validate=False)
    assert result.warnings == []
    assert "collaboration_id" in result.xform and "contains(" in result.xform


def test_kobo_and_mapped_files_carry_the_collaboration_too(registered, tmp_path):
    engine, _ = registered
    store.create_round(engine, INSTRUMENT, "2026", "ds-test")
    kobo = tmp_path / "kobo.csv"
    pd.DataFrame(
        [
            {
                "_uuid": "u1",
                "organisation_id": "woerden",
                "collaboration_id": "samen",
                **answers_row(),
            },
            {
                "_uuid": "u2",
                "organisation_id": "emmen",
                "collaboration_id": "samen",
                **answers_row(),
            },
        ]
    ).to_csv(kobo, index=False)
    summary = importers.import_file(engine, kobo, "ds-test")
    assert (summary.format, summary.stored, summary.quarantined) == ("kobo", 1, 1)
    mapped = tmp_path / "mapped.csv"
    pd.DataFrame([{"Nr": "m1", "Gemeente": "Gouda", "Project": "samen", **answers_row()}]).to_csv(
        mapped, index=False
    )
    mapping = write(
        tmp_path / "mapping.yaml",
        "format: mapped\ncolumns:\n  response_id: Nr\n  organisation_id: Gemeente\n"
        "items:\n" + "".join(f"  {i.id}: {i.id}\n" for i in INSTRUMENT.items),
    )
    with pytest.raises(FileProblem, match="columns must name collaboration_id"):
        importers.import_file(engine, mapped, "ds-test", mapping=mapping)
    write(
        mapping,
        mapping.read_text().replace("Gemeente\n", "Gemeente\n  collaboration_id: Project\n", 1),
    )
    assert importers.import_file(engine, mapped, "ds-test", mapping=mapping).stored == 1
    stored = store.load_responses(engine, "ds-test").set_index("organisation_id")[
        "collaboration_id"
    ]
    assert stored.to_dict() == {"gouda": "samen", "woerden": "samen"}

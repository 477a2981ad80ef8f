"""Hand-over files (issue #26): the project plan's Word file on A4 with the plan's proofing
language, numbered per theme, tasks worded as statements, each explanation once, an overview
per theme and the points every party finds not applicable, as in the HTML plan. Planted answers,
not the sample."""

from __future__ import annotations

import html as html_lib
import random
import re
import unicodedata

import nbformat
import pandas as pd
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm
from pypdf import PdfReader

from dwp_assess.analysis.collaboration_positions import analyse_answers
from dwp_assess.analysis.profiles import analyse_answers as analyse_answers_of_teams
from dwp_assess.analysis.profiles import team_view
from dwp_assess.analysis.workshop_agreements import analyse_answers as analyse_agreements
from dwp_assess.data.sample import generate_rounds
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import DIKW_STAGES
from dwp_assess.reports import printing
from dwp_assess.reports.agreements import report as agreements_report
from dwp_assess.reports.html import notebook_to_html, stylesheet
from dwp_assess.reports.plan_docx import plan_colophon_rows, plan_document
from dwp_assess.reports.project_plan import html_sections, plan_view
from dwp_assess.reports.sections import team as team_sections
from dwp_assess.reports.typography import SOFT_HYPHEN, hyphenate_html
from tests.generated_rounds import answers_with_respondents, report_registry, round_meta

INSTRUMENT = get_instrument("data-sharing", 1)
MEMBERS = ("emmen", "hoorn", "waalre", "brielle")
NOTE = "Eerst het convenant tekenen."
# planted: a fact question and a status point the parties see differently, in two themes; a
# point every party finds not applicable; two representatives of Hoorn writing the same note
PLANTED = {
    ("emmen", 1): {"LG2_basis": "1", "GV2": "3"},
    ("hoorn", 1): {"LG2_basis": "3", "GV2": "1"},
    ("hoorn", 2): {"LG2_basis": "3", "GV2": "1"},
    ("waalre", 1): {},
    ("brielle", 1): {},
}
NOT_APPLICABLE = "DA6"
SEED = 20261206  # generated rounds with another seed than the sample's


def _analysis(notes: dict[str, dict[str, str]] | None = None):
    """The planted collaboration's analysis; ``notes``: per response, more explanations
    (note item → text)."""
    rows, responses = [], []
    for (org, n), overrides in PLANTED.items():
        response = f"{org}-{n}"
        responses.append(
            {"response_id": response, "organisation_id": org, "collaboration_id": "c1"}
        )
        for item in INSTRUMENT.items:
            cell = overrides.get(item.id, str(INSTRUMENT.scale_of(item.id).settled or 1))
            cell = "not_applicable" if item.id == NOT_APPLICABLE else cell
            number = cell not in ("dont_know", "not_applicable")
            rows.append(
                {
                    "response_id": response,
                    "organisation_id": org,
                    "item_id": item.id,
                    "text": None,
                    "value": float(cell) if number else None,
                    "code": None if number else cell,
                }
            )
        for item_id, text in (notes or {}).get(response, {}).items():
            rows.append(
                {
                    "response_id": response,
                    "organisation_id": org,
                    "item_id": item_id,
                    "text": text,
                    "value": None,
                    "code": None,
                }
            )
        if org == "hoorn":
            rows.append(
                {
                    "response_id": response,
                    "organisation_id": org,
                    "item_id": "GV2_note",
                    "text": NOTE,
                    "value": None,
                    "code": None,
                }
            )
    collaborations = pd.DataFrame(
        [{"id": "c1", "title": "Samen sterk", "issue": None, "lead_organisation_id": "emmen"}]
    )
    membership = pd.DataFrame({"collaboration_id": "c1", "organisation_id": list(MEMBERS)})
    meta = {
        "instrument_id": INSTRUMENT.id,
        "instrument_version": INSTRUMENT.version,
        "period": "2026",
    }
    return analyse_answers(
        pd.DataFrame(rows),
        pd.DataFrame(responses),
        INSTRUMENT,
        collaborations,
        membership,
        {o: o.title() for o in MEMBERS},
        meta,
    )


@pytest.fixture(scope="module", params=["nl", "en"])
def plan(request):
    lang = request.param
    analysis = _analysis()
    view = plan_view(analysis, "c1", lang)
    rows = plan_colophon_rows(
        view, analysis.meta, INSTRUMENT, "Gemeente Emmen", "data@emmen.example"
    )
    return lang, view, plan_document(view, "prov", rows)


def _all_text(document) -> list[str]:
    cells = [c.text for table in document.tables for row in table.rows for c in row.cells]
    return [p.text for p in document.paragraphs] + cells


def test_the_word_plan_is_a4_with_the_plans_proofing_language(plan):
    lang, _, document = plan
    for section in document.sections:
        assert abs(section.page_width - Mm(210)) < Mm(0.5) and abs(
            section.page_height - Mm(297)
        ) < Mm(0.5)
    wanted = {"nl": "nl-NL", "en": "en-GB"}[lang]
    styles = document.styles.element
    default = (
        styles.find(qn("w:docDefaults"))
        .find(qn("w:rPrDefault"))
        .find(qn("w:rPr"))
        .find(qn("w:lang"))
    )
    assert default.get(qn("w:val")) == wanted
    languages = {
        e.get(qn("w:val")) for root in (styles, document.element) for e in root.iter(qn("w:lang"))
    }
    assert languages == {wanted}
    runs = [r for p in document.paragraphs for r in p.runs]
    assert runs and all(
        r._r.rPr is not None and r._r.rPr.find(qn("w:lang")) is not None for r in runs
    )
    assert document.core_properties.language == wanted


def test_points_are_numbered_per_theme_in_every_list(plan):
    lang, view, document = plan
    assert not [p for p in document.paragraphs if p.style.name.startswith("List Number")]
    theme = 0
    for paragraph in document.paragraphs:
        heading = (
            re.match(r"^(\d+)\. ", paragraph.text) if paragraph.style.name == "Heading 1" else None
        )
        if heading:
            theme = int(heading.group(1))
            continue
        number = re.match(r"^(\d+)\.(\d+) ", paragraph.text)
        if number:
            assert int(number.group(1)) == theme, paragraph.text
    numbers = {p.id: p.number for th in view.themes for p in th.points}
    assert numbers["LG1"] == "1.1" and numbers["GV1"] == "2.1" and numbers["DA1"] == "3.1"
    texts = _all_text(document)
    assert (
        f"{numbers['GV2']} {INSTRUMENT.item_by_id['GV2'].text.get(lang)}" in texts
    )  # a point of discussion
    html = str(html_sections(view))
    assert f"{numbers['GV2']} " in html and f"2. {INSTRUMENT.dimensions[1].label.get(lang)}" in html


def test_tasks_are_statements_never_questions(plan):
    lang, view, document = plan
    tasks = [p for th in view.themes for p in th.tasks]
    assert "LG2_basis" in {p.id for p in tasks}  # the planted fact question became a task
    task_table = [
        tb
        for tb in document.tables
        if tb.rows[0].cells[0].text == t("project_plan.point", lang)
        and tb.rows[0].cells[1].text == t("project_plan.owner", lang)
    ]
    cells = [row.cells[0].text for tb in task_table for row in tb.rows[1:]]
    assert cells and not [c for c in cells if c.rstrip().endswith("?")]
    assert any(INSTRUMENT.item_by_id["LG2_basis"].task.get(lang) in c for c in cells)


def test_every_fact_question_of_a_project_plan_instrument_has_a_task():
    for item in INSTRUMENT.rated_items:
        if INSTRUMENT.scale_of(item.id).settled is None:
            assert item.task and not item.task.nl.endswith("?") and not item.task.en.endswith("?")


def test_an_explanation_given_twice_by_one_party_is_listed_once(plan):
    _, view, document = plan
    point = next(p for th in view.themes for p in th.points if p.id == "GV2")
    assert point.notes == [("Hoorn", [NOTE])]
    assert sum(NOTE in text for text in _all_text(document)) == 1


def test_the_word_plan_has_the_overview_and_the_points_no_party_applies(plan):
    lang, view, document = plan
    overview = document.tables[0]
    assert [c.text for c in overview.rows[0].cells][0] == t("project_plan.theme", lang)
    assert len(overview.rows) == 1 + len(view.themes)
    data_row = [c.text for c in overview.rows[3].cells]
    assert data_row[0] == f"3. {INSTRUMENT.dimensions[2].label.get(lang)}" and data_row[4] == "1"
    texts = _all_text(document)
    assert t("project_plan.not_applicable", lang) in texts
    number = next(p.number for th in view.themes for p in th.not_applicable)
    assert f"{number} {INSTRUMENT.item_by_id[NOT_APPLICABLE].text.get(lang)}" in texts


def test_the_word_plan_gives_each_points_tip_as_the_html_plan_does(plan):
    lang, view, document = plan
    cells = {
        row.cells[0].text.split(" ", 1)[0]: row.cells[0].text
        for table in document.tables
        if len(table.columns) == 1 + len(view.parties)
        for row in table.rows[1:]
    }
    points = [p for th in view.themes for p in th.points]
    assert {p.number for p in points} <= set(cells) and any(p.tip for p in points)
    for point in points:
        tip = f"\n{t('project_plan.tip', lang)}: {point.tip}" if point.tip else ""
        assert cells[point.number] == f"{point.number} {point.text}{tip}"


def test_the_word_plan_ends_with_the_colophon(plan):
    lang, view, document = plan
    colophon = document.tables[-1]
    rows = {row.cells[0].text: row.cells[1].text for row in colophon.rows}
    assert rows[t("report.colophon.sender", lang)] == "Gemeente Emmen"
    assert rows[t("report.colophon.contact", lang)] == "data@emmen.example"
    assert "2026" in rows[t("report.colophon.round", lang)]
    # the collaboration by its title and its parties, not the plan's title as an organisation
    assert rows[t("report.colophon.collaboration", lang)] == "Samen sterk"
    assert rows[t("report.colophon.parties", lang)] == ", ".join(view.parties)
    assert t("report.colophon.organisation", lang) not in rows


def test_the_word_plan_reads_on_paper_as_the_printed_plan(plan):
    """Numbered pages; every table's header row repeats on the pages it runs onto and no row
    is split; a point's line stays with the explanations or answers it introduces."""
    lang, view, document = plan
    footer = document.sections[0].footer._element
    fields = [f.get(qn("w:instr")).strip() for f in footer.iter(qn("w:fldSimple"))]
    assert fields == ["PAGE", "NUMPAGES"]
    words = "".join(e.text for e in footer.iter(qn("w:t")))
    assert words == t("report.page_of", lang).format(page="1", total="1")
    tables = document.tables
    for n, table in enumerate(tables):
        first = table.rows[0]._tr.trPr
        header = n < len(tables) - 1  # the colophon, last, has no header row
        assert (first is not None and first.find(qn("w:tblHeader")) is not None) == header
        for row in table.rows:
            assert row._tr.trPr.find(qn("w:cantSplit")) is not None
    paragraphs = document.paragraphs
    leads = 0
    for paragraph, following in zip(paragraphs, paragraphs[1:], strict=False):
        if following.style.name.startswith("List Bullet") and not paragraph.style.name.startswith(
            "List Bullet"
        ):
            own = paragraph.paragraph_format.keep_with_next
            assert own or paragraph.style.paragraph_format.keep_with_next, paragraph.text
            leads += bool(own)
    assert leads >= 2  # the planted discussion point and the explained point


WORDS = [
    "de",
    "convenant",
    "jurist",
    "afspraak",
    "gegevens",
    "verwerking",
    "bijeenkomst",
    "partijen",
    "omgeving",
    "concept",
    "reactie",
    "overleg",
    "beveiliging",
    "toegang",
    "bewaartermijn",
    "definities",
    "kwaliteit",
    "metadata",
]


def _letters(text: str) -> str:
    """Only the letters and digits of ``text`` (pypdf's text has ligatures, gaps and line ends
    where the page has none)."""
    return re.sub(r"[^0-9a-zà-ÿ]", "", unicodedata.normalize("NFKC", text).lower())


@pytest.mark.browser
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_printed_explained_point_stays_with_its_first_explanation(seed, tmp_path):
    """Explanations of generated lengths for every point from every party, so the notes run
    over pages at other places each time: every point's line prints whole on the page of its
    first explanation (found alone at the foot of a page, and a two-line one split)."""
    rng = random.Random(seed)
    notes = {
        f"{org}-{n}": {
            f.id: " ".join(rng.choices(WORDS, k=rng.randint(4, 40))).capitalize() + "."
            for f in INSTRUMENT.free_text
            if rng.random() < 0.6
        }
        for org, n in PLANTED
    }
    lang = ("nl", "en")[seed % 2]
    view = plan_view(_analysis(notes), "c1", lang)
    cell = nbformat.v4.new_code_cell()
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/html": str(html_sections(view))})
    ]
    page = tmp_path / "plan.html"
    page.write_text(
        notebook_to_html(nbformat.v4.new_notebook(cells=[cell]), view.title, lang),
        encoding="utf-8",
    )
    try:
        printing.print_pdf(page, tmp_path / "plan.pdf", lang)
    finally:
        printing.discard_printer()
    reader = PdfReader(tmp_path / "plan.pdf")
    assert len(reader.pages) >= 4
    pages = [_letters(p.extract_text()) for p in reader.pages]
    explained = [p for th in view.themes for p in th.points if p.notes]
    assert len(explained) > 10
    apart = []
    for point in explained:
        party, texts = point.notes[0]
        together = _letters(f"{point.number} {point.text}") + _letters(f"{party}: {texts[0]}")[:20]
        if not any(together in text for text in pages):
            apart.append(point.number)
    assert apart == []


# -- the team profile: its gap list agrees with its grid ----------------------------------------


@pytest.fixture(scope="module")
def team_round():
    """The generated competences round of the later period (version 2: stages from items),
    with a seed other than the sample's."""
    orgs, teams, generated = generate_rounds(SEED)
    chosen = next(
        g for g in generated if g.instrument.id == "competences" and g.instrument.version == 2
    )
    answers = answers_with_respondents(chosen)
    registry = report_registry(orgs)
    meta = round_meta(chosen)
    return analyse_answers_of_teams(
        answers, chosen.instrument, registry, meta, teams=teams, min_group=3
    )


def _cells(html: str) -> list[list[str]]:
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return [
        [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body)
    ]


def _grid_states(cell: str, needed: list[str], lang: str) -> dict[str, bool | None]:
    """A grid cell read back: per needed stage True (covers), None ("?": no score) or False."""
    if cell == "✓":
        return dict.fromkeys(needed, True)
    name = {t(f"chart.stage.{s}", lang): s for s in DIKW_STAGES}
    shown = [part for part in cell.split(", ") if part]
    states = dict.fromkeys(needed, False)
    for part in shown:
        states[name[part.removesuffix("?")]] = None if part.endswith("?") else True
    return states


def _gap_names(view, instrument, lang: str, member_of: dict[str, str]) -> tuple[set, set]:
    """The gap list read back: (member, competence, stage) it names, and (competence, stage)
    it calls covered by nobody."""
    name = {t(f"chart.stage.{s}", lang): s for s in DIKW_STAGES}
    label = {d.label.get(lang): d.id for d in instrument.dimensions}
    named, nobody = set(), set()
    for line in re.findall(
        r"<li>(.*?)</li>", str(team_sections.gaps_and_roles(view, instrument, lang))
    ):
        line = html_lib.unescape(line)
        found = re.match(r"(.*) \((.*?)\) (?:bij|at) (.*?)[;:] (.*)$", line)
        competence, _, stages, rest = found.groups()
        stages = [name[s] for s in stages.split(", ")]
        listed = re.match(r"(?:niet gedekt door|not covered by): (.*)$", rest)
        for stage in stages:
            if listed:
                members = listed.group(1).split("; ")
                named |= {(member_of[m], label[competence], stage) for m in members}
            else:
                nobody.add((label[competence], stage))
    return named, nobody


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_members_grid_and_the_gap_list_say_the_same_per_stage_and_member(team_round, lang):
    """Per member, competence and stage where it is needed, on a generated round: the grid
    shows it covered exactly where the member's stage score reaches the threshold, "?" exactly
    where the member has no stage score (the grid showed such a stage as covered: ✓ beside
    a gap of nobody covering it), and nothing where it is below; the gap list names a member
    at a stage of an "everyone" competence exactly where the grid shows it not covered, and
    where it says nobody covers a stage no member's cell shows that stage covered."""
    instrument = team_round.instrument
    rule = {d.id: d.group_rule for d in instrument.dimensions}
    labels = [d.label.get(lang) for d in instrument.dimensions]
    counts = {True: 0, False: 0, None: 0}
    for team_id in sorted(set(team_round.team_members["team_id"])):
        view = team_view(team_round, team_id)
        if not view.shows_members:
            continue
        rows = _cells(str(team_sections.members(view, instrument, lang)))
        offset = len(rows[0]) - len(labels)
        needed = view.coverage.groupby("dimension_id")["dikw_stage"].apply(list).to_dict()
        truth = view.stages.set_index(["member", "dimension_id", "dikw_stage"])
        member_of = {team_sections.members_in(m, lang): m for m in view.stages["member"]}
        named, nobody = _gap_names(view, instrument, lang, member_of)
        for row in rows:
            member = member_of[row[0]]
            for k, dim in enumerate(d.id for d in instrument.dimensions):
                shown = _grid_states(row[offset + k], needed[dim], lang)
                for stage, state in shown.items():
                    key = (member, dim, stage)
                    score = truth["score"].get(key)
                    threshold = instrument.scoring.coverage_threshold
                    expected = None if score is None or pd.isna(score) else score >= threshold
                    assert state == expected, (team_id, key, row[offset + k], score)
                    if rule[dim] == "everyone":
                        assert (key in named) == (state is False), (team_id, key)
                    assert not ((dim, stage) in nobody and state), (team_id, key)
                    counts[state] += 1
    assert min(counts.values()) > 10, counts  # covered, not covered and unknown all occur


HEADER_HEIGHTS = """() => [...document.querySelectorAll("thead th")].map(th => {
  const label = th.querySelector(".dwp-turned");
  return [th.textContent, th.getBoundingClientRect().height,
          label ? label.scrollHeight - label.clientHeight : 0];
})"""


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_members_grid_header_wraps_its_labels_instead_of_growing(team_round, page, lang):
    """On paper the grid's labels are written upwards: a long one ("Betrekken van
    belanghebbenden", "Data-analytic skills") wraps onto a second line, so the header stays
    under a sixth of the A4 page (a header as tall as its longest label, 250 px, pushed the
    whole grid off page 2 of the team profile and left that page half empty); nothing of a
    label is cut."""
    view = next(
        v
        for v in (team_view(team_round, t_) for t_ in sorted(set(team_round.team_members.team_id)))
        if v.shows_members
    )
    grid = hyphenate_html(str(team_sections.members(view, team_round.instrument, lang)), lang)
    page.set_viewport_size({"width": 688, "height": 1000})  # the A4 column
    page.set_content(f"<html><head><style>{stylesheet()}</style></head><body><main>{grid}</main>")
    page.emulate_media(media="print")
    heights = page.evaluate(HEADER_HEIGHTS)
    labels = [d.label.get(lang) for d in team_round.instrument.dimensions]
    assert [h[0].replace(SOFT_HYPHEN, "") for h in heights][-len(labels) :] == labels
    assert max(h[1] for h in heights) <= 1123 / 6, heights  # A4 at 96 px per inch
    assert all(cut <= 0 for _, _, cut in heights), heights


# -- the agreements list: like with like, starting points per value ------------------------------


@pytest.fixture(scope="module")
def gdb_round():
    orgs, teams, generated = generate_rounds(SEED)
    chosen = next(g for g in generated if g.instrument.output == "agreements")
    answers = answers_with_respondents(chosen)
    registry = report_registry(orgs)
    meta = round_meta(chosen)
    return analyse_agreements(answers, chosen.instrument, registry, teams, meta)


def _number(text: str) -> float:
    return float(text.replace(",", ".").replace("+", "").replace("−", "-"))


def test_the_reflection_gap_is_the_difference_of_the_means_it_stands_beside(gdb_round):
    instrument = gdb_round.instrument
    checked = 0
    for team_id in gdb_round.report_units():
        team = gdb_round.team(team_id)
        if team.suppressed:
            continue
        page = str(agreements_report(team, instrument, "nl", "Org"))
        table = page[page.index('class="dwp-table dwp-reflection"') :]
        table = table[: table.index("</table>")]
        header = table[: table.index("</thead>")]
        assert t("agreements.mean", "nl") in header and t("agreements.median", "nl") not in header
        for row in re.findall(
            r"<tr[^>]*><td>.*?</tr>", table[table.index("<tbody>") :], flags=re.S
        ):
            cells = [
                re.sub(r"<[^>]+>", " ", c).strip()
                for c in re.findall(r"<td>(.*?)</td>", row, flags=re.S)
            ]
            relevance, safeguarding, gap = cells[3], cells[7], cells[9]
            if "–" in (relevance, safeguarding, gap):
                continue
            assert abs(_number(relevance) - _number(safeguarding) - _number(gap)) <= 0.1 + 1e-9, (
                cells
            )
            checked += 1
    assert checked > 20


def test_starting_points_are_per_value_and_no_proposal_is_repeated(gdb_round):
    instrument = gdb_round.instrument
    for team_id in gdb_round.report_units():
        team = gdb_round.team(team_id)
        if team.suppressed or team.agreements.empty:
            continue
        page = html_lib.unescape(str(agreements_report(team, instrument, "nl", "Org")))
        table = page[page.index('class="dwp-table dwp-agreements"') :]
        points = re.findall(r"<li>(.*?)</li>", table[: table.index("</table>")], flags=re.S)
        proposals = [
            p
            for p in points
            if not p.startswith(("Doel van deze waarde", "Voorstellen van het team"))
        ]
        assert len(proposals) == len(set(proposals)), team_id
        for r in team.agreements.itertuples():
            value = instrument.value_by_id[r.value_id]
            assert t("agreements.value_goal", "nl", text=value.description.nl) in points

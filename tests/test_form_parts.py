"""Tips and open questions that belong to an item or a part, in every way the form is shown.

The data-sharing checklist asks, per point, a status and what has been agreed (an open
question that belongs to the item) and shows the checklist's tip card with it; the
digital-governance workshop ends each principle with "what will we agree on" (an open
question that belongs to the dimension). The instrument below declares both on a copy of
the data-strategy instrument, with a non-scored output, so the tests hold for any
instrument that uses them.
"""

from __future__ import annotations

import re

import ipywidgets as W
import pytest

from dwp_assess.collect import forms, page, rendering, xlsform
from dwp_assess.collect import questionnaire as q
from dwp_assess.instruments.model import Instrument, InstrumentError


@pytest.fixture(scope="module")
def linked(data_strategy) -> Instrument:
    raw = data_strategy.model_dump(mode="json", exclude_none=True)
    first, second = raw["items"][0], raw["items"][1]
    first["tip"] = {"nl": "Tip: kijk in het register <b>", "en": "Tip: check the register <b>"}
    raw["free_text"] = [
        {
            "id": "NOTE1",
            "text": {"nl": "Wat is hierover afgesproken?", "en": "What was agreed?"},
            "item": first["id"],
        },
        {
            "id": "PART1",
            "text": {"nl": "Wat spreken we af?", "en": "What will we agree?"},
            "dimension": second["dimension"],
        },
        {"id": "LAST", "text": {"nl": "Nog iets?", "en": "Anything else?"}},
    ]
    raw["kind"], raw["output"] = "collaboration", "project-plan"
    for item in raw["items"]:  # a project plan words every fact question as a task too
        item.setdefault(
            "task", {"nl": f"Leg vast: {item['text']['nl']}", "en": f"Record: {item['text']['en']}"}
        )
    return Instrument.model_validate(raw)


def _context(instrument: Instrument, lang: str = "nl") -> q.FormContext:
    return q.FormContext(instrument, "r1", "gouda", "Gouda", None, (), lang)


def test_entries_put_notes_after_their_item_and_part_questions_at_the_part_end(linked):
    dim = linked.dimension_by_id[linked.items[1].dimension]
    entries = q.part_entries(linked, linked.dimension_by_id[linked.items[0].dimension], "en")
    assert (
        entries[0].item.id == linked.items[0].id and entries[0].tip == "Tip: check the register <b>"
    )
    assert entries[1].text.id == "NOTE1" and entries[1].label == "What was agreed?"
    assert all(e.tip is None for e in entries[2:])
    assert q.part_entries(linked, dim, "nl")[-1].text.id == "PART1"
    assert [f.id for f in q.closing_questions(linked)] == ["LAST"]


def test_the_web_form_shows_tips_and_linked_questions_in_their_part_escaped(linked):
    html = page.form_page(
        _context(linked), "d" * 32, {"texts": {"NOTE1": "<script>x</script>"}}, ""
    )
    sections = re.findall(r'<section class="dwp-page".*?</section>', html, flags=re.S)
    first = sections[1]
    item_at = first.index(f"dwp-item-{linked.items[0].id}")
    assert first.index("dwp-tip") < item_at < first.index("dwp-text-NOTE1")
    assert "Tip: kijk in het register &lt;b&gt;" in first
    assert "&lt;script&gt;x&lt;/script&gt;" in first and "<script>x" not in html
    assert "dwp-text-PART1" in "".join(sections[1:-1])
    assert "dwp-text-NOTE1" not in sections[-1] and "dwp-text-LAST" in sections[-1]


def test_the_widget_form_shows_the_same_entries(linked):
    form = forms.QuestionnaireForm.__new__(forms.QuestionnaireForm)
    form.ctx = _context(linked)
    form.radios = {i.id: W.RadioButtons(options=["1"]) for i in linked.items}
    form.texts = {f.id: W.Textarea() for f in linked.free_text}
    box = form._dimension_page(linked.dimension_by_id[linked.items[0].dimension])
    kinds = list(box.children)
    tip_at = next(n for n, c in enumerate(kinds) if "dwp-tip" in c._dom_classes)
    assert "Tip: kijk in het register &lt;b&gt;" in kinds[tip_at].value
    assert kinds[tip_at + 1] is form.radios[linked.items[0].id]
    assert form.texts["NOTE1"] in kinds and form.texts["LAST"] not in kinds


def test_a_non_scored_output_gives_a_receipt_and_no_own_scores(linked):
    ctx = _context(linked)
    record = q.build_record(
        ctx, "form:" + "a" * 32, {linked.items[0].id: "3"}, None, None, {"NOTE1": " afgesproken "}
    )
    assert [a.text for a in record.answers if a.item_id == "NOTE1"] == ["afgesproken"]
    result = rendering.result_html(ctx, record)
    assert "dwp-receipt" in result and "<table" not in result and "<svg" not in result


def test_the_xlsform_puts_hints_and_linked_questions_in_place(linked):
    rows = xlsform.survey_rows(linked)
    names = [r["name"] for r in rows]
    first = names.index(linked.items[0].id)
    assert names[first + 1] == "NOTE1"
    assert rows[first]["hint::English (en)"] == "Tip: check the register <b>"
    group_end = names.index("", names.index("PART1"))
    assert names.index("PART1") < group_end and names[-1] == "LAST"


def test_a_free_text_that_names_an_unknown_item_or_both_links_is_refused(data_strategy):
    raw = data_strategy.model_dump(mode="json", exclude_none=True)
    dimension = raw["dimensions"][0]["id"]
    raw["free_text"] = [
        {"id": "X", "text": {"nl": "x"}, "item": "NOPE"},
        {"id": "Y", "text": {"nl": "y"}, "item": raw["items"][0]["id"], "dimension": dimension},
    ]
    with pytest.raises((ValueError, InstrumentError)) as error:
        Instrument.model_validate(raw)
    assert "free_text.0.item: unknown item 'NOPE'" in str(error.value)
    assert "free_text.1: give item or dimension, not both" in str(error.value)


def test_the_questions_about_one_public_value_stand_under_its_name_once():
    from dwp_assess.instruments.loading import get_instrument

    instrument = get_instrument("digital-governance", 1)
    dim = instrument.dimensions[0]
    entries = q.part_entries(instrument, dim, "nl")
    headings = [e.label for e in entries if e.heading]
    values = [v for v in instrument.public_values if v.dimension == dim.id]
    assert headings == [v.label.nl for v in values]
    first = next(n for n, e in enumerate(entries) if e.heading)
    asked = [e.item.aspect for e in entries[first + 1 : first + 3]]
    assert sorted(asked) == ["relevance", "safeguarding"]
    page_html = page.dimension_part(_context(instrument), dim, {}, {})
    assert page_html.count('class="dwp-value"') == len(values)


def test_the_language_link_keeps_the_collaboration_team_and_draft(linked):
    ctx = q.FormContext(
        linked, "r1", "gouda", "Gouda", None, (), "nl", collaboration_id="jeugd-utrecht"
    )
    html = page.header(ctx, "d" * 32)
    assert "collaboration=jeugd-utrecht" in html and "organisation=gouda" in html
    assert f"draft={'d' * 32}" in html and "lang=en" in html
    team_ctx = q.FormContext(
        linked, "r1", "gouda", "Gouda", "gouda-team", (("gouda-team", "Team"),), "en"
    )
    assert "team=gouda-team" in team_ctx.language_link(
        "nl", "x"
    ) and "collaboration" not in team_ctx.language_link("nl", "x")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_result_chart_never_cuts_a_part_name(lang):
    """The form's own result chart: every part's name of every scored instrument, and a long
    one, lies inside the drawing (the fixed 260 px label column cut "Doelbinding, afspraken en
    wettelijke basis")."""
    import pandas as pd

    from dwp_assess.instruments.loading import available_instruments
    from dwp_assess.reports.charts import text_width

    labels = [d.label.get(lang) for i in available_instruments().values() for d in i.dimensions]
    labels.append("Doelbinding, afspraken en wettelijke basis " * 3 + "W" * 40)
    instrument = next(i for i in available_instruments().values() if i.dimensions)
    scores = pd.DataFrame({"label": labels, "score": [3.5] * (len(labels) - 1) + [None]})
    svg = rendering.result_chart_svg(scores, instrument, lang)
    width = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    texts = re.findall(r'<text x="(\d+)" y="\d+">([^<]*)</text>', svg)
    shown = " ".join(text for x, text in texts if x == str(rendering.CHART_INSET))
    assert all(label.split()[0] in shown for label in labels)
    for x, text in texts:
        assert int(x) + text_width(text, rendering.CHART_FONT_PX) <= width, text

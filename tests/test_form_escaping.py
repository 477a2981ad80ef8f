"""Every text the form shows is escaped, wherever it comes from: the message catalogue, the
instrument file, the registry or the respondent, in every page of the web form and every
piece of the widget form.

The texts below carry markup and an ampersand (``MARK``); a page passes when the markup shows
as text (``&lt;script&gt;``) and no element of it reaches the page. The catalogue's texts of the
form (``form.*``, ``collect.*``) are given the mark in place, for the test only; the instrument
is a copy of each shipped one with the mark before every text. Before the templates, the
result's column headings, the count's column headings and the Host page's texts were printed
as they were.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from dwp_assess.collect import collaboration_member, forms, page, rendering
from dwp_assess.collect import questionnaire as q
from dwp_assess.data import registry, store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.messages import catalogue
from dwp_assess.instruments.model import Instrument

MARK = '<script>alert("x")</script> & <b>'
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;"
INSTRUMENTS = [
    ("competences", 1),
    ("data-strategy", 2),
    ("digital-governance", 1),
    ("data-sharing", 1),
]


class Elements(HTMLParser):
    """The start tags of a page and its text as a browser reads it."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def assert_escaped(html: str, least: int = 1) -> None:
    """No element of ``MARK`` in ``html`` (only the form's own scripts, no ``<b>``), and the
    mark shown as text at least ``least`` times."""
    parsed = Elements(html)
    scripts = [a for tag, a in parsed.tags if tag == "script"]
    assert all(a.get("id") == "dwp-config" or "form.js" in a.get("src", "") for a in scripts), (
        scripts
    )
    assert not [tag for tag, _ in parsed.tags if tag == "b"]
    assert "<script>alert" not in html
    assert "".join(parsed.text).count(MARK) >= least, html[:2000]
    assert ESCAPED in html


def marked(value):
    """``value`` (an instrument as JSON) with the mark before every text in a language."""
    if isinstance(value, dict):
        if isinstance(value.get("nl"), str):
            return {k: MARK + v if isinstance(v, str) else v for k, v in value.items()}
        return {k: marked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [marked(v) for v in value]
    return value


@pytest.fixture
def hostile_catalogue(monkeypatch):
    """The form's catalogue texts with the mark in front (placeholders kept)."""
    for key, entry in list(catalogue().items()):
        if key.startswith(("form.", "collect.")):
            monkeypatch.setitem(
                catalogue(), key, {lang: MARK + text for lang, text in entry.items()}
            )


def hostile_context(instrument: Instrument, lang: str) -> q.FormContext:
    raw = marked(instrument.model_dump(mode="json", exclude_none=True))
    ins = Instrument.model_validate(raw)
    teams = (("t1", MARK + "Team Financiën"), ("t2", "Team 2"))
    return q.FormContext(ins, "r1", "gouda", MARK + "Gouda", None, teams, lang)


def complete_state(ctx: q.FormContext) -> dict:
    answers = {
        i.id: q.option_pairs(ctx.instrument, i.id, ctx.lang)[0][1] for i in ctx.instrument.items
    }
    role = next((f for f in ctx.instrument.respondent_fields if f.id == "role"), None)
    return {
        "answers": answers,
        "role": role.choices[0].code if role else None,
        "team": "t1",
        "texts": {f.id: MARK + "mijn antwoord" for f in ctx.instrument.free_text},
        "page": 1,
    }


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("name,version", INSTRUMENTS)
def test_the_web_form_and_its_result_escape_every_text(name, version, lang, hostile_catalogue):
    ctx = hostile_context(get_instrument(name, version), lang)
    state = complete_state(ctx)
    form = page.form_page(ctx, "d" * 32, state, f"round=r1&x={MARK}")
    # every statement, option, dimension, open answer and the texts around them
    assert_escaped(form, least=len(ctx.instrument.items) + len(ctx.instrument.dimensions))
    record = q.record_of_state(ctx, "form:" + "d" * 32, state)
    result = rendering.result_html(ctx, record)
    assert_escaped(result)
    assert_escaped(page.sent_page(ctx, "d" * 32, result, "round=r1"))
    assert_escaped(page.result_part(result, lang, q.FormError("form.save_conflict").text(lang)))
    widget = forms.QuestionnaireForm.__new__(forms.QuestionnaireForm)
    widget.ctx, widget.draft_id = ctx, "d" * 32
    assert_escaped(widget._header().value)


def test_the_result_table_and_chart_escape_the_catalogue_and_part_names(hostile_catalogue):
    """The three column headings of the own result were printed unescaped."""
    ctx = hostile_context(get_instrument("data-strategy", 1), "nl")
    record = q.record_of_state(ctx, "form:" + "e" * 32, complete_state(ctx))
    table = rendering.result_html(ctx, record).split("<table>")[1].split("</table>")[0]
    headings = Elements(table).text[:3]
    assert all(h.startswith(MARK) for h in headings), headings
    assert_escaped(table, least=3 + len(ctx.instrument.dimensions))
    chart = rendering.result_chart_svg(q.own_scores(ctx, record), ctx.instrument, "nl")
    assert_escaped(chart, least=0)  # part names are wrapped; the title is whole


def test_error_host_member_and_count_pages_escape_every_text(hostile_catalogue, engine, tmp_path):
    """The count's four column headings and the Host page's two texts were printed unescaped."""
    pd.DataFrame({"id": ["gouda"], "name": [MARK + "Gouda"], "kind": ["gemeente"]}).to_csv(
        tmp_path / "organisations.csv", index=False
    )
    pd.DataFrame(
        {"id": ["t1"], "organisation_id": ["gouda"], "name": [MARK + "Team"], "invited": [7]}
    ).to_csv(tmp_path / "teams.csv", index=False)
    registry.import_registry(engine, tmp_path / "organisations.csv", tmp_path / "teams.csv")
    store.create_round(engine, get_instrument("competences", 1), "2026", "r1")
    table = rendering.count_table(engine, "r1", "gouda", "en")
    assert_escaped(table, least=1 + 4 + 2)  # "nothing yet", four headings, organisation and team
    heading = q.count_heading(engine, "r1", "gouda", "en")
    assert_escaped(page.count_page(heading, table, "en", MARK + "12:00"), least=10)
    assert_escaped(page.host_refused_page(), least=2)
    assert_escaped(
        page.error_page(q.FormError("form.error.unknown_round", round=MARK), "en"), least=3
    )
    choice = collaboration_member.ChooseMember("c1", MARK + "Samen", [("gouda", MARK + "Gouda")])
    assert_escaped(page.member_choice_page(choice, {"round": "r1", "x": MARK}, "nl"), least=3)
    assert_escaped(rendering.member_choice_html(choice, {"round": "r1"}, "en"), least=3)
    counter = forms.ResponseCounter(engine, "r1", "gouda", "nl")
    assert_escaped(counter.widget.children[0].value, least=2)
    assert_escaped(counter.table.value, least=7)
    assert_escaped(counter.updated.value)
    assert_escaped(
        forms.error_widget(q.FormError("form.error.unknown_round", round=MARK), "en").value, least=3
    )


def test_the_widget_forms_texts_are_escaped(hostile_catalogue, engine):
    ctx = hostile_context(get_instrument("data-sharing", 1), "nl")
    form = forms.QuestionnaireForm(engine, ctx)
    pieces = [form.progress_text.value]
    for part in form.pages:
        pieces += [
            c.value
            for c in part.children
            if isinstance(getattr(c, "value", None), str) and "<" in c.value
        ]
    assert all(ESCAPED in piece for piece in pieces), [p for p in pieces if ESCAPED not in p]
    assert_escaped(
        "".join(pieces), least=len(ctx.instrument.items) + len(ctx.instrument.dimensions)
    )
    form.show_page(1)
    form._on_next()  # nothing answered: the message names what is missing
    assert_escaped(form.message.value)
    assert Path(rendering.TEMPLATES / "widgets.html.j2").is_file()

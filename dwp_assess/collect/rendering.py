"""What the form shows besides its questions, and the templates everything is shown with:
the respondent's receipt and own result (a table and a bar chart), the facilitator's count
table, and a collaboration's member list.

Every piece of HTML and SVG that ``collect/`` makes comes from the jinja2 templates in
``templates/``, autoescaped by the set-up the reports use (``templating.environment``): a
text from the instrument, the registry, the message catalogue or a respondent is escaped
wherever it is shown, without a hand-placed call. The web form's pages (``page.py``) and the
ipywidgets form (``forms.py``) render through ``render`` and ``macro``, so both show the same
result and count. Only HTML that a template made is wrapped in ``markupsafe.Markup`` to be
put into another template.

The functions here prepare values (numbers in the language's format, labels from the
instrument and the catalogue, the chart's geometry); the templates hold the markup.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from dwp_assess import templating
from dwp_assess.collect import collaboration_member
from dwp_assess.collect.questionnaire import (
    FormContext,
    count_rows,
    own_scores,
    present,
    receipt_code,
    result_intro,
)
from dwp_assess.data import store
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import Instrument
from dwp_assess.locale import MISSING, number

if TYPE_CHECKING:
    import pandas as pd

TEMPLATES = Path(__file__).with_name("templates")


def environment():
    """The templates' environment: autoescaped as the reports' (``templating``), and a line
    holding only a block tag leaves no empty line in the page."""
    return templating.environment(str(TEMPLATES), trim_blocks=True)


def render(template: str, **values) -> str:
    """The template ``template`` of ``templates/`` with ``values``, every value escaped."""
    return environment().get_template(template).render(**values)


def macro(template: str, name: str):
    """The macro ``name`` of ``templates/<template>``, callable from Python; it returns
    escaped ``Markup`` (a piece of a page, or of a widget of the ipywidgets form)."""
    return getattr(environment().get_template(template).module, name)


# -- the respondent's own result ------------------------------------------------------------

CHART_PX, CHART_FONT_PX, CHART_LINE_PX = 420, 13, 17
# The part names start this far right of the drawing's edge: the ink of a "T" or a "J" reaches a
# little left of where its text starts, and the drawing cuts off what lies outside it.
CHART_INSET = 2
# A line of the chart holds this many characters whatever they are: no glyph of DejaVu Sans or
# its fallbacks is wider than one em, so a label wrapped to it is never cut by the drawing.
CHART_LABEL_CHARS = (CHART_PX - CHART_INSET) // CHART_FONT_PX
CHART_SCORE_ROOM = 60  # right of the bars, for the score


@dataclass(frozen=True)
class ChartBar:
    """One part in the result chart: its name's lines (baseline, text), the bar's top, the
    filled length (None without a score) and the score as shown."""

    lines: tuple[tuple[int, str], ...]
    top: int
    filled: str | None
    score: str


@dataclass(frozen=True)
class Chart:
    """The result chart's geometry in px of its drawing (``viewBox``)."""

    title: str
    bars: tuple[ChartBar, ...]
    height: int
    width: int = CHART_PX
    bar_width: int = CHART_PX - CHART_SCORE_ROOM
    font_px: int = CHART_FONT_PX
    inset: int = CHART_INSET


def result_chart(scores: pd.DataFrame, instrument: Instrument, lang: str) -> Chart:
    """The bars of the own scores (``questionnaire.own_scores``): each part's name wrapped to
    ``CHART_LABEL_CHARS`` above a bar on the instrument's scale."""
    low, high = instrument.scored_range
    bar_w = CHART_PX - CHART_SCORE_ROOM
    bars, y = [], 6
    for row in scores.itertuples():
        lines = []
        for line in textwrap.wrap(str(row.label), CHART_LABEL_CHARS, break_long_words=True) or [""]:
            y += CHART_LINE_PX
            lines.append((y - 4, line))
        filled = None
        if present(row.score):
            filled = str(round(bar_w * (row.score - low) / (high - low) if high > low else 0))
        score = number(row.score, 1, lang) if present(row.score) else MISSING
        bars.append(ChartBar(tuple(lines), y + 2, filled, score))
        y += 30
    return Chart(t("form.chart_title", lang), tuple(bars), y)


def result_chart_svg(scores: pd.DataFrame, instrument: Instrument, lang: str) -> str:
    """The result chart as inline SVG (``templates/result_chart.svg.j2``)."""
    return render("result_chart.svg.j2", chart=result_chart(scores, instrument, lang))


def result_html(ctx: FormContext, record: store.ResponseRecord) -> str:
    """Thanks, receipt code and, for instruments scored per dimension, own scores as a table
    and one chart (``templates/result.html.j2``). Other outputs (a project plan, an agreements
    list) combine everyone's answers, so a respondent's own answers have no result of their own."""
    lang, instrument = ctx.lang, ctx.instrument
    values = {
        "thanks": t("form.thanks", lang),
        "receipt": t("form.receipt", lang, code=receipt_code(record.response_id)),
        "receipt_note": t("form.receipt_note", lang),
        "scored": instrument.output_rules.scored,
    }
    if not values["scored"]:
        return render("result.html.j2", combined=t("form.result_combined", lang), **values)
    scores = own_scores(ctx, record)
    rows = [
        {
            "label": r.label,
            "score": number(r.score, 1, lang) if present(r.score) else None,
            "level": r.level,
            "level_label": str(r.level_label),
        }
        for r in scores.itertuples()
    ]
    columns = {k: t(f"form.result_{k}", lang) for k in ("part", "score", "level")}
    return render(
        "result.html.j2",
        heading=t("form.result_heading", lang),
        intro=result_intro(instrument, lang),
        columns=columns,
        rows=rows,
        no_score=t("form.result_no_score", lang),
        chart=result_chart(scores, instrument, lang),
        **values,
    )


# -- the facilitator's count, a collaboration's members ----------------------------------------


def count_table(engine: Engine, round_id: str, organisation_id: str | None, lang: str) -> str:
    """HTML table of completed questionnaires per team (or organisation), from
    ``questionnaire.count_rows`` (``templates/count_table.html.j2``)."""
    rows = count_rows(engine, round_id, organisation_id)
    columns = {
        k: t(f"collect.count_{k}", lang) for k in ("organisation", "team", "responses", "invited")
    }
    return render(
        "count_table.html.j2",
        rows=rows,
        responses=any(r.responses for r in rows),
        columns=columns,
        none_yet=t("collect.count_none", lang),
    )


def member_choice_values(
    choice: collaboration_member.ChooseMember, query: dict[str, str], lang: str
) -> dict:
    """What ``templates/member_choice.html.j2`` shows: a heading, the explanation, one link per
    member (``collaboration_member.member_links``)."""
    return {
        "heading": t("form.collaboration.choose_heading", lang),
        "text": choice.text(lang),
        "links": collaboration_member.member_links(choice, query),
    }


def member_choice_html(
    choice: collaboration_member.ChooseMember, query: dict[str, str], lang: str
) -> str:
    """The member list as HTML, for the widget form (the web form shows it as a page:
    ``page.member_choice_page``)."""
    return render("member_choice.html.j2", **member_choice_values(choice, query, lang))

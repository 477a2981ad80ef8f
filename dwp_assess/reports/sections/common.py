"""What every section shares: the ``Html`` a notebook displays, rendering a section's
template, figures with their text alternative, the page header, and the agreement words
that the organisation report and the team profile both print."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup

from dwp_assess.analysis.rater_agreement import band_words, words_for_agreement
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import Instrument
from dwp_assess.locale import number
from dwp_assess.reports import charts
from dwp_assess.reports.html import macro, render


class Html(Markup):
    """A rendered section: safe HTML that Jupyter displays as HTML (and papermill keeps as
    text/html). Its plain-text form, which a notebook keeps beside the HTML, only says what it
    is: the whole markup again (half a megabyte for the section with the answer charts) doubled
    every executed notebook and every message from the kernel."""

    def _repr_html_(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return f"<Html: {len(self)} characters>"


def _section(name: str, **values) -> Html:
    """``templates/sections/<name>.html.j2`` rendered with ``values`` (autoescaped)."""
    return Html(render(f"sections/{name}.html.j2", **values))


def figure_json(fig: go.Figure) -> Markup:
    """A figure's JSON for the page's script element; ``</`` is escaped so it cannot end the
    script (the one place a figure's texts are not HTML-escaped: JSON in a script element)."""
    return Markup(charts.to_json(fig).replace("</", "<\\/"))


def chart(fig: go.Figure, lang: str) -> dict:
    """What the ``figure`` macro shows of a chart: its JSON, its text alternative from
    ``charts.describe`` (title, a short description, the figures as a table) and, for a
    chart that leaves its legend to the page, the legend as text: each name with its colour,
    as the traces draw them."""
    meta = fig.layout.meta or {}
    legend = []
    if fig.layout.showlegend is False:
        for trace in fig.data:
            entry = (trace.name, trace.marker.color)
            if trace.showlegend is not False and entry not in legend:
                legend.append(entry)
    return {
        "json": figure_json(fig),
        "title": meta.get("title", ""),
        "description": meta.get("description", ""),
        "header": meta.get("header", []),
        "rows": meta.get("rows", []),
        "table_label": t("chart.figures", lang),
        "legend": legend,
    }


def full_stop(text: str) -> str:
    """``text`` ending in one full stop: none is added after a sentence that already ends
    (also inside closing quotes), so a quoted statement never ends in "verzamelen.”."."""
    stripped = text.rstrip()
    return stripped if stripped.rstrip("”’\"')").endswith((".", "!", "?")) else stripped + "."


def header(title: str, subtitle: str, synthetic: bool, lang: str, response: str = "") -> Html:
    """Title, subtitle, the synthetic-data warning where it applies, and a response line."""
    warning = t("report.synthetic_warning", lang) if synthetic else ""
    return _section("header", title=title, subtitle=subtitle, warning=warning, response=response)


def round_subtitle(meta: dict, instrument: Instrument, lang: str) -> str:
    """The instrument's title and the round's period; never the round's id."""
    return t(
        "report.subtitle",
        lang,
        period=meta.get("period", ""),
        instrument=instrument.title.get(lang),
    )


def _role_label(role, instrument: Instrument, lang: str) -> str:
    """A role's label; ``None`` (a role too few members share, or none) is "overige rollen"."""
    if role is None or pd.isna(role):
        return t("report.other_roles", lang)
    labels = {c.code: c.label.get(lang) for c in instrument.respondent_fields[0].choices}
    return labels.get(role, role)


def agreement_cell(rwg_j, lang: str, band: str | None = None, shown: float | None = None) -> Markup:
    """The word for an agreement band ("eensgezind", "wisselend", "verdeeld"; by default the
    band of ``rwg_j``), with the figure (0–1) on hover and in brackets on paper; "niet te
    bepalen" when it is undefined. The statistic's name and its band label stay in the
    Verantwoording: a manager reads one word and one number, never a word beside it that the
    levels made weaker ("wisselend" beside "sterke overeenstemming"). ``shown`` is the figure
    that decided a ``band`` (the weaker of two), so the number never contradicts its word
    ("verdeeld (0,84)")."""
    words = words_for_agreement(pd.Series([rwg_j], dtype=float), lang).iloc[0]
    if pd.isna(words["rwg_j"]):
        return macro("agreement")(words["word"], None)
    word = band_words(pd.Series([band]), lang).iloc[0] if band is not None else words["word"]
    value = words["rwg_j"] if shown is None or pd.isna(shown) else min(max(float(shown), 0.0), 1.0)
    figure = number(value, 2, lang)
    return macro("agreement")(word, figure, figure)


def agreement_note(lang: str) -> Markup:
    """What the agreement words mean, with how to see their figures: by hovering on screen,
    in brackets on paper."""
    hint = macro("screen_or_paper")(
        t("report.agreement_hover", lang), t("report.agreement_paper", lang)
    )
    return Markup("{} {}").format(t("report.agreement_note", lang), hint)

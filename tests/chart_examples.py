"""How every chart of ``charts.CHARTS`` is built from a round's analysis, as the reports and
the analysis notebook build it: the figures the layout tests (``test_chart_layout_browser.py``)
and the number-format test (``test_charts.py``) run over, in each language.

A chart added to ``charts.py`` with ``@registered`` fails ``test_every_chart_has_an_example``
until it has an entry in ``EXAMPLES``; from then on its layout and number format are checked
with the other charts. The rounds are those of the sample store (``conftest.sample_store``):
data-strategy 2026 (version 2, levels chosen, compared with 2025), data-strategy 2025
(version 1, levels estimated) and the Goed Digitaal Bestuur workshop (agreements per team).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import plotly.graph_objects as go
from sqlalchemy.engine import Engine

from dwp_assess.analysis import workshop_agreements
from dwp_assess.analysis.profiles import (
    OrganisationView,
    RoundAnalysis,
    analyse_round,
    organisation_view,
)
from dwp_assess.instruments.model import ASPECTS
from dwp_assess.reports import charts
from dwp_assess.reports.sections.levels import dimension_level_row

ORGANISATION = "gouda"  # in both data-strategy rounds, with peers to compare with


@dataclass(frozen=True)
class Rounds:
    chosen: RoundAnalysis  # data-strategy-2026 against 2025
    estimate: RoundAnalysis  # data-strategy-2025
    agreements: workshop_agreements.AgreementsAnalysis  # digital-governance-2026


def analyse(engine: Engine) -> Rounds:
    """The three rounds analysed as ``report`` analyses them."""
    return Rounds(
        chosen=analyse_round(engine, "data-strategy-2026", "data-strategy-2025"),
        estimate=analyse_round(engine, "data-strategy-2025"),
        agreements=workshop_agreements.analyse_round(engine, "digital-governance-2026"),
    )


def _views(rounds: Rounds) -> Iterator[tuple[RoundAnalysis, OrganisationView]]:
    for analysis in (rounds.chosen, rounds.estimate):
        yield analysis, organisation_view(analysis, ORGANISATION)


def _radar(rounds: Rounds, lang: str) -> list[go.Figure]:
    """With the peer group (as a report shows it when the group is large enough) and without."""
    figures = []
    for analysis, view in _views(rounds):
        figures += [
            charts.radar(view.dimensions, analysis.instrument, view.peers, lang),
            charts.radar(view.dimensions, analysis.instrument, None, lang),
        ]
    return figures


def _diverging_likert(rounds: Rounds, lang: str) -> list[go.Figure]:
    """The dimension with the most statements in one chart with its legend (the notebook's),
    and its first three without (the report's, which writes the legend as text)."""
    figures = []
    for analysis, view in _views(rounds):
        largest = view.items["dimension_id"].value_counts().idxmax()
        items = view.items[view.items["dimension_id"] == largest]
        figures += [
            charts.diverging_likert(items, analysis.instrument, lang),
            charts.diverging_likert(items.head(3), analysis.instrument, lang, legend=False),
        ]
    return figures


def _level_ladder(rounds: Rounds, lang: str) -> list[go.Figure]:
    """The first dimension's ladder with levels chosen and with levels estimated."""
    figures = []
    for analysis, view in _views(rounds):
        first = analysis.instrument.dimensions[0].id
        row = dimension_level_row(view, first)
        figures.append(
            charts.level_ladder(view.level_distribution, row, analysis.instrument, first, lang)
        )
    return figures


def _trend(rounds: Rounds, lang: str) -> list[go.Figure]:
    view = organisation_view(rounds.chosen, ORGANISATION)
    assert not view.change.empty
    return [charts.trend(view.change, rounds.chosen.instrument, lang)]


def _distribution(rounds: Rounds, lang: str) -> list[go.Figure]:
    return [
        charts.distribution(a.scores, a.instrument, lang) for a in (rounds.chosen, rounds.estimate)
    ]


def _heatmap(rounds: Rounds, lang: str) -> list[go.Figure]:
    """Mean per organisation and dimension, as the analysis notebook shows it."""
    analysis = rounds.chosen
    names = dict(
        zip(analysis.organisations["organisation_id"], analysis.organisations["name"], strict=True)
    )
    labels = {d.id: d.label.get(lang) for d in analysis.instrument.dimensions}
    matrix = analysis.dimensions.pivot(
        index="organisation_id", columns="dimension_id", values="mean"
    )
    matrix = matrix.rename(index=names, columns=labels)[list(labels.values())]
    return [
        charts.heatmap(
            matrix, "Gemiddelde score per organisatie en dimensie", analysis.instrument, lang
        )
    ]


def _agreement_distribution(rounds: Rounds, lang: str) -> list[go.Figure]:
    """Both aspects of the largest team, as its workshop report shows them."""
    analysis = rounds.agreements
    largest = analysis.teams.sort_values(["n_respondents", "team_id"]).iloc[-1]["team_id"]
    team = analysis.team(largest)
    assert not team.suppressed
    instrument = analysis.instrument
    return [charts.agreement_distribution(team.distribution, instrument, a, lang) for a in ASPECTS]


EXAMPLES: dict[str, Callable[[Rounds, str], list[go.Figure]]] = {
    "radar": _radar,
    "diverging_likert": _diverging_likert,
    "level_ladder": _level_ladder,
    "trend": _trend,
    "distribution": _distribution,
    "heatmap": _heatmap,
    "agreement_distribution": _agreement_distribution,
}


def figures(name: str, rounds: Rounds, lang: str) -> list[go.Figure]:
    """The example figures of chart ``name`` in ``lang``."""
    made = EXAMPLES[name](rounds, lang)
    assert made and all(isinstance(f, go.Figure) for f in made), name
    return made

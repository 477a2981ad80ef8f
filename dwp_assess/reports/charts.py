"""Plotly figures for reports and notebooks, in one colour-blind-safe palette.

Every function takes tidy DataFrames (from ``profiles``) and returns a
``plotly.graph_objects.Figure``; labels come from the instrument (Dutch by
default, ``lang="en"`` for English) and the message catalogue.
Palette: Okabe & Ito (2008), distinguishable with the common colour-vision deficiencies.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import DIKW_STAGES, Instrument

OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}
# Diverging scale for Likert answers: disagreement warm, agreement blue, neutral grey.
LIKERT_COLOURS = ["#D55E00", "#E69F00", "#BBBBBB", "#56B4E9", "#0072B2"]
FONT = dict(family="DejaVu Sans, Arial, sans-serif", size=13)


def _layout(fig: go.Figure, title: str, height: int = 460, **extra) -> go.Figure:
    """Shared look; an explicit height, because report pages size figures by it."""
    settings = {"margin": dict(l=40, r=30, t=60, b=40)} | extra
    fig.update_layout(title=title, font=FONT, template="plotly_white", height=height, **settings)
    return fig


def _dimension_labels(instrument: Instrument, lang: str) -> dict[str, str]:
    return {d.id: d.label.get(lang) for d in instrument.dimensions}


def radar(
    dimensions: pd.DataFrame,
    instrument: Instrument,
    peers: pd.DataFrame | None = None,
    lang: str = "nl",
) -> go.Figure:
    """Mean score per dimension of one organisation, against its peer group where shown."""
    labels = _dimension_labels(instrument, lang)
    order = [d.id for d in instrument.dimensions]
    own = dimensions.set_index("dimension_id").reindex(order)
    theta = [labels[d] for d in order]
    fig = go.Figure()
    fig.add_trace(go.Scatterpolar(r=own["mean"].round(2).tolist(), theta=theta, fill="toself",
                                  name=t("chart.own_organisation", lang), line_color=OKABE_ITO["blue"]))  # fmt: skip
    if peers is not None and len(peers) and not peers["suppressed"].all():
        peer = peers.set_index("dimension_id").reindex(order)
        fig.add_trace(go.Scatterpolar(r=peer["mean"].round(2).tolist(), theta=theta,
                                      name=t("chart.peer_group", lang), line=dict(color=OKABE_ITO["orange"], dash="dash")))  # fmt: skip
    scale = instrument.scales[0]
    fig.update_polars(radialaxis=dict(range=[scale.min, scale.max], dtick=1))
    return _layout(fig, t("chart.radar_title", lang), showlegend=True)


def diverging_likert(items: pd.DataFrame, instrument: Instrument, lang: str = "nl") -> go.Figure:
    """Answer distribution per item as diverging stacked bars (shares of the answers given).

    Disagreeing answers extend left of zero, agreeing ones right; the middle
    category is split evenly over both sides (Robbins & Heiberger, 2011).
    """
    scale = instrument.scale_by_id[instrument.items[0].scale]
    points = [p.value for p in scale.points]
    counts = items.set_index("item_id")[[f"n_{p}" for p in points]].astype(float)
    shares = counts.div(counts.sum(axis=1).where(lambda s: s > 0), axis=0).fillna(0) * 100
    texts = {i.id: i.text.get(lang) for i in instrument.items}
    y = [_short(texts[i]) for i in shares.index]
    middle = len(points) // 2 if len(points) % 2 else None
    fig = go.Figure()
    for n, point in enumerate(scale.points):
        share = shares[f"n_{point.value}"]
        if n == middle:
            parts = [(-share / 2, True), (share / 2, False)]
        else:
            parts = [(-share if n < len(points) / 2 else share, True)]
        for values, legend in parts:
            fig.add_trace(go.Bar(y=y, x=values.round(1).tolist(), orientation="h", name=point.label.get(lang),
                                 marker_color=LIKERT_COLOURS[n % len(LIKERT_COLOURS)], showlegend=legend,
                                 legendgroup=str(point.value), hovertemplate="%{y}: %{customdata:.0f}%",
                                 customdata=share.round(1).tolist()))  # fmt: skip
    fig.update_layout(barmode="relative", xaxis=dict(title=t("chart.share_of_answers", lang), range=[-100, 100]),
                      legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom", traceorder="normal"))  # fmt: skip
    return _layout(fig, "", height=170 + 30 * len(y), margin=dict(l=40, r=30, t=40, b=50))


def distribution(scores: pd.DataFrame, instrument: Instrument, lang: str = "nl") -> go.Figure:
    """Box plots of respondent scores per dimension: median, quartiles and outliers."""
    labels = _dimension_labels(instrument, lang)
    fig = go.Figure()
    for n, dim in enumerate(instrument.dimensions):
        values = scores.loc[scores["dimension_id"] == dim.id, "score"].dropna()
        colour = list(OKABE_ITO.values())[n % len(OKABE_ITO)]
        fig.add_trace(go.Box(y=values.round(2).tolist(), name=labels[dim.id], marker_color=colour, boxmean=True))  # fmt: skip
    fig.update_layout(yaxis=dict(title=t("chart.score", lang), range=[0.8, 5.2]), showlegend=False)
    return _layout(fig, t("chart.distribution_title", lang))


def _short(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def heatmap(
    matrix: pd.DataFrame, title: str, lang: str = "nl", zmin: float = 1, zmax: float = 5
) -> go.Figure:
    """A rows × columns heatmap, e.g. items × organisations (means) or anonymised respondents."""
    fig = go.Figure(go.Heatmap(z=matrix.to_numpy(), x=[str(c) for c in matrix.columns], y=[str(i) for i in matrix.index],
                               zmin=zmin, zmax=zmax, colorscale="Cividis", colorbar=dict(title=t("chart.score", lang))))  # fmt: skip
    return _layout(fig, title, height=180 + 20 * len(matrix))


def coverage_matrix(coverage: pd.DataFrame, instrument: Instrument, lang: str = "nl") -> go.Figure:
    """Competence × DIKW stage for one team: met, not met, or not needed at that stage."""
    order = [d.id for d in instrument.dimensions]
    met = coverage.pivot_table(
        index="dimension_id", columns="dikw_stage", values="met", aggfunc="first"
    )
    met = met.reindex(index=order, columns=list(DIKW_STAGES)).astype(float)
    words = {1.0: t("chart.met", lang), 0.0: t("chart.not_met", lang)}
    text = met.map(lambda v: words.get(v, t("chart.not_needed", lang)))
    labels = _dimension_labels(instrument, lang)
    fig = go.Figure(go.Heatmap(z=met.fillna(-1).to_numpy(), x=[t(f"chart.stage.{s}", lang) for s in DIKW_STAGES],
                               y=[labels[d] for d in order], text=text.to_numpy(), texttemplate="%{text}",
                               zmin=-1, zmax=1, showscale=False,
                               colorscale=[[0, "#F2F2F2"], [0.5, OKABE_ITO["vermillion"]], [1, OKABE_ITO["green"]]]))  # fmt: skip
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, t("chart.coverage_title", lang), height=440)


def trend(change: pd.DataFrame, instrument: Instrument, lang: str = "nl") -> go.Figure:
    """Change in mean score per dimension since the previous round, with 95% intervals;
    bars whose interval includes zero are grey ("no reliable change")."""
    labels = _dimension_labels(instrument, lang)
    frame = change.assign(label=change["dimension_id"].map(labels))
    colours = [OKABE_ITO["blue"] if r else OKABE_ITO["grey"] for r in frame["reliable"]]
    fig = go.Figure(go.Bar(x=frame["difference"].round(2).tolist(), y=frame["label"].tolist(), orientation="h",
                           marker_color=colours,
                           error_x=dict(type="data", symmetric=False,
                                        array=(frame["ci_high"] - frame["difference"]).round(2).tolist(),
                                        arrayminus=(frame["difference"] - frame["ci_low"]).round(2).tolist())))  # fmt: skip
    fig.add_vline(x=0, line_color="#333333")
    fig.update_layout(xaxis_title=t("chart.change_axis", lang))
    return _layout(fig, t("chart.trend_title", lang), height=140 + 40 * len(frame))

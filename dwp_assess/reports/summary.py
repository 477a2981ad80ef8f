"""The management summary (bestuurlijke samenvatting): a short, printable second output per
organisation for the college, council or management team.

Page 1 answers "where do we stand and what do we do first" on its own ("in één oogopslag"):
one headline sentence, every dimension in a compact level grid (the report's level names and
order), the first actions in the one order the report also uses (``recommend.first_actions``)
with owner and horizon, and in words the position against peers and the change since the
last round. The pages after it give each dimension's level with its spread and next step,
the changes, response and agreement, and the colophon (who made it, for whom, when). It is
rendered from the round's saved analysis in the report worker, right after the full report,
with a jinja2 template (autoescaped); its "charts" are HTML and CSS, so the page needs no
script and stays small (``docs/scoring.md`` states every rule it repeats).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from dwp_assess import __version__, locale
from dwp_assess.analysis.profiles import OrganisationView, RoundAnalysis, organisation_view
from dwp_assess.analysis.recommend import first_actions, rules_for
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import Instrument
from dwp_assess.reports.html import render, stylesheet
from dwp_assess.reports.sections import closing
from dwp_assess.reports.sections.advice import first_action_items
from dwp_assess.reports.sections.common import round_subtitle
from dwp_assess.reports.sections.levels import (
    dimension_level_row,
    level_band,
    level_basis_of,
    level_label,
    level_text,
)
from dwp_assess.reports.sections.organisation import peer_kind_words, peer_note


@dataclass
class Rung:
    """One dimension's row in the level grid: the levels, which is the organisation's, and the
    spread (the middle half of the chosen levels) or the uncertainty (an estimate's interval)."""

    label: str
    level_text: str
    cells: list[dict]
    next_step: str


def ladder(view: OrganisationView, instrument: Instrument, lang: str) -> list[Rung]:
    """Per dimension, in the instrument's order, the levels with the position marked."""
    rungs = []
    for dim in instrument.dimensions:
        row = dimension_level_row(view, dim.id)
        at = int(row["level"]) if row is not None and pd.notna(row["level"]) else None
        low, high = level_band(view, row)
        cells = [
            {
                "level": lv.level,
                "name": lv.label.get(lang),
                "at": lv.level == at,
                "band": low is not None and low <= lv.level <= high,
            }
            for lv in instrument.scoring.levels
        ]
        following = dim.level_descriptors.get(at + 1) if at is not None else None
        rungs.append(
            Rung(
                dim.label.get(lang),
                level_text(row, instrument, lang, view),
                cells,
                following.get(lang) if following else "",
            )
        )
    return rungs


def headline(view: OrganisationView, instrument: Instrument, actions: list[dict], lang: str) -> str:
    """One sentence on where the organisation stands: the level most of its dimensions are at
    (the lower one on a tie), the range of its levels, and what to take on first."""
    levels = [int(v) for v in view.levels["level"].dropna()] if len(view.levels) else []
    name = view.organisation["name"]
    if not levels:
        return t("summary.headline_none", lang, name=name)
    counts = Counter(levels)
    level, count = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    label = level_label(instrument, level, lang)
    values = dict(
        name=name, level=label, count=count, total=len(levels), low=min(levels), high=max(levels)
    )
    key = "summary.headline_all" if count == len(levels) else "summary.headline"
    text = t(key, lang, **values)
    if actions:
        text += " " + t("summary.headline_first", lang, dimension=actions[0]["dimension"])
    return text


def peers_sentence(view: OrganisationView, instrument: Instrument, lang: str) -> str:
    """The position against the peer group in words: the dimensions clearly below or above
    (the group's mean outside the organisation's own 95% interval), the rest about equal;
    says that the group's mean counts the organisation itself, or why there is no comparison."""
    peers = view.peers[~view.peers["suppressed"].astype(bool)] if len(view.peers) else view.peers
    if peers.empty:
        return peer_note(view.meta, lang)
    group = peers.set_index("dimension_id")["mean"]
    own = view.mean_intervals().set_index("dimension_id")
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    compared = [d.id for d in instrument.dimensions if d.id in group.index and d.id in own.index]
    below = [labels[d] for d in compared if own.loc[d, "high"] < group[d]]
    above = [labels[d] for d in compared if own.loc[d, "low"] > group[d]]
    kind = peer_kind_words(view.meta, lang)
    parts = [
        t("summary.peers_below", lang, dimensions=", ".join(below)) if below else "",
        t("summary.peers_above", lang, dimensions=", ".join(above)) if above else "",
        _within(len(compared) - len(below) - len(above), len(compared), "summary.peers_same", lang),
    ]
    return t(
        "summary.peers",
        lang,
        n=view.meta["peer_n"],
        kind=kind,
        parts="; ".join(p for p in parts if p),
    )


def _within(count: int, total: int, key: str, lang: str) -> str:
    """On how many of ``total`` dimensions a difference is within the uncertainty; nothing
    when none is (a reader is never told "op 0 van de 9")."""
    return t(key, lang, count=count, total=total) if count else ""


def change_sentence(view: OrganisationView, instrument: Instrument, lang: str) -> str:
    """The change since the previous round in words: nothing to compare with when there was no
    previous round or the organisation did not take part in it; else which dimensions changed
    reliably, up and down, and on how many the difference is within the uncertainty."""
    previous = view.meta.get("previous_period") or view.meta.get("previous_round_id")
    if not previous:
        return t("report.no_previous", lang)
    if view.change.empty:
        return t("summary.not_in_previous", lang, previous=previous)
    reliable = view.change[view.change["reliable"].astype(bool)]
    if reliable.empty:
        return t("summary.no_change", lang, previous=previous)
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    up = [labels.get(d, d) for d in reliable.loc[reliable["difference"] > 0, "dimension_id"]]
    down = [labels.get(d, d) for d in reliable.loc[reliable["difference"] < 0, "dimension_id"]]
    parts = [
        t("summary.changed_up", lang, dimensions=", ".join(up)) if up else "",
        t("summary.changed_down", lang, dimensions=", ".join(down)) if down else "",
        _within(len(view.change) - len(reliable), len(view.change), "summary.changed_rest", lang),
    ]
    return t("summary.changed", lang, previous=previous, parts="; ".join(p for p in parts if p))


def changes(view: OrganisationView, instrument: Instrument, lang: str) -> list[str]:
    """The reliable changes since the previous round, as sentences (empty: none)."""
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    reliable = (
        view.change[view.change["reliable"].astype(bool)] if len(view.change) else view.change
    )
    return [
        t(
            "summary.change_line",
            lang,
            dimension=labels[r.dimension_id],
            direction=t("summary.up" if r.difference > 0 else "summary.down", lang),
            difference=locale.number(r.difference, 2, lang, signed=True),
            interval=locale.interval(r.ci_low, r.ci_high, 2, lang),
        )
        for r in reliable.itertuples()
    ]


def reliability_paragraph(view: OrganisationView, instrument: Instrument, lang: str) -> str:
    """Response, and on how many dimensions the respondents agree (the words of
    ``OrganisationView.agreement_bands``, as the report uses them)."""
    r = view.response
    response = t(
        "summary.response",
        lang,
        n=int(r.get("responses", 0)),
        invited=int(r["invited"]) if pd.notna(r.get("invited")) else "?",
        rate=locale.percent(r.get("response_rate"), lang),
    )
    bands = view.agreement_bands()["band"]
    agreed, total = int(bands.isin(["strong", "very_strong"]).sum()), len(instrument.dimensions)
    key = (
        "summary.agreement_none"
        if agreed == 0
        else "summary.agreement_all"
        if agreed == total
        else "summary.agreement"
    )
    return response + " " + t(key, lang, agreed=agreed, total=total)


def summary_html(
    view: OrganisationView,
    instrument: Instrument,
    lang: str,
    synthetic: bool = False,
    colophon: dict | None = None,
) -> str:
    """The management summary of one organisation as one self-contained HTML page;
    ``colophon`` holds the sender and contact (``project.Settings``)."""
    actions = first_action_items(first_actions(view, instrument, lang=lang), instrument, lang)
    own = rules_for(instrument)  # without rules no advice, and the page says so
    nothing = t("advice.none" if own and own.actions else "advice.no_rules", lang)
    basis = level_basis_of(view)
    previous = view.meta.get("previous_period") or view.meta.get("previous_round_id")
    return render(
        "summary.html.j2",
        lang=lang,
        css=stylesheet(),
        version=__version__,
        title=t("summary.title", lang, name=view.organisation["name"]),
        subtitle=round_subtitle(view.meta, instrument, lang),
        synthetic=t("report.synthetic_warning", lang)
        if synthetic or view.meta.get("synthetic")
        else "",
        headline=headline(view, instrument, actions, lang),
        ladder=ladder(view, instrument, lang),
        grid_note=t(f"summary.grid_note_{basis}", lang),
        actions=actions,
        nothing=nothing,
        order=t("advice.order", lang),
        peers=peers_sentence(view, instrument, lang),
        change=change_sentence(view, instrument, lang),
        changes=changes(view, instrument, lang),
        previous=previous if len(view.change) else None,
        reliability=reliability_paragraph(view, instrument, lang),
        colophon=closing.colophon(
            view.meta, view.organisation["name"], instrument, lang, **(colophon or {})
        ),
        text=lambda key, **values: t(key, lang, **values),
    )


@cache
def _analysis(folder: str) -> RoundAnalysis:
    """A round's saved analysis, read once per worker process (every summary of the round
    uses the same one)."""
    return RoundAnalysis.load(Path(folder))


def write_summary(
    analysis_dir: str,
    organisation_id: str,
    lang: str,
    synthetic: bool,
    path: Path,
    colophon: dict | None = None,
) -> None:
    """Write the summary of ``organisation_id`` from the analysis in ``analysis_dir``."""
    analysis = _analysis(analysis_dir)
    view = organisation_view(analysis, organisation_id)
    path.write_text(
        summary_html(view, analysis.instrument, lang, synthetic, colophon), encoding="utf-8"
    )

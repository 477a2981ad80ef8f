"""The management summary (bestuurlijke samenvatting): a short, printable second output per
organisation for the college, council or management team.

Two to four A4 pages: where the organisation stands on each dimension's ladder, the top
priorities with their actions and owners, the change since the last round, and one
paragraph on response and reliability. It is rendered from the round's saved analysis in
the report worker, right after the full report, with a jinja2 template (autoescaped); its
"charts" are HTML and CSS, so the page needs no script, shows no chart toolbar and stays
small (``docs/scoring.md`` states every rule it repeats).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from dwp_assess import __version__
from dwp_assess.analysis.profiles import OrganisationView, RoundAnalysis, organisation_view
from dwp_assess.analysis.recommend import recommend_organisation
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import Instrument
from dwp_assess.reports import sections
from dwp_assess.reports.html import render, stylesheet

TOP_ACTIONS = 3


@dataclass
class Rung:
    """One dimension's ladder: the levels, which is the organisation's, and the band of
    uncertainty around it (the middle half of chosen levels, or the estimate's interval)."""

    label: str
    level_text: str
    cells: list[dict]
    next_step: str


def ladder(view: OrganisationView, instrument: Instrument, lang: str) -> list[Rung]:
    """Per dimension the five levels with the position marked (``sections.level_text``)."""
    levels = [lv.level for lv in instrument.scoring.levels]
    rungs = []
    for dim in instrument.dimensions:
        row = sections.dimension_level_row(view, dim.id)
        at = int(row["level"]) if row is not None and pd.notna(row["level"]) else None
        low, high = _band(row)
        cells = [{"level": n, "name": lv.label.get(lang), "at": n == at,
                  "band": low is not None and low <= n <= high} for n, lv in zip(levels, instrument.scoring.levels, strict=True)]  # fmt: skip
        following = dim.level_descriptors.get(at + 1) if at is not None else None
        rungs.append(Rung(dim.label.get(lang), sections.level_text(row, instrument, lang), cells,
                          following.get(lang) if following else ""))  # fmt: skip
    return rungs


def _band(row: pd.Series | None) -> tuple[float | None, float | None]:
    if row is None or pd.isna(row["level"]):
        return None, None
    low, high = (row["q1"], row["q3"]) if row["level_basis"] == "chosen" else (row["level_low"], row["level_high"])  # fmt: skip
    return (None, None) if pd.isna(low) or pd.isna(high) else (float(low), float(high))


def changes(view: OrganisationView, instrument: Instrument, lang: str) -> list[str]:
    """The reliable changes since the previous round, as sentences (empty: none)."""
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    reliable = view.change[view.change["reliable"]] if len(view.change) else view.change
    return [
        t(
            "summary.change_line",
            lang,
            dimension=labels[r.dimension_id],
            direction=t("summary.up" if r.difference > 0 else "summary.down", lang),
            difference=sections.number(r.difference, 2, lang, signed=True),
            low=sections.bound(r.ci_low, 2, lang),
            high=sections.bound(r.ci_high, 2, lang),
        )  # fmt: skip
        for r in reliable.itertuples()
    ]


def reliability_paragraph(view: OrganisationView, instrument: Instrument, lang: str) -> str:
    """Response, and how many dimensions the respondents agree on (in words)."""
    r = view.response
    response = t("summary.response", lang, n=int(r.get("responses", 0)),
                 invited=int(r["invited"]) if pd.notna(r.get("invited")) else "?",
                 rate=sections.percent(r.get("response_rate"), lang))  # fmt: skip
    bands = view.agreement["band"].fillna("undetermined") if len(view.agreement) else pd.Series(dtype=str)  # fmt: skip
    agreed = int(bands.isin(["strong", "very_strong"]).sum())
    return response + " " + t("summary.agreement", lang, agreed=agreed, total=len(instrument.dimensions))  # fmt: skip


def summary_html(view: OrganisationView, instrument: Instrument, lang: str, synthetic: bool = False) -> str:  # fmt: skip
    """The management summary of one organisation as one self-contained HTML page."""
    advice = recommend_organisation(view, instrument, lang=lang).head(TOP_ACTIONS)
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    actions = [{"dimension": labels[a.dimension_id], "action": a.action, "owner": a.owner,
                "horizon": t(f"advice.horizon.{a.horizon}", lang), "tool": a.tool,
                "target": a.target, "reasons": "; ".join(a.reasons)} for a in advice.itertuples()]  # fmt: skip
    previous = view.meta.get("previous_period") or view.meta.get("previous_round_id")
    return render("summary.html.j2", lang=lang, css=stylesheet(), version=__version__,
                  title=t("summary.title", lang, name=view.organisation["name"]),
                  subtitle=sections.round_subtitle(view.meta, instrument, lang),
                  synthetic=t("report.synthetic_warning", lang) if synthetic or view.meta.get("synthetic") else "",
                  ladder=ladder(view, instrument, lang), actions=actions,
                  changes=changes(view, instrument, lang), previous=previous,
                  reliability=reliability_paragraph(view, instrument, lang),
                  text=lambda key, **values: t(key, lang, **values))  # fmt: skip


@cache
def _analysis(folder: str) -> RoundAnalysis:
    """A round's saved analysis, read once per worker process (every summary of the round
    uses the same one)."""
    return RoundAnalysis.load(Path(folder))


def write_summary(analysis_dir: str, organisation_id: str, lang: str, synthetic: bool, path: Path) -> None:  # fmt: skip
    """Write the summary of ``organisation_id`` from the analysis in ``analysis_dir``."""
    analysis = _analysis(analysis_dir)
    view = organisation_view(analysis, organisation_id)
    path.write_text(summary_html(view, analysis.instrument, lang, synthetic), encoding="utf-8")

"""The reflection and agreements list of one team (output ``agreements``), as safe HTML.

``notebooks/agreements_report.ipynb`` calls ``report`` for the team it is run for and
displays what it returns (charts included; the provenance comes from ``sections.closing``). The markup is in the jinja2 template
``templates/agreements.html.j2`` (autoescaped: every text a respondent, registry or instrument
file holds is escaped); this module only turns the team's tables (``analysis.agreements``)
into rows of already formatted texts: numbers in the language's format, labels from the
instrument, sentences from the message catalogue. The six steps of the workshop are the
report's agenda; per step the template shows what the team's answers say.
"""

from __future__ import annotations

import jinja2
import pandas as pd

from dwp_assess.analysis.rater_agreement import words_for_agreement
from dwp_assess.analysis.workshop_agreements import (
    DONT_KNOW,
    PRIORITY_MIN_GAP,
    TeamAgreements,
    is_divided,
)
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import ASPECTS, Instrument
from dwp_assess.locale import MISSING, interval, number
from dwp_assess.reports import charts
from dwp_assess.reports.html import macro, render
from dwp_assess.reports.sections.common import Html, chart, round_subtitle

STEPS = 6  # the workshop's steps (agreements.step.1 … 6 in the message catalogue)
OWN_ROWS = 3  # empty rows under the draft list for agreements the team adds itself


def _labels(instrument: Instrument, lang: str) -> dict[str, str]:
    """The report's headings and notes; the notes name the instrument's scale ("1–5")."""
    keys = [
        "agenda",
        "foundation",
        "principle",
        "value",
        "values_of",
        "relevance",
        "safeguarding",
        "answered",
        "dont_know",
        "median",
        "mean",
        "gap",
        "agreement",
        "reflection",
        "reflection_note",
        "priorities",
        "no_priorities",
        "disagreement",
        "no_disagreement",
        "proposals",
        "no_proposals",
        "list",
        "list_note",
        "what",
        "who",
        "when",
        "why",
        "starting_points",
        "empty_row",
        "methods",
    ]
    scale = interval(*instrument.scored_range, 0, lang)
    return {k: t(f"agreements.{k}", lang, range=scale) for k in keys}


def _steps(lang: str) -> list[dict]:
    return [
        {
            "n": n,
            "label": t("agreements.step", lang, n=n),
            "title": t(f"agreements.step.{n}", lang),
            "text": t(f"agreements.step.{n}.text", lang),
        }
        for n in range(1, STEPS + 1)
    ]


def _foundations(instrument: Instrument, lang: str) -> list[dict]:
    """Foundation → its principles → their values, in the instrument's order (step 1)."""
    return [
        {
            "label": f.label.get(lang),
            "principles": [
                {
                    "label": d.label.get(lang),
                    "values": [
                        v.label.get(lang) for v in instrument.public_values if v.dimension == d.id
                    ],
                }
                for d in instrument.dimensions
                if d.foundation == f.id
            ],
        }
        for f in instrument.foundations
    ]


def _agreement_word(rwg, lang: str) -> str:
    if rwg is None or pd.isna(rwg):
        return MISSING
    word = words_for_agreement(min(max(float(rwg), 0.0), 1.0), lang)["word"].iloc[0]
    return f"{word} ({number(rwg, 2, lang)})"


def _count(value) -> str:
    return MISSING if value is None or pd.isna(value) else str(int(value))


def _reflection_rows(team: TeamAgreements, instrument: Instrument, lang: str) -> list[dict]:
    """One row per value: both aspects' answered n, "weet ik niet", median, mean, agreement; the gap."""
    rows = []
    for r in team.values.sort_values("position").itertuples():
        aspects = [
            {
                "n": _count(getattr(r, f"n_{a}")),
                "dont_know": _count(getattr(r, f"dont_know_{a}")),
                "median": number(getattr(r, f"median_{a}"), 1, lang),
                "mean": number(getattr(r, f"mean_{a}"), 1, lang),
                "agreement": _agreement_word(getattr(r, f"rwg_{a}"), lang),
            }
            for a in ASPECTS
        ]
        rows.append(
            {
                "value": instrument.value_by_id[r.value_id].label.get(lang),
                "principle": instrument.dimension_by_id[r.dimension_id].label.get(lang),
                "aspects": aspects,
                "gap": number(r.gap, 1, lang, signed=True),
                "priority": bool(r.priority),
                "disagreement": bool(r.disagreement),
            }
        )
    return rows


def _priority_rows(team: TeamAgreements, instrument: Instrument, lang: str) -> list[dict]:
    listed = team.agreements[team.agreements["reason"] == "priority"]
    return [
        {
            "value": instrument.value_by_id[r.value_id].label.get(lang),
            "principle": instrument.dimension_by_id[r.dimension_id].label.get(lang),
            "line": t(
                "agreements.priority_line",
                lang,
                relevance=number(r.mean_relevance, 1, lang),
                safeguarding=number(r.mean_safeguarding, 1, lang),
                gap=number(r.gap, 1, lang),
            ),
        }
        for r in listed.itertuples()
    ]


def _disagreement_rows(team: TeamAgreements, instrument: Instrument, lang: str) -> list[dict]:
    """Every value the team is divided on (priorities included), with the range of answers."""
    divided = team.values[team.values["disagreement"]].sort_values("position")
    rows = []
    for r in divided.itertuples():
        lines = []
        for aspect in ASPECTS:
            rwg = getattr(r, f"rwg_{aspect}")
            if is_divided(pd.Series([rwg])).iloc[0]:
                low, high = _answer_range(team, r.value_id, aspect, instrument, lang)
                lines.append(
                    t(
                        "agreements.disagreement_line",
                        lang,
                        aspect=t(f"agreements.{aspect}", lang),
                        low=low,
                        high=high,
                        rwg=number(rwg, 2, lang),
                    )
                )
        rows.append({"value": instrument.value_by_id[r.value_id].label.get(lang), "lines": lines})
    return rows


def _answer_range(
    team: TeamAgreements, value_id: str, aspect: str, instrument: Instrument, lang: str
) -> tuple[str, str]:
    """The lowest and the highest answer given, as the scale's labels."""
    counts = team.distribution
    given = counts[
        (counts["value_id"] == value_id)
        & (counts["aspect"] == aspect)
        & (counts["answer"] != DONT_KNOW)
    ]
    scale = instrument.scale_of(instrument.value_item(value_id, aspect).id)
    labels = {str(p.value): p.label.get(lang) for p in scale.points}
    points = sorted(given["answer"].astype(int))
    return labels[str(points[0])], labels[str(points[-1])]


def _proposals(team: TeamAgreements, instrument: Instrument) -> dict[str, list[tuple[str, int]]]:
    """Principle id → its grouped proposals (text, how often)."""
    return {
        d: list(zip(g["text"], g["n"], strict=True))
        for d, g in team.proposals.groupby("dimension_id")
    }


def _list_rows(team: TeamAgreements, instrument: Instrument, lang: str) -> list[dict]:
    """The draft agreements list: per listed value what (starting points of that value: what
    the value asks, from its description, and the team's proposals for its principle, listed
    at the principle's first value and referred to at the others, never repeated), why on the
    list; who and when stay empty for the workshop."""
    proposals = _proposals(team, instrument)
    first_of: dict[str, str] = {}
    rows = []
    for r in team.agreements.itertuples():
        value = instrument.value_by_id[r.value_id]
        label = value.label.get(lang)
        points = (
            [t("agreements.value_goal", lang, text=value.description.get(lang))]
            if value.description
            else []
        )
        texts = [text for text, _ in proposals.get(r.dimension_id, [])]
        if texts and r.dimension_id in first_of:
            points.append(t("agreements.proposals_at", lang, value=first_of[r.dimension_id]))
        elif texts:
            first_of[r.dimension_id] = label
            points += texts
        rows.append(
            {
                "value": label,
                "principle": instrument.dimension_by_id[r.dimension_id].label.get(lang),
                "why": t(f"agreements.reason.{r.reason}", lang),
                "starting_points": points,
            }
        )
    return rows


def report(
    team: TeamAgreements,
    instrument: Instrument,
    lang: str,
    organisation: str,
    synthetic: bool = False,
    name: str | None = None,
) -> Html:
    """The whole report of one team but its charts and provenance: header, agenda, the six
    steps with what the answers say, the draft agreements list and how it was made."""
    invited, n = team.team["invited"], int(team.team["n_respondents"])
    response = (
        t("agreements.response", lang, n=n, invited=int(invited))
        if pd.notna(invited) and invited
        else t("agreements.response_no_invited", lang, n=n)
    )
    minimum = int(team.meta["min_group_size"])
    proposals = _proposals(team, instrument)
    html = render(
        "agreements.html.j2",
        title=t("agreements.title", lang, team=name or team.team["name"]),
        subtitle=f"{organisation} · {round_subtitle(team.meta, instrument, lang)}",
        synthetic=t("report.synthetic_warning", lang)
        if synthetic or team.meta.get("synthetic")
        else "",
        response=response,
        suppressed=t("agreements.suppressed", lang, minimum=minimum) if team.suppressed else "",
        intro=t("agreements.intro", lang),
        steps=_steps(lang),
        labels=_labels(instrument, lang),
        foundations=_foundations(instrument, lang),
        reflection=_reflection_rows(team, instrument, lang),
        priority_rule=t("agreements.priority_rule", lang, gap=number(PRIORITY_MIN_GAP, 0, lang)),
        priorities=_priority_rows(team, instrument, lang),
        disagreements=_disagreement_rows(team, instrument, lang),
        proposals=[
            {"principle": d.label.get(lang), "texts": proposals.get(d.id, [])}
            for d in instrument.dimensions
        ],
        agreements=_list_rows(team, instrument, lang),
        own_rows=range(OWN_ROWS),
        methods=t(
            "agreements.methods_text",
            lang,
            minimum=minimum,
            range=interval(*instrument.scored_range, 0, lang),
        ),
        charts={a: _chart(team, instrument, a, lang) for a in ASPECTS},
        times=lambda k: t("report.times", lang, n=k),
    )
    return Html(html)


def _chart(
    team: TeamAgreements, instrument: Instrument, aspect: str, lang: str
) -> jinja2.utils.markupsafe.Markup:
    """One aspect's distribution per value as an embedded figure; nothing for a small team."""
    if team.suppressed or team.distribution.empty:
        return jinja2.utils.markupsafe.Markup("")
    figure = charts.agreement_distribution(team.distribution, instrument, aspect, lang)
    return macro("figure")(chart(figure, lang))

"""The project-plan draft of one collaboration, as plain values for the HTML page and the Word file.

``plan_view`` selects one collaboration from the round's ``CollaborationAnalysis`` and words
it in one language: the parties (organisation names, the lead marked; never respondents), and
per theme (dimension) each party's answer to every point, what is settled, what is open, the
points the parties disagree on with the parties named per side, the tasks with their owner
party, and the parties' explanations. The HTML section (``html_sections``, template
``project_plan.html.j2``) and the Word document (``plan_docx``) present the same view, so they
never say different things.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from dwp_assess.analysis.collaboration_positions import (
    DIVIDED,
    NOT_APPLICABLE,
    OPEN,
    SETTLED,
    CollaborationAnalysis,
)
from dwp_assess.instruments.messages import t, t_count
from dwp_assess.instruments.model import Instrument
from dwp_assess.reports.html import render
from dwp_assess.reports.sections.common import Html, round_subtitle


@dataclass
class PointView:
    id: str
    number: str  # "2.3": theme 2, its third point; the same number everywhere in the plan
    text: str
    tip: str
    answers: list[tuple[str, str]]  # (party name, its answer) in party order
    answer: str = ""  # a settled fact: the answer all parties give
    reason: str = ""  # why the parties disagree
    sides: list[tuple[str, list[str]]] = field(default_factory=list)  # answer → parties giving it
    owners: list[str] = field(default_factory=list)
    owner_basis: str = ""
    notes: list[tuple[str, list[str]]] = field(default_factory=list)  # party → its explanations
    task: str = (
        ""  # the point worded as a task: the item's ``task`` (fact questions), else its text
    )


@dataclass
class ThemeView:
    id: str
    number: int  # 1, 2, ...: its points are numbered within it (1.1, 1.2, ...)
    label: str
    description: str
    points: list[PointView]
    settled: list[PointView]
    open: list[PointView]
    not_applicable: list[PointView]
    disagreements: list[PointView]
    tasks: list[PointView]


@dataclass
class PlanView:
    collaboration_id: str
    title: str
    subtitle: str
    issue: str
    parties: list[str]  # party names, in order (the lead first)
    party_lines: list[str]
    themes: list[ThemeView]
    synthetic: bool
    lang: str
    collaboration: str = (
        ""  # the collaboration's title (the plan's title says "Conceptprojectplan: …")
    )


def answer_label(instrument: Instrument, item_id: str, value, code, lang: str) -> str:
    """A party's answer in words: the scale's label of its value or special option,
    "intern verschillend beantwoord" for a divided organisation, else "geen antwoord"."""
    scale = instrument.scale_of(item_id)
    if value is not None and pd.notna(value):
        return next(p.label.get(lang) for p in scale.points if p.value == int(value))
    if isinstance(code, str) and code == DIVIDED:
        return t("project_plan.divided", lang)
    if isinstance(code, str):
        return next((s.label.get(lang) for s in scale.special if s.code == code), code)
    return t("project_plan.no_answer", lang)


def _party_line(name: str, counted: int, lead: bool, lang: str) -> str:
    """One party of the collaboration: how many of its representatives answered, and the lead."""
    line = (
        t_count("project_plan.party_response", counted, lang, name=name, n=counted)
        if counted
        else t("project_plan.party_silent", lang, name=name)
    )
    return line + (f" ({t('project_plan.lead', lang)})" if lead else "")


def plan_view(
    analysis: CollaborationAnalysis, collaboration_id: str, lang: str, synthetic: bool = False
) -> PlanView:
    """The plan of one collaboration of the round in ``lang`` (see the module docstring)."""
    instrument = analysis.instrument
    head = analysis.collaborations.set_index("collaboration_id").loc[collaboration_id]
    names = analysis.organisations.set_index("organisation_id")["name"].to_dict()
    order = analysis.receivers()[collaboration_id]
    members = analysis.members[analysis.members["collaboration_id"] == collaboration_id].set_index(
        "organisation_id"
    )
    lead = head["lead_organisation_id"]
    party_lines = [
        _party_line(names[o], int(members.loc[o, "counted"]), o == lead, lang) for o in order
    ]
    own = {
        name: frame[frame["collaboration_id"] == collaboration_id]
        for name, frame in (
            ("points", analysis.points),
            ("positions", analysis.positions),
            ("tasks", analysis.tasks),
            ("notes", analysis.notes),
        )
    }
    themes = [
        _theme(instrument, dim, number, own, order, names, lang)
        for number, dim in enumerate(instrument.dimensions, 1)
    ]
    return PlanView(
        collaboration_id=collaboration_id,
        title=t("project_plan.title", lang, collaboration=head["title"]),
        subtitle=round_subtitle(analysis.meta, instrument, lang),
        issue=t("project_plan.issue", lang, issue=head["issue"])
        if isinstance(head["issue"], str) and head["issue"]
        else "",
        parties=[names[o] for o in order],
        party_lines=party_lines,
        themes=themes,
        synthetic=synthetic or bool(analysis.meta.get("synthetic")),
        lang=lang,
        collaboration=str(head["title"]),
    )


def _theme(
    instrument: Instrument,
    dim,
    number: int,
    own: dict[str, pd.DataFrame],
    order: list[str],
    names: dict,
    lang: str,
) -> ThemeView:
    """One theme with its points numbered within it ("2.1", "2.2", ...), each point under that
    number in every list of the plan."""
    points, by_state = [], {SETTLED: [], OPEN: [], NOT_APPLICABLE: []}
    disagreements, tasks = [], []
    for k, item in enumerate(instrument.items_of(dim.id), 1):
        row = own["points"][own["points"]["item_id"] == item.id].iloc[0]
        point = _point(instrument, item, f"{number}.{k}", row, own, order, names, lang)
        points.append(point)
        by_state[row["state"]].append(point)
        if row["disagreement"]:
            disagreements.append(point)
        if point.owners:
            tasks.append(point)
    return ThemeView(
        dim.id,
        number,
        dim.label.get(lang),
        dim.description.get(lang) if dim.description else "",
        points,
        by_state[SETTLED],
        by_state[OPEN],
        by_state[NOT_APPLICABLE],
        disagreements,
        tasks,
    )


def _point(
    instrument: Instrument,
    item,
    number: str,
    row: pd.Series,
    own: dict,
    order: list[str],
    names: dict,
    lang: str,
) -> PointView:
    positions = own["positions"][own["positions"]["item_id"] == item.id].set_index(
        "organisation_id"
    )
    answers = []
    for organisation in order:
        value, code = (
            (positions.loc[organisation, "value"], positions.loc[organisation, "code"])
            if organisation in positions.index
            else (None, None)
        )
        answers.append((names[organisation], answer_label(instrument, item.id, value, code, lang)))
    tasks = own["tasks"][own["tasks"]["item_id"] == item.id]
    notes = own["notes"][own["notes"]["item_id"] == item.id]
    return PointView(
        id=item.id,
        number=number,
        text=item.text.get(lang),
        task=item.task.get(lang) if item.task else item.text.get(lang),
        tip=item.tip.get(lang) if item.tip else "",
        answers=answers,
        answer=answer_label(instrument, item.id, row["value"], row["code"], lang)
        if row["state"] == SETTLED and row["question"] == "fact"
        else "",
        reason=t(f"project_plan.reason.{row['reason']}", lang) if row["disagreement"] else "",
        sides=_sides(answers) if row["disagreement"] else [],
        owners=[names[o] for o in order if o in set(tasks["organisation_id"])],
        owner_basis=t(f"project_plan.owner.{tasks['basis'].iloc[0]}", lang) if len(tasks) else "",
        notes=[  # a party's identical explanations once (two representatives may write the same)
            (names[o], list(dict.fromkeys(notes.loc[notes["organisation_id"] == o, "text"])))
            for o in order
            if (notes["organisation_id"] == o).any()
        ],
    )


def _sides(answers: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """The parties grouped by the answer they give (answers in the order first given)."""
    sides: dict[str, list[str]] = {}
    for party, answer in answers:
        sides.setdefault(answer, []).append(party)
    return list(sides.items())


def html_sections(view: PlanView, document_name: str | None = None) -> Html:
    """The plan's sections as HTML (``templates/project_plan.html.j2``, every value escaped)."""
    lang = view.lang
    return Html(
        render(
            "project_plan.html.j2",
            view=view,
            lang=lang,
            document_name=document_name,
            text=lambda key, **values: t(key, lang, **values),
        )
    )

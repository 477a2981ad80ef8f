"""The sections of the team profile: header with the response, coverage of competences
per DIKW stage, the members' grid (pseudonyms only), gaps and roles, and the session
agenda."""

from __future__ import annotations

import re

import pandas as pd

from dwp_assess.analysis.profiles import TeamView
from dwp_assess.analysis.recommend import recommend_team, rules_for
from dwp_assess.instruments.messages import t, t_count
from dwp_assess.instruments.model import DIKW_STAGES, Instrument
from dwp_assess.locale import number
from dwp_assess.reports.html import macro
from dwp_assess.reports.sections.common import (
    Html,
    _role_label,
    _section,
    agreement_cell,
    agreement_note,
    header,
    round_subtitle,
)


def team_header(
    view: TeamView,
    instrument: Instrument,
    organisation: str,
    lang: str,
    synthetic: bool = False,
    name: str | None = None,
) -> Html:
    """The team's name (``name``, else the registry's) and organisation, the instrument and
    period, how many of the invited members answered, and the synthetic-data warning where
    it applies."""
    title = t("report.team_title", lang, team=name or view.meta["team_name"])
    subtitle = f"{organisation} · {round_subtitle(view.meta, instrument, lang)}"
    synthetic = synthetic or bool(view.meta.get("synthetic"))
    return header(title, subtitle, synthetic, lang, response_of_team(view, lang))


def response_of_team(view: TeamView, lang: str) -> str:
    """ "4 van de 5 uitgenodigde teamleden vulden de vragenlijst in", or the count alone when
    the registry does not say how many were invited."""
    n, invited = view.meta["n_members"], view.meta.get("n_invited")
    if invited:
        return t("report.team_response", lang, n=n, invited=invited)
    return t("report.team_response_no_invited", lang, n=n)


def coverage(view: TeamView, instrument: Instrument, lang: str) -> Html:
    """Competence × DIKW stage with the group rule: covered, not covered or not needed;
    per stage from the items that serve it (version 2), or the competence as a whole
    repeated per stage (version 1, whose items name no stage). For a team of at least the
    minimum group size also how far its members agree, in words."""
    cov = view.coverage.set_index(["dimension_id", "dikw_stage"])["met"]
    agreement = view.agreement.set_index("dimension_id")["rwg_j"] if view.shows_members else None
    cell = macro("coverage_cell")
    rows = []
    for dim in instrument.dimensions:
        cells = [dim.label.get(lang), t(f"report.rule.{dim.group_rule}", lang)]
        for stage in DIKW_STAGES:
            met = cov.get((dim.id, stage))
            key, cls = (
                ("report.not_needed", "na")
                if met is None
                else ("report.covered", "met")
                if met
                else ("report.not_covered", "gap")
            )
            cells.append(cell(t(key, lang), cls))
        if agreement is not None:
            cells.append(agreement_cell(agreement.get(dim.id), lang))
        rows.append(cells)
    header_row = [t("report.competence", lang), t("report.rule", lang)] + [
        t(f"chart.stage.{s}", lang) for s in DIKW_STAGES
    ]
    if agreement is not None:
        header_row.append(t("report.agreement", lang))
    threshold = number(instrument.scoring.coverage_threshold, 0, lang)
    from_items = bool(view.coverage["from_items"].all()) if len(view.coverage) else False
    basis = t("report.stages_from_items" if from_items else "report.stages_from_competence", lang)
    missing = _not_answered(view)
    nonresponse = (
        t_count(
            "report.coverage_nonresponse", missing, lang, n=view.meta["n_members"], missing=missing
        )
        if missing
        else ""
    )
    note = (
        t("report.team_agreement_withheld", lang, min=view.meta["min_group_size"])
        if agreement is None
        else agreement_note(lang)
    )
    return _section(
        "coverage",
        title=t("report.coverage", lang),
        header=header_row,
        rows=rows,
        note=note,
        intro=t("report.coverage_intro", lang, threshold=threshold) + " " + basis,
        nonresponse=nonresponse,
    )


def member_stages(view: TeamView) -> dict[tuple[str, str], dict[str, bool]]:
    """(member, competence) → {DIKW stage: covers} for the stages the member has a score at
    (``TeamView.stages``, the rows the coverage and its gap list are counted from): True where
    the stage score reaches the threshold, False where it does not. A stage missing from a
    member's dict has no score (too few of its statements answered)."""
    states: dict[tuple[str, str], dict[str, bool]] = {}
    if view.stages.empty:
        return states
    scored = view.stages.dropna(subset=["score"])
    for r in scored.itertuples():
        states.setdefault((r.member, r.dimension_id), {})[r.dikw_stage] = bool(r.covers)
    return states


def members(view: TeamView, instrument: Instrument, lang: str) -> Html:
    """Member pseudonyms × competences: ✓ where the member covers the competence at every
    stage where it is needed, the stages it does cover where that is only some of them,
    "?" after a stage it has no score at, and nothing where it covers none (per stage, from
    ``member_stages``: the same rows the gap list is counted from, so a member the gap list
    names at a stage never shows it as covered there, and every stage shown as not covered
    of an "everyone" competence is in the gap list); for a team smaller than the minimum
    group size only a sentence saying why there is no grid."""
    title = t("report.members", lang)
    if not view.shows_members:
        why = t(
            "report.members_withheld",
            lang,
            n=view.meta["n_members"],
            min=view.meta["min_group_size"],
        )
        return _section("members", title=title, rows=[], withheld=why)
    role_of = view.members.drop_duplicates("member").set_index("member")["role"]
    with_roles = role_of.notna().any()  # a column of nothing but "overige rollen" says nothing
    needed = view.coverage.groupby("dimension_id", sort=False)["dikw_stage"].apply(list).to_dict()
    states = member_stages(view)
    rows = []
    for member in _in_member_order(role_of.index):
        marks = [
            _member_cell(needed.get(d.id, []), states.get((member, d.id), {}), lang)
            for d in instrument.dimensions
        ]
        role = [_role_label(role_of[member], instrument, lang)] if with_roles else []
        rows.append([members_in(member, lang), *role, *marks])
    role_header = [t("report.role", lang)] if with_roles else []
    header_row = [t("report.member", lang), *role_header] + [
        d.label.get(lang) for d in instrument.dimensions
    ]
    table_class = "dwp-table dwp-members" + ("" if with_roles else " dwp-no-roles")
    return _section(
        "members",
        title=title,
        intro=t("report.members_intro", lang),
        header=header_row,
        rows=rows,
        table_class=table_class,
    )


def _in_member_order(pseudonyms) -> list[str]:
    """Pseudonyms in their number's order ("lid 2" before "lid 10")."""
    return sorted(pseudonyms, key=lambda p: (len(str(p)), str(p)))


def _member_cell(needed: list[str], states: dict[str, bool], lang: str) -> str:
    """ "✓" when the member covers every needed stage; else the stages it covers, and each
    stage it has no score at followed by "?", in the chain's order; "" when it covers none
    and has a score at every needed stage."""
    if needed and all(states.get(s) is True for s in needed):
        return "✓"
    shown = [
        t(f"chart.stage.{s}", lang)
        if states.get(s) is True
        else t("report.stage_unknown", lang, stage=t(f"chart.stage.{s}", lang))
        for s in needed
        if states.get(s) is not False
    ]
    return ", ".join(shown)


def gaps_and_roles(view: TeamView, instrument: Instrument, lang: str) -> Html:
    """Unmet competences in the order of the chain where they bite, one line per competence
    and group of members missing at the same stages (so a member is named only at the stages
    where the grid shows it does not cover the competence), and the role mix."""
    gaps = view.gaps()
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    stages = {s: t(f"chart.stage.{s}", lang) for s in DIKW_STAGES}
    lines = []
    for dim_id, per_dim in gaps.groupby("dimension_id", sort=False):
        rule = t(f"report.rule.{per_dim['group_rule'].iloc[0]}", lang)
        keys = (
            per_dim["not_covering"].astype(str)
            + "|"
            + per_dim["n_covering"].astype(str)
            + "|"
            + per_dim["n_scored"].astype(str)
        )
        for _, group in per_dim.groupby(keys, sort=False):
            where = ", ".join(stages[s] for s in group["dikw_stage"])
            lines.append(
                _gap_line(
                    view,
                    group.iloc[0],
                    dict(competence=labels[dim_id], rule=rule, stages=where),
                    lang,
                )
            )
    mix = ", ".join(
        f"{_role_label(role, instrument, lang)}: {count}" for role, count in view.role_mix().items()
    )
    pooled = (
        t("report.roles_pooled", lang, min=view.meta["min_group_size"])
        if view.roles.isna().any()
        else ""
    )
    return _section(
        "gaps",
        title=t("report.gaps", lang),
        lines=lines,
        no_gaps=t("report.no_gaps", lang),
        mix_title=t("report.role_mix", lang),
        mix=mix,
        pooled=pooled,
    )


def _gap_line(view: TeamView, first: pd.Series, words: dict, lang: str) -> str:
    """One gap line: nobody covers it (perhaps a member who did not answer does), these
    members do not, or, for a team below the minimum group size, how many do not."""
    missing = _not_answered(view)
    if first["n_covering"] == 0 and missing:
        return t_count(
            "report.gap_line_nobody_answered",
            missing,
            lang,
            n=view.meta["n_members"],
            missing=missing,
            **words,
        )
    if first["n_covering"] == 0:
        return t("report.gap_line_nobody", lang, **words)
    if first["not_covering"]:
        return t("report.gap_line", lang, members=members_in(first["not_covering"], lang), **words)
    return t(
        "report.gap_line_count",
        lang,
        n=int(first["n_scored"] - first["n_covering"]),
        total=int(first["n_scored"]),
        **words,
    )


def members_in(text: str, lang: str) -> str:
    """Member pseudonyms ("lid 3", as the analysis makes them) in the report's language."""
    return re.sub(
        r"\blid (\d+)\b", lambda m: t("report.member_pseudonym", lang, n=m.group(1)), text
    )


def _not_answered(view: TeamView) -> int:
    """Invited members who did not answer (0 when the registry does not say how many)."""
    invited = view.meta.get("n_invited")
    return max(int(invited) - view.meta["n_members"], 0) if invited else 0


def session_agenda(view: TeamView, instrument: Instrument, lang: str) -> Html:
    """A suggested agenda for the team's Data Team Start session, from its gaps."""
    advice = recommend_team(view.gaps(), instrument, lang=lang)
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    steps = [
        f"{labels[r.competence_id]}: {r.action}" + (f" ({r.tool})" if r.tool else "")
        for r in advice.itertuples()
    ]
    own = rules_for(instrument)
    if (
        own is None or not own.team
    ):  # the agenda keeps its closing step, and says why it has no others
        steps.append(t("advice.no_team_rules", lang))
    steps.append(t("report.agenda_closing", lang))
    return _section("session_agenda", title=t("report.session_agenda", lang), steps=steps)

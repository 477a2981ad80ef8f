"""The sections of the organisation report and the team profile, as safe HTML.

Report notebooks call these functions and display what they return. Every text
that comes from respondents, organisations or files goes through ``esc``; the
only raw HTML is the markup built here. Figures are embedded as JSON that the
report page renders with its inlined plotly.js (``reports.html``), so no code and
no network request is needed to read the report.
"""

from __future__ import annotations

import html
import json

import pandas as pd
import plotly.graph_objects as go

from dwp_assess import __version__
from dwp_assess.analysis.profiles import OrganisationView, TeamView
from dwp_assess.analysis.recommend import recommend_organisation, recommend_team
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import DIKW_STAGES, Instrument
from dwp_assess.reports import charts


class Html(str):
    """A piece of HTML that Jupyter displays as HTML (and papermill keeps as text/html)."""

    def _repr_html_(self) -> str:
        return str(self)


def esc(value) -> str:
    """Escape any value for HTML text and attributes."""
    return html.escape(
        "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    )


def tag(name: str, content: str = "", cls: str | None = None) -> str:
    return f"<{name}{f' class={chr(34)}{cls}{chr(34)}' if cls else ''}>{content}</{name}>"


def table(header: list[str], rows: list[list[str]], cls: str = "dwp-table") -> str:
    """A table: header cells are plain text (escaped here), body cells already-escaped HTML."""
    head = "".join(tag("th", esc(h)) for h in header)
    body = "".join(tag("tr", "".join(tag("td", c) for c in row)) for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def section(title: str, body: str, anchor: str) -> Html:
    return Html(f'<section id="{esc(anchor)}">{tag("h2", esc(title))}{body}</section>')


def figure(fig: go.Figure) -> str:
    """A figure as a placeholder plus its JSON; ``</`` is escaped so it cannot end the script."""
    payload = fig.to_json().replace("</", "<\\/")
    return f'<div class="dwp-figure"></div><script type="application/json" class="dwp-figure-data">{payload}</script>'  # fmt: skip


def number(value, digits: int = 1, lang: str = "nl") -> str:
    if value is None or pd.isna(value):
        return "–"
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "nl" else text


def percent(value, lang: str = "nl") -> str:
    return "–" if value is None or pd.isna(value) else number(100 * value, 0, lang) + "%"


def _level_label(instrument: Instrument, level, lang: str) -> str:
    if level is None or pd.isna(level):
        return t("report.no_score", lang)
    return f"{int(level)} · {instrument.scoring.levels[int(level) - 1].label.get(lang)}"


def _quartile(value, lang: str) -> str:
    """A quartile of chosen levels: a whole level as such, else up to two decimals."""
    if value is None or pd.isna(value):
        return "–"
    if float(value).is_integer():
        return str(int(value))
    text = number(value, 2, lang)
    return text.rstrip("0")


def _level_row(view: OrganisationView, dimension_id: str) -> pd.Series | None:
    """This organisation's row of ``levels`` (``analysis.levels``) for one dimension."""
    levels = view.levels
    if levels is None or levels.empty:
        return None
    rows = levels[levels["dimension_id"] == dimension_id]
    return rows.iloc[0] if len(rows) else None


def level_text(row: pd.Series | None, instrument: Instrument, lang: str) -> str:
    """The level with its basis and uncertainty: chosen levels with their middle half (v2),
    or an estimate with its 95% interval (v1); never an estimate stated as a fact."""
    if row is None or pd.isna(row["level"]):
        return t("report.no_score", lang)
    level = _level_label(instrument, row["level"], lang)
    n = int(row["n"])
    if row["level_basis"] == "chosen":
        return t("report.level_chosen", lang, level=level, n=n,
                 q1=_quartile(row["q1"], lang), q3=_quartile(row["q3"], lang))  # fmt: skip
    if pd.isna(row["level_low"]) or pd.isna(row["level_high"]):
        return t("report.level_estimate_no_interval", lang, level=level, n=n)
    if int(row["level_low"]) == int(row["level_high"]):
        return t("report.level_estimate_one", lang, level=level, n=n, low=int(row["level_low"]))
    return t("report.level_estimate", lang, level=level, n=n,
             low=int(row["level_low"]), high=int(row["level_high"]))  # fmt: skip


def _basis(view: OrganisationView) -> str:
    return view.meta.get("level_basis") or (
        view.levels["level_basis"].iloc[0] if len(view.levels) else "estimate"
    )


# -- organisation report ------------------------------------------------------------------


def header(title: str, subtitle: str, synthetic: bool, lang: str) -> Html:
    warning = tag("p", esc(t("report.synthetic_warning", lang)), "dwp-warning") if synthetic else ""
    return Html(f'<header class="dwp-header">{tag("h1", esc(title))}{tag("p", esc(subtitle), "dwp-subtitle")}{warning}</header>')  # fmt: skip


def organisation_header(
    view: OrganisationView, instrument: Instrument, lang: str, synthetic: bool
) -> Html:
    title = t("report.org_title", lang, name=view.organisation["name"])
    subtitle = t("report.subtitle", lang, round=view.meta["round_id"], period=view.meta.get("period", ""),
                 instrument=instrument.title.get(lang))  # fmt: skip
    return header(title, subtitle, synthetic, lang)


def summary(view: OrganisationView, instrument: Instrument, lang: str) -> Html:
    """Level per dimension with its basis and uncertainty (chosen or estimated, see
    ``docs/scoring.md``), the mean score, then three strengths and three priorities."""
    dims = view.dimensions.set_index("dimension_id")
    rows = []
    for dim in instrument.dimensions:
        row = _level_row(view, dim.id)
        level = row["level"] if row is not None else None
        meaning = ""
        if level is not None and pd.notna(level) and dim.level_descriptors:
            text = dim.level_descriptors.get(int(level)).get(lang)
            meaning = text if row["level_basis"] == "chosen" else t("report.meaning_estimate", lang, text=text)  # fmt: skip
        rows.append([esc(dim.label.get(lang)), esc(level_text(row, instrument, lang)),
                     number(dims["mean"].get(dim.id), 1, lang), esc(meaning)])  # fmt: skip
    n = int(view.response.get("responses", 0)) if len(view.response) else 0
    body = tag("p", esc(t("report.summary_intro", lang, n=n)))
    body += table([t("report.dimension", lang), t("report.level", lang), t("report.mean", lang), t("report.meaning", lang)], rows)  # fmt: skip
    body += tag("p", esc(t(f"report.level_{_basis(view)}_note", lang)), "dwp-note")
    strengths, priorities = view.strengths_and_priorities()
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    lists = ""
    for title, frame in (
        (t("report.strengths", lang), strengths),
        (t("report.priorities", lang), priorities),
    ):
        items = "".join(tag("li", esc(f"{labels[r.dimension_id]} ({number(r.mean, 1, lang)})")) for r in frame.itertuples())  # fmt: skip
        lists += tag("div", tag("h3", esc(title)) + tag("ol", items))
    return section(t("report.summary", lang), body + tag("div", lists, "dwp-columns"), "summary")


def comparison(view: OrganisationView, instrument: Instrument, lang: str) -> Html:
    """Radar against the peer group, or a plain statement that there is no comparison."""
    peers = view.peers
    group = view.meta["peer_group"]
    minimum = view.meta["min_group_size"]
    if len(peers) and not peers["suppressed"].all():
        note = t("report.peer_group_note", lang, n=int(peers["n_organisations"].max()), group=group)
    else:
        note = t("report.no_peer_comparison", lang, group=group, min=minimum)
    body = figure(charts.radar(view.dimensions, instrument, peers, lang)) + tag(
        "p", esc(note), "dwp-note"
    )
    return section(t("report.comparison", lang), body, "comparison")


def per_dimension(view: OrganisationView, instrument: Instrument, lang: str) -> Html:
    """For each dimension: its statistics, the level ladder with the organisation's position,
    the current level and the next level as the target, and the answer distribution."""
    dims = view.dimensions.set_index("dimension_id")
    body = ""
    for dim in instrument.dimensions:
        items = view.items[view.items["dimension_id"] == dim.id]
        if items.empty or dim.id not in dims.index:
            continue
        row = dims.loc[dim.id]
        level_row = _level_row(view, dim.id)
        stats = t("report.dimension_stats", lang, n=int(row["n"]), median=number(row["median"], 1, lang),
                  q1=number(row["q1"], 1, lang), q3=number(row["q3"], 1, lang),
                  level=level_text(level_row, instrument, lang))  # fmt: skip
        body += tag("h3", esc(dim.label.get(lang))) + tag("p", esc(stats), "dwp-stats")
        body += figure(charts.level_ladder(view.level_distribution, level_row, instrument, dim.id, lang))  # fmt: skip
        body += _current_and_next(level_row, dim, instrument, lang)
        body += figure(charts.diverging_likert(items, instrument, lang))
    return section(t("report.per_dimension", lang), body, "dimensions")


def _current_and_next(row: pd.Series | None, dim, instrument: Instrument, lang: str) -> str:
    """What the current level means (chosen or estimated) and the next level's description
    as the target; at the highest level there is no next step."""
    if row is None or pd.isna(row["level"]) or not dim.level_descriptors:
        return ""
    level = int(row["level"])
    label = _level_label(instrument, level, lang)
    current = t(f"report.current_level_{row['level_basis']}", lang, level=label,
                text=dim.level_descriptors[level].get(lang))  # fmt: skip
    out = tag("p", esc(current), "dwp-meaning")
    top = max(lv.level for lv in instrument.scoring.levels)
    if level >= top or (level + 1) not in dim.level_descriptors:
        return out + tag("p", esc(t("report.top_level", lang)), "dwp-next")
    target = t("report.next_step", lang, level=_level_label(instrument, level + 1, lang),
               text=dim.level_descriptors[level + 1].get(lang))  # fmt: skip
    return out + tag("p", esc(target), "dwp-next")


def agenda(view: OrganisationView, instrument: Instrument, lang: str, n: int = 5) -> Html:
    """The statements with the most disagreement, as the agenda for a discussion."""
    rows = []
    for r in view.agenda(n).itertuples():
        counts = " · ".join(f"{p.value}: {int(getattr(r, f'n_{p.value}'))}" for p in instrument.scale_of(r.item_id).points)  # fmt: skip
        rows.append([esc(instrument.item_by_id[r.item_id].text.get(lang)), number(r.disagreement, 2, lang),
                     esc(f"{counts} ({int(r.n)} {t('report.answers', lang)})")])  # fmt: skip
    body = tag("p", esc(t("report.agenda_intro", lang)))
    body += table([t("report.statement", lang), t("report.disagreement", lang), t("report.answers", lang)], rows)  # fmt: skip
    return section(t("report.agenda", lang), body, "agenda")


def change(view: OrganisationView, instrument: Instrument, lang: str) -> Html:
    """Change since the previous round with intervals; "geen betrouwbare verandering" when
    the interval includes zero."""
    previous = view.meta.get("previous_round_id")
    if not previous or view.change.empty:
        return section(
            t("report.change", lang), tag("p", esc(t("report.no_previous", lang))), "change"
        )
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    rows = [
        [esc(labels[r.dimension_id]), number(r.difference, 2, lang),
         esc(f"{number(r.ci_low, 2, lang)} – {number(r.ci_high, 2, lang)}"),
         esc(t("report.reliable_change" if r.reliable else "report.no_reliable_change", lang))]
        for r in view.change.itertuples()
    ]  # fmt: skip
    body = tag("p", esc(t("report.change_intro", lang, previous=previous)))
    body += figure(charts.trend(view.change, instrument, lang))
    body += table([t("report.dimension", lang), t("report.difference", lang), t("report.interval", lang), ""], rows)  # fmt: skip
    return section(t("report.change", lang), body, "change")


def response_and_reliability(view: OrganisationView, instrument: Instrument, lang: str) -> Html:
    """n, response rate, completion, Cronbach's alpha and caveats for small groups."""
    r = view.response
    values = dict(n=int(r.get("responses", 0)), rate=percent(r.get("response_rate"), lang),
                  complete=percent(r.get("complete_share"), lang), dont_know=percent(r.get("dont_know_rate"), lang))  # fmt: skip
    if pd.notna(r.get("invited")):
        line = t("report.response_line", lang, invited=int(r["invited"]), **values)
    else:
        line = t("report.response_line_no_invited", lang, **values)
    body = tag("p", esc(line))
    minimum = instrument.scoring.min_group_size * 2
    if len(view.dimensions) and view.dimensions["n"].min() < minimum:
        body += tag("p", esc(t("report.small_group", lang, min=minimum)), "dwp-warning")
    rel = view.reliability
    own = rel[rel["organisation_id"] == view.meta["organisation_id"]].set_index("dimension_id")
    overall = rel[rel["organisation_id"].isna()].set_index("dimension_id")
    rows = []
    for dim in instrument.dimensions:
        if dim.id in own.index:
            scope, alpha = t("report.alpha_scope_org", lang), own["alpha"][dim.id]
        elif dim.id in overall.index:
            scope, alpha = t("report.alpha_scope_round", lang), overall["alpha"][dim.id]
        else:  # the round-wide figure mixes too few organisations to be shown
            scope, alpha = t("report.alpha_withheld", lang), None
        rows.append([esc(dim.label.get(lang)), number(alpha, 2, lang), esc(scope)])
    body += table([t("report.dimension", lang), t("report.alpha", lang), ""], rows)
    note = t("report.alpha_note", lang, min=view.meta["min_group_size"])
    body += tag("p", esc(note), "dwp-note")
    return section(t("report.response", lang), body, "response")


def recommendations(
    view: OrganisationView, instrument: Instrument, lang: str, limit: int = 5
) -> Html:
    advice = recommend_organisation(view.dimensions, lang=lang, limit=limit)
    if advice.empty:
        return section(t("report.recommendations", lang), tag("p", esc(t("report.no_recommendations", lang))), "recommendations")  # fmt: skip
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    items = ""
    for r in advice.itertuples():
        tool = tag("p", f"{esc(t('report.recommendation_tool', lang))}: <strong>{esc(r.tool)}</strong> — {esc(r.tool_description)}", "dwp-tool") if r.tool else ""  # fmt: skip
        items += tag("li", f"<strong>{esc(labels[r.dimension_id])}</strong>: {esc(r.action)}{tool}")
    return section(t("report.recommendations", lang), tag("ol", items), "recommendations")


def free_text(view_free_text: pd.DataFrame, instrument: Instrument, lang: str) -> Html:
    """Answers to open questions that the instrument allows in reports; escaped, never executed."""
    if view_free_text.empty:
        return Html("")
    body = ""
    for item_id, group in view_free_text.groupby("item_id"):
        question = next(f for f in instrument.free_text if f.id == item_id)
        quotes = "".join(tag("li", esc(text)) for text in group["text"])
        body += tag("h3", esc(question.text.get(lang))) + tag("ul", quotes, "dwp-quotes")
    return section(t("report.free_text", lang), body, "free-text")


def methods(instrument: Instrument, lang: str) -> Html:
    share = percent(instrument.scoring.min_answered_share, lang)
    return section(t("report.methods", lang), tag("p", esc(t("report.methods_text", lang, share=share))), "methods")  # fmt: skip


def provenance(meta: dict, parameters: dict, lang: str) -> Html:
    """Instrument, version and hash, data snapshot, package version, parameters, time."""
    values = {
        "instrument": f"{meta['instrument_id']} v{meta['instrument_version']}",
        "instrument_hash": meta.get("instrument_hash", ""),
        "snapshot": meta.get("snapshot_hash", ""),
        "package": __version__,
        "parameters": json.dumps(parameters, ensure_ascii=False, sort_keys=True),
        "computed_at": meta.get("computed_at", ""),
        "generated_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
    }
    rows = [[esc(t(f"report.provenance.{key}", lang)), esc(value)] for key, value in values.items()]
    return section(t("report.provenance", lang), table(["", ""], rows, "dwp-table dwp-provenance"), "provenance")  # fmt: skip


# -- team profile ---------------------------------------------------------------------------


def coverage(view: TeamView, instrument: Instrument, lang: str) -> Html:
    """Competence × DIKW stage with the group rule: covered, not covered or not needed."""
    cov = view.coverage.set_index(["dimension_id", "dikw_stage"])["met"]
    rows = []
    for dim in instrument.dimensions:
        cells = [esc(dim.label.get(lang)), esc(t(f"report.rule.{dim.group_rule}", lang))]
        for stage in DIKW_STAGES:
            met = cov.get((dim.id, stage))
            key, cls = (("report.not_needed", "na") if met is None else
                        ("report.covered", "met") if met else ("report.not_covered", "gap"))  # fmt: skip
            cells.append(f'<span class="dwp-cell dwp-{cls}">{esc(t(key, lang))}</span>')
        rows.append(cells)
    header_row = [t("report.competence", lang), t("report.rule", lang)] + [t(f"chart.stage.{s}", lang) for s in DIKW_STAGES]  # fmt: skip
    threshold = number(instrument.scoring.coverage_threshold, 0, lang)
    body = tag("p", esc(t("report.coverage_intro", lang, threshold=threshold))) + table(
        header_row, rows
    )
    return section(t("report.coverage", lang), body, "coverage")


def _role_label(role, instrument: Instrument, lang: str) -> str:
    """A role's label; ``None`` (a role too few members share, or none) is "overige rollen"."""
    if role is None or pd.isna(role):
        return t("report.other_roles", lang)
    labels = {c.code: c.label.get(lang) for c in instrument.respondent_fields[0].choices}
    return labels.get(role, role)


def members(view: TeamView, instrument: Instrument, lang: str) -> Html:
    """Member pseudonyms × competences: ✓ where the member covers it; for a team smaller
    than the minimum group size only a sentence saying why there is no grid."""
    if not view.shows_members:
        why = t("report.members_withheld", lang, n=view.meta["n_members"], min=view.meta["min_group_size"])  # fmt: skip
        return section(t("report.members", lang), tag("p", esc(why), "dwp-note"), "members")
    covers = view.members.pivot_table(index="member", columns="dimension_id", values="covers", aggfunc="first")  # fmt: skip
    role_of = view.members.drop_duplicates("member").set_index("member")["role"]
    with_roles = role_of.notna().any()  # a column of nothing but "overige rollen" says nothing
    rows = []
    for member, row in covers.iterrows():
        marks = [
            "✓" if pd.notna(row.get(d.id)) and bool(row.get(d.id)) else ""
            for d in instrument.dimensions
        ]
        role = [esc(_role_label(role_of[member], instrument, lang))] if with_roles else []
        rows.append([esc(member), *role, *marks])
    role_header = [t("report.role", lang)] if with_roles else []
    header_row = [t("report.member", lang), *role_header] + [d.label.get(lang) for d in instrument.dimensions]  # fmt: skip
    body = tag("p", esc(t("report.members_intro", lang))) + table(
        header_row, rows, "dwp-table dwp-members" + ("" if with_roles else " dwp-no-roles")
    )
    return section(t("report.members", lang), body, "members")


def gaps_and_roles(view: TeamView, instrument: Instrument, lang: str) -> Html:
    """Unmet competences in the order of the chain where they bite, and the role mix."""
    gaps = view.gaps()
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    stages = {s: t(f"chart.stage.{s}", lang) for s in DIKW_STAGES}
    lines = []
    for dim_id, group in gaps.groupby("dimension_id", sort=False):
        rule = t(f"report.rule.{group['group_rule'].iloc[0]}", lang)
        where = ", ".join(stages[s] for s in group["dikw_stage"])
        first = group.iloc[0]
        words = dict(competence=labels[dim_id], rule=rule, stages=where)
        if first["n_covering"] == 0:
            lines.append(t("report.gap_line_nobody", lang, **words))
        elif first["not_covering"]:
            lines.append(t("report.gap_line", lang, members=first["not_covering"], **words))
        else:  # a team below the minimum group size: how many, not who
            missing = int(first["n_scored"] - first["n_covering"])
            lines.append(t("report.gap_line_count", lang, n=missing, total=int(first["n_scored"]), **words))  # fmt: skip
    body = tag("ul", "".join(tag("li", esc(line)) for line in lines)) if lines else tag("p", esc(t("report.no_gaps", lang)))  # fmt: skip
    mix = ", ".join(f"{_role_label(role, instrument, lang)}: {count}" for role, count in view.role_mix().items())  # fmt: skip
    body += tag("h3", esc(t("report.role_mix", lang))) + tag("p", esc(mix))
    if view.roles.isna().any():
        body += tag("p", esc(t("report.roles_pooled", lang, min=view.meta["min_group_size"])), "dwp-note")  # fmt: skip
    return section(t("report.gaps", lang), body, "gaps")


def session_agenda(view: TeamView, instrument: Instrument, lang: str) -> Html:
    """A suggested agenda for the team's Data Team Start session, from its gaps."""
    advice = recommend_team(view.gaps(), lang=lang)
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    steps = [f"{labels[r.competence_id]}: {r.action}" + (f" ({r.tool})" if r.tool else "") for r in advice.itertuples()]  # fmt: skip
    steps.append(t("report.agenda_closing", lang))
    items = "".join(tag("li", esc(step)) for step in steps)
    return section(t("report.session_agenda", lang), tag("ol", items), "session-agenda")

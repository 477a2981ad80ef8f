"""The sections of the organisation report and the team profile, as safe HTML.

Report notebooks call these functions and display what they return. Each function
works out what its section says (texts from the message catalogue and the instrument,
numbers in the reader's format) and renders the section's jinja2 template,
``templates/sections/<name>.html.j2``, with autoescaping: the markup lives in the
templates, where it can be changed without touching Python, and every text from
respondents, organisations or files is escaped by jinja2. The only trusted fragments
(``markupsafe.Markup``) are figure payloads and table cells rendered by the templates'
own macros (``templates/sections/_macros.html.j2``). Figures are embedded as JSON that
the report page renders with its inlined plotly.js (``reports.html``), so no code and
no network request is needed to read the report.
"""

from __future__ import annotations

import re

import pandas as pd
import plotly.graph_objects as go
from markupsafe import Markup

from dwp_assess import __version__, project
from dwp_assess.analysis.formatting import grouped_texts
from dwp_assess.analysis.profiles import OrganisationView, TeamView
from dwp_assess.analysis.rater_agreement import band_words, words_for_agreement
from dwp_assess.analysis.recommend import (
    first_actions,
    recommend_organisation,
    recommend_team,
    rules_for,
)
from dwp_assess.analysis.roles import POOLED
from dwp_assess.analysis.typology import saved_typology
from dwp_assess.analysis.typology import similar_profile as similar_profile_of
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.messages import t, t_count
from dwp_assess.instruments.model import DIKW_STAGES, Instrument
from dwp_assess.locale import MISSING, interval, number, percent
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
    return Markup(fig.to_json().replace("</", "<\\/"))


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


def level_label(instrument: Instrument, level, lang: str) -> str:
    if level is None or pd.isna(level):
        return t("report.no_score", lang)
    return f"{int(level)} · {instrument.scoring.levels[int(level) - 1].label.get(lang)}"


def dimension_level_row(view: OrganisationView, dimension_id: str) -> pd.Series | None:
    """This organisation's row of ``levels`` (``analysis.levels``) for one dimension."""
    levels = view.levels
    if levels is None or levels.empty:
        return None
    rows = levels[levels["dimension_id"] == dimension_id]
    return rows.iloc[0] if len(rows) else None


def chosen_spread(view: OrganisationView | None, dimension_id: str) -> tuple[int, int] | None:
    """The middle half of the chosen levels as whole levels: the lower and upper quartile by
    nearest rank (the first level with at least 25% and 75% of the choices at or below it),
    so a spread is never "1,75–2" for something that only takes whole levels."""
    if view is None or view.level_distribution.empty:
        return None
    dist = view.level_distribution[
        view.level_distribution["dimension_id"] == dimension_id
    ].sort_values("level")
    total = dist["n"].sum()
    if not total:
        return None
    share = dist["n"].cumsum() / total
    levels = dist["level"].to_numpy()
    return int(levels[(share >= 0.25 - 1e-9).to_numpy().argmax()]), int(
        levels[(share >= 0.75 - 1e-9).to_numpy().argmax()]
    )


def level_band(view: OrganisationView, row: pd.Series | None) -> tuple[int | None, int | None]:
    """The levels the grid shades: the spread of the chosen levels (``chosen_spread``), or the
    95% interval of an estimated level; (None, None) without one."""
    if row is None or pd.isna(row["level"]):
        return None, None
    if row["level_basis"] == "chosen":
        return chosen_spread(view, row["dimension_id"]) or (None, None)
    low, high = row["level_low"], row["level_high"]
    return (None, None) if pd.isna(low) or pd.isna(high) else (int(low), int(high))


def level_text(
    row: pd.Series | None, instrument: Instrument, lang: str, view: OrganisationView | None = None
) -> str:
    """The level with its basis: chosen levels with the spread of the choices (v2), or an
    estimate with its 95% interval, its uncertainty (v1); never an estimate stated as a fact."""
    if row is None or pd.isna(row["level"]):
        return t("report.no_score", lang)
    level = level_label(instrument, row["level"], lang)
    n = int(row["n"])
    if row["level_basis"] == "chosen":
        spread = chosen_spread(view, row["dimension_id"])
        if spread is None:
            return t("report.level_chosen_no_spread", lang, level=level, n=n)
        key = "report.level_chosen_one" if spread[0] == spread[1] else "report.level_chosen"
        return t(key, lang, level=level, n=n, low=spread[0], high=spread[1])
    if pd.isna(row["level_low"]) or pd.isna(row["level_high"]):
        return t("report.level_estimate_no_interval", lang, level=level, n=n)
    if int(row["level_low"]) == int(row["level_high"]):
        return t("report.level_estimate_one", lang, level=level, n=n, low=int(row["level_low"]))
    return t(
        "report.level_estimate",
        lang,
        level=level,
        n=n,
        low=int(row["level_low"]),
        high=int(row["level_high"]),
    )


def level_basis_of(view: OrganisationView) -> str:
    """ "chosen" or "estimate": how the round's levels were found (``analysis.levels``)."""
    return view.meta.get("level_basis") or (
        view.levels["level_basis"].iloc[0] if len(view.levels) else "estimate"
    )


# -- organisation report ------------------------------------------------------------------


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


def organisation_header(
    view: OrganisationView, instrument: Instrument, lang: str, synthetic: bool = False
) -> Html:
    """Title, subtitle and, for a round the store records as synthetic (or when asked), the
    warning that the report shows synthetic data."""
    title = t("report.org_title", lang, name=view.organisation["name"])
    return header(
        title,
        round_subtitle(view.meta, instrument, lang),
        synthetic or bool(view.meta.get("synthetic")),
        lang,
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


def summary(view: OrganisationView, instrument: Instrument, lang: str) -> Html:
    """Level per dimension with its basis and uncertainty (chosen or estimated, see
    ``docs/scoring.md``), the mean score, then three strengths and three priorities."""
    dims = view.dimensions.set_index("dimension_id")
    rows = []
    for dim in instrument.dimensions:
        row = dimension_level_row(view, dim.id)
        level = row["level"] if row is not None else None
        meaning = ""
        if level is not None and pd.notna(level) and dim.level_descriptors:
            text = dim.level_descriptors.get(int(level)).get(lang)
            meaning = (
                text
                if row["level_basis"] == "chosen"
                else t("report.meaning_estimate", lang, text=text)
            )
        rows.append(
            [
                dim.label.get(lang),
                level_text(row, instrument, lang, view),
                number(dims["mean"].get(dim.id), 1, lang),
                meaning,
            ]
        )
    n = int(view.response.get("responses", 0)) if len(view.response) else 0
    strengths, _ = view.strengths_and_priorities()
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    strength_lines = [
        t(
            "report.rank_tied" if r.tied else "report.rank_line",
            lang,
            dimension=labels[r.dimension_id],
            mean=number(r.mean, 1, lang),
        )
        for r in strengths.itertuples()
    ]
    centre = number(view.mean_intervals()["mean"].mean(), 1, lang)
    actions = first_action_items(first_actions(view, instrument, lang=lang), instrument, lang)
    header_row = [
        t("report.dimension", lang),
        t("report.level", lang),
        t("report.mean", lang),
        t("report.meaning", lang),
    ]
    return _section(
        "summary",
        title=t("report.summary", lang),
        intro=t("report.summary_intro", lang, n=n),
        header=header_row,
        rows=rows,
        basis_note=t(f"report.level_{level_basis_of(view)}_note", lang),
        strengths_title=t("report.strengths", lang),
        strengths=strength_lines,
        no_strengths=t("report.no_strengths", lang, centre=centre),
        strengths_note=t("report.strengths_rule", lang, centre=centre),
        priorities_title=t("report.priorities", lang),
        actions=actions,
        order=t("advice.order", lang),
        nothing=t("advice.none", lang),
    )


def first_action_items(advice: pd.DataFrame, instrument: Instrument, lang: str) -> list[dict]:
    """The first actions (``recommend.first_actions``) as the report's summary and the
    management summary both print them: number, dimension, action, owner, horizon, why, and
    whether the order against the one before rests on differences within the noise."""
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    items = []
    for r in advice.itertuples():
        dimension = labels[r.dimension_id]
        items.append(
            {
                "number": int(r.rank),
                "dimension": dimension,
                "action": r.action,
                "owner": r.owner,
                "horizon": t(f"advice.horizon.{r.horizon}", lang),
                "tool": r.tool,
                "reasons": "; ".join(r.reasons),
                "why": full_stop("; ".join(r.reasons)),
                "tied": t("advice.tied", lang, previous=int(r.rank) - 1) if r.tied else "",
            }
        )
    return items


def peer_note(meta: dict, lang: str) -> str:
    """Which organisations the comparison uses, after widening (``analysis/peers.py``),
    or which group was too small even after widening."""
    kind = t(f"report.org_kind.{meta['peer_kind']}", lang)
    values = dict(
        kind=kind, classes=meta["peer_classes"], n=meta["peer_n"], min=meta["min_group_size"]
    )
    return t(f"report.peer_step.{meta['peer_step'] or 'none'}", lang, **values)


def comparison(view: OrganisationView, instrument: Instrument, lang: str) -> Html:
    """Radar against the peer group, with the group named; or a plain statement of which
    group was too small even after widening."""
    peers = view.peers
    shown = len(peers) and not peers["suppressed"].all()
    note = peer_note(view.meta, lang)
    if shown and peers["suppressed"].any():
        note += " " + t("report.peer_dimensions_withheld", lang, min=view.meta["min_group_size"])
    radar = chart(charts.radar(view.dimensions, instrument, peers if shown else None, lang), lang)
    return _section("comparison", title=t("report.comparison", lang), radar=radar, note=note)


def roles(view: OrganisationView, instrument: Instrument, lang: str) -> Html:
    """Mean score per dimension per respondent role (``analysis/roles.py``): roles shared
    by fewer than the minimum group size are pooled, and the breakdown is shown only
    where every group reaches that size."""
    title = t("report.roles", lang)
    minimum = view.meta["min_group_size"]
    none = t("report.roles_none", lang, min=minimum)  # also when no dimension has every group
    if view.roles.empty:
        return _section("roles", title=title, rows=[], nothing=none)
    table_ = view.roles.pivot_table(index="dimension_id", columns="role_group", values="mean")
    n = view.roles.groupby("role_group")["n"].max()
    groups = sorted(
        table_.columns,
        key=lambda g: (g == POOLED, _role_label(None if g == POOLED else g, instrument, lang)),
    )
    header_row = [t("report.dimension", lang)] + [
        f"{_role_label(None if g == POOLED else g, instrument, lang)} (n = {int(n[g])})"
        for g in groups
    ]
    rows = [
        [d.label.get(lang)] + [number(table_.loc[d.id, g], 1, lang) for g in groups]
        for d in instrument.dimensions
        if d.id in table_.index
    ]
    return _section(
        "roles",
        title=title,
        intro=t("report.roles_intro", lang, min=minimum),
        header=header_row,
        rows=rows,
        nothing=none,
    )


def similar_profile(
    view: OrganisationView, instrument: Instrument, lang: str, analysis_dir, items: pd.DataFrame
) -> Html:
    """ "Organisaties met een vergelijkbaar profiel": the organisation's type in the round's
    typology (``analysis/typology.py``) with how certain that is and what distinguishes the
    type, or in words why the round shows no types (one population, weak evidence, too few
    organisations) or why this organisation is not placed; and what organisations that score
    higher on a dimension typically have in place (of its type, or of the round). No names;
    every figure of others pools at least the minimum group size."""
    minimum = int(view.meta["min_group_size"])
    typology = saved_typology(analysis_dir)
    if typology is None:
        return _section(
            "similar_profile",
            title=t("report.profile", lang),
            intro=t("report.profile_none.missing", lang),
        )
    profile = similar_profile_of(
        typology, items, view.meta["organisation_id"], instrument, minimum, lang
    )
    scope = (
        "report.profile_practice" if profile["scope"] == "type" else "report.profile_practice_round"
    )
    practices = [
        {
            "heading": t(
                scope,
                lang,
                dimension=p["label"],
                own=number(p["own_mean"], 1, lang),
                n=p["organisations_higher"],
            ),
            "items": [
                t(
                    "report.profile_item",
                    lang,
                    text=i["text"],
                    higher=percent(i["share_higher"], lang),
                    own=percent(i["share_own"], lang),
                )
                for i in p["items"]
            ],
        }
        for p in profile["practices"]
    ]
    note = t("report.profile_note", lang, min=minimum)
    if profile["status"] != "types":
        needed = 2 * int(typology.meta.get("orgs_per_type", 0))
        intro = t(
            f"report.profile_none.{profile['status']}",
            lang,
            n=profile["n_organisations"],
            needed=needed,
            min=minimum,
        )
        return _section(
            "similar_profile",
            title=t("report.profile", lang),
            intro=intro,
            practices=practices,
            note=note,
        )
    uncertain = profile["certainty"] == "uncertain"
    intro = t(
        "report.profile_intro_uncertain" if uncertain else "report.profile_intro",
        lang,
        type=t("typology.type", lang, number=profile["type"]),
        n=profile["organisations"],
        description=profile["description"],
    )
    certainty = [
        t(f"report.profile_certainty.{profile['certainty']}", lang),
        t("report.profile_evidence", lang),
    ]
    distinguishing = [
        t(
            "report.profile_distinguishing",
            lang,
            dimension=d["label"],
            type_mean=number(d["type_mean"], 1, lang),
            round_mean=number(d["round_mean"], 1, lang),
        )
        for d in profile["distinguishing"]
    ]
    return _section(
        "similar_profile",
        title=t("report.profile", lang),
        intro=intro,
        certainty=certainty,
        distinguishing=distinguishing,
        practices=practices,
        note=note,
    )


def per_dimension(view: OrganisationView, instrument: Instrument, lang: str) -> Html:
    """For each dimension: its statistics, the level ladder with the organisation's position,
    the current level and the next level as the target, and the answer distribution."""
    dims = view.dimensions.set_index("dimension_id")
    shown = []
    for dim in instrument.dimensions:
        items = view.items[view.items["dimension_id"] == dim.id]
        if items.empty or dim.id not in dims.index:
            continue
        row = dims.loc[dim.id]
        level_row = dimension_level_row(view, dim.id)
        stats = t(
            "report.dimension_stats",
            lang,
            n=int(row["n"]),
            median=number(row["median"], 1, lang),
            q1=number(row["q1"], 1, lang),
            q3=number(row["q3"], 1, lang),
            level=level_text(level_row, instrument, lang, view),
        )
        current, next_ = _current_and_next(level_row, dim, instrument, lang)
        shown.append(
            {
                "label": dim.label.get(lang),
                "stats": stats,
                "current": current,
                "next": next_,
                "ladder": chart(
                    charts.level_ladder(
                        view.level_distribution, level_row, instrument, dim.id, lang
                    ),
                    lang,
                ),
                "answers": [
                    chart(charts.diverging_likert(part, instrument, lang, legend=False), lang)
                    for part in _parts(items, instrument)
                ],
            }
        )
    return _section("per_dimension", title=t("report.per_dimension", lang), dimensions=shown)


STATEMENTS_PER_CHART = 3  # an answer chart of three statements fits under a dimension's ladder


def _parts(items: pd.DataFrame, instrument: Instrument) -> list[pd.DataFrame]:
    """A dimension's statements in instrument order, cut into nearly equal parts of at most
    ``STATEMENTS_PER_CHART``: on paper a chart cannot break, and one chart of all statements
    (up to 800 px) left half a page empty after every dimension's ladder."""
    order = {item.id: n for n, item in enumerate(instrument.rated_items)}
    ordered = items.drop_duplicates("item_id").sort_values(
        "item_id", key=lambda ids: ids.map(order)
    )
    count = -(-len(ordered) // STATEMENTS_PER_CHART)
    size = -(-len(ordered) // max(count, 1))
    return [ordered.iloc[at : at + size] for at in range(0, len(ordered), size)]


def _current_and_next(
    row: pd.Series | None, dim, instrument: Instrument, lang: str
) -> tuple[str, str]:
    """What the current level means (chosen or estimated) and the next level's description
    as the target (at the highest level: that there is no next step); empty without a level."""
    if row is None or pd.isna(row["level"]) or not dim.level_descriptors:
        return "", ""
    level = int(row["level"])
    label = level_label(instrument, level, lang)
    current = t(
        f"report.current_level_{row['level_basis']}",
        lang,
        level=label,
        text=dim.level_descriptors[level].get(lang),
    )
    top = max(lv.level for lv in instrument.scoring.levels)
    if level >= top or (level + 1) not in dim.level_descriptors:
        return current, t("report.top_level", lang)
    return current, t(
        "report.next_step",
        lang,
        level=level_label(instrument, level + 1, lang),
        text=dim.level_descriptors[level + 1].get(lang),
    )


def agenda(view: OrganisationView, instrument: Instrument, lang: str, n: int = 5) -> Html:
    """The statements with the most disagreement, as the agenda for a discussion."""
    rows = []
    for r in view.agenda(n).itertuples():
        counts = " · ".join(
            f"{p.value}: {int(getattr(r, f'n_{p.value}'))}"
            for p in instrument.scale_of(r.item_id).points
        )
        rows.append(
            [
                instrument.item_by_id[r.item_id].text.get(lang),
                number(r.disagreement, 2, lang),
                f"{counts} ({int(r.n)} {t('report.answers', lang)})",
            ]
        )
    header_row = [
        t("report.statement", lang),
        t("report.disagreement", lang),
        t("report.answers", lang),
    ]
    return _section(
        "agenda",
        title=t("report.agenda", lang),
        intro=t("report.agenda_intro", lang),
        header=header_row,
        rows=rows,
    )


def _change_verdict(row) -> str:
    if row.reliable:
        return "report.reliable_change"
    return (
        "report.change_not_after_correction"
        if row.interval_excludes_zero
        else "report.no_reliable_change"
    )


def _comparable_note(view: OrganisationView, instrument: Instrument, lang: str) -> str:
    """Which items a change across instrument versions rests on, or nothing when both
    rounds used the same version."""
    before = view.meta.get("previous_instrument_version")
    if before is None or int(before) == instrument.version or view.change_items.empty:
        return ""
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    per = view.change_items.groupby("dimension_id").size()
    counts = ", ".join(f"{labels.get(d, d)} {int(k)}" for d, k in per.items())
    return t(
        "report.change_comparable",
        lang,
        before=int(before),
        after=instrument.version,
        n=len(view.change_items),
        counts=counts,
    )


def change(view: OrganisationView, instrument: Instrument, lang: str) -> Html:
    """Change since the previous round with 95% intervals whose sign is never hidden by
    rounding, corrected for testing every dimension at once (Benjamini–Hochberg): a
    change is reliable only when its interval excludes zero and it survives the correction."""
    previous = view.meta.get("previous_round_id")
    title = t("report.change", lang)
    if not previous or view.change.empty:
        return _section("change", title=title, rows=[], no_previous=t("report.no_previous", lang))
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    order = {d.id: n for n, d in enumerate(instrument.dimensions)}
    ordered = view.change.sort_values("dimension_id", key=lambda ids: ids.map(order))
    rows = [
        [
            labels[r.dimension_id],
            number(r.difference, 2, lang, signed=True),
            interval(r.ci_low, r.ci_high, 2, lang),
            t(_change_verdict(r), lang),
        ]
        for r in ordered.itertuples()
    ]
    header_row = [
        t("report.dimension", lang),
        t("report.difference", lang),
        t("report.interval", lang),
        "",
    ]
    return _section(
        "change",
        title=title,
        rows=rows,
        header=header_row,
        intro=t("report.change_intro", lang, previous=view.meta.get("previous_period") or previous),
        comparable=_comparable_note(view, instrument, lang),
        trend=chart(charts.trend(ordered, instrument, lang), lang),
        correction=t("report.change_correction", lang, n=len(view.change)),
    )


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


def response_and_reliability(view: OrganisationView, instrument: Instrument, lang: str) -> Html:
    """n, response rate, completion, and per dimension how far respondents agree, in
    words; caveats for small groups. Cronbach's alpha is for researchers only."""
    r = view.response
    values = dict(
        n=int(r.get("responses", 0)),
        rate=percent(r.get("response_rate"), lang),
        complete=percent(r.get("complete_share"), lang),
        dont_know=percent(r.get("dont_know_rate"), lang),
    )
    if pd.notna(r.get("invited")):
        line = t("report.response_line", lang, invited=int(r["invited"]), **values)
    else:
        line = t("report.response_line_no_invited", lang, **values)
    minimum = instrument.scoring.min_group_size * 2
    small = len(view.dimensions) and view.dimensions["n"].min() < minimum
    agreement = view.agreement_bands().set_index("dimension_id")
    # the figure that decided the word: the weaker of the statements' and the levels' rwg
    weaker = agreement[["rwg_j", "rwg_levels"]].astype(float).min(axis=1)
    n = view.dimensions.set_index("dimension_id")["n"]
    rows = [
        [
            dim.label.get(lang),
            agreement_cell(
                agreement["rwg_j"].get(dim.id),
                lang,
                agreement["band"].get(dim.id),
                weaker.get(dim.id),
            ),
            str(int(n[dim.id])) if dim.id in n.index else MISSING,
        ]
        for dim in instrument.dimensions
    ]
    header_row = [
        t("report.dimension", lang),
        t("report.agreement", lang),
        t("report.respondents", lang),
    ]
    return _section(
        "response",
        title=t("report.response", lang),
        line=line,
        rows=rows,
        header=header_row,
        small_group=t("report.small_group", lang, min=minimum) if small else "",
        note=Markup("{} {}").format(agreement_note(lang), t("report.agreement_weaker", lang)),
    )


def recommendations(view: OrganisationView, instrument: Instrument, lang: str) -> Html:
    """The actions chosen from the organisation's own gaps (``analysis/recommend.py``): per
    action why it was chosen, owner, horizon, the next level as its target, the statements
    that should move and a concrete tool. An instrument without recommendation rules gets
    no actions, and the section says so."""
    own = rules_for(instrument)
    if own is None or not own.actions:
        return _section(
            "recommendations",
            title=t("report.recommendations", lang),
            actions=[],
            intro="",
            nothing=t("advice.no_rules", lang),
        )
    advice = recommend_organisation(view, instrument, lang=lang)
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    actions = [_advice_item(r, labels, instrument, lang) for r in advice.itertuples()]
    return _section(
        "recommendations",
        title=t("report.recommendations", lang),
        actions=actions,
        intro=t("advice.intro", lang),
        nothing=t("advice.none", lang),
    )


def _indicator_statement(item, lang: str) -> str:
    """A statement an action should move: agreeing should rise, except for a reverse-keyed
    statement, where agreeing is unfavourable and should fall (said with the statement)."""
    text = item.text.get(lang)
    return t("advice.indicator_reversed", lang, text=text) if item.reverse else text


def _advice_item(r, labels: dict[str, str], instrument: Instrument, lang: str) -> dict:
    """The texts of one action of ``recommendations``."""
    level = level_label(instrument, r.target_level, lang)
    target_key = "advice.target" if r.purpose == "develop" else "advice.target_hold"
    statements = " · ".join(
        _indicator_statement(instrument.item_by_id[i], lang) for i in r.indicator
    )
    owner = f"{t('advice.owner', lang)}: {r.owner} · {t('advice.horizon', lang)}: {t(f'advice.horizon.{r.horizon}', lang)}"
    return {
        "dimension": labels[r.dimension_id],
        "action": r.action,
        "owner": owner,
        "because": full_stop(t("advice.because", lang, reasons="; ".join(r.reasons))),
        "target": t(target_key, lang, level=level, text=r.target),
        "indicator": t("advice.indicator", lang, items=statements),
        "tool_label": t("advice.tool", lang),
        "tool": r.tool,
        "tool_description": r.tool_description,
        "tool_url": r.tool_url,
    }


def free_text(view_free_text: pd.DataFrame, instrument: Instrument, lang: str) -> Html:
    """Answers to open questions that the instrument allows in reports, identical ones once
    with their count; escaped, never executed."""
    if view_free_text.empty:
        return Html("")
    questions = []
    for item_id, group in view_free_text.groupby("item_id"):
        question = next(f for f in instrument.free_text if f.id == item_id)
        quotes = [
            {"text": text, "times": t("report.times", lang, n=n) if n > 1 else ""}
            for text, n in grouped_texts(group["text"])
        ]
        questions.append({"text": question.text.get(lang), "quotes": quotes})
    return _section("free_text", title=t("report.free_text", lang), questions=questions)


def methods(
    instrument: Instrument,
    lang: str,
    agreement: pd.DataFrame | None = None,
    icc: pd.DataFrame | None = None,
) -> Html:
    """How scores are made, and the agreement figures behind the words: rwg(J) of this
    organisation or team, the rwg of its levels when ``agreement`` has them
    (``OrganisationView.agreement_bands``: the word is the weaker of the two, as the response
    section prints it) and, for organisations, ICC(1) and ICC(2) of the round."""
    share = percent(instrument.scoring.min_answered_share, lang)
    values = {
        "title": t("report.methods", lang),
        "text": t("report.methods_text", lang, share=share),
        "rows": [],
    }
    if agreement is not None and len(agreement):
        own = agreement.set_index("dimension_id")["rwg_j"]
        levels = (
            agreement.set_index("dimension_id")["rwg_levels"] if "rwg_levels" in agreement else None
        )
        rounds = icc.set_index("dimension_id") if icc is not None and len(icc) else pd.DataFrame()
        values["header"] = (
            [t("report.dimension", lang), "rwg(J)"]
            + ([t("report.methods_rwg_levels", lang)] if levels is not None else [])
            + (["ICC(1)", "ICC(2)"] if len(rounds) else [])
        )
        for dim in instrument.dimensions:
            row = [dim.label.get(lang), number(own.get(dim.id), 2, lang)]
            if levels is not None:
                row.append(number(levels.get(dim.id), 2, lang))
            if len(rounds):
                row += [
                    number(rounds["icc1"].get(dim.id), 2, lang),
                    number(rounds["icc2"].get(dim.id), 2, lang),
                ]
            values["rows"].append(row)
        text = t("report.methods_agreement", lang)
        if icc is not None:  # organisation reports word agreement with the level distribution too
            text += " " + t("report.methods_agreement_levels", lang)
        if len(rounds):
            text += " " + t("report.methods_icc", lang, groups=int(rounds["groups"].max()))
        values["agreement_text"] = text
    if icc is not None:  # an organisation report: its agenda and its similar-profile section
        values["text"] += (
            " "
            + t("report.methods_dispersion", lang)
            + " "
            + t("report.methods_profile", lang)
            + " "
            + t("report.methods_change", lang)
        )
    return _section("methods", **values)


def provenance(meta: dict, parameters: dict, lang: str) -> Html:
    """One readable sentence (which questionnaire version, which data, when, which dwp-assess),
    with the technical details (hashes, parameters) folded away for whoever checks them."""
    generated = pd.Timestamp.now(tz="UTC")
    computed = pd.Timestamp(meta["computed_at"]) if meta.get("computed_at") else generated
    sentence = t(
        "report.provenance_sentence",
        lang,
        version=meta["instrument_version"],
        period=meta.get("period", ""),
        computed=computed.strftime("%d-%m-%Y"),
        generated=generated.strftime("%d-%m-%Y"),
        package=__version__,
    )
    values = {
        "instrument": f"{meta['instrument_id']} v{meta['instrument_version']}",
        "instrument_hash": meta.get("instrument_hash", ""),
        "snapshot": meta.get("snapshot_hash", ""),
        "package": __version__,
        "parameters": ", ".join(
            f"{k} = {v}" for k, v in sorted(parameters.items()) if v is not None
        ),
        "computed_at": meta.get("computed_at", ""),
        "generated_at": generated.isoformat(timespec="seconds"),
    }
    rows = [[t(f"report.provenance.{key}", lang), value] for key, value in values.items()]
    return _section(
        "provenance",
        title=t("report.provenance", lang),
        sentence=sentence,
        details=t("report.provenance_details", lang),
        rows=rows,
    )


def colophon_rows(
    meta: dict,
    name: str,
    instrument: Instrument,
    lang: str,
    sender: str = project.DEFAULT_SENDER,
    contact: str = "",
) -> list[tuple[str, str]]:
    """(label, value) of a document's colophon: organisation (or team, collaboration), round,
    date made, sender and contact (``dwp.toml``; the Datawerkplaats by default), and the
    versions of the questionnaire and of dwp-assess. A contact left empty is left out."""
    rows = [
        ("organisation", name),
        ("round", round_subtitle(meta, instrument, lang)),
        ("made", pd.Timestamp.now(tz="UTC").strftime("%d-%m-%Y")),
        ("sender", sender or project.DEFAULT_SENDER),
        ("contact", contact),
        (
            "versions",
            t(
                "report.colophon_versions",
                lang,
                instrument=instrument.title.get(lang),
                version=meta.get("instrument_version", instrument.version),
                package=__version__,
            ),
        ),
    ]
    return [(t(f"report.colophon.{key}", lang), value) for key, value in rows if value]


def colophon(
    meta: dict,
    name: str,
    instrument: Instrument,
    lang: str,
    sender: str = project.DEFAULT_SENDER,
    contact: str = "",
) -> Html:
    """The colophon that closes every document (``colophon_rows``)."""
    return _section(
        "colophon",
        title=t("report.colophon", lang),
        rows=colophon_rows(meta, name, instrument, lang, sender, contact),
    )


def plan_follow_up(view: OrganisationView, instrument: Instrument, lang: str) -> Html:
    """ "Opvolging verbeterplan": per action the organisation adopted after the previous round,
    its status and owner, and whether its dimension (change with its interval, as in the change
    section) and its indicator statements (mean before → after, where both rounds asked the
    same statement) moved. Nothing when the organisation adopted no plan."""
    plan = view.plan_follow_up
    if plan is None or plan.empty:
        return Html("")
    before = get_instrument(
        instrument.id, int(view.meta.get("previous_instrument_version") or instrument.version)
    )
    rules = rules_for(instrument)
    labels = {d.id: d.label.get(lang) for d in instrument.dimensions}
    change = view.change.set_index("dimension_id") if len(view.change) else pd.DataFrame()
    bold, lines = macro("bold"), macro("lines")
    rows = []
    for action_id, group in plan.groupby("action_id", sort=False):
        first = group.iloc[0]
        rule = rules.action(action_id) if rules else None
        text = rule.action.get(lang) if rule else first["action"]
        owner = t(
            "plan.follow_up_owner",
            lang,
            name=first["owner_name"] or MISSING,
            due=first["due_date"] or MISSING,
        )
        moved = [_dimension_moved(first["dimension_id"], labels, change, lang)]
        moved += [
            _item_moved(r, before, instrument, lang)
            for r in group.itertuples()
            if pd.notna(r.item_before)
        ]
        rows.append(
            [
                bold(labels.get(first["dimension_id"], first["dimension_id"]))
                + Markup(": ")
                + text,
                t(f"plan.status.{first['status']}", lang),
                owner,
                lines(moved),
            ]
        )
    intro = t(
        "plan.follow_up_intro",
        lang,
        period=view.meta.get("previous_period") or MISSING,
        version=int(plan["plan_version"].iloc[0]),
    )
    header_row = [t(f"plan.column_{c}", lang) for c in ("action", "status", "owner", "moved")]
    return _section(
        "plan_follow_up",
        title=t("plan.follow_up", lang),
        intro=intro,
        header=header_row,
        rows=rows,
        note=t(
            "plan.follow_up_items_note", lang, range=interval(*instrument.scored_range, 0, lang)
        ),
    )


def _dimension_moved(dimension_id: str, labels: dict, change: pd.DataFrame, lang: str) -> str:
    """The dimension's change since the previous round, with its interval and verdict."""
    label = labels.get(dimension_id, dimension_id)
    if dimension_id not in change.index:
        return t("plan.follow_up_no_change", lang, dimension=label)
    r = change.loc[dimension_id]
    return t(
        "plan.follow_up_dimension",
        lang,
        dimension=label,
        difference=number(r["difference"], 2, lang, signed=True),
        interval=interval(r["ci_low"], r["ci_high"], 2, lang),
        verdict=t(_change_verdict(r), lang),
    )


def _item_moved(r, before: Instrument, after: Instrument, lang: str) -> str:
    """An indicator statement's mean before → after, or that it is no longer asked alike."""
    if pd.isna(r.item_after):
        statement = before.item_by_id[r.item_before].text.get(lang)
        return t(
            "plan.follow_up_item_new",
            lang,
            statement=statement,
            before=number(r.mean_before, 1, lang),
        )
    statement = after.item_by_id[r.item_after].text.get(lang)
    return t(
        "plan.follow_up_item",
        lang,
        statement=statement,
        before=number(r.mean_before, 1, lang),
        after=number(r.mean_after, 1, lang),
    )


# -- team profile ---------------------------------------------------------------------------


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


def _role_label(role, instrument: Instrument, lang: str) -> str:
    """A role's label; ``None`` (a role too few members share, or none) is "overige rollen"."""
    if role is None or pd.isna(role):
        return t("report.other_roles", lang)
    labels = {c.code: c.label.get(lang) for c in instrument.respondent_fields[0].choices}
    return labels.get(role, role)


def member_stages(view: TeamView) -> dict[tuple[str, str], list[str]]:
    """(member, competence) → the DIKW stages where the competence is needed and the member
    does not cover it: the stages whose coverage row names the member among ``not_covering``
    (the same rows the gap list reads, so grid and gap list never differ)."""
    missing: dict[tuple[str, str], list[str]] = {}
    for r in view.coverage.itertuples():
        for member in filter(None, str(r.not_covering).split("; ")):
            missing.setdefault((member, r.dimension_id), []).append(r.dikw_stage)
    return missing


def members(view: TeamView, instrument: Instrument, lang: str) -> Html:
    """Member pseudonyms × competences: ✓ where the member covers the competence at every
    stage where it is needed, the stages it does cover where that is only some of them, and
    nothing where it covers none (``member_stages``, as the gap list); for a team smaller than
    the minimum group size only a sentence saying why there is no grid."""
    title = t("report.members", lang)
    if not view.shows_members:
        why = t(
            "report.members_withheld",
            lang,
            n=view.meta["n_members"],
            min=view.meta["min_group_size"],
        )
        return _section("members", title=title, rows=[], withheld=why)
    scored = view.members.pivot_table(
        index="member", columns="dimension_id", values="score", aggfunc="first"
    )
    role_of = view.members.drop_duplicates("member").set_index("member")["role"]
    with_roles = role_of.notna().any()  # a column of nothing but "overige rollen" says nothing
    needed = view.coverage.groupby("dimension_id", sort=False)["dikw_stage"].apply(list).to_dict()
    missing = member_stages(view)
    rows = []
    for member, row in scored.iterrows():
        marks = [
            _member_cell(
                needed.get(d.id, []), missing.get((member, d.id), []), pd.notna(row.get(d.id)), lang
            )
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


def _member_cell(needed: list[str], missing: list[str], scored: bool, lang: str) -> str:
    """ "✓" when the member covers every needed stage, the covered stages when only some, ""
    when none (or the member has no score)."""
    covered = [s for s in needed if s not in missing]
    if not scored or not covered:
        return ""
    if len(covered) == len(needed):
        return "✓"
    return ", ".join(t(f"chart.stage.{s}", lang) for s in covered)


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

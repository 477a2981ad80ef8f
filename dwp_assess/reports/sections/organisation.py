"""The sections of the organisation report: header, summary, comparison with the peer
group, roles, similar profile, per dimension, the agenda of disagreement, and response
and reliability."""

from __future__ import annotations

import re

import pandas as pd
from markupsafe import Markup

from dwp_assess.analysis.profiles import OrganisationView
from dwp_assess.analysis.recommend import first_actions
from dwp_assess.analysis.roles import POOLED
from dwp_assess.analysis.typology import saved_typology
from dwp_assess.analysis.typology import similar_profile as similar_profile_of
from dwp_assess.instruments.messages import t, t_count
from dwp_assess.instruments.model import Instrument
from dwp_assess.locale import MISSING, RANGE_DASH, THOUSANDS_MARK, number, percent
from dwp_assess.reports import charts
from dwp_assess.reports.sections.advice import first_action_items
from dwp_assess.reports.sections.common import (
    Html,
    _role_label,
    _section,
    agreement_cell,
    agreement_note,
    chart,
    header,
    round_subtitle,
)
from dwp_assess.reports.sections.levels import (
    dimension_level_row,
    level_basis_of,
    level_label,
    level_text,
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


def peer_kind_words(meta: dict, lang: str) -> str:
    """The kind of the organisations compared with, in the number the round has of them
    ("1 gemeente", "6 gemeenten"): every text writes "{n} {kind}"."""
    return t_count(f"report.org_kind.{meta['peer_kind']}", int(meta["peer_n"]), lang)


def peer_note(meta: dict, lang: str) -> str:
    """Which organisations the comparison uses, after widening (``analysis/peers.py``),
    or which group was too small even after widening."""
    values = dict(
        kind=peer_kind_words(meta, lang),
        classes=size_classes_in(meta["peer_classes"], lang),
        n=meta["peer_n"],
        min=meta["min_group_size"],
    )
    return t(f"report.peer_step.{meta['peer_step'] or 'none'}", lang, **values)


def size_classes_in(classes: str, lang: str) -> str:
    """Size classes as the registry names them ("20.000-50.000 + 50.000-100.000", Dutch marks)
    written in ``lang``: its thousands mark and an en dash between the bounds ("20,000–50,000"
    in English, where "50.000" reads as fifty)."""
    classes = re.sub(r"(?<=\d)\.(?=\d{3}\b)", THOUSANDS_MARK[lang], classes)
    return re.sub(r"(?<=\d)-(?=\d)", RANGE_DASH, classes)


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


# Statements per answer chart. A chart cannot break across pages, so a page ends with as much
# room left as the next chart needs at most: with two statements a part is about a third of an
# A4 page and no page of Gouda's report is more than 30% empty (with three: 46%, a page more).
STATEMENTS_PER_CHART = 2


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

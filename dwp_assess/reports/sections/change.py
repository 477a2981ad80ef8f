"""What moved since the previous round: the change per dimension with its corrected
verdict, and the follow-up of the improvement plan adopted after that round."""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from dwp_assess.analysis.profiles import OrganisationView
from dwp_assess.analysis.recommend import rules_for
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import Instrument
from dwp_assess.locale import MISSING, interval, number
from dwp_assess.reports import charts
from dwp_assess.reports.html import macro
from dwp_assess.reports.sections.common import Html, _section, chart


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

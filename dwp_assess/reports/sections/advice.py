"""The advice in the organisation report and the management summary: the first actions
and every recommended action with its reasons, target, indicator statements and tool."""

from __future__ import annotations

import pandas as pd

from dwp_assess.analysis.profiles import OrganisationView
from dwp_assess.analysis.recommend import recommend_organisation, rules_for
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import Instrument
from dwp_assess.reports.sections.common import Html, _section, full_stop
from dwp_assess.reports.sections.levels import level_label


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

"""A dimension's level in words: its label, the row and band the analysis found, and
its basis (chosen by respondents, or estimated with its interval); the organisation
report and the management summary word levels with these."""

from __future__ import annotations

import pandas as pd

from dwp_assess.analysis.profiles import OrganisationView
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import Instrument


def level_label(instrument: Instrument, level, lang: str) -> str:
    if level is None or pd.isna(level):
        return t("report.no_score", lang)
    return f"{int(level)} · {instrument.scoring.levels[int(level) - 1].label.get(lang)}"


def dimension_level_row(view: OrganisationView, dimension_id: str) -> pd.Series | None:
    """This organisation's row of ``levels`` (``analysis.levels``) for one dimension."""
    return view.remembered(("level_rows",), lambda: _level_rows(view)).get(dimension_id)


def _level_rows(view: OrganisationView) -> dict[str, pd.Series]:
    """Each dimension's first row of ``levels``, found in one pass (a report and its summary
    ask for each several times)."""
    levels = view.levels
    if levels is None or levels.empty:
        return {}
    first = levels.drop_duplicates("dimension_id")
    return {dim: first.iloc[k] for k, dim in enumerate(first["dimension_id"])}


def chosen_spread(view: OrganisationView | None, dimension_id: str) -> tuple[int, int] | None:
    """The middle half of the chosen levels as whole levels: the lower and upper quartile by
    nearest rank (the first level with at least 25% and 75% of the choices at or below it),
    so a spread is never "1,75–2" for something that only takes whole levels."""
    if view is None or view.level_distribution.empty:
        return None
    return view.remembered(("chosen_spreads",), lambda: _chosen_spreads(view)).get(dimension_id)


def _chosen_spreads(view: OrganisationView) -> dict[str, tuple[int, int]]:
    """``chosen_spread`` of every dimension with choices, in one pass over the distribution."""
    spreads = {}
    for dim, dist in view.level_distribution.groupby("dimension_id", sort=False):
        counts = dist.sort_values("level")
        total = counts["n"].sum()
        if not total:
            continue
        share = (counts["n"].cumsum() / total).to_numpy()
        levels = counts["level"].to_numpy()
        spreads[dim] = (
            int(levels[(share >= 0.25 - 1e-9).argmax()]),
            int(levels[(share >= 0.75 - 1e-9).argmax()]),
        )
    return spreads


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

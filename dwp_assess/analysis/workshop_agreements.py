"""Agreements per team: public values weighed by relevance and safeguarding, for a workshop.

For an instrument with ``output: agreements`` (the workshop Goed Digitaal Bestuur) every
public value is asked twice (``instruments.model``): how relevant it is for the project and
how well it is safeguarded now, on scales with one range of values. Per team and value this
module counts the answers, describes both distributions (n, "weet ik niet", median, mean),
computes the gap (mean relevance − mean safeguarding) and flags

- a **priority**: the value is relevant (mean relevance above the scale's midpoint) and
  safeguarding lags relevance by at least ``PRIORITY_MIN_GAP`` scale points;
- **disagreement**: on the relevance or the safeguarding question the team's answers are
  "verdeeld" (divided): rwg of that question at most .50, the bands of
  ``agreement.words_for_agreement`` (LeBreton & Senter, 2008) on ``agreement.rwg``.

The agreements list (``agreements_list``) puts the priorities first (largest gap, then
highest relevance, then the instrument's order), then the values the team disagrees on that
are no priority (lowest rwg first). A team with fewer respondents than the minimum group
size (``privacy.min_group_size``) gets its count only: no distributions, figures, flags or
proposals. ``docs/scoring.md`` ("Agreements list") writes every rule out.

``session_summary`` is the facilitator's live view of one team during the workshop
(``notebooks/session.ipynb``): the same counts, from the answers stored so far, never a
respondent's own row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pandas as pd
from sqlalchemy.engine import Engine

from dwp_assess.analysis.formatting import grouped_texts
from dwp_assess.analysis.privacy import min_group_size
from dwp_assess.analysis.rater_agreement import WORD_OF_BAND, rwg, words_for_agreement
from dwp_assess.analysis.table_files import RoundTables, round_meta
from dwp_assess.data import store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.model import ASPECTS, Instrument

PRIORITY_MIN_GAP = 1.0  # scale points safeguarding must lag relevance for a priority
DONT_KNOW = "dont_know"

VALUE_COLUMNS = [
    "team_id",
    "value_id",
    "dimension_id",
    "position",
    *(f"{k}_{a}" for a in ASPECTS for k in ("n", "dont_know", "median", "mean", "rwg", "spread")),
    "gap",
    "relevant",
    "priority",
    "disagreement",
    "suppressed",
]
COUNTS = [f"{k}_{a}" for a in ASPECTS for k in ("n", "dont_know")]
FIGURES = [f"{k}_{a}" for a in ASPECTS for k in ("median", "mean", "rwg", "spread")] + ["gap"]
DISTRIBUTION_COLUMNS = ["team_id", "value_id", "aspect", "answer", "n"]
PROPOSAL_COLUMNS = ["team_id", "dimension_id", "text", "n"]
TEAM_COLUMNS = ["team_id", "organisation_id", "name", "invited", "n_respondents", "suppressed"]


@dataclass
class AgreementsAnalysis(RoundTables):
    """A round of an agreements instrument, analysed once for every team (``reports.outputs``)."""

    FORMAT: ClassVar[int] = 1

    meta: dict
    organisations: pd.DataFrame  # the round's organisations: organisation_id, name, ...
    teams: pd.DataFrame  # team: organisation, name, invited, respondents, suppressed
    values: pd.DataFrame  # team × public value: counts, medians, means, gap, rwg, flags
    distribution: pd.DataFrame  # team × value × aspect × answer (point or dont_know): n
    proposals: pd.DataFrame  # team × principle: the open "what we agree on" answers, grouped

    def report_units(self) -> dict[str, str]:
        """Team id → its name, for every team with respondents, in id order."""
        teams = self.teams.sort_values("team_id")
        return {t: str(n) for t, n in zip(teams["team_id"], teams["name"], strict=True)}

    def receivers(self) -> dict[str, list[str]]:
        """A team's report goes to its own organisation only."""
        return {
            t: [o]
            for t, o in zip(self.teams["team_id"], self.teams["organisation_id"], strict=True)
        }

    def team(self, team_id: str) -> TeamAgreements:
        """One team's part of the analysis (a clear error for a team without answers)."""
        rows = self.teams[self.teams["team_id"] == team_id]
        if rows.empty:
            raise ValueError(f"team '{team_id}' has no answers in round '{self.meta['round_id']}'")
        own = lambda frame: frame[frame["team_id"] == team_id].reset_index(drop=True)  # noqa: E731
        values = own(self.values)
        return TeamAgreements(
            meta=self.meta | {"team_id": team_id},
            team=rows.iloc[0],
            values=values,
            distribution=own(self.distribution),
            proposals=own(self.proposals),
            agreements=agreements_list(values),
        )


@dataclass
class TeamAgreements:
    """What one team's reflection and agreements list show."""

    meta: dict
    team: pd.Series  # team_id, organisation_id, name, invited, n_respondents, suppressed
    values: pd.DataFrame  # as AgreementsAnalysis.values, this team only
    distribution: pd.DataFrame
    proposals: pd.DataFrame
    agreements: pd.DataFrame  # agreements_list(values)

    @property
    def suppressed(self) -> bool:
        return bool(self.team["suppressed"])


# -- per team and value -----------------------------------------------------------------


def _value_answers(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """The answers to the value items, with value, principle and aspect beside them."""
    items = pd.DataFrame(
        [(i.id, i.public_value, i.dimension, i.aspect) for i in instrument.items if i.public_value],
        columns=["item_id", "value_id", "dimension_id", "aspect"],
    )
    rated = answers[answers["team_id"].notna()].merge(items, on="item_id")
    return rated[rated["value"].notna() | rated["code"].eq(DONT_KNOW)]


def team_sizes(answers: pd.DataFrame, min_group: int) -> pd.DataFrame:
    """Per team: respondents (anyone with a stored answer) and whether the team is under
    the minimum group size."""
    teams = answers[answers["team_id"].notna()]
    sizes = (
        teams.groupby("team_id")["respondent_id"].nunique().rename("n_respondents").reset_index()
    )
    sizes["suppressed"] = sizes["n_respondents"] < min_group
    return sizes


def _aspect_stats(rated: pd.DataFrame, aspect: str, n_options: int) -> pd.DataFrame:
    """Per team and value, one aspect: answered n, "weet ik niet", median, mean, rwg, spread."""
    own = rated[rated["aspect"] == aspect]
    if own.empty:
        return pd.DataFrame(
            columns=[f"{c}_{aspect}" for c in ("n", "median", "mean", "dont_know", "spread", "rwg")]
        )
    grouped = own.groupby(["team_id", "value_id"])
    stats = grouped["value"].agg(n="count", median="median", mean="mean", low="min", high="max")
    stats["dont_know"] = grouped["code"].apply(lambda c: int(c.eq(DONT_KNOW).sum()))
    stats["spread"] = stats.pop("high") - stats.pop("low")
    keys = own["team_id"] + "\x00" + own["value_id"]
    agreement = rwg(own["value"].reset_index(drop=True), n_options, keys.reset_index(drop=True))
    split = agreement["group"].str.split("\x00", expand=True)
    agreement = agreement.assign(team_id=split[0], value_id=split[1]).set_index(
        ["team_id", "value_id"]
    )
    stats["rwg"] = agreement["rwg"]
    return stats.add_suffix(f"_{aspect}")


def value_table(answers: pd.DataFrame, instrument: Instrument, min_group: int) -> pd.DataFrame:
    """Per team and public value: the figures of both aspects, the gap and the flags (see the
    module docstring); every figure blank and ``suppressed`` set for a team under the minimum."""
    rated = _value_answers(answers, instrument)
    scale = instrument.scale_of(next(i.id for i in instrument.items if i.public_value))
    n_options = len(scale.points)
    sizes = team_sizes(answers, min_group)
    order = {v.id: n for n, v in enumerate(instrument.public_values)}
    grid = pd.MultiIndex.from_product(
        [sizes["team_id"], list(order)], names=["team_id", "value_id"]
    )
    table = pd.DataFrame(index=grid)
    for aspect in ASPECTS:
        table = table.join(_aspect_stats(rated, aspect, n_options))
    table = table.reset_index()
    table[COUNTS] = table[COUNTS].fillna(0).astype(int)
    table[FIGURES[:-1]] = table[FIGURES[:-1]].astype(float)
    table["dimension_id"] = table["value_id"].map(lambda v: instrument.value_by_id[v].dimension)
    table["position"] = table["value_id"].map(order)
    midpoint = (scale.min + scale.max) / 2
    table["gap"] = table["mean_relevance"] - table["mean_safeguarding"]
    table["relevant"] = table["mean_relevance"] > midpoint
    table["priority"] = table["relevant"] & (table["gap"] >= PRIORITY_MIN_GAP)
    table["disagreement"] = pd.concat([is_divided(table[f"rwg_{a}"]) for a in ASPECTS], axis=1).any(
        axis=1
    )
    table = table.merge(sizes[["team_id", "suppressed"]], on="team_id")
    return _suppress(table)[VALUE_COLUMNS]


def is_divided(rwg_values: pd.Series) -> pd.Series:
    """Whether each rwg falls in a band ``words_for_agreement`` calls "verdeeld" (divided):
    lack of or weak agreement, rwg ≤ .50; a missing rwg (fewer than two answers) is not."""
    bands = words_for_agreement(rwg_values.astype(float).clip(0, 1))["band"]
    divided = bands.map(WORD_OF_BAND).eq("divided").to_numpy() & rwg_values.notna().to_numpy()
    return pd.Series(divided, index=rwg_values.index)


def _suppress(table: pd.DataFrame) -> pd.DataFrame:
    """Blank every count and figure of a team under the minimum group size; flags become False."""
    small = table["suppressed"]
    table = table.copy()
    table[COUNTS] = table[COUNTS].astype("Int64").mask(small)
    table.loc[small, FIGURES] = float("nan")
    for flag in ("relevant", "priority", "disagreement"):
        table[flag] = table[flag].fillna(False).astype(bool) & ~small
    return table


def distribution_table(
    answers: pd.DataFrame, instrument: Instrument, sizes: pd.DataFrame
) -> pd.DataFrame:
    """Team × value × aspect × answer: how many gave it (answer: the point value as text, or
    ``dont_know``); teams under the minimum group size have no rows."""
    rated = _value_answers(answers, instrument)
    rated = rated[rated["team_id"].isin(sizes.loc[~sizes["suppressed"], "team_id"])]
    answer = rated["value"].map(lambda v: str(int(v)), na_action="ignore").fillna(DONT_KNOW)
    counts = rated.assign(answer=answer).groupby(["team_id", "value_id", "aspect", "answer"]).size()
    return counts.rename("n").reset_index()[DISTRIBUTION_COLUMNS]


def proposal_table(
    answers: pd.DataFrame, instrument: Instrument, sizes: pd.DataFrame
) -> pd.DataFrame:
    """Team × principle: the answers to the principle's open question (``FreeText.dimension``,
    shown in reports), identical ones once with their count; none for teams under the minimum."""
    questions = {
        f.id: f.dimension for f in instrument.free_text if f.dimension and f.show_in_reports
    }
    shown = sizes.loc[~sizes["suppressed"], "team_id"]
    texts = answers[
        answers["item_id"].isin(questions)
        & answers["text"].notna()
        & answers["team_id"].isin(shown)
    ]
    rows = [
        (team_id, questions[item_id], text, n)
        for (team_id, item_id), group in texts.groupby(["team_id", "item_id"], sort=True)
        for text, n in grouped_texts(group["text"])
    ]
    return pd.DataFrame(rows, columns=PROPOSAL_COLUMNS)


def agreements_list(values: pd.DataFrame) -> pd.DataFrame:
    """The values a team should discuss and agree on, in order: priorities (largest gap, then
    highest mean relevance, then the instrument's order), then the values with disagreement
    that are no priority (lowest rwg of their two questions first, then the instrument's
    order). ``reason`` says which: ``priority`` or ``disagreement``."""
    priorities = values[values["priority"]].assign(reason="priority")
    priorities = priorities.sort_values(
        ["gap", "mean_relevance", "position"], ascending=[False, False, True]
    )
    divided = values[values["disagreement"] & ~values["priority"]].assign(reason="disagreement")
    divided = divided.assign(lowest_rwg=divided[["rwg_relevance", "rwg_safeguarding"]].min(axis=1))
    divided = divided.sort_values(["lowest_rwg", "position"]).drop(columns="lowest_rwg")
    return pd.concat([priorities, divided], ignore_index=True)


# -- the round ---------------------------------------------------------------------------


def analyse_answers(
    answers: pd.DataFrame,
    instrument: Instrument,
    orgs: pd.DataFrame,
    teams: pd.DataFrame,
    meta: dict,
    min_group: int | None = None,
) -> AgreementsAnalysis:
    """``analyse_round`` on frames already loaded (for tests): every team of the round at once."""
    minimum = min_group if min_group is not None else min_group_size(instrument)
    sizes = team_sizes(answers, minimum)
    registry = teams.rename(columns={"id": "team_id"})[
        ["team_id", "organisation_id", "name", "invited"]
    ]
    found = sizes.merge(registry, on="team_id", how="left")
    owner = (
        answers.dropna(subset=["team_id"])
        .drop_duplicates("team_id")
        .set_index("team_id")["organisation_id"]
    )
    found["organisation_id"] = found["organisation_id"].fillna(found["team_id"].map(owner))
    found["name"] = found["name"].fillna(found["team_id"])
    return AgreementsAnalysis(
        meta=meta | {"min_group_size": minimum},
        organisations=orgs,
        teams=found[TEAM_COLUMNS],
        values=value_table(answers, instrument, minimum),
        distribution=distribution_table(answers, instrument, sizes),
        proposals=proposal_table(answers, instrument, sizes),
    )


def analyse_round(
    engine: Engine,
    round_id: str,
    previous_round_id: str | None = None,
    min_group: int | None = None,
) -> AgreementsAnalysis:
    """Load a round from the store and analyse every team, with the registry's organisations
    of the teams that answered (no comparison between rounds:
    ``previous_round_id`` is accepted as every output's analysis takes it, and recorded)."""
    info = store.get_round(engine, round_id)
    instrument = get_instrument(info.instrument_id, info.instrument_version)
    meta = round_meta(engine, info, instrument, previous_round_id=previous_round_id)
    answers = store.load_answers(engine, round_id)
    registry = store.organisations(engine).rename(columns={"id": "organisation_id"})
    orgs = registry[registry["organisation_id"].isin(answers["organisation_id"])].reset_index(
        drop=True
    )
    return analyse_answers(answers, instrument, orgs, store.teams(engine), meta, min_group)


def load_analysis(
    analysis_dir: str | Path | None, database_url: str | None, round_id: str
) -> AgreementsAnalysis:
    """The saved analysis (as ``dwp-assess report`` makes it), or a fresh one from the store."""
    if analysis_dir:
        return AgreementsAnalysis.load(Path(analysis_dir))
    if not round_id:
        raise ValueError("round_id is required")
    return analyse_round(store.connect(database_url), round_id)


# -- the facilitator's live view -----------------------------------------------------------


@dataclass(frozen=True)
class SessionSummary:
    """One team's answers so far, as the facilitator may see them during the workshop: the
    number of respondents always; counts per value and aspect (and the grouped proposals) only
    from the minimum group size on. Never a row per respondent."""

    team_id: str
    n_respondents: int
    min_group_size: int
    counts: pd.DataFrame  # value × aspect × answer: n (empty while under the minimum)
    values: pd.DataFrame  # as value_table, this team only (empty while under the minimum)
    proposals: pd.DataFrame  # principle × grouped text: n (empty while under the minimum)

    @property
    def shown(self) -> bool:
        return self.n_respondents >= self.min_group_size


def session_summary(
    answers: pd.DataFrame, instrument: Instrument, team_id: str, min_group: int
) -> SessionSummary:
    """The facilitator's view of one team from the answers stored so far (see ``SessionSummary``)."""
    own = answers[answers["team_id"] == team_id]
    sizes = team_sizes(own, min_group)
    n = int(sizes["n_respondents"].iloc[0]) if len(sizes) else 0
    if n < min_group:
        empty = lambda columns: pd.DataFrame(columns=columns)  # noqa: E731
        return SessionSummary(
            team_id,
            n,
            min_group,
            empty(DISTRIBUTION_COLUMNS),
            empty(VALUE_COLUMNS),
            empty(PROPOSAL_COLUMNS),
        )
    return SessionSummary(
        team_id,
        n,
        min_group,
        counts=distribution_table(own, instrument, sizes),
        values=value_table(own, instrument, min_group),
        proposals=proposal_table(own, instrument, sizes),
    )

"""Organisation and team profiles: the whole round analysed once, then viewed per unit.

``analyse_round`` computes everything a report shows, for every organisation
and team of a round at once (vectorised groupbys, no loop per respondent), and
returns a ``RoundAnalysis`` of tidy DataFrames that can be saved and loaded in
a fraction of a second. Report notebooks then only select their own unit with
``organisation_view`` or ``team_view``, which by construction contain no data of
another organisation except aggregates over at least the minimum group size
(``privacy.min_group_size``, recorded in ``meta["min_group_size"]`` so that every
report of the round applies the same minimum).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TypeVar

import numpy as np
import pandas as pd
from scipy import stats as sps
from sqlalchemy.engine import Engine

from dwp_assess.analysis.comparison import CHANGE_COLUMNS, change_scores, change_since, restricted
from dwp_assess.analysis.levels import level_statistics
from dwp_assess.analysis.peers import peer_groups
from dwp_assess.analysis.plan_follow_up import FOLLOW_UP_COLUMNS, follow_up
from dwp_assess.analysis.privacy import (
    member_pseudonyms,
    min_group_size,
    pool_small_categories,
)
from dwp_assess.analysis.rater_agreement import rwg_of_counts, weakest_band, words_for_agreement
from dwp_assess.analysis.reliability import agreement_by_unit, alpha_reliability, mean_reliability
from dwp_assess.analysis.roles import role_breakdown
from dwp_assess.analysis.scoring import (
    item_matrix,
    item_table,
    keyed_values,
    levels_for,
    positions,
    score_round,
)
from dwp_assess.analysis.stats import ordinal_dispersion
from dwp_assess.analysis.table_files import RoundTables, round_meta
from dwp_assess.data import plan_files, store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.model import DIKW_STAGES, Instrument

AGENDA_MIN_ANSWERS = 5
STRAIGHTLINE_MIN_ITEMS = 10


@dataclass
class RoundAnalysis(RoundTables):
    """Everything computed for one round; every table is tidy with named columns.

    ``FORMAT`` names the layout of the saved tables; a saved analysis of another format is
    never loaded (``reports.cache.cached_analysis`` keys its cache on it)."""

    FORMAT: ClassVar[int] = 5

    meta: dict
    organisations: pd.DataFrame  # the round's organisations with kind, size class, invited
    scores: pd.DataFrame  # response × dimension (scoring.score_round)
    response: pd.DataFrame  # per organisation: responses, response rate, completion, ...
    dimensions: pd.DataFrame  # organisation × dimension: n, mean, median, IQR, level shares
    items: pd.DataFrame  # organisation × item: answer shares and disagreement
    reliability: pd.DataFrame  # dimension (round-wide and per organisation): alpha, for researchers
    peers: pd.DataFrame  # peer group × dimension: mean of organisation means, or suppressed
    peer_assignment: pd.DataFrame  # organisation: the peer group it is compared with (peers.py)
    agreement: pd.DataFrame  # unit (organisation or team) × dimension: rwg(J) and its band
    mean_reliability: pd.DataFrame  # dimension: ICC(1), ICC(2) across organisations
    roles: pd.DataFrame  # organisation × role group × dimension: n, mean (roles.py)
    change: pd.DataFrame  # organisation × dimension: change since the previous round with CI
    team_members: pd.DataFrame  # team × member × competence: score and whether it covers
    team_stages: pd.DataFrame  # team × member × competence × DIKW stage: score, covers
    team_coverage: pd.DataFrame  # team × competence × DIKW stage: rule and whether it is met
    free_text: pd.DataFrame  # answers to free-text questions that reports may show
    levels: pd.DataFrame  # organisation × dimension: level, its basis and uncertainty (levels.py)
    level_distribution: pd.DataFrame  # organisation × dimension × level: respondents per level
    change_items: pd.DataFrame  # dimension × item pair the change since the previous round uses
    plan_follow_up: (
        pd.DataFrame
    )  # organisation × adopted action × item (analysis/plan_follow_up.py)
    teams: pd.DataFrame = field(
        default_factory=pd.DataFrame
    )  # team rounds: id, organisation, name, invited

    def report_units(self) -> dict[str, str]:
        """The reports of the round: organisation (or team) id → its name, for every unit with
        scores, in id order (``reports.outputs``)."""
        if self.instrument.kind_spec.in_teams:
            names = dict(zip(self.teams["id"], self.teams["name"], strict=True))
            return {t: str(names.get(t, t)) for t in sorted(set(self.team_members["team_id"]))}
        names = self.organisations.set_index("organisation_id")["name"]
        return {o: str(names.get(o, o)) for o in sorted(set(self.scores["organisation_id"]))}

    def receivers(self) -> dict[str, list[str]]:
        """Report unit → the organisation that may receive it: itself, or the team's."""
        if self.instrument.kind_spec.in_teams:
            teams = self.team_members.drop_duplicates("team_id")
            return {t: [o] for t, o in zip(teams["team_id"], teams["organisation_id"], strict=True)}
        return {org: [org] for org in self.scores["organisation_id"].unique()}


# -- per organisation --------------------------------------------------------------


def _per_response(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Per response with an answer to one of the instrument's items: how many it answered,
    how often "weet ik niet", and whether it gave one value throughout (straightlining).
    Counted on integer codes of the responses (``np.bincount``), not by a string groupby."""
    rows = np.flatnonzero(positions(answers["item_id"], list(instrument.item_by_id)) >= 0)
    response, ids = answers["response_id"].take(rows).factorize(sort=True)
    value = pd.Series(answers["value"].to_numpy(dtype=float)[rows])
    count = lambda weights: np.bincount(response, weights, minlength=len(ids)).astype(int)  # noqa: E731
    answered = count(value.notna().to_numpy())
    spread = value.groupby(response).agg(["min", "max"]).reindex(range(len(ids)))
    one_value = spread["min"].eq(spread["max"]).to_numpy()
    return pd.DataFrame(
        {
            "answered": answered,
            "dont_know": count(answers["code"].take(rows).eq("dont_know").to_numpy()),
            "straightlining": (answered >= STRAIGHTLINE_MIN_ITEMS) & one_value,
        },
        index=pd.Index(ids, name="response_id"),
    )


def response_overview(
    answers: pd.DataFrame, scores: pd.DataFrame, instrument: Instrument, orgs: pd.DataFrame
) -> pd.DataFrame:
    """Per organisation: responses, invited, response rate, completion and answer quality."""
    per_response = _per_response(answers, instrument)
    missing = scores.groupby("response_id")["n_missing"].sum()
    per_response["complete"] = missing.reindex(per_response.index).fillna(0).eq(0)
    org_of = scores.drop_duplicates("response_id").set_index("response_id")["organisation_id"]
    per_response = per_response.join(org_of)
    k = len(instrument.items)
    out = per_response.groupby("organisation_id").agg(
        responses=("answered", "size"),
        answered=("answered", "sum"),
        dont_know=("dont_know", "sum"),
        complete_share=("complete", "mean"),
        straightliners=("straightlining", "sum"),
    )
    out["dont_know_rate"] = out["dont_know"] / (out["responses"] * k)
    out["missing_rate"] = 1 - (out["answered"] + out["dont_know"]) / (out["responses"] * k)
    out = out.drop(columns=["answered", "dont_know"])
    out = orgs.set_index("organisation_id")[["invited"]].join(out, how="right")
    out["response_rate"] = out["responses"] / out["invited"].where(out["invited"] > 0)
    return out.reset_index()


def dimension_summary(scores: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Organisation × dimension: n, mean, sd, median, quartiles, level, share per level."""
    valid = scores.dropna(subset=["score"])
    grouped = valid.groupby(["organisation_id", "dimension_id"])["score"]
    out = grouped.agg(n="count", mean="mean", sd="std", median="median")
    out["q1"] = grouped.quantile(0.25)
    out["q3"] = grouped.quantile(0.75)
    out["iqr"] = out["q3"] - out["q1"]
    shares = valid.groupby(["organisation_id", "dimension_id"])["level"].value_counts(
        normalize=True
    )
    shares = shares.unstack(fill_value=0.0)
    for lv in instrument.scoring.levels:
        out[f"share_level_{lv.level}"] = shares.get(lv.level, pd.Series(0.0, index=shares.index))
    out = out.reset_index()
    out["level"] = levels_for(out["mean"], instrument)
    return out


def item_summary(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Organisation × item: answers per scale point (raw values), codes, mean, disagreement.

    One row per organisation and rating item it answered, sorted by both. Counted on
    integer codes of organisation × item (``np.bincount``), not by a string groupby."""
    rows, item_rows, keyed = keyed_values(answers, instrument)
    org, org_ids = answers["organisation_id"].factorize(sort=True)
    item, item_ids = item_table(instrument)["item_id"].factorize(sort=True)
    org, item = org[rows], item[item_rows]
    known = org >= 0
    cell = (org * len(item_ids) + item)[known]
    size = len(org_ids) * len(item_ids)
    count = lambda mask: np.bincount(cell, mask[known], minlength=size)[present]  # noqa: E731
    present = np.flatnonzero(np.bincount(cell, minlength=size))
    value = answers["value"].to_numpy(dtype=float)[rows]
    code = answers["code"].take(rows)
    n = count(~np.isnan(value)).astype(int)
    out = pd.DataFrame(
        {
            # infer_objects: text keys given as objects become ``str``, as a groupby makes them
            "organisation_id": org_ids.take(present // len(item_ids)).infer_objects(),
            "item_id": item_ids.take(present % len(item_ids)).infer_objects(),
            "n": n,
            "mean": count(np.nan_to_num(keyed)) / np.where(n > 0, n, np.nan),
            "n_dont_know": count(code.eq("dont_know").to_numpy()).astype(int),
            "n_not_applicable": count(code.eq("not_applicable").to_numpy()).astype(int),
        }
    )
    points = sorted({p.value for s in instrument.scales for p in s.points})
    for point in points:
        out[f"n_{point}"] = count(value == point).astype(int)
    out["disagreement"] = ordinal_dispersion(out[[f"n_{p}" for p in points]])
    out["dimension_id"] = out["item_id"].map({i.id: i.dimension for i in instrument.items})
    return out


# -- per team ------------------------------------------------------------------------------


def team_members(scores: pd.DataFrame, instrument: Instrument, round_id: str) -> pd.DataFrame:
    """Team × member × competence: score, level and whether the member covers it."""
    threshold = instrument.scoring.coverage_threshold
    members = scores.dropna(subset=["team_id"]).copy()
    members["member"] = members.groupby("team_id")["respondent_id"].transform(
        lambda ids: member_pseudonyms(ids, round_id)
    )
    members["covers"] = members["score"] >= threshold
    return members[
        [
            "team_id",
            "organisation_id",
            "response_id",
            "member",
            "role",
            "dimension_id",
            "score",
            "level",
            "covers",
        ]
    ]


def stage_scores(
    answers: pd.DataFrame, scores: pd.DataFrame, instrument: Instrument
) -> pd.DataFrame:
    """Response × competence × DIKW stage: the score on the items that serve the stage.

    Version 2 items name the stages they serve, so each stage is scored on its own
    items with the usual rules (reverse keying, minimum share answered). Version 1
    items name none: the competence's score then stands for each of its stages, and
    ``from_items`` is False so that a report can say the stages repeat the competence.
    """
    if not any(i.dikw_stages for i in instrument.rated_items):
        stages = pd.DataFrame(
            [(d.id, s) for d in instrument.dimensions for s in d.dikw_stages],
            columns=["dimension_id", "dikw_stage"],
        )
        out = scores[["response_id", "dimension_id", "score"]].merge(stages, on="dimension_id")
        return out.assign(from_items=False)
    frames = []
    for stage in DIKW_STAGES:
        ids = [i.id for i in instrument.rated_items if stage in i.dikw_stages]
        if ids:
            staged = score_round(answers, restricted(instrument, ids))
            frames.append(staged[["response_id", "dimension_id", "score"]].assign(dikw_stage=stage))
    return pd.concat(frames, ignore_index=True).assign(from_items=True)


def team_stages(members: pd.DataFrame, stages: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Team × member × competence × stage: the stage score and whether the member covers
    the competence at that stage (stage score at least the coverage threshold)."""
    member_of = members.drop_duplicates("response_id")[["response_id", "team_id", "member"]]
    out = stages.merge(member_of, on="response_id")
    out["covers"] = out["score"] >= threshold
    return out[["team_id", "member", "dimension_id", "dikw_stage", "score", "covers", "from_items"]]


def team_coverage(
    members: pd.DataFrame, stages: pd.DataFrame, instrument: Instrument
) -> pd.DataFrame:
    """Team × competence × DIKW stage: whether the group rule is met at that stage, and
    who does not cover it.

    ``stages`` is ``team_stages``. "everyone" is met only when every member with a stage
    score covers it; "at least one" when someone does. Gaps sort by the stage where they
    bite.
    """
    scored = stages.dropna(subset=["score"])
    per = scored.groupby(["team_id", "dimension_id", "dikw_stage"]).agg(
        n_scored=("covers", "size"),
        n_covering=("covers", "sum"),
        not_covering=("member", lambda m: "; ".join(sorted(m[~scored.loc[m.index, "covers"]]))),
    )
    teams = members[["team_id", "organisation_id"]].drop_duplicates()
    dims = pd.DataFrame(
        [(d.id, d.group_rule, s) for d in instrument.dimensions for s in d.dikw_stages],
        columns=["dimension_id", "group_rule", "dikw_stage"],
    )
    keys = ["team_id", "dimension_id", "dikw_stage"]
    grid = teams.merge(dims, how="cross").merge(per.reset_index(), on=keys, how="left")
    grid[["n_scored", "n_covering"]] = grid[["n_scored", "n_covering"]].fillna(0).astype(int)
    grid["not_covering"] = grid["not_covering"].fillna("")
    everyone = (grid["n_scored"] > 0) & (grid["n_covering"] == grid["n_scored"])
    grid["met"] = np.where(grid["group_rule"] == "everyone", everyone, grid["n_covering"] > 0)
    grid["from_items"] = bool(stages["from_items"].all()) if len(stages) else False
    grid["stage_order"] = grid["dikw_stage"].map({s: n for n, s in enumerate(DIKW_STAGES)})
    return grid.sort_values(["team_id", "stage_order", "dimension_id"], ignore_index=True)


# -- the whole round --------------------------------------------------------------------


def _free_text(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    shown = [f.id for f in instrument.free_text if f.show_in_reports]
    texts = answers[answers["item_id"].isin(shown) & answers["text"].notna()]
    return texts[["organisation_id", "team_id", "item_id", "text"]].reset_index(drop=True)


def analyse_answers(
    answers: pd.DataFrame,
    instrument: Instrument,
    orgs: pd.DataFrame,
    meta: dict,
    previous_scores: pd.DataFrame | None = None,
    min_group: int | None = None,
    change_after: pd.DataFrame | None = None,
    change_items: pd.DataFrame | None = None,
    plan_follow_up: pd.DataFrame | None = None,
    teams: pd.DataFrame | None = None,
) -> RoundAnalysis:
    """``analyse_round`` on frames already loaded (for tests and benchmarks).

    ``min_group`` overrides the minimum group size (default: ``privacy.min_group_size``);
    it is recorded in ``meta`` for the views and reports of this analysis. ``change_after``
    and ``change_items`` come from ``comparison.change_scores`` when the previous round used
    another instrument version: this round scored on the shared items only, and which items
    those are. ``plan_follow_up`` comes from ``follow_up_of_plans`` (the previous round's plans).
    """
    minimum = min_group if min_group is not None else min_group_size(instrument)
    meta = meta | {"min_group_size": minimum}
    scores = score_round(answers, instrument)
    levels, level_distribution = level_statistics(answers, scores, instrument)
    dims = dimension_summary(scores, instrument)
    peers, peer_assignment = peer_groups(dims, orgs, minimum, instrument)
    team = _team_tables(answers, scores, instrument, meta["round_id"])
    unit = instrument.kind_spec.unit_column
    no_items = pd.DataFrame(columns=["dimension_id", "item_before", "item_after", "status"])
    no_plans = pd.DataFrame(columns=FOLLOW_UP_COLUMNS)
    matrix = item_matrix(answers, instrument)  # for both reliability tables
    return RoundAnalysis(
        meta=meta,
        organisations=orgs,
        scores=scores,
        response=response_overview(answers, scores, instrument, orgs),
        dimensions=dims,
        items=item_summary(answers, instrument),
        reliability=alpha_reliability(answers, instrument, matrix),
        peers=peers,
        peer_assignment=peer_assignment,
        agreement=agreement_by_unit(answers, instrument, unit, matrix),
        mean_reliability=mean_reliability(scores),
        roles=role_breakdown(scores, minimum),
        change=pd.DataFrame(columns=CHANGE_COLUMNS)
        if previous_scores is None
        else change_since(previous_scores, scores if change_after is None else change_after),
        **team,
        free_text=_free_text(answers, instrument),
        levels=levels,
        level_distribution=level_distribution,
        change_items=change_items if change_items is not None else no_items,
        plan_follow_up=plan_follow_up if plan_follow_up is not None else no_plans,
        teams=teams
        if teams is not None
        else pd.DataFrame(columns=["id", "organisation_id", "name", "invited"]),
    )


def _team_tables(
    answers: pd.DataFrame, scores: pd.DataFrame, instrument: Instrument, round_id: str
) -> dict:
    """``team_members``, ``team_stages`` and ``team_coverage`` (empty for organisation rounds)."""
    if not instrument.kind_spec.in_teams:
        return {
            "team_members": pd.DataFrame(),
            "team_stages": pd.DataFrame(),
            "team_coverage": pd.DataFrame(),
        }
    members = team_members(scores, instrument, round_id)
    stages = team_stages(
        members, stage_scores(answers, scores, instrument), instrument.scoring.coverage_threshold
    )
    coverage = team_coverage(members, stages, instrument) if len(members) else pd.DataFrame()
    return {"team_members": members, "team_stages": stages, "team_coverage": coverage}


def follow_up_of_plans(
    engine: Engine,
    previous_round_id: str,
    previous_answers: pd.DataFrame,
    previous_instrument: Instrument,
    answers: pd.DataFrame,
    instrument: Instrument,
    pairs: pd.DataFrame,
) -> pd.DataFrame:
    """The follow-up of the plans adopted after the previous round (``analysis/plan_follow_up.py``):
    item means before and after, for the organisations with a plan only."""
    adopted = plan_files.adopted_actions(engine, previous_round_id)
    if adopted.empty:
        return follow_up(adopted, pairs, pd.DataFrame(), pd.DataFrame())
    own = lambda frame: frame[frame["organisation_id"].isin(adopted["organisation_id"])]  # noqa: E731
    before = item_summary(own(previous_answers), previous_instrument)
    after = item_summary(own(answers), instrument)
    return follow_up(adopted, pairs, before, after)


def analyse_round(
    engine: Engine,
    round_id: str,
    previous_round_id: str | None = None,
    min_group: int | None = None,
) -> RoundAnalysis:
    """Load a round from the store and analyse it completely (see the module docstring)."""
    info = store.get_round(engine, round_id)
    instrument = get_instrument(info.instrument_id, info.instrument_version)
    answers = store.load_answers(engine, round_id)
    orgs = store.load_round_organisations(engine, round_id)
    previous = after = change_items = follow = None
    if previous_round_id:
        prev_info = store.get_round(engine, previous_round_id)
        prev_instrument = get_instrument(prev_info.instrument_id, prev_info.instrument_version)
        prev_answers = store.load_answers(engine, previous_round_id)
        previous, after, change_items = change_scores(
            prev_answers, prev_instrument, answers, instrument
        )
        follow = follow_up_of_plans(
            engine,
            previous_round_id,
            prev_answers,
            prev_instrument,
            answers,
            instrument,
            change_items,
        )
    meta = round_meta(
        engine,
        info,
        instrument,
        previous_round_id=previous_round_id,
        previous_instrument_version=prev_info.instrument_version if previous_round_id else None,
        previous_period=prev_info.period if previous_round_id else None,
        level_basis="chosen" if instrument.level_items else "estimate",
        plans_hash=plan_files.plans_digest(engine, previous_round_id)
        if previous_round_id
        else None,
    )
    teams = store.teams(engine) if instrument.kind_spec.in_teams else None
    return analyse_answers(
        answers, instrument, orgs, meta, previous, min_group, after, change_items, follow, teams
    )


# -- views for one organisation or team -------------------------------------------------------

T = TypeVar("T")


@dataclass
class OrganisationView:
    """What one organisation's report may show: its own figures plus permitted aggregates."""

    meta: dict
    organisation: pd.Series
    response: pd.Series
    dimensions: pd.DataFrame
    items: pd.DataFrame
    peers: pd.DataFrame
    change: pd.DataFrame
    free_text: pd.DataFrame
    levels: pd.DataFrame = field(default_factory=pd.DataFrame)  # per dimension (levels.py)
    level_distribution: pd.DataFrame = field(default_factory=pd.DataFrame)  # per dimension × level
    agreement: pd.DataFrame = field(default_factory=pd.DataFrame)  # per dimension: rwg(J), band
    mean_reliability: pd.DataFrame = field(default_factory=pd.DataFrame)  # round-wide ICCs
    roles: pd.DataFrame = field(default_factory=pd.DataFrame)  # role group × dimension: n, mean
    change_items: pd.DataFrame = field(default_factory=pd.DataFrame)  # items the change rests on
    # own plan only (analysis/plan_follow_up.py)
    plan_follow_up: pd.DataFrame = field(default_factory=pd.DataFrame)
    # what the methods below derive from the fields, made once per view (``remembered``)
    _derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __setattr__(self, name: str, value) -> None:
        """Set a field; what was derived from the old values is forgotten."""
        super().__setattr__(name, value)
        if name != "_derived" and "_derived" in self.__dict__:
            self._derived.clear()

    def remembered(self, key: tuple, make: Callable[[], T]) -> T:
        """``make()`` made once per view and ``key``, a copy handed out each time: a report
        and its summary ask for the same intervals, bands and advice several times (the
        advice three times per organisation, 40% of a report's building time), and a caller
        that changes what it got cannot change what the next one gets."""
        if key not in self._derived:
            self._derived[key] = make()
        value = self._derived[key]
        return tuple(v.copy() for v in value) if isinstance(value, tuple) else value.copy()

    def mean_intervals(self) -> pd.DataFrame:
        """Per dimension with a mean: ``mean`` with its 95% t-interval ``low``–``high``
        (``mean ± t(0.975; n − 1) · sd / √n``, docs/scoring.md), ``iqr`` and ``n``."""
        return self.remembered(("mean_intervals",), self._mean_intervals)

    def _mean_intervals(self) -> pd.DataFrame:
        dims = self.dimensions.dropna(subset=["mean"])
        half = sps.t.ppf(0.975, dims["n"] - 1) * dims["sd"] / np.sqrt(dims["n"])
        return (
            dims[["dimension_id", "n", "mean", "iqr"]]
            .assign(low=dims["mean"] - half, high=dims["mean"] + half)
            .reset_index(drop=True)
        )

    def strengths_and_priorities(self, n: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Up to ``n`` strengths and priorities, only where the difference is beyond the noise
        (rule in ``docs/scoring.md``, "Strengths and priorities"): a strength's 95% interval
        lies wholly above the organisation's own average over its dimensions (``centre``), a
        priority's wholly below it. Strengths highest first, priorities lowest first, ties
        broken by the smaller spread (IQR); ``tied`` marks an entry whose interval overlaps
        that of the entry before it (their order is not certain)."""
        return self.remembered(
            ("strengths_and_priorities", n), lambda: self._strengths_and_priorities(n)
        )

    def _strengths_and_priorities(self, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        ranked = self.mean_intervals()
        centre = ranked["mean"].mean()
        strengths = (
            ranked[ranked["low"] > centre]
            .sort_values(["mean", "iqr"], ascending=[False, True])
            .head(n)
        )
        priorities = (
            ranked[ranked["high"] < centre]
            .sort_values(["mean", "iqr"], ascending=[True, True])
            .head(n)
        )
        return _with_ties(strengths, centre), _with_ties(priorities, centre)

    def agreement_bands(self) -> pd.DataFrame:
        """Per dimension the agreement band a report puts in words (``docs/scoring.md``,
        "From rwg(J) to a word"): the weaker of rwg(J) on its statements and rwg of the
        level distribution the report shows beside it, and at most "moderate" (wisselend)
        when one of its statements is on the discussion agenda, so the word never
        contradicts the distribution or the agenda."""
        return self.remembered(("agreement_bands",), self._agreement_bands)

    def _agreement_bands(self) -> pd.DataFrame:
        columns = ["dimension_id", "rwg_j", "rwg_levels", "on_agenda", "band"]
        if self.agreement.empty:
            return pd.DataFrame(columns=columns)
        out = self.agreement[["dimension_id", "rwg_j"]].reset_index(drop=True)
        dist = self.level_distribution
        if len(dist):
            counts = dist.pivot_table(
                index="dimension_id", columns="level", values="n", aggfunc="sum"
            ).sort_index(axis=1)
            out["rwg_levels"] = out["dimension_id"].map(rwg_of_counts(counts))
        else:
            out["rwg_levels"] = np.nan
        out["on_agenda"] = (
            out["dimension_id"].isin(set(self.agenda()["dimension_id"]))
            if len(self.items)
            else False
        )
        bands = [words_for_agreement(out[c].clip(0, 1))["band"] for c in ("rwg_j", "rwg_levels")]
        out["band"] = weakest_band(*bands, cap=out["on_agenda"])
        return out[columns]

    def agenda(self, n: int = 5) -> pd.DataFrame:
        """Items with the most disagreement (Leik's D), as the agenda of a discussion session."""
        return self.remembered(("agenda", n), lambda: self._agenda(n))

    def _agenda(self, n: int) -> pd.DataFrame:
        enough = self.items[self.items["n"] >= AGENDA_MIN_ANSWERS]
        return enough.sort_values("disagreement", ascending=False).head(n)


def _with_ties(ranked: pd.DataFrame, centre: float) -> pd.DataFrame:
    """``ranked`` with ``centre`` and ``tied``: whether each entry's interval overlaps the
    interval of the entry before it."""
    previous_low, previous_high = ranked["low"].shift(), ranked["high"].shift()
    tied = (ranked["low"] <= previous_high) & (ranked["high"] >= previous_low)
    return ranked.assign(centre=centre, tied=tied.fillna(False).astype(bool))


def _minimum(analysis: RoundAnalysis) -> int:
    """The minimum group size the analysis was made with (``privacy.min_group_size``)."""
    recorded = analysis.meta.get("min_group_size")
    return int(recorded) if recorded is not None else min_group_size(analysis.instrument)


def _require(value: str | None, parameter: str) -> str:
    if not value:
        raise ValueError(f"{parameter} is not set: run the report template with -p {parameter} ID")
    return value


def _peer_meta(analysis: RoundAnalysis, organisation_id: str, own: pd.Series) -> dict:
    """The organisation's peer group (``peers.py``): its key, widening step, size classes
    and number of organisations; a step of ``None`` means no group is large enough."""
    assignment = analysis.peer_assignment.set_index("organisation_id")
    if organisation_id not in assignment.index:
        return {
            "peer_group": None,
            "peer_step": None,
            "peer_kind": own["kind"],
            "peer_classes": "",
            "peer_n": 0,
        }
    row = assignment.loc[organisation_id]
    return {
        "peer_group": row["peer_group"] if pd.notna(row["peer_group"]) else None,
        "peer_step": row["step"] if pd.notna(row["step"]) else None,
        "peer_kind": row["kind"],
        "peer_classes": row["classes"],
        "peer_n": int(row["n_organisations"]),
    }


def organisation_view(analysis: RoundAnalysis, organisation_id: str) -> OrganisationView:
    """Select one organisation. Other organisations appear only inside aggregates over at
    least the minimum group size of organisations: the peer group's means (``peers.py``,
    suppressed below it) and the round-wide ICCs (left out below it)."""
    _require(organisation_id, "organisation_id")
    orgs = analysis.organisations.set_index("organisation_id")
    if organisation_id not in orgs.index:
        raise KeyError(
            f"organisation '{organisation_id}' has no data in round {analysis.meta['round_id']}"
        )
    own = orgs.loc[organisation_id]
    peer = _peer_meta(analysis, organisation_id, own)
    pick = lambda df: df[df["organisation_id"] == organisation_id].reset_index(drop=True)  # noqa: E731
    response = pick(analysis.response)
    icc = analysis.mean_reliability
    icc = icc[icc["groups"] >= _minimum(analysis)].reset_index(drop=True)
    agreement = analysis.agreement[analysis.agreement["unit_id"] == organisation_id]
    return OrganisationView(
        meta=analysis.meta | {"organisation_id": organisation_id} | peer,
        organisation=own,
        response=response.iloc[0] if len(response) else pd.Series(dtype=object),
        dimensions=pick(analysis.dimensions),
        items=pick(analysis.items),
        peers=analysis.peers[analysis.peers["peer_group"] == peer["peer_group"]].reset_index(
            drop=True
        ),
        change=pick(analysis.change),
        free_text=pick(analysis.free_text),
        levels=pick(analysis.levels),
        level_distribution=pick(analysis.level_distribution),
        agreement=agreement.reset_index(drop=True),
        mean_reliability=icc,
        roles=pick(analysis.roles),
        change_items=analysis.change_items,
        plan_follow_up=pick(analysis.plan_follow_up),
    )


@dataclass
class TeamView:
    """What one team's profile may show: its coverage, its role mix with rare roles pooled,
    and, only for teams of at least the minimum group size, its members under pseudonyms.

    ``roles`` holds one entry per member: the role where at least the minimum group size of
    the team's members share it, else ``None`` ("overige rollen"). For a smaller team
    ``members`` is empty and ``coverage`` names nobody (``not_covering`` is blank): per-member
    detail would let the team tell who is who. ``stages`` holds per member, competence and
    DIKW stage the stage score and whether it covers (``team_stages``; empty for a small team
    too): the members grid and the gap list are both read from it.
    """

    meta: dict  # with team_id, organisation_id, n_members and min_group_size
    members: pd.DataFrame
    coverage: pd.DataFrame
    free_text: pd.DataFrame
    roles: pd.Series
    agreement: pd.DataFrame = field(default_factory=pd.DataFrame)  # per competence: rwg(J), band
    stages: pd.DataFrame = field(default_factory=pd.DataFrame)  # member × competence × stage

    @property
    def shows_members(self) -> bool:
        return self.meta["n_members"] >= self.meta["min_group_size"]

    def gaps(self) -> pd.DataFrame:
        """Competence × stage combinations whose group rule is not met, data → decision."""
        return self.coverage[~self.coverage["met"]]

    def role_mix(self) -> pd.Series:
        """Members per shown role, pooled roles last under ``None``."""
        counts = self.roles.value_counts()
        pooled = int(self.roles.isna().sum())
        return pd.concat([counts, pd.Series({None: pooled})]) if pooled else counts


def team_view(analysis: RoundAnalysis, team_id: str) -> TeamView:
    """Select one team of a competence round (see ``TeamView`` for what small teams lose)."""
    _require(team_id, "team_id")
    members = analysis.team_members[analysis.team_members["team_id"] == team_id]
    if members.empty:
        raise KeyError(f"team '{team_id}' has no responses in round {analysis.meta['round_id']}")
    minimum = _minimum(analysis)
    organisation_id = members["organisation_id"].iloc[0]
    roles = members.drop_duplicates("member").set_index("member")["role"]
    roles = pool_small_categories(roles, minimum)
    members = (
        members.assign(role=members["member"].map(roles))
        .drop(columns="response_id")
        .reset_index(drop=True)
    )
    coverage = analysis.team_coverage[analysis.team_coverage["team_id"] == team_id]
    coverage = coverage.reset_index(drop=True)
    stages = analysis.team_stages
    stages = stages[stages["team_id"] == team_id].reset_index(drop=True)
    if len(roles) < minimum:
        members = members.iloc[:0]
        stages = stages.iloc[:0]
        coverage = coverage.assign(not_covering="")
    registered = analysis.teams.set_index("id") if len(analysis.teams) else pd.DataFrame()
    invited = registered["invited"].get(team_id) if "invited" in registered else None
    own = {
        "team_id": team_id,
        "organisation_id": organisation_id,
        "n_members": len(roles),
        "n_invited": int(invited) if invited is not None and pd.notna(invited) else None,
        "team_name": registered["name"].get(team_id, team_id) if "name" in registered else team_id,
    }
    return TeamView(
        meta=analysis.meta | own | {"min_group_size": minimum},
        members=members,
        coverage=coverage,
        free_text=analysis.free_text[analysis.free_text["team_id"] == team_id].reset_index(
            drop=True
        ),
        roles=roles.reset_index(drop=True),
        agreement=analysis.agreement[analysis.agreement["unit_id"] == team_id].reset_index(
            drop=True
        ),
        stages=stages,
    )


def load_analysis(
    analysis_dir: str | Path | None,
    database_url: str | None,
    round_id: str,
    previous_round_id: str | None = None,
) -> RoundAnalysis:
    """The saved analysis in ``analysis_dir`` (as ``dwp-assess report`` makes it once per round),
    or, without one, a fresh analysis of the round from the store (for running a template by hand)."""
    if analysis_dir:
        return RoundAnalysis.load(Path(analysis_dir))
    _require(round_id, "round_id")
    return analyse_round(store.connect(database_url), round_id, previous_round_id)

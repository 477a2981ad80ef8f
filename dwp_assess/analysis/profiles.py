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

import json
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from dwp_assess.analysis.comparison import change_scores
from dwp_assess.analysis.levels import level_statistics
from dwp_assess.analysis.privacy import (
    member_pseudonyms,
    min_group_size,
    pool_small_categories,
    suppress_small_groups,
)
from dwp_assess.analysis.scoring import item_matrix, keyed_answers, levels_for, score_round
from dwp_assess.analysis.stats import bootstrap_mean_difference, ordinal_dispersion
from dwp_assess.data import store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.model import DIKW_STAGES, Instrument

ORG_ALPHA_MIN_N = 10
AGENDA_MIN_ANSWERS = 5
STRAIGHTLINE_MIN_ITEMS = 10


@dataclass
class RoundAnalysis:
    """Everything computed for one round; every table is tidy with named columns."""

    meta: dict
    organisations: pd.DataFrame  # the round's organisations with kind, size class, invited
    scores: pd.DataFrame  # response × dimension (scoring.score_round)
    response: pd.DataFrame  # per organisation: responses, response rate, completion, ...
    dimensions: pd.DataFrame  # organisation × dimension: n, mean, median, IQR, level shares
    items: pd.DataFrame  # organisation × item: answer shares and disagreement
    reliability: pd.DataFrame  # dimension (round-wide and per organisation): alpha, n_organisations
    peers: pd.DataFrame  # peer group × dimension: mean of organisation means, or suppressed
    change: pd.DataFrame  # organisation × dimension: change since the previous round with CI
    team_members: pd.DataFrame  # team × member × competence: score and whether it covers
    team_coverage: pd.DataFrame  # team × competence × DIKW stage: rule and whether it is met
    free_text: pd.DataFrame  # answers to free-text questions that reports may show
    levels: pd.DataFrame  # organisation × dimension: level, its basis and uncertainty (levels.py)
    level_distribution: pd.DataFrame  # organisation × dimension × level: respondents per level
    change_items: pd.DataFrame  # dimension × item pair the change since the previous round uses

    def save(self, folder: Path) -> Path:
        """Write every table as Parquet and ``meta.json`` to ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        for f in fields(self):
            if f.name != "meta":
                getattr(self, f.name).to_parquet(folder / f"{f.name}.parquet", index=False)
        (folder / "meta.json").write_text(json.dumps(self.meta, indent=2, default=str), "utf-8")
        return folder

    @classmethod
    def load(cls, folder: Path) -> RoundAnalysis:
        """Read an analysis written by ``save``."""
        tables = {
            f.name: pd.read_parquet(folder / f"{f.name}.parquet")
            for f in fields(cls)
            if f.name != "meta"
        }
        return cls(meta=json.loads((folder / "meta.json").read_text("utf-8")), **tables)

    @property
    def instrument(self) -> Instrument:
        return get_instrument(self.meta["instrument_id"], self.meta["instrument_version"])


# -- per organisation --------------------------------------------------------------


def response_overview(
    answers: pd.DataFrame, scores: pd.DataFrame, instrument: Instrument, orgs: pd.DataFrame
) -> pd.DataFrame:
    """Per organisation: responses, invited, response rate, completion and answer quality."""
    items = answers[answers["item_id"].isin(instrument.item_by_id)]
    per_response = (
        items.assign(dont_know=items["code"].eq("dont_know"))
        .groupby("response_id")
        .agg(
            answered=("value", "count"),
            dont_know=("dont_know", "sum"),
            distinct=("value", "nunique"),
        )
    )
    per_response["straightlining"] = (per_response["answered"] >= STRAIGHTLINE_MIN_ITEMS) & (
        per_response["distinct"] == 1
    )
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
    """Organisation × item: answers per scale point (raw values), codes, mean, disagreement."""
    frame = keyed_answers(answers, instrument)
    keys = ["organisation_id", "item_id"]
    counts = (
        frame.dropna(subset=["value"]).groupby(keys)["value"].value_counts().unstack(fill_value=0)
    )
    points = sorted({p.value for s in instrument.scales for p in s.points})
    counts = counts.reindex(columns=[float(p) for p in points], fill_value=0)
    counts.columns = [f"n_{p}" for p in points]
    frame["is_dont_know"] = frame["code"].eq("dont_know")
    frame["is_not_applicable"] = frame["code"].eq("not_applicable")
    out = frame.groupby(keys).agg(
        n=("value", "count"),
        mean=("keyed", "mean"),
        n_dont_know=("is_dont_know", "sum"),
        n_not_applicable=("is_not_applicable", "sum"),
    )
    out = out.join(counts).fillna({c: 0 for c in counts.columns})
    out["disagreement"] = ordinal_dispersion(out[counts.columns])
    out = out.reset_index()
    out["dimension_id"] = out["item_id"].map({i.id: i.dimension for i in instrument.items})
    return out


def _alpha_by_group(matrix: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Cronbach's alpha per group on complete cases, vectorised over groups."""
    complete = matrix.dropna()
    if complete.empty or complete.shape[1] < 2:
        return pd.DataFrame(columns=["alpha", "n", "k"])
    g = groups.reindex(complete.index)
    item_var = complete.groupby(g).var(ddof=1).sum(axis=1)
    total_var = complete.sum(axis=1).groupby(g).var(ddof=1)
    n = complete.groupby(g).size()
    k = complete.shape[1]
    alpha = (k / (k - 1) * (1 - item_var / total_var.where(total_var > 0))).where(n >= 2)
    return pd.DataFrame({"alpha": alpha, "n": n, "k": k})


def reliability(answers: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Cronbach's alpha per dimension for the whole round (``organisation_id`` empty) and per
    organisation with at least ``ORG_ALPHA_MIN_N`` complete responses (Feldt CIs round-wide).

    ``n_organisations`` counts the organisations whose complete responses went into the
    figure: a round-wide alpha mixes their answers, so an organisation's report may show
    it only when that count reaches the minimum group size (``organisation_view``).
    """
    from dwp_assess.analysis.stats import cronbach_alpha

    org_of = answers.drop_duplicates("response_id").set_index("response_id")["organisation_id"]
    everything = item_matrix(answers, instrument)
    rows = []
    for dim in instrument.dimensions:
        matrix = everything[[i.id for i in instrument.rated_items_of(dim.id)]]
        overall = cronbach_alpha(matrix)
        contributing = org_of.reindex(matrix.dropna().index).nunique()
        rows.append({"organisation_id": None, "dimension_id": dim.id, **overall.to_dict(),
                     "n_organisations": contributing})  # fmt: skip
        per_org = _alpha_by_group(matrix, org_of).reset_index(names="organisation_id")
        per_org = per_org[per_org["n"] >= ORG_ALPHA_MIN_N]
        rows.extend(per_org.assign(dimension_id=dim.id, n_organisations=1).to_dict("records"))
    return pd.DataFrame(rows)


def peer_groups(
    dimensions: pd.DataFrame, orgs: pd.DataFrame, min_orgs: int, instrument
) -> pd.DataFrame:
    """Per peer group (kind × size class) and dimension the mean of organisation means,
    shown only when the group has at least ``min_orgs`` organisations with a score."""
    keyed = dimensions.merge(orgs[["organisation_id", "kind", "size_class"]], on="organisation_id")
    keyed["peer_group"] = (
        keyed["kind"].astype(str) + " · " + keyed["size_class"].fillna("?").astype(str)
    )
    grouped = keyed.groupby(["peer_group", "dimension_id"])
    out = grouped.agg(n_organisations=("mean", "count"), mean=("mean", "mean"), median=("mean", "median"))  # fmt: skip
    out = suppress_small_groups(out.reset_index(), "n_organisations", min_orgs, ["mean", "median"])
    out["level"] = levels_for(out["mean"], instrument)
    return out


def change_since(previous: pd.DataFrame, current: pd.DataFrame, seed: int = 2026) -> pd.DataFrame:
    """Organisation × dimension change in mean score between two rounds with 95% bootstrap
    intervals; ``reliable`` is False where the interval includes zero."""
    dims = sorted(set(current["dimension_id"]))
    before = previous.pivot_table(index=["organisation_id", "response_id"], columns="dimension_id", values="score")  # fmt: skip
    after = current.pivot_table(index=["organisation_id", "response_id"], columns="dimension_id", values="score")  # fmt: skip
    before, after = before.reindex(columns=dims), after.reindex(columns=dims)
    rows = []
    common = sorted(set(before.index.get_level_values(0)) & set(after.index.get_level_values(0)))
    for org in common:
        boot = bootstrap_mean_difference(
            before.loc[org].to_numpy(), after.loc[org].to_numpy(), seed=seed
        )
        boot.insert(0, "dimension_id", dims)
        boot.insert(0, "organisation_id", org)
        rows.append(boot)
    if not rows:
        return pd.DataFrame(columns=["organisation_id", "dimension_id", "difference", "ci_low", "ci_high", "n_before", "n_after", "reliable"])  # fmt: skip
    out = pd.concat(rows, ignore_index=True)
    out["reliable"] = (out["ci_low"] > 0) | (out["ci_high"] < 0)
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
    return members[["team_id", "organisation_id", "member", "role", "dimension_id", "score", "level", "covers"]]  # fmt: skip


def team_coverage(members: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Team × competence × DIKW stage: whether the group rule is met, and who does not cover.

    "everyone" is met only when every member with a score covers the competence;
    "at least one" when someone does. Gaps sort by the stage where they bite.
    """
    scored = members.dropna(subset=["score"])
    per = scored.groupby(["team_id", "dimension_id"]).agg(
        n_scored=("covers", "size"),
        n_covering=("covers", "sum"),
        not_covering=("member", lambda m: "; ".join(sorted(m[~scored.loc[m.index, "covers"]]))),
    )
    teams = members[["team_id", "organisation_id"]].drop_duplicates()
    dims = pd.DataFrame(
        [(d.id, d.group_rule, s) for d in instrument.dimensions for s in d.dikw_stages],
        columns=["dimension_id", "group_rule", "dikw_stage"],
    )
    grid = teams.merge(dims, how="cross").merge(per.reset_index(), on=["team_id", "dimension_id"], how="left")  # fmt: skip
    grid[["n_scored", "n_covering"]] = grid[["n_scored", "n_covering"]].fillna(0).astype(int)
    grid["not_covering"] = grid["not_covering"].fillna("")
    everyone = (grid["n_scored"] > 0) & (grid["n_covering"] == grid["n_scored"])
    grid["met"] = np.where(grid["group_rule"] == "everyone", everyone, grid["n_covering"] > 0)
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
) -> RoundAnalysis:
    """``analyse_round`` on frames already loaded (for tests and benchmarks).

    ``min_group`` overrides the minimum group size (default: ``privacy.min_group_size``);
    it is recorded in ``meta`` for the views and reports of this analysis. ``change_after``
    and ``change_items`` come from ``comparison.change_scores`` when the previous round used
    another instrument version: this round scored on the shared items only, and which items
    those are.
    """
    minimum = min_group if min_group is not None else min_group_size(instrument)
    meta = meta | {"min_group_size": minimum}
    scores = score_round(answers, instrument)
    levels, level_distribution = level_statistics(answers, scores, instrument)
    dims = dimension_summary(scores, instrument)
    members = team_members(scores, instrument, meta["round_id"]) if instrument.kind == "team" else pd.DataFrame()  # fmt: skip
    return RoundAnalysis(
        meta=meta,
        organisations=orgs,
        scores=scores,
        response=response_overview(answers, scores, instrument, orgs),
        dimensions=dims,
        items=item_summary(answers, instrument),
        reliability=reliability(answers, instrument),
        peers=peer_groups(dims, orgs, minimum, instrument),
        change=change_since(previous_scores, scores if change_after is None else change_after)
        if previous_scores is not None
        else change_since(scores.iloc[:0], scores),  # fmt: skip
        team_members=members,
        team_coverage=team_coverage(members, instrument) if len(members) else pd.DataFrame(),
        free_text=_free_text(answers, instrument),
        levels=levels,
        level_distribution=level_distribution,
        change_items=change_items
        if change_items is not None
        else pd.DataFrame(
            columns=["dimension_id", "item_before", "item_after", "status"]
        ),  # fmt: skip
    )


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
    previous = after = change_items = None
    if previous_round_id:
        prev_info = store.get_round(engine, previous_round_id)
        prev_instrument = get_instrument(prev_info.instrument_id, prev_info.instrument_version)
        prev_answers = store.load_answers(engine, previous_round_id)
        previous, after, change_items = change_scores(prev_answers, prev_instrument, answers, instrument)  # fmt: skip
    meta = {
        "round_id": round_id,
        "period": info.period,
        "instrument_id": instrument.id,
        "instrument_version": instrument.version,
        "instrument_hash": instrument.content_hash,
        "snapshot_hash": store.snapshot_hash(engine, round_id),
        "previous_round_id": previous_round_id,
        "previous_instrument_version": prev_info.instrument_version if previous_round_id else None,
        "level_basis": "chosen" if instrument.level_items else "estimate",
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return analyse_answers(answers, instrument, orgs, meta, previous, min_group, after, change_items)  # fmt: skip


# -- views for one organisation or team -------------------------------------------------------


@dataclass
class OrganisationView:
    """What one organisation's report may show: its own figures plus permitted aggregates."""

    meta: dict
    organisation: pd.Series
    response: pd.Series
    dimensions: pd.DataFrame
    items: pd.DataFrame
    reliability: pd.DataFrame
    peers: pd.DataFrame
    change: pd.DataFrame
    free_text: pd.DataFrame
    levels: pd.DataFrame = field(default_factory=pd.DataFrame)  # per dimension (levels.py)
    level_distribution: pd.DataFrame = field(default_factory=pd.DataFrame)  # per dimension × level

    def strengths_and_priorities(self, n: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The ``n`` dimensions with the highest and the lowest mean score (rule in
        docs/scoring.md); ties are broken by the smaller spread (IQR) first."""
        ranked = self.dimensions.dropna(subset=["mean"]).sort_values(["mean", "iqr"], ascending=[False, True])  # fmt: skip
        return ranked.head(n), ranked.tail(n).iloc[::-1]

    def agenda(self, n: int = 5) -> pd.DataFrame:
        """Items with the most disagreement (Leik's D), as the agenda of a discussion session."""
        enough = self.items[self.items["n"] >= AGENDA_MIN_ANSWERS]
        return enough.sort_values("disagreement", ascending=False).head(n)


def _minimum(analysis: RoundAnalysis) -> int:
    """The minimum group size the analysis was made with (``privacy.min_group_size``)."""
    recorded = analysis.meta.get("min_group_size")
    return int(recorded) if recorded is not None else min_group_size(analysis.instrument)


def _require(value: str | None, parameter: str) -> str:
    if not value:
        raise ValueError(f"{parameter} is not set: run the report template with -p {parameter} ID")
    return value


def organisation_view(analysis: RoundAnalysis, organisation_id: str) -> OrganisationView:
    """Select one organisation. Other organisations appear only inside aggregates over at
    least the minimum group size of organisations: peer means (suppressed below it) and the
    round-wide Cronbach's alpha (left out below it)."""
    _require(organisation_id, "organisation_id")
    orgs = analysis.organisations.set_index("organisation_id")
    if organisation_id not in orgs.index:
        raise KeyError(f"organisation '{organisation_id}' has no data in round {analysis.meta['round_id']}")  # fmt: skip
    own = orgs.loc[organisation_id]
    group = f"{own['kind']} · {own['size_class'] if pd.notna(own['size_class']) else '?'}"
    pick = lambda df: df[df["organisation_id"] == organisation_id].reset_index(drop=True)  # noqa: E731
    response = pick(analysis.response)
    rel = analysis.reliability
    mixed = rel["organisation_id"].isna() & (rel["n_organisations"] >= _minimum(analysis))
    return OrganisationView(
        meta=analysis.meta | {"organisation_id": organisation_id, "peer_group": group},
        organisation=own,
        response=response.iloc[0] if len(response) else pd.Series(dtype=object),
        dimensions=pick(analysis.dimensions),
        items=pick(analysis.items),
        reliability=pd.concat([rel[mixed], pick(rel)], ignore_index=True),
        peers=analysis.peers[analysis.peers["peer_group"] == group].reset_index(drop=True),
        change=pick(analysis.change),
        free_text=pick(analysis.free_text),
        levels=pick(analysis.levels),
        level_distribution=pick(analysis.level_distribution),
    )


@dataclass
class TeamView:
    """What one team's profile may show: its coverage, its role mix with rare roles pooled,
    and, only for teams of at least the minimum group size, its members under pseudonyms.

    ``roles`` holds one entry per member: the role where at least the minimum group size of
    the team's members share it, else ``None`` ("overige rollen"). For a smaller team
    ``members`` is empty and ``coverage`` names nobody (``not_covering`` is blank): per-member
    detail would let the team tell who is who.
    """

    meta: dict  # with team_id, organisation_id, n_members and min_group_size
    members: pd.DataFrame
    coverage: pd.DataFrame
    free_text: pd.DataFrame
    roles: pd.Series

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
    members = members.assign(role=members["member"].map(roles)).reset_index(drop=True)
    coverage = analysis.team_coverage[analysis.team_coverage["team_id"] == team_id]
    coverage = coverage.reset_index(drop=True)
    if len(roles) < minimum:
        members = members.iloc[:0]
        coverage = coverage.assign(not_covering="")
    own = {"team_id": team_id, "organisation_id": organisation_id, "n_members": len(roles)}
    return TeamView(
        meta=analysis.meta | own | {"min_group_size": minimum},
        members=members,
        coverage=coverage,
        free_text=analysis.free_text[analysis.free_text["team_id"] == team_id].reset_index(
            drop=True
        ),
        roles=roles.reset_index(drop=True),
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

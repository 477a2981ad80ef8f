"""A typology of organisations: which profiles of data-strategy maturity occur, and where.

The GemeentenNL working group asks which strategy fits which type of municipality. This
module finds the types in a round (method and sources in ``docs/scoring.md``, "Typology"):

1. **Profiles**: every organisation's mean score per dimension with its standard error
   (``organisation_profiles``); only organisations with at least ``min_respondents``
   respondents and a mean on every dimension take part.
2. **Types**: a Gaussian mixture over the profiles (latent profile analysis; scikit-learn's
   ``GaussianMixture``), with the number of types and the covariance form (``spherical``,
   ``diag``) chosen by the lowest BIC (Schwarz, 1978; Nylund, Asparouhov & Muthén, 2007).
   A number of types ``k`` is tried only when there are at least ``ORGS_PER_TYPE · k``
   organisations: with fewer the typology does not run and says why. A solution with a
   type of fewer than ``MIN_TYPE_SIZE`` organisations is not admissible (a degenerate
   component around a few organisations can have the lowest BIC).
3. **Stability**: the chosen model is refitted on profiles redrawn within their
   uncertainty (each mean plus normal noise with its standard error) and the adjusted Rand
   index with the original types is reported (Hubert & Arabie, 1985; Steinley, 2004:
   ≥ .80 good).
4. **Description**: which dimensions distinguish the types (one-way ANOVA over the
   organisations, η²), cross-tables of type by size class, urbanisation, kind and
   province with a χ² test and Cramér's V, and a plain-language description of each
   type made from these figures and the message catalogue.

``similar_profile`` gives one organisation's report what it may show: its type with the
probability, what distinguishes the type, and what organisations of that type that score
higher on a dimension have in place, always over at least the minimum group size.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

from dwp_assess.analysis.saved import ParquetTables
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import Instrument

TYPOLOGY_FOLDER = "typology"  # beside a saved round analysis (reports.run.cached_analysis)
ORGS_PER_TYPE = 7  # organisations needed per type tried (k types need ORGS_PER_TYPE · k)
MAX_TYPES = 6
MIN_TYPE_SIZE = 5  # a solution with a smaller type is not admissible (no tiny or degenerate types)
COVARIANCE_FORMS = ("spherical", "diag")
N_INIT = 10
N_BOOT = 50
STRONG_EFFECT = 0.5  # a type is strong/weak on a dimension at ≥ 0.5 SD of organisation means
DOMINANT_SHARE = 0.5  # an attribute describes a type when at least half its organisations have it
AGREE_FROM = 4  # answers 4 and 5 ("eens", "helemaal eens") count as having something in place
ATTRIBUTES = ("kind", "size_class", "urbanisation", "province")


@dataclass
class Typology(ParquetTables):
    """The types of one round; every table is tidy with named columns."""

    meta: dict  # k, covariance, n_organisations, stability, ran (reason_nl/_en when not)
    profiles: pd.DataFrame  # organisation × dimension: n, mean, se
    assignment: pd.DataFrame  # organisation: type, probability
    selection: pd.DataFrame  # k × covariance: bic, converged
    centres: pd.DataFrame  # type × dimension: mean over the type's organisations
    distinguishing: pd.DataFrame  # dimension: F, p, eta2, ordered by eta2
    crosstabs: pd.DataFrame  # attribute: chi2, df, p, cramers_v, sparse
    composition: pd.DataFrame  # type × attribute × category: organisations and share
    descriptions: pd.DataFrame  # type: size, description (nl, en)

    @property
    def ran(self) -> bool:
        return bool(self.meta.get("ran"))


def organisation_profiles(scores: pd.DataFrame, min_respondents: int) -> pd.DataFrame:
    """Organisation × dimension: ``n, mean, sd, se`` of respondents' scores, for organisations
    with at least ``min_respondents`` scores on every dimension."""
    valid = scores.dropna(subset=["score"])
    out = valid.groupby(["organisation_id", "dimension_id"])["score"].agg(
        n="count", mean="mean", sd="std"
    )
    out["se"] = out["sd"] / np.sqrt(out["n"])
    out = out.reset_index()
    dims = scores["dimension_id"].nunique()
    enough = out[out["n"] >= min_respondents].groupby("organisation_id")["dimension_id"].nunique()
    keep = enough[enough == dims].index
    return out[out["organisation_id"].isin(keep)].reset_index(drop=True)


def max_types(n_organisations: int) -> int:
    """The largest number of types tried for ``n_organisations`` (``ORGS_PER_TYPE`` each)."""
    return min(MAX_TYPES, n_organisations // ORGS_PER_TYPE)


def _mixture(k: int, covariance: str, seed: int, n_init: int = N_INIT) -> GaussianMixture:
    return GaussianMixture(
        n_components=k, covariance_type=covariance, n_init=n_init, random_state=seed,
        reg_covar=1e-4, max_iter=500,
    )  # fmt: skip


def select_model(matrix: np.ndarray, k_max: int, seed: int) -> pd.DataFrame:
    """BIC of every number of types 1 … ``k_max`` and covariance form, with the size of the
    smallest type; admissible solutions (every type at least ``MIN_TYPE_SIZE``
    organisations, converged) first, lowest BIC first."""
    rows = []
    for k in range(1, k_max + 1):
        for covariance in COVARIANCE_FORMS:
            model = _mixture(k, covariance, seed).fit(matrix)
            smallest = int(np.bincount(model.predict(matrix), minlength=k).min())
            rows.append({"k": k, "covariance": covariance, "bic": model.bic(matrix),
                         "smallest_type": smallest, "converged": bool(model.converged_),
                         "admissible": bool(model.converged_) and smallest >= MIN_TYPE_SIZE})  # fmt: skip
    frame = pd.DataFrame(rows)
    return frame.sort_values(["admissible", "bic", "k"], ascending=[False, True, True], ignore_index=True)  # fmt: skip


def _ordered_labels(model: GaussianMixture, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Types numbered 1, 2, … from the highest mean profile down (stable across runs), with
    each organisation's posterior probability of its type."""
    posterior = model.predict_proba(matrix)
    order = np.argsort(-model.means_.mean(axis=1), kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    raw = posterior.argmax(axis=1)
    return rank[raw] + 1, posterior[np.arange(len(raw)), raw]


def stability(
    matrix: np.ndarray, se: np.ndarray, labels: np.ndarray, k: int, covariance: str, seed: int,
    n_boot: int = N_BOOT,
) -> pd.Series:  # fmt: skip
    """Adjusted Rand index between ``labels`` and the types of refits on profiles redrawn
    within their standard errors: ``mean``, ``p05`` (5th percentile) and ``n_boot``."""
    rng = np.random.default_rng(seed)
    aris = []
    for _ in range(n_boot):
        drawn = matrix + rng.normal(size=matrix.shape) * se
        model = _mixture(k, covariance, seed, n_init=3).fit(drawn)
        aris.append(adjusted_rand_score(labels, model.predict(drawn)))
    values = np.asarray(aris)
    return pd.Series({"mean": values.mean(), "p05": np.quantile(values, 0.05), "n_boot": n_boot})


def distinguishing_dimensions(wide: pd.DataFrame, types: pd.Series) -> pd.DataFrame:
    """Per dimension a one-way ANOVA of organisation means over the types: ``F, p, eta2``
    (η² = SS_between / SS_total), most distinguishing first."""
    rows = []
    for dim in wide.columns:
        groups = [wide.loc[types == k, dim].to_numpy() for k in sorted(types.unique())]
        total = wide[dim] - wide[dim].mean()
        between = sum(len(g) * (g.mean() - wide[dim].mean()) ** 2 for g in groups)
        usable = len(groups) > 1 and all(len(g) > 0 for g in groups) and (total**2).sum() > 0
        f, p = sps.f_oneway(*groups) if usable else (np.nan, np.nan)
        eta2 = between / (total**2).sum() if usable else np.nan
        rows.append({"dimension_id": dim, "F": f, "p": p, "eta2": eta2})
    return pd.DataFrame(rows).sort_values("eta2", ascending=False, ignore_index=True)


def crosstab_tests(types: pd.Series, attributes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Type × category of each attribute present: a χ² test of independence with Cramér's V
    (``sparse`` when more than 20% of expected counts are below 5, Cochran's rule, so the p
    is rough), and the composition of each type (organisations and share per category)."""
    tests, parts = [], []
    for attribute in [a for a in ATTRIBUTES if a in attributes.columns]:
        values = attributes[attribute].reindex(types.index).fillna("onbekend").astype(str)
        table = pd.crosstab(types, values)
        if table.shape[0] > 1 and table.shape[1] > 1:
            chi2, p, df, expected = sps.chi2_contingency(table, correction=False)
            v = np.sqrt(chi2 / (table.to_numpy().sum() * (min(table.shape) - 1)))
            tests.append({"attribute": attribute, "chi2": chi2, "df": int(df), "p": p,
                          "cramers_v": v, "sparse": bool((expected < 5).mean() > 0.2)})  # fmt: skip
        long = table.stack().rename("organisations").reset_index()
        long.columns = ["type", "category", "organisations"]
        long["share"] = long["organisations"] / long.groupby("type")["organisations"].transform("sum")  # fmt: skip
        parts.append(long.assign(attribute=attribute))
    composition = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["type", "attribute", "category", "organisations", "share"])  # fmt: skip
    columns = ["attribute", "chi2", "df", "p", "cramers_v", "sparse"]
    return pd.DataFrame(tests, columns=columns), composition[["type", "attribute", "category", "organisations", "share"]]  # fmt: skip


def _category_text(attribute: str, category: str, lang: str) -> str:
    if attribute == "kind":
        key = f"typology.kind.{category}"
        return t(key, lang) if key in _catalogue_keys() else category
    if attribute == "size_class":
        return t("typology.size_class", lang, size=category)
    if attribute == "province":
        return t("typology.province", lang, province=category)
    return category


def _catalogue_keys() -> set[str]:
    from dwp_assess.instruments.messages import catalogue

    return set(catalogue())


def _join(parts: list[str], lang: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} {t('typology.and', lang)} {parts[-1]}"


def describe_type(
    number: int, centres: pd.DataFrame, wide: pd.DataFrame, composition: pd.DataFrame,
    labels: dict[str, dict[str, str]], lang: str,
) -> str:  # fmt: skip
    """A plain-language description of type ``number`` from the data: the attributes at
    least half its organisations share (more often than in the whole round), and the
    dimensions where its mean lies ``STRONG_EFFECT`` SD of organisation means or more above
    or below the round's mean of organisation means."""
    own = composition[composition["type"] == number]
    overall = composition.groupby(["attribute", "category"])["organisations"].sum()
    overall = overall / overall.groupby(level="attribute").transform("sum")
    who = []
    for attribute in ATTRIBUTES:
        rows = own[own["attribute"] == attribute].sort_values("share", ascending=False)
        if rows.empty:
            continue
        top = rows.iloc[0]
        if top["share"] >= DOMINANT_SHARE and top["share"] > overall[(attribute, top["category"])]:
            who.append(t("typology.share", lang, what=_category_text(attribute, top["category"], lang), share=f"{top['share']:.0%}"))  # fmt: skip
    z = (centres.loc[number] - wide.mean()) / wide.std(ddof=1).replace(0, np.nan)
    name = lambda d: labels[d].get(lang) or labels[d]["nl"]  # noqa: E731
    strong = [name(d) for d in z[z >= STRONG_EFFECT].sort_values(ascending=False).index]
    weak = [name(d) for d in z[z <= -STRONG_EFFECT].sort_values().index]
    profile = []
    if strong:
        profile.append(t("typology.strong", lang, dimensions=_join(strong, lang).lower()))
    if weak:
        profile.append(t("typology.weak", lang, dimensions=_join(weak, lang).lower()))
    profile_text = _join(profile, lang) if profile else t("typology.average", lang)
    who_text = _join(who, lang) if who else t("typology.mixed", lang)
    text = t("typology.description", lang, who=who_text, profile=profile_text)
    return text[0].upper() + text[1:]


def _not_run(reason: dict[str, str], profiles: pd.DataFrame, meta: dict) -> Typology:
    empty = pd.DataFrame()
    return Typology(
        meta=meta | {"ran": False, "reason_nl": reason["nl"], "reason_en": reason["en"]}, profiles=profiles, assignment=empty,
        selection=empty, centres=empty, distinguishing=empty, crosstabs=empty,
        composition=empty, descriptions=empty,
    )  # fmt: skip


def fit_typology(
    profiles: pd.DataFrame,
    attributes: pd.DataFrame,
    instrument: Instrument,
    seed: int = 2026,
    n_boot: int = N_BOOT,
) -> Typology:
    """Types of the organisations in ``profiles`` (``organisation_profiles``), described by
    ``attributes`` (one row per ``organisation_id``: kind, size_class, urbanisation,
    province, whichever are present). Does not run (``ran`` False, ``reason_nl``/``_en``) when there
    are too few organisations for two types."""
    wide = profiles.pivot(index="organisation_id", columns="dimension_id", values="mean")
    se = profiles.pivot(index="organisation_id", columns="dimension_id", values="se")
    dims = [d.id for d in instrument.dimensions if d.id in wide.columns]
    wide, se = wide[dims], se[dims].fillna(0.0)
    n = len(wide)
    meta = {"n_organisations": n, "orgs_per_type": ORGS_PER_TYPE, "seed": seed,
            "dimensions": dims, "instrument": instrument.key}  # fmt: skip
    k_max = max_types(n)
    if k_max < 2:
        reason = {lang: t("typology.too_few", lang, n=n, needed=2 * ORGS_PER_TYPE) for lang in ("nl", "en")}  # fmt: skip
        return _not_run(reason, profiles, meta)
    matrix = wide.to_numpy()
    selection = select_model(matrix, k_max, seed)
    best = selection.iloc[0]
    k, covariance = int(best["k"]), str(best["covariance"])
    model = _mixture(k, covariance, seed).fit(matrix)
    labels, probability = _ordered_labels(model, matrix)
    types = pd.Series(labels, index=wide.index, name="type")
    assignment = pd.DataFrame({"organisation_id": wide.index, "type": labels, "probability": probability})  # fmt: skip
    centres = wide.groupby(types).mean()
    attrs = attributes.set_index("organisation_id")
    crosstabs, composition = crosstab_tests(types, attrs)
    stable = stability(matrix, se.to_numpy(), labels, k, covariance, seed, n_boot) if k > 1 else pd.Series({"mean": np.nan, "p05": np.nan, "n_boot": 0})  # fmt: skip
    labels_of = {d.id: d.label.model_dump() for d in instrument.dimensions}
    descriptions = pd.DataFrame(
        [{"type": number, "organisations": int((types == number).sum()),
          "description_nl": describe_type(number, centres, wide, composition, labels_of, "nl"),
          "description_en": describe_type(number, centres, wide, composition, labels_of, "en")}
         for number in sorted(types.unique())]
    )  # fmt: skip
    meta |= {"ran": True, "k": k, "covariance": covariance, "k_max": k_max,
             "bic": float(best["bic"]), "stability_ari_mean": float(stable["mean"]),
             "stability_ari_p05": float(stable["p05"]), "n_boot": int(stable["n_boot"])}  # fmt: skip
    return Typology(
        meta=meta,
        profiles=profiles,
        assignment=assignment,
        selection=selection,
        centres=centres.rename_axis("type").reset_index(),
        distinguishing=distinguishing_dimensions(wide, types) if k > 1 else pd.DataFrame(),
        crosstabs=crosstabs,
        composition=composition,
        descriptions=descriptions,
    )


def round_typology(analysis, min_respondents: int | None = None, n_boot: int = N_BOOT) -> Typology:
    """The typology of a ``profiles.RoundAnalysis``: profiles from its scores (organisations
    with at least the round's minimum group size of respondents), attributes from its
    organisations."""
    minimum = min_respondents or int(analysis.meta.get("min_group_size") or analysis.instrument.scoring.min_group_size)  # fmt: skip
    profiles = organisation_profiles(analysis.scores, minimum)
    return fit_typology(profiles, analysis.organisations, analysis.instrument, n_boot=n_boot)


def _in_place(items: pd.DataFrame, organisations: list[str], item_ids: list[str]) -> pd.Series:
    """Share of answers ``AGREE_FROM`` or higher per item, pooled over ``organisations``."""
    rows = items[items["organisation_id"].isin(organisations) & items["item_id"].isin(item_ids)]
    agree = [c for c in rows.columns if c.startswith("n_") and c[2:].replace(".", "").isdigit() and float(c[2:]) >= AGREE_FROM]  # fmt: skip
    answered = rows["n"].groupby(rows["item_id"]).sum()
    return (rows[agree].sum(axis=1).groupby(rows["item_id"]).sum() / answered.where(answered > 0)).dropna()  # fmt: skip


def saved_typology(analysis_dir: str | Path | None) -> Typology | None:
    """The typology saved beside a round analysis, or ``None`` when there is none."""
    folder = Path(analysis_dir) / TYPOLOGY_FOLDER if analysis_dir else None
    return Typology.load(folder) if folder is not None and folder.is_dir() else None


def similar_profile(
    typology: Typology,
    items: pd.DataFrame,
    organisation_id: str,
    instrument: Instrument,
    min_group: int,
    lang: str = "nl",
    n_dimensions: int = 2,
    n_items: int = 3,
) -> dict | None:
    """What the section "Organisaties met een vergelijkbaar profiel" shows for one organisation.

    ``items`` is the round's organisation × item table (``RoundAnalysis.items``: answers per
    scale point). ``None`` when the round has no typology, the organisation is not in it, or
    its type has fewer than ``min_group`` organisations. Otherwise a plain dict:

    - ``type``, ``probability`` (posterior probability of the type), ``organisations`` (in
      the type), ``description`` (plain language);
    - ``distinguishing``: the ``n_dimensions`` dimensions that distinguish the types most,
      with the type's mean and the round's mean of organisation means;
    - ``practices``: for the organisation's ``n_dimensions`` dimensions furthest below its
      type's mean, the items that the type's organisations scoring higher on that dimension
      most often agree with (share of answers 4–5, pooled), next to the organisation's own
      share; only where those organisations number at least ``min_group``.

    Names of other organisations never appear; every figure of others pools at least
    ``min_group`` organisations.
    """
    if not typology.ran:
        return None
    assignment = typology.assignment.set_index("organisation_id")
    if organisation_id not in assignment.index:
        return None
    number = int(assignment.at[organisation_id, "type"])
    members = assignment.index[assignment["type"] == number].tolist()
    if len(members) < min_group:
        return None
    wide = typology.profiles.pivot(index="organisation_id", columns="dimension_id", values="mean")
    centre = wide.loc[members].mean()
    label = lambda d: instrument.dimension_by_id[d].label.get(lang)  # noqa: E731
    distinguishing = [
        {"dimension_id": d, "label": label(d), "type_mean": float(centre[d]), "round_mean": float(wide[d].mean())}
        for d in typology.distinguishing["dimension_id"].head(n_dimensions)
    ]  # fmt: skip
    own = wide.loc[organisation_id]
    practices = []
    for dim in (own - centre).sort_values().index[:n_dimensions]:
        higher = [m for m in members if wide.at[m, dim] > own[dim]]
        if len(higher) < min_group:
            continue
        item_ids = [i.id for i in instrument.rated_items_of(dim) if not i.reverse]
        shares = _in_place(items, higher, item_ids).sort_values(ascending=False).head(n_items)
        mine = _in_place(items, [organisation_id], list(shares.index))
        practices.append({
            "dimension_id": dim, "label": label(dim), "own_mean": float(own[dim]),
            "organisations_higher": len(higher),
            "items": [{"item_id": i, "text": instrument.item_by_id[i].text.get(lang),
                       "share_higher": float(s), "share_own": float(mine.get(i, np.nan))}
                      for i, s in shares.items()],
        })  # fmt: skip
    description = typology.descriptions.set_index("type").at[number, f"description_{lang}"]
    return {
        "type": number,
        "probability": float(assignment.at[organisation_id, "probability"]),
        "organisations": len(members),
        "description": description,
        "distinguishing": distinguishing,
        "practices": practices,
    }

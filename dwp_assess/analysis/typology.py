"""A typology of organisations: which profiles of data-strategy maturity occur, and where.

The GemeentenNL working group asks which strategy fits which type of municipality. This
module finds the types in a round, and only tells an organisation its type when the data
show types (method, thresholds and sources in ``docs/scoring.md``, "Typology"):

1. **Profiles**: every organisation's mean score per dimension with its standard error
   (``organisation_profiles``); only organisations with at least ``min_respondents``
   respondents and a mean on every dimension take part.
2. **Candidate models** (``select_model``): Gaussian mixtures over the profiles (latent
   profile analysis; scikit-learn's ``GaussianMixture``) with 1 … ``max_types`` types and
   spherical, diagonal, tied or full covariance, plus one population with one general level
   across the dimensions (a one-factor model, ``FactorAnalysis``). Maturity dimensions move
   together across organisations; with only spherical or diagonal forms such a general level
   can only be fitted as several types along it. A model is admissible when EM converged, it
   has fewer free parameters than organisations, and every type holds at least
   ``MIN_TYPE_SIZE`` organisations and ``MIN_TYPE_SHARE`` of them. The admissible model with
   the lowest BIC is chosen (Schwarz, 1978; Nylund, Asparouhov & Muthén, 2007).
3. **Evidence** (``evidence``) before any organisation is told its type: the bootstrap
   likelihood-ratio test of k against k − 1 types (McLachlan, 1987), the relative entropy of
   the classification (Ramaswamy et al., 1993), and stability over resampled organisations
   (Hennig, 2007) besides refits on profiles redrawn within their standard errors, both by
   the adjusted Rand index (Hubert & Arabie, 1985; Steinley, 2004). Types are shown
   (``Typology.shown``) only when every check holds; otherwise the round "shows no distinct
   types" and reports say so in words.
4. **Description**: which dimensions distinguish the types (one-way ANOVA over the
   organisations, η²), cross-tables of type by size class, urbanisation, kind and
   province with a χ² test and Cramér's V, and a plain-language description of each
   type made from these figures and the message catalogue.

``similar_profile`` gives one organisation's report what it may show: its type with how
certain the assignment is, what distinguishes the type, and what organisations that score
higher on a dimension have in place (of its type, or of the whole round when the round has
no distinct types), always over at least the minimum group size.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps
from sklearn.decomposition import FactorAnalysis
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from dwp_assess.analysis.table_files import ParquetTables
from dwp_assess.instruments.messages import t
from dwp_assess.instruments.model import Instrument
from dwp_assess.locale import LANGUAGES, percent

TYPOLOGY_FOLDER = "typology"  # beside a saved round analysis (reports.cache.cached_analysis)
ORGS_PER_TYPE = 7  # organisations needed per type tried (k types need ORGS_PER_TYPE · k)
MAX_TYPES = 6
MIN_TYPE_SIZE = 5  # a solution with a smaller type is not admissible (no tiny or degenerate types)
MIN_TYPE_SHARE = 0.05  # nor with a type of under 5% of the organisations (Spurk et al., 2020)
COVARIANCE_FORMS = ("spherical", "diag", "tied", "full")
GENERAL_LEVEL = "one_factor"  # one population with a general level: a one-factor model
N_INIT = 10
N_BOOT = 50  # refits for each stability check
N_BLRT = 39  # bootstrap samples of the likelihood-ratio test (p in steps of 1/40, so p < .05 is possible)
BOOT_INIT = 3  # EM starts per bootstrap refit
ALPHA = 0.05  # the BLRT must reject k − 1 types at this level
MIN_ENTROPY = 0.80  # relative entropy of the classification (Clark & Muthén, 2009)
MIN_STABILITY = 0.80  # mean adjusted Rand index over resampled organisations (Steinley, 2004)
CERTAIN, LIKELY = 0.90, 0.70  # an organisation's posterior: "vrijwel zeker", "waarschijnlijk"
STRONG_EFFECT = 0.5  # a type is strong/weak on a dimension at ≥ 0.5 SD of organisation means
DOMINANT_SHARE = 0.5  # an attribute describes a type when at least half its organisations have it
AGREE_FROM = 4  # answers 4 and 5 ("eens", "helemaal eens") count as having something in place
ATTRIBUTES = ("kind", "size_class", "urbanisation", "province")
DISTINGUISHING_COLUMNS = ["dimension_id", "F", "p", "eta2"]


@dataclass
class Typology(ParquetTables):
    """The types of one round; every table is tidy with named columns."""

    meta: dict  # k, covariance, n_organisations, evidence, ran, shown, status (+ reason)
    profiles: pd.DataFrame  # organisation × dimension: n, mean, se
    assignment: pd.DataFrame  # organisation: type, probability
    selection: pd.DataFrame  # every candidate model: k, covariance, parameters, bic, entropy, …
    centres: pd.DataFrame  # type × dimension: mean over the type's organisations
    distinguishing: pd.DataFrame  # dimension: F, p, eta2, ordered by eta2
    crosstabs: pd.DataFrame  # attribute: chi2, df, p, cramers_v, sparse
    composition: pd.DataFrame  # type × attribute × category: organisations and share
    descriptions: pd.DataFrame  # type: size, description (nl, en)

    @property
    def ran(self) -> bool:
        """Candidate models were fitted (the round had enough organisations)."""
        return bool(self.meta.get("ran"))

    @property
    def shown(self) -> bool:
        """The round shows distinct types, with the evidence to tell organisations theirs."""
        return bool(self.meta.get("shown"))

    @property
    def status(self) -> str:
        """``types`` (shown), ``one_type``, ``weak_evidence`` or ``too_few``."""
        return str(self.meta.get("status", "too_few"))


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


def min_type_size(n_organisations: int) -> int:
    """The smallest admissible type: ``MIN_TYPE_SIZE`` organisations and ``MIN_TYPE_SHARE``."""
    return max(MIN_TYPE_SIZE, int(np.ceil(MIN_TYPE_SHARE * n_organisations)))


def _mixture(k: int, covariance: str, seed: int, n_init: int = N_INIT) -> GaussianMixture:
    return GaussianMixture(
        n_components=k,
        covariance_type=covariance,
        n_init=n_init,
        random_state=seed,
        reg_covar=1e-4,
        max_iter=500,
    )


def n_parameters(k: int, covariance: str, d: int) -> int:
    """Free parameters of a model over ``d`` dimensions: k·d means, k − 1 mixing weights and
    the covariance (spherical k, diagonal k·d, tied d(d+1)/2, full k·d(d+1)/2); the
    one-factor model has d means, d loadings and d unique variances."""
    if covariance == GENERAL_LEVEL:
        return 3 * d
    per_type = {"spherical": 1, "diag": d, "full": d * (d + 1) // 2}
    cov = d * (d + 1) // 2 if covariance == "tied" else k * per_type[covariance]
    return k * d + (k - 1) + cov


def relative_entropy(posterior: np.ndarray) -> float:
    """1 − Σᵢ Σⱼ −pᵢⱼ ln pᵢⱼ / (n ln k): 1 when every organisation belongs to one type with
    certainty, 0 when the posteriors are uniform (Ramaswamy et al., 1993); NaN for k = 1."""
    n, k = posterior.shape
    if k < 2:
        return float("nan")
    p = np.clip(posterior, 1e-300, 1.0)
    return float(1 - (-(posterior * np.log(p)).sum()) / (n * np.log(k)))


def _candidate(matrix: np.ndarray, k: int, covariance: str, seed: int) -> dict:
    """One candidate model's figures (``select_model``'s row)."""
    n, d = matrix.shape
    parameters = n_parameters(k, covariance, d)
    row = {"k": k, "covariance": covariance, "parameters": parameters, "estimable": parameters < n}
    if not row["estimable"]:  # more parameters than organisations: not fitted
        return row | {
            "log_likelihood": np.nan,
            "bic": np.nan,
            "entropy": np.nan,
            "smallest_type": np.nan,
            "converged": False,
            "admissible": False,
        }
    if covariance == GENERAL_LEVEL:
        model = FactorAnalysis(n_components=1, random_state=seed).fit(matrix)
        loglik, sizes, converged, entropy = model.score(matrix) * n, np.array([n]), True, np.nan
    else:
        model = _mixture(k, covariance, seed).fit(matrix)
        posterior = model.predict_proba(matrix)
        sizes = np.bincount(posterior.argmax(axis=1), minlength=k)
        loglik, converged = model.score(matrix) * n, bool(model.converged_)
        entropy = relative_entropy(posterior)
    smallest = int(sizes.min())
    return row | {
        "log_likelihood": float(loglik),
        "bic": float(-2 * loglik + parameters * np.log(n)),
        "entropy": entropy,
        "smallest_type": smallest,
        "converged": converged,
        "admissible": converged and (k == 1 or smallest >= min_type_size(n)),
    }


def select_model(matrix: np.ndarray, k_max: int, seed: int) -> pd.DataFrame:
    """Every candidate model (1 … ``k_max`` types × ``COVARIANCE_FORMS``, and one population
    with a general level) with its free parameters, log-likelihood, BIC, relative entropy and
    smallest type; admissible models first (estimable: fewer free parameters than
    organisations, else not fitted; converged; no type under ``min_type_size``), lowest BIC
    first."""
    forms = [(1, GENERAL_LEVEL)] + [(k, c) for k in range(1, k_max + 1) for c in COVARIANCE_FORMS]
    frame = pd.DataFrame([_candidate(matrix, k, c, seed) for k, c in forms])
    return frame.sort_values(
        ["admissible", "bic", "k"], ascending=[False, True, True], ignore_index=True
    )


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
    matrix: np.ndarray,
    se: np.ndarray,
    labels: np.ndarray,
    k: int,
    covariance: str,
    seed: int,
    n_boot: int = N_BOOT,
) -> pd.Series:
    """Adjusted Rand index between ``labels`` and the types of refits on profiles redrawn
    within their standard errors: ``mean``, ``p05`` (5th percentile) and ``n_boot``."""
    rng = np.random.default_rng(seed)
    aris = []
    for _ in range(n_boot):
        drawn = matrix + rng.normal(size=matrix.shape) * se
        model = _mixture(k, covariance, seed, n_init=BOOT_INIT).fit(drawn)
        aris.append(adjusted_rand_score(labels, model.predict(drawn)))
    values = np.asarray(aris)
    return pd.Series({"mean": values.mean(), "p05": np.quantile(values, 0.05), "n_boot": n_boot})


def resampling_stability(
    matrix: np.ndarray,
    labels: np.ndarray,
    k: int,
    covariance: str,
    seed: int,
    n_boot: int = N_BOOT,
) -> pd.Series:
    """Adjusted Rand index between ``labels`` and the types that a model refitted on a
    bootstrap sample of the organisations (drawn with replacement) gives every organisation
    (Hennig, 2007): do the types come back when other organisations had taken part?
    ``mean``, ``p05`` and ``n_boot``."""
    rng = np.random.default_rng(seed + 1)
    n = len(matrix)
    aris = []
    for _ in range(n_boot):
        sample = matrix[rng.integers(0, n, n)]
        model = _mixture(k, covariance, seed, n_init=BOOT_INIT).fit(sample)
        aris.append(adjusted_rand_score(labels, model.predict(matrix)))
    values = np.asarray(aris)
    return pd.Series({"mean": values.mean(), "p05": np.quantile(values, 0.05), "n_boot": n_boot})


def bootstrap_lrt(
    matrix: np.ndarray, k: int, covariance: str, seed: int, n_boot: int = N_BLRT
) -> pd.Series:
    """The bootstrap likelihood-ratio test of k against k − 1 types with the same covariance
    form (McLachlan, 1987; Nylund, Asparouhov & Muthén, 2007): samples of the organisations'
    size are drawn from the fitted k − 1 model, both models are fitted to each, and
    ``p = (1 + #{LR* ≥ LR}) / (B + 1)`` with LR = 2 (ℓ_k − ℓ_{k−1}). ``lr``, ``p``, ``n_boot``."""
    n = len(matrix)
    null = _mixture(k - 1, covariance, seed).fit(matrix)
    lr = 2 * n * (_mixture(k, covariance, seed).fit(matrix).score(matrix) - null.score(matrix))
    null.random_state = np.random.RandomState(seed)
    exceed = 0
    for b in range(n_boot):
        drawn, _ = null.sample(n)
        small = _mixture(k - 1, covariance, seed + b, n_init=BOOT_INIT).fit(drawn).score(drawn)
        large = _mixture(k, covariance, seed + b, n_init=BOOT_INIT).fit(drawn).score(drawn)
        exceed += 2 * n * (large - small) >= lr
    return pd.Series({"lr": lr, "p": (1 + exceed) / (n_boot + 1), "n_boot": n_boot})


def evidence(
    matrix: np.ndarray,
    se: np.ndarray,
    model: GaussianMixture,
    labels: np.ndarray,
    k: int,
    covariance: str,
    seed: int,
    n_boot: int = N_BOOT,
) -> dict:
    """The checks a k-type solution must pass before organisations are told their type, each
    with its figure and threshold (``docs/scoring.md``): the BLRT rejects k − 1 types at
    ``ALPHA``, relative entropy ≥ ``MIN_ENTROPY``, mean ARI over resampled organisations ≥
    ``MIN_STABILITY``; the redraw within standard errors is reported beside them. ``holds``
    is True when all pass."""
    blrt = bootstrap_lrt(matrix, k, covariance, seed)
    entropy = relative_entropy(model.predict_proba(matrix))
    resampled = resampling_stability(matrix, labels, k, covariance, seed, n_boot)
    redrawn = stability(matrix, se, labels, k, covariance, seed, n_boot)
    checks = {
        "blrt": bool(blrt["p"] < ALPHA),
        "entropy": bool(entropy >= MIN_ENTROPY),
        "stability": bool(resampled["mean"] >= MIN_STABILITY),
    }
    return {
        "blrt_lr": float(blrt["lr"]),
        "blrt_p": float(blrt["p"]),
        "n_blrt": int(blrt["n_boot"]),
        "entropy": entropy,
        "resampling_ari_mean": float(resampled["mean"]),
        "resampling_ari_p05": float(resampled["p05"]),
        "stability_ari_mean": float(redrawn["mean"]),
        "stability_ari_p05": float(redrawn["p05"]),
        "n_boot": int(n_boot),
        "checks": checks,
        "holds": all(checks.values()),
    }


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
    frame = pd.DataFrame(rows, columns=DISTINGUISHING_COLUMNS)
    return frame.sort_values("eta2", ascending=False, ignore_index=True)


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
            tests.append(
                {
                    "attribute": attribute,
                    "chi2": chi2,
                    "df": int(df),
                    "p": p,
                    "cramers_v": v,
                    "sparse": bool((expected < 5).mean() > 0.2),
                }
            )
        long = table.stack().rename("organisations").reset_index()
        long.columns = ["type", "category", "organisations"]
        long["share"] = long["organisations"] / long.groupby("type")["organisations"].transform(
            "sum"
        )
        parts.append(long.assign(attribute=attribute))
    composition = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["type", "attribute", "category", "organisations", "share"])
    )
    columns = ["attribute", "chi2", "df", "p", "cramers_v", "sparse"]
    return pd.DataFrame(tests, columns=columns), composition[
        ["type", "attribute", "category", "organisations", "share"]
    ]


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
    number: int,
    centres: pd.DataFrame,
    wide: pd.DataFrame,
    composition: pd.DataFrame,
    labels: dict[str, dict[str, str]],
    lang: str,
) -> str:
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
            who.append(
                t(
                    "typology.share",
                    lang,
                    what=_category_text(attribute, top["category"], lang),
                    share=percent(top["share"], lang),
                )
            )
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
        meta=meta
        | {
            "ran": False,
            "shown": False,
            "status": "too_few",
            "reason_nl": reason["nl"],
            "reason_en": reason["en"],
        },
        profiles=profiles,
        assignment=empty,
        selection=empty,
        centres=empty,
        distinguishing=pd.DataFrame(columns=DISTINGUISHING_COLUMNS),
        crosstabs=empty,
        composition=empty,
        descriptions=empty,
    )


def _status(k: int, checks: dict | None) -> str:
    """``types`` when a k > 1 solution passed every check, ``one_type`` when one population
    fits best, ``weak_evidence`` when types were found but a check failed."""
    if k == 1:
        return "one_type"
    return "types" if checks and checks["holds"] else "weak_evidence"


def _wide(profiles: pd.DataFrame, value: str, dims: list[str]) -> pd.DataFrame:
    """Organisation × dimension table of ``value`` (``mean`` or ``se``), dimensions in order."""
    return profiles.pivot(index="organisation_id", columns="dimension_id", values=value)[dims]


def fit_typology(
    profiles: pd.DataFrame,
    attributes: pd.DataFrame,
    instrument: Instrument,
    seed: int = 2026,
    n_boot: int = N_BOOT,
) -> Typology:
    """Types of the organisations in ``profiles`` (``organisation_profiles``), described by
    ``attributes`` (one row per ``organisation_id``: kind, size_class, urbanisation,
    province, whichever are present).

    Does not run (``ran`` False, ``reason_nl``/``_en``) when there are too few organisations
    for two types. One type (the best model is one population) is a valid answer: every
    organisation is then of type 1 and nothing is shown as a type. A solution of several
    types is shown only when its ``evidence`` holds (``meta["status"]``)."""
    present = set(profiles["dimension_id"])
    dims = [d.id for d in instrument.dimensions if d.id in present]
    n = profiles["organisation_id"].nunique()
    meta = {
        "n_organisations": n,
        "orgs_per_type": ORGS_PER_TYPE,
        "seed": seed,
        "dimensions": dims,
        "instrument": instrument.key,
    }
    k_max = max_types(n)
    if k_max < 2:
        reason = {
            lang: t("typology.too_few", lang, n=n, needed=2 * ORGS_PER_TYPE) for lang in LANGUAGES
        }
        return _not_run(reason, profiles, meta)
    with threadpool_limits(limits=1):  # small matrices: BLAS/OpenMP threads only cost (20×)
        return _fitted(profiles, attributes, instrument, meta, k_max, seed, n_boot)


def _fitted(
    profiles: pd.DataFrame,
    attributes: pd.DataFrame,
    instrument: Instrument,
    meta: dict,
    k_max: int,
    seed: int,
    n_boot: int,
) -> Typology:
    """``fit_typology`` for a round with enough organisations: select, check, describe."""
    wide, se = (
        _wide(profiles, "mean", meta["dimensions"]),
        _wide(profiles, "se", meta["dimensions"]).fillna(0.0),
    )
    n, matrix = len(wide), wide.to_numpy()
    selection = select_model(matrix, k_max, seed)
    best = selection.iloc[0]
    k, covariance = int(best["k"]), str(best["covariance"])
    labels, probability, model = _assigned(matrix, k, covariance, seed)
    checks = (
        evidence(matrix, se.to_numpy(), model, labels, k, covariance, seed, n_boot)
        if k > 1
        else None
    )
    types = pd.Series(labels, index=wide.index, name="type")
    assignment = pd.DataFrame(
        {"organisation_id": wide.index, "type": labels, "probability": probability}
    )
    centres = wide.groupby(types).mean()
    crosstabs, composition = crosstab_tests(types, attributes.set_index("organisation_id"))
    descriptions = _descriptions(types, centres, wide, composition, instrument)
    meta |= _chosen_meta(selection, k_max, n, checks)
    return Typology(
        meta=meta,
        profiles=profiles,
        assignment=assignment,
        selection=selection,
        centres=centres.rename_axis("type").reset_index(),
        distinguishing=distinguishing_dimensions(wide, types),
        crosstabs=crosstabs,
        composition=composition,
        descriptions=descriptions,
    )


def _assigned(
    matrix: np.ndarray, k: int, covariance: str, seed: int
) -> tuple[np.ndarray, np.ndarray, GaussianMixture | None]:
    """Each organisation's type (numbered as ``_ordered_labels`` does) and its posterior
    probability under the chosen model, with the fitted model; with one type every
    organisation is in type 1 for certain and there is no model to check."""
    if k == 1:
        return np.ones(len(matrix), dtype=int), np.ones(len(matrix)), None
    model = _mixture(k, covariance, seed).fit(matrix)
    labels, probability = _ordered_labels(model, matrix)
    return labels, probability, model


def _descriptions(
    types: pd.Series,
    centres: pd.DataFrame,
    wide: pd.DataFrame,
    composition: pd.DataFrame,
    instrument: Instrument,
) -> pd.DataFrame:
    """One row per type: its number, how many organisations it holds and its plain-language
    description (``describe_type``) in Dutch and English."""
    labels_of = {d.id: d.label.model_dump() for d in instrument.dimensions}
    return pd.DataFrame(
        [
            {
                "type": number,
                "organisations": int((types == number).sum()),
                "description_nl": describe_type(
                    number, centres, wide, composition, labels_of, "nl"
                ),
                "description_en": describe_type(
                    number, centres, wide, composition, labels_of, "en"
                ),
            }
            for number in sorted(types.unique())
        ]
    )


def _chosen_meta(selection: pd.DataFrame, k_max: int, n: int, checks: dict | None) -> dict:
    """What the typology's meta data records of the chosen model (the first row of
    ``selection``) for ``n`` organisations: its status and whether reports show its types,
    k and covariance, its BIC, how many models were compared and admissible, and the
    evidence ``checks``."""
    best = selection.iloc[0]
    k = int(best["k"])
    status = _status(k, checks)
    return {
        "ran": True,
        "shown": status == "types",
        "status": status,
        "k": k,
        "covariance": str(best["covariance"]),
        "k_max": k_max,
        "bic": float(best["bic"]),
        "compared": len(selection),
        "admissible": int(selection["admissible"].sum()),
        "min_type_size": min_type_size(n),
        "evidence": checks,
    }


def evidence_table(typology: Typology) -> pd.DataFrame:
    """The evidence of the chosen solution as a tidy table for researchers: one row per check
    (``check``, ``figure``, ``threshold``, ``holds``); the redraw within standard errors is
    reported (``holds`` empty) but not required. Empty when one type or no typology."""
    found = typology.meta.get("evidence")
    if not found:
        return pd.DataFrame(columns=["check", "figure", "threshold", "holds"])
    rows = [
        ("blrt_p", found["blrt_p"], f"< {ALPHA}", found["checks"]["blrt"]),
        ("entropy", found["entropy"], f">= {MIN_ENTROPY}", found["checks"]["entropy"]),
        (
            "resampling_ari_mean",
            found["resampling_ari_mean"],
            f">= {MIN_STABILITY}",
            found["checks"]["stability"],
        ),
        ("stability_ari_mean", found["stability_ari_mean"], "", None),
    ]
    return pd.DataFrame(rows, columns=["check", "figure", "threshold", "holds"])


def verdict(typology: Typology, lang: str = "nl") -> str:
    """One sentence on what the round shows: types (how many, chosen among how many models),
    one population, types without enough evidence, or too few organisations."""
    meta = typology.meta
    if not typology.ran:
        return meta[f"reason_{lang}"]
    return t(
        f"typology.verdict.{typology.status}",
        lang,
        k=meta["k"],
        compared=meta["compared"],
        admissible=meta["admissible"],
        covariance=meta["covariance"],
        n=meta["n_organisations"],
    )


def round_typology(analysis, min_respondents: int | None = None, n_boot: int = N_BOOT) -> Typology:
    """The typology of a ``profiles.RoundAnalysis``: profiles from its scores (organisations
    with at least the round's minimum group size of respondents), attributes from its
    organisations."""
    minimum = min_respondents or int(
        analysis.meta.get("min_group_size") or analysis.instrument.scoring.min_group_size
    )
    profiles = organisation_profiles(analysis.scores, minimum)
    return fit_typology(profiles, analysis.organisations, analysis.instrument, n_boot=n_boot)


def _in_place(items: pd.DataFrame, organisations: list[str], item_ids: list[str]) -> pd.Series:
    """Share of answers ``AGREE_FROM`` or higher per item, pooled over ``organisations``."""
    rows = items[items["organisation_id"].isin(organisations) & items["item_id"].isin(item_ids)]
    agree = [
        c
        for c in rows.columns
        if c.startswith("n_") and c[2:].replace(".", "").isdigit() and float(c[2:]) >= AGREE_FROM
    ]
    answered = rows["n"].groupby(rows["item_id"]).sum()
    return (
        rows[agree].sum(axis=1).groupby(rows["item_id"]).sum() / answered.where(answered > 0)
    ).dropna()


def saved_typology(analysis_dir: str | Path | None) -> Typology | None:
    """The typology saved beside a round analysis, or ``None`` when there is none."""
    folder = Path(analysis_dir) / TYPOLOGY_FOLDER if analysis_dir else None
    return Typology.load(folder) if folder is not None and folder.is_dir() else None


def certainty(probability: float) -> str:
    """How certain an organisation's type is, from its posterior probability: ``certain``
    (≥ ``CERTAIN``), ``likely`` (≥ ``LIKELY``) or ``uncertain``."""
    return (
        "certain" if probability >= CERTAIN else "likely" if probability >= LIKELY else "uncertain"
    )


def _practices(
    wide: pd.DataFrame,
    members: list[str],
    items: pd.DataFrame,
    organisation_id: str,
    instrument: Instrument,
    min_group: int,
    lang: str,
    n_dimensions: int,
    n_items: int,
) -> list[dict]:
    """For the organisation's ``n_dimensions`` dimensions furthest below the mean of
    ``members``, the items that the members scoring higher on that dimension most often agree
    with, next to the organisation's own share; only where they number at least
    ``min_group``."""
    own, centre = wide.loc[organisation_id], wide.loc[members].mean()
    practices = []
    for dim in (own - centre).sort_values().index[:n_dimensions]:
        higher = [m for m in members if wide.at[m, dim] > own[dim]]
        if len(higher) < min_group:
            continue
        item_ids = [i.id for i in instrument.rated_items_of(dim) if not i.reverse]
        shares = _in_place(items, higher, item_ids).sort_values(ascending=False).head(n_items)
        mine = _in_place(items, [organisation_id], list(shares.index))
        practices.append(
            {
                "dimension_id": dim,
                "label": instrument.dimension_by_id[dim].label.get(lang),
                "own_mean": float(own[dim]),
                "organisations_higher": len(higher),
                "items": [
                    {
                        "item_id": i,
                        "text": instrument.item_by_id[i].text.get(lang),
                        "share_higher": float(s),
                        "share_own": float(mine.get(i, np.nan)),
                    }
                    for i, s in shares.items()
                ],
            }
        )
    return practices


def similar_profile(
    typology: Typology,
    items: pd.DataFrame,
    organisation_id: str,
    instrument: Instrument,
    min_group: int,
    lang: str = "nl",
    n_dimensions: int = 2,
    n_items: int = 3,
) -> dict:
    """What the section "Organisaties met een vergelijkbaar profiel" shows for one organisation.

    ``items`` is the round's organisation × item table (``RoundAnalysis.items``: answers per
    scale point). A plain dict whose ``status`` says what the round and the organisation allow:

    - ``types``: the round shows distinct types; ``type``, ``probability`` and ``certainty``
      (``certainty``) of the organisation's, ``organisations`` in it, ``description`` and
      ``distinguishing`` (the ``n_dimensions`` dimensions that distinguish the types most,
      with the type's mean and the round's mean of organisation means);
    - ``one_type``, ``weak_evidence``, ``too_few``: the round shows no distinct types (the
      reason as named in ``Typology.status``), so the organisation is compared with the round;
    - ``small_type``: its type has fewer than ``min_group`` organisations and is not shown;
    - ``no_profile``: the organisation has no full profile (too few respondents).

    ``practices`` (except for the last two): for the organisation's dimensions furthest below
    its type's mean (or the round's, without types), what the organisations scoring higher
    have in place (``_practices``); ``scope`` says which group (``type`` or ``round``).
    Names of other organisations never appear; every figure of others pools at least
    ``min_group`` organisations.
    """
    base = {
        "status": typology.status,
        "n_organisations": int(typology.meta.get("n_organisations", 0)),
        "practices": [],
        "distinguishing": [],
        "scope": "round",
    }
    wide = typology.profiles.pivot(index="organisation_id", columns="dimension_id", values="mean")
    if organisation_id not in wide.index:
        return base | {"status": "no_profile"}
    members, own_type = wide.index.tolist(), {}
    if typology.shown:
        members = _type_members(typology, organisation_id)
        if len(members) < min_group:
            return base | {"status": "small_type"}
        own_type = _own_type(
            typology, wide, organisation_id, members, instrument, lang, n_dimensions
        )
    practices = _practices(
        wide, members, items, organisation_id, instrument, min_group, lang, n_dimensions, n_items
    )
    return base | own_type | {"practices": practices}


def _type_members(typology: Typology, organisation_id: str) -> list[str]:
    """The organisations assigned to the same type as ``organisation_id`` (it among them): the
    group its practices are compared with, and shown only when large enough."""
    assignment = typology.assignment.set_index("organisation_id")
    number = int(assignment.at[organisation_id, "type"])
    return assignment.index[assignment["type"] == number].tolist()


def _own_type(
    typology: Typology,
    wide: pd.DataFrame,
    organisation_id: str,
    members: list[str],
    instrument: Instrument,
    lang: str,
    n_dimensions: int,
) -> dict:
    """What ``similar_profile`` shows of the organisation's type (``members``): its number, the
    organisation's probability and certainty of it, its size and description, and the
    ``n_dimensions`` dimensions that distinguish the types most, with the type's mean beside
    the round's mean of organisation means."""
    assignment = typology.assignment.set_index("organisation_id")
    number = int(assignment.at[organisation_id, "type"])
    centre = wide.loc[members].mean()
    distinguishing = [
        {
            "dimension_id": d,
            "label": instrument.dimension_by_id[d].label.get(lang),
            "type_mean": float(centre[d]),
            "round_mean": float(wide[d].mean()),
        }
        for d in typology.distinguishing["dimension_id"].head(n_dimensions)
    ]
    probability = float(assignment.at[organisation_id, "probability"])
    description = typology.descriptions.set_index("type").at[number, f"description_{lang}"]
    return {
        "type": number,
        "probability": probability,
        "certainty": certainty(probability),
        "organisations": len(members),
        "description": description,
        "distinguishing": distinguishing,
        "scope": "type",
    }

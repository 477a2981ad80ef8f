"""Confirmatory factor analysis per instrument, and measurement invariance across rounds.

Every dimension of an instrument is a factor measured by its rating items (after reverse
keying); factors correlate freely. Sources and rules in ``docs/scoring.md``, "Factor
structure and invariance".

* ``fit_cfa`` fits one group with semopy (maximum likelihood, ``MLW``) and reports the usual
  fit indices: χ², df, CFI, TLI, RMSEA from semopy and the SRMR (Bentler's standardised
  root mean square residual) computed from semopy's implied covariance matrix; they agree
  with lavaan's on the Holzinger–Swineford (1939) example (``tests/test_factor.py``).
* ``invariance`` tests configural, metric (equal loadings) and scalar (equal loadings and
  intercepts) invariance across groups such as rounds (Meredith, 1993; Vandenberg & Lance,
  2000). semopy fits groups only separately, so the equality constraints across groups are
  fitted here by multi-group maximum likelihood with analytic gradients (Jöreskog, 1971;
  the discrepancy function and identification of lavaan: first loading of each factor 1,
  factor means 0 in the first group and free in the others under scalar invariance),
  checked against lavaan's published values for the same example.

Covariances use every pair of answers (pairwise deletion, ``moments``), because few
respondents answer every item of a long questionnaire. Respondents sit in organisations; these are single-level models of
the pooled covariance, which ``docs/scoring.md`` notes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import semopy
from scipy import optimize
from scipy import stats as sps

from dwp_assess.analysis.comparison import shared_items
from dwp_assess.analysis.scoring import item_matrix
from dwp_assess.instruments.model import Instrument

MIN_ITEMS_PER_FACTOR = 2


def factor_items(instrument: Instrument) -> dict[str, list[str]]:
    """Factor (dimension id) → its rating items, for dimensions with at least two items."""
    items = {d.id: [i.id for i in instrument.rated_items_of(d.id)] for d in instrument.dimensions}
    return {d: ids for d, ids in items.items() if len(ids) >= MIN_ITEMS_PER_FACTOR}


def model_description(factors: dict[str, list[str]]) -> str:
    """semopy/lavaan syntax: one ``factor =~ item + item …`` line per factor."""
    return "\n".join(f"{f} =~ {' + '.join(items)}" for f, items in factors.items())


def moments(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, int]:
    """Covariance matrix (divisor n, as maximum likelihood), means and the number of
    respondents behind them, from all available pairs of answers (pairwise deletion).

    A questionnaire of 45–70 items with "weet ik niet" leaves few complete cases, so each
    covariance uses every respondent who answered both items; ``n`` is the smallest number
    of respondents behind any covariance, which keeps χ² on the conservative side. With
    complete data this is the ordinary ML covariance of all respondents.
    """
    values = data.astype(float)
    present = values.notna().astype(float)
    pairs = present.T @ present
    cov = values.cov(min_periods=2) * (pairs - 1) / pairs
    return cov, values.mean(), int(pairs.to_numpy().min())


def srmr(sample_cov: np.ndarray, implied: np.ndarray) -> float:
    """Bentler's SRMR: ``√(mean over i ≤ j of ((s_ij − σ_ij) / √(s_ii s_jj))²)`` (Hu & Bentler,
    1999), on the covariance matrix with divisor n (as lavaan)."""
    sd = np.sqrt(np.diag(sample_cov))
    residual = (sample_cov - implied) / np.outer(sd, sd)
    lower = np.tril_indices_from(residual)
    return float(np.sqrt(np.mean(residual[lower] ** 2)))


def fit_cfa(data: pd.DataFrame, factors: dict[str, list[str]]) -> pd.Series:
    """One-group CFA of ``data`` (respondents × items; ``moments``: pairwise) with semopy.

    Returns ``n, chi2, df, p, cfi, tli, rmsea, srmr, converged``.
    """
    items = [i for ids in factors.values() for i in ids]
    cov, _, n = moments(data[items])
    model = semopy.Model(model_description(factors))
    result = model.fit(cov=cov, n_samples=n)
    stats = semopy.calc_stats(model).iloc[0]
    implied, _ = model.calc_sigma()
    observed = model.vars["observed"]
    sample = cov.loc[observed, observed].to_numpy()
    return pd.Series(
        {
            "n": n,
            "chi2": float(stats["chi2"]),
            "df": int(stats["DoF"]),
            "p": float(stats["chi2 p-value"]),
            "cfi": float(stats["CFI"]),
            "tli": float(stats["TLI"]),
            "rmsea": float(stats["RMSEA"]),
            "srmr": srmr(sample, implied),
            "converged": bool(result.success),
        }
    )


def instrument_cfa(answers: pd.DataFrame, instrument: Instrument) -> pd.Series:
    """The CFA of an instrument's dimensions on a round's answers (``store.load_answers``)."""
    factors = factor_items(instrument)
    return fit_cfa(item_matrix(answers, instrument), factors)


# -- multi-group maximum likelihood ---------------------------------------------------------


class _Layout:
    """Where each free parameter of a multi-group CFA sits in the parameter vector.

    Per group: loadings (all but each factor's first, the marker), factor (co)variances
    (lower triangle), residual variances, intercepts, factor means (scalar step, groups
    after the first). Loadings are shared across groups from the metric step on, and
    intercepts from the scalar step on.
    """

    def __init__(self, factors: dict[str, list[str]], n_groups: int, level: str):
        self.items = [i for ids in factors.values() for i in ids]
        self.p, self.m, self.g = len(self.items), len(factors), n_groups
        self.pattern = np.zeros((self.p, self.m), dtype=bool)
        self.marker = np.zeros((self.p, self.m), dtype=bool)
        row = 0
        for j, ids in enumerate(factors.values()):
            self.pattern[row : row + len(ids), j] = True
            self.marker[row, j] = True
            row += len(ids)
        self.free_loadings = self.pattern & ~self.marker
        self.shared_loadings = level in ("metric", "scalar")
        self.shared_intercepts = level == "scalar"
        self.free_means = level == "scalar"
        self.tril = np.tril_indices(self.m)
        n_lambda = int(self.free_loadings.sum())
        sizes = {
            "lambda": n_lambda * (1 if self.shared_loadings else self.g),
            "phi": len(self.tril[0]) * self.g,
            "theta": self.p * self.g,
            "nu": self.p * (1 if self.shared_intercepts else self.g),
            "kappa": self.m * (self.g - 1) if self.free_means else 0,
        }
        self.slices, start = {}, 0
        for name, size in sizes.items():
            self.slices[name] = slice(start, start + size)
            start += size
        self.size = start

    def _block(self, x: np.ndarray, name: str, group: int, width: int, shared: bool) -> np.ndarray:
        values = x[self.slices[name]]
        return values[:width] if shared else values[group * width : (group + 1) * width]

    def unpack(self, x: np.ndarray, group: int) -> tuple[np.ndarray, ...]:
        """Λ, Φ, Θ (diagonal as vector), ν, κ of ``group``."""
        lam = self.marker.astype(float)
        lam[self.free_loadings] = self._block(
            x, "lambda", group, int(self.free_loadings.sum()), self.shared_loadings
        )
        phi = np.zeros((self.m, self.m))
        phi[self.tril] = self._block(x, "phi", group, len(self.tril[0]), False)
        phi = phi + np.tril(phi, -1).T
        theta = self._block(x, "theta", group, self.p, False)
        nu = self._block(x, "nu", group, self.p, self.shared_intercepts)
        kappa = np.zeros(self.m)
        if self.free_means and group > 0:
            kappa = x[self.slices["kappa"]][(group - 1) * self.m : group * self.m]
        return lam, phi, theta, nu, kappa

    def add_gradient(self, grad: np.ndarray, group: int, parts: dict[str, np.ndarray]) -> None:
        """Add one group's gradient blocks (already in the free-parameter layout) to ``grad``."""
        for name, values in parts.items():
            if name == "kappa" and not (self.free_means and group > 0):
                continue
            block = grad[self.slices[name]]
            shared = (name == "lambda" and self.shared_loadings) or (
                name == "nu" and self.shared_intercepts
            )
            offset = 0 if shared else (group - (name == "kappa")) * len(values)
            block[offset : offset + len(values)] += values


def _group_terms(layout: _Layout, x: np.ndarray, group: int, cov: np.ndarray, mean: np.ndarray):
    """ML discrepancy ``F_g`` of one group and its gradient blocks (Jöreskog, 1971):
    ``F = log|Σ| + tr(SΣ⁻¹) − log|S| − p + (m − μ)'Σ⁻¹(m − μ)``, ``Σ = ΛΦΛ' + Θ``,
    ``μ = ν + Λκ``."""
    lam, phi, theta, nu, kappa = layout.unpack(x, group)
    sigma = lam @ phi @ lam.T + np.diag(theta)
    sign, logdet = np.linalg.slogdet(sigma)
    if sign <= 0:
        return np.inf, None
    inv = np.linalg.inv(sigma)
    resid = mean - (nu + lam @ kappa)
    weighted = cov + np.outer(resid, resid)
    f = logdet + np.trace(weighted @ inv) - np.linalg.slogdet(cov)[1] - layout.p
    g_sigma = inv - inv @ weighted @ inv
    g_mu = -2 * inv @ resid
    g_lam = 2 * g_sigma @ lam @ phi + np.outer(g_mu, kappa)
    g_phi = lam.T @ g_sigma @ lam
    g_phi = (2 * g_phi - np.diag(np.diag(g_phi)))[layout.tril]
    parts = {
        "lambda": g_lam[layout.free_loadings],
        "phi": g_phi,
        "theta": np.diag(g_sigma),
        "nu": g_mu,
        "kappa": lam.T @ g_mu,
    }
    return f, parts


def _start(layout: _Layout, covs: list[np.ndarray], means: list[np.ndarray]) -> np.ndarray:
    """Start values: loadings 1, factor variances half the marker's variance, residual
    variances half the item variances, intercepts the (first group's) means."""
    x = np.zeros(layout.size)
    x[layout.slices["lambda"]] = 1.0
    phi_start = []
    for cov in covs:
        phi = np.zeros((layout.m, layout.m))
        markers = layout.marker.argmax(axis=0)
        np.fill_diagonal(phi, np.diag(cov)[markers] / 2)
        phi_start.append(phi[layout.tril])
    x[layout.slices["phi"]] = np.concatenate(phi_start)
    x[layout.slices["theta"]] = np.concatenate([np.diag(c) / 2 for c in covs])
    x[layout.slices["nu"]] = means[0] if layout.shared_intercepts else np.concatenate(means)
    return x


def fit_multigroup(groups: list[pd.DataFrame], factors: dict[str, list[str]], level: str) -> dict:
    """Multi-group ML CFA at ``level`` (configural, metric, scalar); ``chi2 = Σ n_g F_g``."""
    layout = _Layout(factors, len(groups), level)
    data = [moments(g[layout.items]) for g in groups]
    ns = np.array([n for _, _, n in data], dtype=float)
    covs = [cov.to_numpy() for cov, _, _ in data]
    means = [mean.to_numpy() for _, mean, _ in data]

    def objective(x):
        total, grad = 0.0, np.zeros_like(x)
        for g in range(len(data)):
            f, parts = _group_terms(layout, x, g, covs[g], means[g])
            if parts is None:
                return 1e10, np.zeros_like(x)
            total += ns[g] * f
            layout.add_gradient(grad, g, {k: ns[g] * v for k, v in parts.items()})
        return total / ns.sum(), grad / ns.sum()

    result = optimize.minimize(
        objective,
        _start(layout, covs, means),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 5000, "ftol": 1e-13, "gtol": 1e-8},
    )
    chi2 = float(result.fun * ns.sum())
    n_moments = len(groups) * layout.p * (layout.p + 3) // 2
    implied = []
    for g in range(len(data)):
        lam, phi, theta, _, _ = layout.unpack(result.x, g)
        implied.append(lam @ phi @ lam.T + np.diag(theta))
    return {
        "chi2": chi2,
        "df": n_moments - layout.size,
        "n": int(ns.sum()),
        "groups": len(groups),
        "covs": covs,
        "implied": implied,
        "ns": ns,
        "converged": bool(result.success),
    }


def _fit_indices(fit: dict) -> dict:
    """CFI, TLI, RMSEA (multi-group: × √G, Steiger 1998, as lavaan) and SRMR (n-weighted mean
    over groups) against the independence model (free variances and means per group)."""
    chi2, df, n, g = fit["chi2"], fit["df"], fit["n"], fit["groups"]
    base_chi2 = float(
        sum(
            ns * (np.sum(np.log(np.diag(c))) - np.linalg.slogdet(c)[1])
            for ns, c in zip(fit["ns"], fit["covs"], strict=True)
        )
    )
    p = fit["covs"][0].shape[0]
    base_df = g * p * (p - 1) // 2
    excess, base_excess = max(chi2 - df, 0.0), max(base_chi2 - base_df, 0.0)
    cfi = 1 - excess / max(base_excess, excess) if max(base_excess, excess) > 0 else 1.0
    tli = ((base_chi2 / base_df) - (chi2 / df)) / ((base_chi2 / base_df) - 1) if df > 0 else 1.0
    rmsea = np.sqrt(excess / (df * n)) * np.sqrt(g) if df > 0 else 0.0
    srmr_value = (
        sum(
            ns * srmr(c, s) for ns, c, s in zip(fit["ns"], fit["covs"], fit["implied"], strict=True)
        )
        / n
    )
    return {"cfi": cfi, "tli": tli, "rmsea": float(rmsea), "srmr": float(srmr_value)}


LEVELS = ("configural", "metric", "scalar")


def invariance(groups: dict[str, pd.DataFrame], factors: dict[str, list[str]]) -> pd.DataFrame:
    """Configural, metric and scalar invariance of ``factors`` across ``groups`` (label →
    respondents × items): per level ``n, chi2, df, p, cfi, tli, rmsea, srmr``, and against
    the level before it ``delta_chi2, delta_df, p_delta, delta_cfi``. Invariance at a level
    is usually accepted when CFI drops by no more than .01 (Cheung & Rensvold, 2002; Chen,
    2007 for metric and scalar)."""
    frames = list(groups.values())
    rows = []
    for level in LEVELS:
        fit = fit_multigroup(frames, factors, level)
        rows.append(
            {
                "level": level,
                "n": fit["n"],
                "chi2": fit["chi2"],
                "df": fit["df"],
                "p": float(sps.chi2.sf(fit["chi2"], fit["df"])),
                **_fit_indices(fit),
                "converged": fit["converged"],
            }
        )
    out = pd.DataFrame(rows)
    out["delta_chi2"] = out["chi2"].diff()
    out["delta_df"] = out["df"].diff()
    out["p_delta"] = sps.chi2.sf(out["delta_chi2"], out["delta_df"])
    out["delta_cfi"] = out["cfi"].diff()
    return out


def round_invariance(
    previous_answers: pd.DataFrame,
    previous_instrument: Instrument,
    answers: pd.DataFrame,
    instrument: Instrument,
) -> pd.DataFrame:
    """Invariance between two rounds (answers of ``store.load_answers``) on the items they
    share (``comparison.shared_items``: all items for one version, the comparable pairs of
    the version mapping for two); each dimension with at least two shared items is a factor."""
    pairs = shared_items(previous_instrument, instrument)
    before = item_matrix(previous_answers, previous_instrument)[list(pairs["item_before"])]
    after = item_matrix(answers, instrument)[list(pairs["item_after"])]
    after.columns = list(pairs["item_before"])
    factors = {
        dim: list(group["item_before"])
        for dim, group in pairs.groupby("dimension_id", sort=False)
        if len(group) >= MIN_ITEMS_PER_FACTOR
    }
    return invariance({"previous": before, "current": after}, factors)

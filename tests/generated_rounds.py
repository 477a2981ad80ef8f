"""Rounds shaped like real ones, written as the files they arrive in.

The sample rounds are generated with three planted types; real rounds often have none. This
module writes a registry CSV and one survey export per organisation (the project's template
CSV, with the imperfections ``sample_files.write_template`` adds) for a data-strategy round
whose organisations come from ONE population: each organisation's maturity per dimension is
multivariate normal with correlation ``rho`` between dimensions (a general level when it is
high), answered through the sample's graded-response model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dwp_assess.data.sample import data_strategy_round
from dwp_assess.data.sample_files import write_template
from dwp_assess.instruments.model import Instrument

SIZE_CLASSES = ("10.000-20.000", "20.000-50.000", "50.000-100.000", "100.000-150.000")
NAMES = ("'s-Hertogenbosch", "Súdwest-Fryslân", "Dijk en Waard", "Hendrik-Ido-Ambacht")


@dataclass(frozen=True)
class GeneratedRound:
    registry: Path  # organisations.csv
    exports: list[Path]  # one template CSV per organisation
    organisations: pd.DataFrame


def organisations(n: int, rng: np.random.Generator, invited: int = 30) -> pd.DataFrame:
    """``n`` municipalities with real-looking names (a few with apostrophes and accents)."""
    names = [NAMES[i] if i < len(NAMES) else f"Gemeente {i:02d}" for i in range(n)]
    return pd.DataFrame(
        {
            "id": [f"gm-{i:02d}" for i in range(n)],
            "name": names,
            "kind": "gemeente",
            "cbs_code": "",
            "size_class": rng.choice(SIZE_CLASSES, n),
            "urbanisation": "matig stedelijk",
            "province": rng.choice(["Utrecht", "Zuid-Holland", "Friesland"], n),
            "invited": invited,
        }
    )


def population_round(
    folder: Path,
    instrument: Instrument,
    n_orgs: int,
    rho: float,
    period: str = "2027",
    seed: int = 1,
    free_text: bool = True,
    one_role: bool = False,
) -> GeneratedRound:
    """Write a round of ``n_orgs`` organisations from one population into ``folder``."""
    rng = np.random.default_rng(seed)
    orgs = organisations(n_orgs, rng)
    dims = [d.id for d in instrument.dimensions]
    cov = np.full((len(dims), len(dims)), rho) + np.eye(len(dims)) * (1 - rho)
    maturity = pd.DataFrame(
        0.6 * rng.multivariate_normal(np.zeros(len(dims)), cov, n_orgs), columns=dims
    )
    rnd = data_strategy_round(instrument, orgs, period, maturity, rng)
    if not free_text:
        rnd.answers.drop(rnd.answers.index[rnd.answers["text"].notna()], inplace=True)
    if one_role:
        rnd.respondents["role"] = "beleid"
    folder.mkdir(parents=True, exist_ok=True)
    registry = folder / "organisations.csv"
    orgs.to_csv(registry, index=False)
    exports = []
    for org in orgs["id"]:
        path = folder / f"export-{org}.csv"
        write_template(rnd, [org], path)
        exports.append(path)
    return GeneratedRound(registry, exports, orgs)

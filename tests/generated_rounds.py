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

from dwp_assess.analysis.comparison import change_scores
from dwp_assess.analysis.profiles import RoundAnalysis, analyse_answers
from dwp_assess.data.sample import data_strategy_round, generate_rounds
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


def answers_with_respondents(generated) -> pd.DataFrame:
    """A generated round's answers with who gave them (organisation, team, role)."""
    people = generated.respondents[
        ["response_id", "respondent_id", "organisation_id", "team_id", "role"]
    ]
    return generated.answers.merge(people, on="response_id")


def report_registry(orgs: pd.DataFrame) -> pd.DataFrame:
    """The generated registry with the columns an analysis reads of it."""
    return orgs.rename(columns={"id": "organisation_id"})[
        ["organisation_id", "name", "kind", "size_class", "invited"]
    ]


def round_meta(generated) -> dict:
    """The meta an analysis of a generated round carries (its snapshot left unnamed)."""
    return {
        "round_id": generated.round_id,
        "period": generated.period,
        "snapshot_hash": "x",
        "instrument_id": generated.instrument.id,
        "instrument_version": generated.instrument.version,
    }


def data_strategy_rounds(seed: int):
    """The generated sample's registry and its data-strategy rounds of 2025 (v1) and 2026 (v2),
    from another seed than the sample's: other organisations' answers, other orders."""
    orgs, _, generated = generate_rounds(seed)
    by_id = {g.round_id: g for g in generated}
    return report_registry(orgs), by_id["data-strategy-2025"], by_id["data-strategy-2026"]


def analysed_with_previous(registry, before, after, previous_answers) -> RoundAnalysis:
    """The 2026 round analysed as ``report`` does (levels chosen), compared with
    ``previous_answers`` of the 2025 round."""
    answers = answers_with_respondents(after)
    prev_scores, after_scores, items = change_scores(
        previous_answers, before.instrument, answers, after.instrument
    )
    meta = {
        "round_id": after.round_id,
        "period": "2026",
        "snapshot_hash": "x",
        "instrument_id": after.instrument.id,
        "instrument_version": after.instrument.version,
        "level_basis": "chosen",
        "previous_round_id": before.round_id,
        "previous_period": "2025",
    }
    return analyse_answers(
        answers, after.instrument, registry, meta, prev_scores, None, after_scores, items
    )

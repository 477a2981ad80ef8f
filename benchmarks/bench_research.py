"""Benchmark: typology and factor analysis on the 350-organisation round, and a national round.

Two synthetic rounds of ``bench_analysis.write_round`` (60 items in 10 dimensions) in a
temporary SQLite store, measured in this one run:

* the 350-organisation round, 25 respondents each (8,750 respondents, 525,000 answers):
  ``typology.organisation_profiles`` + ``typology.fit_typology`` (BIC over 1–6 types and two
  covariance forms, 50 bootstrap refits) and ``factor.instrument_cfa`` (10 correlated
  factors, semopy), each against the target of 30 s;
* a national round, every municipality, province and water board (370 organisations) ×
  100 respondents × 60 items = 2,220,000 answers: ``store.load_answers`` →
  ``profiles.analyse_answers`` (load + score + profile) against 10 s and 2 GiB, with the
  ratio to the 630,000-answer figure of ``bench_analysis.py``.

Run: ``python benchmarks/bench_research.py`` (exit code 1 when a target is missed).
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import bench_analysis as base
import numpy as np

from dwp_assess.analysis import factor, typology
from dwp_assess.analysis.scoring import score_round
from dwp_assess.data import store

ROUNDS = {"typology": (350, 25), "national": (370, 100)}  # organisations, respondents each


def build(folder: Path, name: str):
    """A store with one benchmark round of ``ROUNDS[name]`` organisations × respondents."""
    base.ORGS, base.RESPONDENTS = ROUNDS[name]
    engine = store.connect(f"sqlite:///{folder / f'{name}.sqlite'}")
    instrument = base.benchmark_instrument()
    start = time.perf_counter()
    base.write_round(engine, instrument, np.random.default_rng(1))
    answers = base.ORGS * base.RESPONDENTS * len(instrument.items)
    print(
        f"{name}: generated and stored {answers:,} answers in {time.perf_counter() - start:.0f} s"
    )
    return engine, instrument, answers


def research_round(folder: Path) -> bool:
    engine, instrument, _ = build(folder, "typology")
    answers = store.load_answers(engine, "bench")
    orgs = store.load_round_organisations(engine, "bench")
    scores = score_round(answers, instrument)

    def run_typology():
        profiles = typology.organisation_profiles(scores, 5)
        return typology.fit_typology(profiles, orgs, instrument)

    result, typology_seconds = base.timed(run_typology)
    fit, cfa_seconds = base.timed(lambda: factor.instrument_cfa(answers, instrument))
    print(f"typology of {result.meta['n_organisations']} organisations: {typology_seconds:.1f} s "
          f"({result.meta.get('k')} types, {len(result.selection)} candidate models, "
          f"{result.meta.get('n_boot')} bootstrap refits); target 30 s: {typology_seconds / 30:.0%} of it")  # fmt: skip
    print(f"CFA of {len(factor.factor_items(instrument))} factors on {fit['n']:,} respondents: {cfa_seconds:.1f} s "
          f"(CFI {fit['cfi']:.3f}, RMSEA {fit['rmsea']:.3f}); target 30 s: {cfa_seconds / 30:.0%} of it")  # fmt: skip
    return typology_seconds < 30 and cfa_seconds < 30


def national_round(folder: Path) -> bool:
    engine, instrument, answers = build(folder, "national")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    analysis, seconds = base.timed(lambda: base.package_path(engine, instrument))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = base.timed(lambda: store.load_answers(engine, "bench"))[1]
    print(f"national round, load + score + profile of {answers:,} answers from SQLite: {seconds:.1f} s "
          f"(of which loading {load:.1f} s), process peak RSS {rss:,.0f} MiB (before: {before:,.0f} MiB, "
          f"the generated data included); {answers / 630_000:.1f}× the answers of bench_analysis.py, "
          f"{len(analysis.scores):,} respondent × dimension scores")  # fmt: skip
    return seconds < 10 and rss < 2048


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        research_ok = research_round(Path(folder))
        national_ok = national_round(Path(folder))
    print("targets (typology and CFA < 30 s each):", "met" if research_ok else "NOT met")
    print("targets (national round < 10 s, < 2 GiB):", "met" if national_ok else "NOT met")
    sys.exit(0 if research_ok and national_ok else 1)


if __name__ == "__main__":
    main()

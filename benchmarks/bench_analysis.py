"""Benchmark: load, score and profile a large round from the default SQLite store.

A synthetic round of 350 organisations × 30 respondents × 60 items (630,000
answers) is written to a temporary SQLite store. Measured in this one run:

* the package path: ``store.load_answers`` → ``profiles.analyse_answers`` (scores,
  organisation summaries, item disagreement, reliability, peers, response);
* a straightforward baseline for the scoring step: per respondent, select its
  answers from the loaded frame, mirror reverse items and average per dimension
  with pandas, as a first script would. It is timed on a sample of respondents and
  extrapolated linearly to the whole round (said in the output), and compared with
  ``scoring.score_round`` on the same loaded answers; the whole path is also
  compared with loading plus the loop.

Targets (issue 5): < 5 s and < 1 GiB for the package path, scoring ≥ 20× faster
than the loop. Run: ``python benchmarks/bench_analysis.py`` (exit code 1 when a
target is missed).
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import insert

from dwp_assess.analysis.profiles import analyse_answers
from dwp_assess.analysis.scoring import score_round
from dwp_assess.data import store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.model import Instrument

ORGS, RESPONDENTS, DIMENSIONS, ITEMS_PER_DIMENSION = 350, 30, 10, 6
BASELINE_SAMPLE = 300


def benchmark_instrument() -> Instrument:
    """The data-strategy instrument stretched to 10 dimensions × 6 items (60 items)."""
    base = get_instrument("data-strategy").model_dump(mode="json")
    dims = [dict(base["dimensions"][n % 8], id=f"dim{n}") for n in range(DIMENSIONS)]
    items = [
        {
            "id": f"Q{d}_{k}",
            "dimension": f"dim{d}",
            "scale": "agree5",
            "reverse": k == 5,
            "text": {"nl": f"Stelling {d}.{k}", "en": f"Statement {d}.{k}"},
        }
        for d in range(DIMENSIONS)
        for k in range(ITEMS_PER_DIMENSION)
    ]
    return Instrument.model_validate(base | {"id": "benchmark", "dimensions": dims, "items": items})


def write_round(engine, instrument: Instrument, rng: np.random.Generator) -> pd.DataFrame:
    """Generate and bulk-insert the round; return the organisations frame."""
    orgs = pd.DataFrame(
        {
            "id": [f"org{n:03d}" for n in range(ORGS)],
            "name": [f"Gemeente {n}" for n in range(ORGS)],
            "kind": "gemeente",
            "cbs_code": [f"GM{n:04d}" for n in range(ORGS)],
            "size_class": rng.choice(["20.000-50.000", "50.000-100.000", "100.000-150.000"], ORGS),
            "urbanisation": None,
        }
    )
    info = store.create_round(engine, instrument, "bench", "bench")
    n = ORGS * RESPONDENTS
    org_of = np.repeat(orgs["id"].to_numpy(), RESPONDENTS)
    theta = rng.normal(0, 1, (ORGS, DIMENSIONS))[
        np.repeat(np.arange(ORGS), RESPONDENTS)
    ] + rng.normal(0, 0.8, (n, DIMENSIONS))
    latent = 1.7 * np.repeat(theta, ITEMS_PER_DIMENSION, axis=1) + rng.logistic(
        size=(n, DIMENSIONS * ITEMS_PER_DIMENSION)
    )
    values = 1 + np.searchsorted([-2.6, -0.9, 0.9, 2.6], latent)
    codes = np.where(rng.random(values.shape) < 0.04, "dont_know", None)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(insert(store.organisation), orgs.to_dict("records"))
        conn.execute(
            insert(store.respondent),
            [{"id": f"p{r}", "organisation_id": org_of[r]} for r in range(n)],
        )
        conn.execute(
            insert(store.response),
            [
                {
                    "response_id": f"r{r}",
                    "round_id": info.id,
                    "respondent_id": f"p{r}",
                    "source": "bench",
                    "submitted_at": now,
                    "content_hash": "",
                }
                for r in range(n)
            ],
        )
        item_ids = [i.id for i in instrument.items]
        rows = [
            {
                "response_id": f"r{r}",
                "item_id": item_ids[k],
                "value": None if codes[r, k] else float(values[r, k]),
                "code": codes[r, k],
                "text": None,
            }
            for r in range(n)
            for k in range(len(item_ids))
        ]
        conn.execute(insert(store.answer), rows)
        conn.execute(
            insert(store.round_organisation),
            [
                {
                    "round_id": info.id,
                    "organisation_id": o,
                    "cbs_code": c,
                    "size_class": s,
                    "invited": 60,
                }
                for o, c, s in orgs[["id", "cbs_code", "size_class"]].itertuples(index=False)
            ],
        )
    return orgs


def package_path(engine, instrument: Instrument):
    answers = store.load_answers(engine, "bench")
    orgs = store.load_round_organisations(engine, "bench")
    meta = {"round_id": "bench", "instrument_id": instrument.id, "instrument_version": 1}
    return analyse_answers(answers, instrument, orgs, meta)


def baseline_scores(answers: pd.DataFrame, instrument: Instrument, sample: int) -> float:
    """Seconds for the straightforward way on ``sample`` respondents: select each
    respondent's answers, mirror reverse items, average per dimension with pandas."""
    dims = {i.id: i.dimension for i in instrument.items}
    reverse = {i.id for i in instrument.items if i.reverse}
    start = time.perf_counter()
    results = []
    for response_id in answers["response_id"].unique()[:sample]:
        mine = answers[answers["response_id"] == response_id].dropna(subset=["value"])
        values = mine["value"].where(~mine["item_id"].isin(reverse), 6 - mine["value"])
        results.append(values.groupby(mine["item_id"].map(dims)).mean())
    return time.perf_counter() - start


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = store.connect(f"sqlite:///{Path(folder) / 'bench.sqlite'}")
        instrument = benchmark_instrument()
        t0 = time.perf_counter()
        write_round(engine, instrument, np.random.default_rng(1))
        print(
            f"generated and stored {ORGS * RESPONDENTS * DIMENSIONS * ITEMS_PER_DIMENSION:,} answers in {time.perf_counter() - t0:.1f} s"
        )

        analysis, elapsed = timed(lambda: package_path(engine, instrument))
        tracemalloc.start()
        package_path(engine, instrument)
        # Python's allocations (tracemalloc) and Arrow's, which tracemalloc does not see (the
        # loaded text columns): the sum of the two peaks bounds the peak of both together
        peak = tracemalloc.get_traced_memory()[1] + pa.default_memory_pool().max_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"package path (load + score + profile): {elapsed:.2f} s, peak memory {peak / 2**20:.0f} MiB (traced Python + Arrow pool; process peak RSS {rss:.0f} MiB, including data generation)"
        )
        print(
            f"  {len(analysis.scores):,} respondent × dimension scores, {len(analysis.items):,} organisation × item summaries"
        )

        answers, load_seconds = timed(lambda: store.load_answers(engine, "bench"))
        _, vector_seconds = timed(lambda: score_round(answers, instrument))
        sample_seconds = baseline_scores(answers, instrument, BASELINE_SAMPLE)
        loop_seconds = sample_seconds / BASELINE_SAMPLE * ORGS * RESPONDENTS
        print(
            f"scoring only, same loaded answers: vectorised {vector_seconds:.2f} s; per-respondent loop "
            f"{sample_seconds:.2f} s for {BASELINE_SAMPLE} respondents, extrapolated to {ORGS * RESPONDENTS:,}: {loop_seconds:.1f} s"
        )
        scoring_ratio = loop_seconds / vector_seconds
        whole_ratio = (load_seconds + loop_seconds) / elapsed
        print(f"ratio, scoring: {scoring_ratio:.0f}× faster than the loop")
        print(
            f"ratio, whole path (load + score + profile) vs load + loop scores only: {whole_ratio:.1f}× "
            f"(loading, {load_seconds:.1f} s, is shared by both)"
        )
        ok = elapsed < 5 and peak < 2**30 and scoring_ratio >= 20
        print("targets (< 5 s, < 1 GiB, scoring ≥ 20× the loop):", "met" if ok else "NOT met")
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

"""Benchmark: typology and factor analysis on the 350-organisation round, and a national round.

Two synthetic rounds of ``bench_analysis.write_round`` (60 items in 10 dimensions), measured
in this one run:

* the 350-organisation round, 25 respondents each (8,750 respondents, 525,000 answers), in
  a temporary SQLite store: ``typology.organisation_profiles`` + ``typology.fit_typology``
  (BIC over 1–6 types × four covariance forms and a one-factor model; for the round as
  generated (one population) and with three planted types added, when the bootstrap LRT,
  entropy and resampling checks run) and
  ``factor.instrument_cfa`` (10 correlated factors, semopy), each against 30 s;
* a national round, every municipality, province and water board (370 organisations) ×
  100 respondents × 60 items = 2,220,000 answers, from SQLite and from PostgreSQL (a
  throwaway server from Debian's binaries, started as ``tests/pg_server.py`` does, the
  SQLite store copied into it): ``store.load_answers`` → ``profiles.analyse_answers``
  (load + score + profile) against 10 s and 2 GiB. Each database is measured in a child
  process of its own, so that its peak RSS is that of the path (imports included), not of
  the generator. The same child then times ``scoring.score_round`` alone (the scoring
  share of the profile step) and the straightforward read, ``pandas.read_sql`` of the join
  of response, respondent and answer, which gives the same frame
  (``tests/test_loading_fast.py``): the ratio of the two is the loader's.

Run: ``python benchmarks/bench_research.py`` (``--only national`` or ``--only research``
for one part; exit code 1 when a target is missed, or PostgreSQL cannot be started).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import bench_analysis as base
import numpy as np
import pandas as pd
from sqlalchemy import select

from dwp_assess.analysis.profiles import analyse_answers
from dwp_assess.analysis.scoring import score_round
from dwp_assess.data import store

ROUNDS = {"typology": (350, 25), "national": (370, 100)}  # organisations, respondents each
SECONDS, GIB = 10, 2  # targets of the national round
# the tables of a benchmark round, parents first (for copying them into PostgreSQL)
TABLES = [
    store.organisation,
    store.round_,
    store.round_organisation,
    store.respondent,
    store.response,
    store.answer,
]


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


def with_planted_types(scores: pd.DataFrame) -> pd.DataFrame:
    """``scores`` with each organisation's scores shifted by one of three type profiles (±0.8
    per dimension), organisations assigned to the types in turn."""
    rng = np.random.default_rng(3)
    dims = sorted(scores["dimension_id"].unique())
    centres = rng.choice([-0.8, 0.8], size=(3, len(dims)))
    orgs = sorted(scores["organisation_id"].unique())
    kind = {org: n % 3 for n, org in enumerate(orgs)}
    shift = centres[
        scores["organisation_id"].map(kind).to_numpy(),
        scores["dimension_id"].map(dims.index).to_numpy(),
    ]
    return scores.assign(score=scores["score"] + shift)


def research_round(folder: Path) -> bool:
    # imported here, not at the top: the child processes measuring the national round
    # should not carry scikit-learn and semopy in their memory
    from dwp_assess.analysis import factor, typology

    engine, instrument, _ = build(folder, "typology")
    answers = store.load_answers(engine, "bench")
    orgs = store.load_round_organisations(engine, "bench")
    scores = score_round(answers, instrument)

    def run_typology(frame):
        profiles = typology.organisation_profiles(frame, 5)
        return typology.fit_typology(profiles, orgs, instrument)

    result, typology_seconds = base.timed(lambda: run_typology(scores))
    # the same organisations with three planted types added to their levels: the evidence
    # checks (BLRT, entropy, resampling) run only when a solution of several types is chosen
    planted, planted_seconds = base.timed(lambda: run_typology(with_planted_types(scores)))
    for name, fitted, seconds in (
        ("one population", result, typology_seconds),
        ("three planted types", planted, planted_seconds),
    ):
        print(
            f"typology of {fitted.meta['n_organisations']} organisations ({name}): {seconds:.1f} s, "
            f"{fitted.meta.get('k')} type(s), {fitted.status}, {len(fitted.selection)} candidate models "
            f"({fitted.meta.get('admissible')} admissible); target 30 s: {seconds / 30:.0%} of it"
        )
    typology_seconds = max(typology_seconds, planted_seconds)
    fit, cfa_seconds = base.timed(lambda: factor.instrument_cfa(answers, instrument))
    print(
        f"CFA of {len(factor.factor_items(instrument))} factors on {fit['n']:,} respondents: {cfa_seconds:.1f} s "
        f"(CFI {fit['cfi']:.3f}, RMSEA {fit['rmsea']:.3f}); target 30 s: {cfa_seconds / 30:.0%} of it"
    )
    return typology_seconds < 30 and cfa_seconds < 30


# -- the national round: one child process per database -----------------------------------


def straightforward_answers(engine, round_id: str) -> pd.DataFrame:
    """The answers as a first script reads them: ``pandas.read_sql`` of the join."""
    r, p, a = store.response.c, store.respondent.c, store.answer.c
    query = (
        select(
            r.response_id,
            r.respondent_id,
            p.organisation_id,
            p.team_id,
            p.role,
            r.submitted_at,
            a.item_id,
            a.value,
            a.code,
            a.text,
        )
        .join(store.respondent, p.id == r.respondent_id)
        .join(store.answer, a.response_id == r.response_id)
        .where(r.round_id == round_id)
        .order_by(a.response_id, a.item_id)
    )
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    frame["value"] = frame["value"].astype("float64")
    return frame


def peak_rss_mib() -> float:
    """This process's peak resident memory (``VmHWM``). Not ``getrusage``: on Linux a child
    started by a large parent reports the parent's peak there, across ``exec``."""
    status = Path("/proc/self/status").read_text()
    return (
        int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])
        / 1024
    )


def measure(url: str) -> dict:
    """In this (child) process: the package path on the national round at ``url``, then the
    scoring alone and the straightforward read; seconds, peak RSS and CPU seconds."""
    engine = store.connect(url)
    instrument = base.benchmark_instrument()
    meta = {"round_id": "bench", "instrument_id": instrument.id, "instrument_version": 1}
    cpu, start = time.process_time(), time.perf_counter()
    answers = store.load_answers(engine, "bench")
    orgs = store.load_round_organisations(engine, "bench")
    loaded = time.perf_counter()
    analysis = analyse_answers(answers, instrument, orgs, meta)
    done, cpu = time.perf_counter(), time.process_time() - cpu
    peak = peak_rss_mib()
    score_seconds = base.timed(lambda: score_round(answers, instrument))[1]
    del analysis
    baseline, baseline_seconds = base.timed(lambda: straightforward_answers(engine, "bench"))
    return {
        "answers": len(answers),
        "same_frame": bool(baseline.equals(answers)),
        "load": loaded - start,
        "analyse": done - loaded,
        "score": score_seconds,
        "total": done - start,
        "cpu": cpu,
        "peak_mib": peak,
        "baseline_load": baseline_seconds,
    }


def measured_in_child(url: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", url], capture_output=True, text=True
    )
    if out.returncode:
        raise RuntimeError(f"the measuring process failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(database: str, m: dict) -> bool:
    profile = m["analyse"] - m["score"]
    ok = m["total"] < SECONDS and m["peak_mib"] < GIB * 1024
    print(
        f"national round from {database}: load + score + profile of {m['answers']:,} answers in "
        f"{m['total']:.1f} s (load {m['load']:.1f} s, score {m['score']:.1f} s, profile {profile:.1f} s; "
        f"{m['cpu']:.1f} CPU-seconds), "
        f"peak RSS {m['peak_mib'] / 1024:.2f} GiB: {'met' if ok else 'NOT met'} (< {SECONDS} s, < {GIB} GiB)"
    )
    print(
        f"  straightforward read (pandas.read_sql of the join) {m['baseline_load']:.1f} s against "
        f"{m['load']:.1f} s: loading {m['baseline_load'] / m['load']:.1f}x faster; same frame: {m['same_frame']}"
    )
    return ok and m["same_frame"]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _as_server_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: then as the Debian package's ``postgres`` user."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres_server(bin_dir: Path):
    """A throwaway PostgreSQL server on a free loopback port; yields the URL of a database."""
    root = Path(tempfile.mkdtemp(prefix="dwp-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    def run(program, *args):
        return subprocess.run(
            _as_server_user([str(bin_dir / program), *args]), check=True, capture_output=True
        )

    data = root / "data"
    run(
        "initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C"
    )
    opts = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} -c fsync=off"
    run("pg_ctl", "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start")
    try:
        run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "bench")
        yield f"postgresql://postgres@127.0.0.1:{port}/bench"
    finally:
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def copy_store(source, target) -> None:
    """Copy the benchmark round's tables from ``source`` into the empty store ``target``
    (PostgreSQL's ``COPY … FROM STDIN``), then let the server gather its statistics."""
    with source.connect() as src, target.connect() as dst:
        cursor = dst.connection.dbapi_connection.cursor()
        for table in TABLES:
            columns = ", ".join(c.name for c in table.columns)
            with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
                for row in src.execute(select(table)):
                    copy.write_row(tuple(row))
        dst.connection.dbapi_connection.commit()
        dst.connection.dbapi_connection.autocommit = True
        cursor.execute("ANALYZE")


def national_round(folder: Path) -> bool:
    sqlite, _, answers = build(folder, "national")
    ok = report("SQLite", measured_in_child(f"sqlite:///{folder / 'national.sqlite'}"))
    bin_dir = _pg_bin()
    if bin_dir is None:
        print("national round from PostgreSQL: NOT measured, no PostgreSQL server installed")
        return False
    with postgres_server(bin_dir) as url:
        start = time.perf_counter()
        postgres = store.connect(url)
        copy_store(sqlite, postgres)
        postgres.dispose()
        print(
            f"national: copied {answers:,} answers into PostgreSQL in {time.perf_counter() - start:.0f} s"
        )
        return report("PostgreSQL", measured_in_child(url)) and ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["research", "national"])
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)  # the child's part
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        if args.only != "national":
            results["typology and CFA < 30 s each"] = research_round(Path(folder))
        if args.only != "research":
            results[f"national round < {SECONDS} s, < {GIB} GiB, SQLite and PostgreSQL"] = (
                national_round(Path(folder))
            )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for target, met in results.items():
        print(f"targets ({target}):", "met" if met else "NOT met")
    sys.exit(0 if all(results.values()) else 1)


if __name__ == "__main__":
    main()

"""Benchmark: importing one export per organisation, CPU-seconds per 1,000 responses.

The national round arrives as one file per organisation, about 100 respondents each, half
Microsoft Forms XLSX with Dutch item texts and half the project's template CSV, each with its
writer's deliberate imperfections (``bench_national.write_exports``: quarantined rows and a
duplicate row). This script writes ``--orgs`` such files for data-strategy v2, then imports
them into a fresh store, file by file, each way in a process of its own (so that every way
pays the same start-up and its CPU is its own):

* **package**: ``importers.import_file`` per file (one batch and one transaction per file,
  each distinct answer cell and date parsed once per file, holders and free keys looked up for
  the whole file, responses and answers inserted many rows at once; ``COPY`` on PostgreSQL);
* **today** (``--baseline DIR``, default ``/work/main`` when it exists): the same calls with the
  package of another checkout first on ``sys.path`` (the code before this change);
* **straightforward**: a per-row loop written here: the file read and normalised by the
  package (``tables``, ``formats``), then per row: each cell and the date parsed, and in a
  transaction of its own a look-up of the id, the respondent, the response and one insert
  per answer.

Printed per store (SQLite file; PostgreSQL on a throwaway server when Debian's binaries are
installed): responses stored, already present and quarantined (all ways must agree with what
the files hold), CPU-seconds of the importing process per 1,000 responses stored, wall
seconds, and the ratios. The PostgreSQL server's own CPU is not counted. Run from the
repository root: ``.venv/bin/python benchmarks/bench_import.py`` (``--help`` for options).
Other work on the machine inflates the wall times; the CPU-seconds are the figure to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROUND, INSTRUMENT, VERSION, PERIOD = "bench-import", "data-strategy", 2, "2026"
HERE = Path(__file__).resolve().parent


def child(args) -> None:
    """One way of importing, in this process: set up the store (untimed), import every file
    (timed), print what it did as JSON."""
    import time

    from dwp_assess.data import importers, registry, store
    from dwp_assess.instruments.loading import get_instrument

    engine = store.connect(args.url)
    registry.import_registry(engine, Path(args.registry))
    store.create_round(engine, get_instrument(INSTRUMENT, VERSION), PERIOD, ROUND)
    files = [Path(p) for p in json.loads(Path(args.files).read_text())]
    counts = {"stored": 0, "already_present": 0, "quarantined": 0}
    cpu, wall = time.process_time(), time.perf_counter()
    if args.child == "straightforward":
        counts = straightforward(engine, files)
    else:
        for path in files:
            summary = importers.import_file(
                engine, path, ROUND, quarantine_dir=Path(args.quarantine)
            )
            for key in counts:
                counts[key] += getattr(summary, key)
    counts |= {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}
    with engine.connect() as conn:
        stored = conn.execute(
            store.response.select().where(store.response.c.round_id == ROUND)
        ).all()
    counts["in_store"] = len(stored)
    print(json.dumps(counts))


def straightforward(engine, files: list[Path]) -> dict:
    """The per-row loop: read and normalise the file with the package, then parse and write
    each row on its own (a transaction, a look-up and one insert per answer)."""
    import hashlib
    from datetime import UTC, datetime

    from sqlalchemy import insert, select

    from dwp_assess.data import formats, importers, store
    from dwp_assess.data.tables import read_table
    from dwp_assess.instruments.loading import get_instrument

    instrument = get_instrument(INSTRUMENT, VERSION)
    orgs = importers.organisation_lookup(engine)
    lookups = {s.id: importers.scale_lookup(s) for s in instrument.scales}
    counts = {"stored": 0, "already_present": 0, "quarantined": 0}
    for path in files:
        table = read_table(path, formats.is_header)
        frame = formats.ADAPTERS[formats.detect(table)](table, instrument, ROUND).frame
        for row in frame[~table.blank].to_dict("records"):
            org = orgs.get(formats.norm_text(row["organisation"]))
            answers, bad = [], not org or bool(row["_incomplete"])
            for item in instrument.items:
                value, code, problem = importers.parse_cell(
                    row[item.id], instrument.scale_by_id[item.scale], lookups[item.scale]
                )
                bad |= problem is not None
                if value is not None or code is not None:
                    answers.append({"item_id": item.id, "value": value, "code": code})
            if bad:
                counts["quarantined"] += 1
                continue
            submitted = importers.parse_date(row["submitted_at"]) or datetime.now(UTC)
            source_id = row["response_id"].strip()
            digest = hashlib.sha256(repr((org, sorted(map(str, answers)))).encode()).hexdigest()
            key = hashlib.sha256(f"{path.name}\x1f{source_id}".encode()).hexdigest()[:32]
            with engine.begin() as conn:
                found = conn.execute(
                    select(store.response.c.content_hash).where(
                        store.response.c.round_id == ROUND,
                        store.response.c.source_response_id == source_id,
                        store.response.c.content_hash == digest,
                    )
                ).first()
                if found is not None:
                    counts["already_present"] += 1
                    continue
                conn.execute(insert(store.respondent).values(id=key, organisation_id=org))
                conn.execute(
                    insert(store.response).values(
                        response_id=key,
                        round_id=ROUND,
                        respondent_id=key,
                        source=path.name,
                        submitted_at=submitted,
                        content_hash=digest,
                        source_response_id=source_id,
                    )
                )
                for answer in answers:
                    conn.execute(insert(store.answer).values(response_id=key, **answer))
            counts["stored"] += 1
    return counts


def run_child(way: str, url: str, work: Path, pythonpath: Path | None) -> dict:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        way,
        "--url",
        url,
        "--registry",
        str(work / "organisations.csv"),
        "--files",
        str(work / "files.json"),
        "--quarantine",
        str(work / f"quarantine-{way}"),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{way} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_files(orgs_n: int, respondents: int, ids: str, work: Path) -> dict:
    """The registry and one export per organisation (``bench_national``'s generator)."""
    import numpy as np

    sys.path.insert(0, str(HERE))
    from bench_national import REGISTRY_COLUMNS, SEED, generate, registry, write_exports

    from dwp_assess.data.sample import PERIODS

    rng = np.random.default_rng(SEED)
    orgs = registry(orgs_n, respondents, rng)
    orgs[REGISTRY_COLUMNS].to_csv(work / "organisations.csv", index=False)
    current = generate(orgs, rng)[PERIODS[-1]]
    exports = write_exports(
        current, dict(zip(orgs["id"], orgs["name"], strict=True)), work / "files", ids
    )
    (work / "files.json").write_text(json.dumps([str(p) for p in exports["files"]]))
    return exports


def stores(work: Path, which: str):
    """(name, function making the URL of a fresh empty database) per store to measure."""
    found = []
    if which in ("sqlite", "both"):
        found.append(("SQLite", lambda way: f"sqlite:///{work / way}.sqlite"))
    if which in ("postgresql", "both"):
        sys.path.insert(0, str(HERE))
        from bench_research import _pg_bin, postgres_server
        from sqlalchemy import create_engine, text

        bin_dir = _pg_bin()
        if bin_dir is None:
            print("PostgreSQL binaries not installed: PostgreSQL not measured")
        else:
            server = postgres_server(bin_dir)
            url = server.__enter__()

            def fresh(way: str) -> str:
                admin = create_engine(
                    url.replace("postgresql://", "postgresql+psycopg://"),
                    isolation_level="AUTOCOMMIT",
                )
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{way}"'))
                admin.dispose()
                return url.rsplit("/", 1)[0] + f"/{way}"

            found.append(("PostgreSQL", fresh))
            found.append(("_server", server))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=20, help="organisations, one file each (20)")
    parser.add_argument(
        "--respondents", type=int, default=100, help="about this many per organisation (100)"
    )
    parser.add_argument(
        "--ids",
        choices=["restart", "unique"],
        default="restart",
        help="restart: every file numbers from 1",
    )
    parser.add_argument("--stores", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--baseline", type=Path, default=Path("/work/main"), help="checkout of the code before"
    )
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-straightforward", action="store_true")
    for name in ("--child", "--url", "--registry", "--files", "--quarantine"):
        parser.add_argument(name, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    baseline = (
        None
        if args.no_baseline or not (args.baseline / "dwp_assess").is_dir()
        else args.baseline.resolve()
    )
    work = Path(tempfile.mkdtemp(prefix="dwp-bench-import-"))
    exports = write_files(args.orgs, args.respondents, args.ids, work)
    print(f"load before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"{len(exports['files'])} files ({args.ids} ids), {exports['responses']:,} responses, "
        f"{exports['quarantined']} rows to quarantine, {exports['already_present']} duplicate rows; "
        f"today = {baseline or 'not run'}"
    )
    ways = (
        [("package", None)]
        + ([("today", baseline)] if baseline else [])
        + ([] if args.no_straightforward else [("straightforward", None)])
    )
    ok, measured = True, stores(work, args.stores)
    for name, fresh in [(n, f) for n, f in measured if n != "_server"]:
        results = {}
        for way, pythonpath in ways:
            results[way] = r = run_child(way, fresh(way.replace("-", "_")), work, pythonpath)
            per = r["cpu"] / max(r["stored"], 1) * 1000
            print(
                f"{name:10} {way:15} stored {r['stored']:>6,} (in store {r['in_store']:,}), present {r['already_present']:>3}, "
                f"quarantined {r['quarantined']:>3}: {r['cpu']:7.2f} CPU-s, {r['wall']:7.2f} s wall, "
                f"{per:6.2f} CPU-s per 1,000 responses"
            )
            if way != "straightforward":
                ok &= r["stored"] == exports["responses"] == r["in_store"]
                ok &= (
                    r["quarantined"] == exports["quarantined"]
                    and r["already_present"] == exports["already_present"]
                )
        new = results["package"]["cpu"] / results["package"]["stored"]
        for way in results:
            if way != "package":
                print(
                    f"{name:10} {way} / package: {results[way]['cpu'] / results[way]['stored'] / new:.2f}× the CPU per response"
                )
    for name, server in measured:
        if name == "_server":
            server.__exit__(None, None, None)
    shutil.rmtree(work, ignore_errors=True)
    print(f"load after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("every way stored and quarantined what the files hold" if ok else "COUNTS DIFFER")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

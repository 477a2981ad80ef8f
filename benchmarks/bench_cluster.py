"""The speed-up per added dask worker: a round's reports on a local cluster of 1, then 2 workers.

A data-strategy round of ``--orgs`` organisations (20) of about ``--respondents`` respondents
each (100), with a previous round, is generated into a throwaway project (as
``bench_reports.py`` does); the round's analysis is made once, untimed. Then every report and
management summary is made on a ``distributed.LocalCluster`` of one worker process, and again
(``force``) on one of two, each worker in a folder of its own (``local_directory``): the jobs
carry the analysis, the instruments and the settings (``reports.remote``), as they would to
workers on other machines. Each timing includes the workers' start of a report kernel (a few
seconds each), as a real run's would. Prints both wall times, the ratio, the load and the
CPU-seconds of the process tree; the target is a ratio ≥ 1.5 on 2 idle cores (the second
worker's core is free). On a shared machine the ratio says more than the seconds.

    .venv/bin/python benchmarks/bench_cluster.py [--orgs 20] [--respondents 100] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from bench_analysis import timed
from bench_reports import TreeMonitor, load, write_rounds

from dwp_assess import project
from dwp_assess.analysis.privacy import min_group_size
from dwp_assess.analysis.round_lookup import previous_round
from dwp_assess.data import store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.reports.cache import cached_analysis
from dwp_assess.reports.options import ReportOptions
from dwp_assess.reports.run import generate_reports

ORGS, RESPONDENTS, TARGET_RATIO = 20, 100, 1.5


def on_cluster(engine, round_id: str, out: Path, workers: int, scratch: Path) -> tuple[float, int]:
    """Every report of the round on a local cluster of ``workers`` processes: (seconds, made)."""
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=workers,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        local_directory=str(scratch / f"workers-{workers}"),
    ) as cluster:
        options = ReportOptions(
            round_id,
            out,
            executor="dask",
            scheduler=cluster.scheduler_address,
            synthetic=True,
            force=True,
        )
        summary, seconds = timed(lambda: generate_reports(engine, options))
    if summary.failed:
        print(f"  {summary.failed} report(s) failed: see {summary.index}")
    return seconds, summary.ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--orgs", type=int, default=ORGS, help=f"organisations in the round ({ORGS})"
    )
    parser.add_argument(
        "--respondents",
        type=int,
        default=RESPONDENTS,
        help=f"about this many per organisation ({RESPONDENTS})",
    )
    parser.add_argument("--workers", default="1,2", help="cluster sizes to time, in order (1,2)")
    args = parser.parse_args()
    sizes = [int(x) for x in args.workers.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="dwp-bench-cluster-"))
    try:
        ok = run(args, sizes, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(0 if ok else 1)


def run(args, sizes: list[int], folder: Path) -> bool:
    print(f"load average at start (1, 5, 15 min): {load()} on {os.cpu_count()} cores")
    project.activate(project.create(folder / "project"))
    engine = store.connect(f"sqlite:///{folder / 'bench.sqlite'}")
    current, _, answers = write_rounds(engine, args.orgs, respondents=args.respondents)
    info = store.get_round(engine, current)
    instrument = get_instrument(info.instrument_id, info.instrument_version)
    _, seconds = timed(
        lambda: cached_analysis(
            engine, current, previous_round(engine, current), min_group_size(instrument)
        )
    )
    print(
        f"{answers:,} answers stored; the round's analysis made once (untimed below): {seconds:.1f} s"
    )
    times, complete = {}, True
    for workers in sizes:
        with TreeMonitor() as monitor:
            seconds, made = on_cluster(
                engine, current, folder / f"reports-{workers}", workers, folder
            )
        times[workers] = seconds
        complete &= made == args.orgs
        print(
            f"{workers} worker(s): {made} reports + summaries in {seconds:.1f} s "
            f"({seconds / max(made, 1):.2f} s per organisation); load after: {load()}; {monitor.contention()}"
        )
    if len(sizes) < 2:
        return complete
    base, most = times[sizes[0]], times[sizes[-1]]
    ratio = base / most
    print(
        f"speed-up {sizes[0]} → {sizes[-1]} workers: {ratio:.2f}× "
        f"({ratio / (sizes[-1] / sizes[0]):.0%} of linear); target ≥ {TARGET_RATIO}× on idle cores"
    )
    return complete and ratio >= TARGET_RATIO


if __name__ == "__main__":
    main()

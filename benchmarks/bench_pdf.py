"""Benchmark: A4 PDFs of every organisation's full report and management summary.

A synthetic data-strategy round (``bench_reports.write_rounds``: by default 350 organisations
of about 100 respondents, ``--respondents``, with a previous round) gets its HTML reports and
summaries from ``reports.generate_reports``.
Measured in this one run, on the same files:

* the package path: every report and summary printed by ``reports.printing.print_pdfs`` in
  ``--jobs`` worker processes, each keeping one headless Chromium (Playwright) alive with
  ``printing.PAGES`` pages printing at once, each page with plotly.js loaded once, charts
  drawn static for print;
* the straightforward path on a sample of organisations, one after another: one
  ``chromium --headless --print-to-pdf`` process per file (report and summary), extrapolated
  linearly to the whole round.

Why: starting Chromium costs seconds per file; a kept-alive browser prints in a fraction of
that. Target (the report-to-action issue): the report PDF and the summary PDF of all 350
organisations within 3 minutes on 2 cores. Run ``python benchmarks/bench_pdf.py`` (exit code 1
when the target is missed; ``--help`` for options). Other work on the machine inflates the
wall times: the load average is printed before and after, and the CPU seconds of the package
path (which other work inflates less) beside the other work's.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench_analysis import timed
from bench_reports import RESPONDENTS, TreeMonitor, load, write_rounds

from dwp_assess import project
from dwp_assess.data import store
from dwp_assess.reports.options import ReportOptions
from dwp_assess.reports.printing import CHROMIUM, print_pdfs
from dwp_assess.reports.run import generate_reports

ORGS, BASELINE_SAMPLE, JOBS = 350, 5, 2
TARGET_SECONDS, TARGET_FOR = 180.0, 350


def print_many(pages: list[tuple[str, str]]) -> int:
    """Print ``(html, pdf)`` pairs in this worker with its kept-alive browser."""
    print_pdfs((Path(html), Path(pdf), "nl") for html, pdf in pages)
    return len(pages)


def package(pages: list[tuple[Path, Path]], jobs: int) -> None:
    """Every page over ``jobs`` workers, in interleaved shares (similar sizes per worker)."""
    shares = [[(str(h), str(p)) for h, p in pages[k::jobs]] for k in range(jobs)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        printed = sum(pool.map(print_many, shares))
    if printed != len(pages) or not all(p.is_file() and p.stat().st_size > 0 for _, p in pages):
        raise RuntimeError("package: not every PDF was printed")


def one_process(html: Path, pdf: Path) -> None:
    """The straightforward way: a Chromium process for one file."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=15000",
                "--no-pdf-header-footer",
                f"--print-to-pdf={pdf}",
                html.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--orgs", type=int, default=ORGS, help=f"organisations in the round ({ORGS})"
    )
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=BASELINE_SAMPLE,
        help=f"organisations printed the straightforward way ({BASELINE_SAMPLE})",
    )
    parser.add_argument("--jobs", type=int, default=JOBS, help=f"parallel workers ({JOBS})")
    parser.add_argument(
        "--respondents",
        type=int,
        default=RESPONDENTS,
        help=f"about this many respondents per organisation ({RESPONDENTS}; earlier figures: 24)",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dwp-bench-pdf-"))
    try:
        ok = run(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(0 if ok else 1)


def run(args, folder: Path) -> bool:
    print(f"load average at start (1, 5, 15 min): {load()} on {os.cpu_count()} cores")
    project.activate(project.create(folder / "project"))  # the project every call below works in
    engine = store.connect(f"sqlite:///{folder / 'bench.sqlite'}")
    current, _, _ = write_rounds(engine, args.orgs, respondents=args.respondents)
    summary, seconds = timed(
        lambda: generate_reports(
            engine, ReportOptions(current, out_dir=folder / "reports", jobs=args.jobs)
        )
    )
    print(
        f"HTML: {summary.ok} reports with their summaries in {seconds:.1f} s ({summary.failed} failed)"
    )
    out = folder / "reports" / current
    reports = sorted(
        p for p in out.glob("*.html") if p.name != "index.html" and ".samenvatting" not in p.name
    )
    pages = [(p, p.with_suffix(".pdf")) for p in reports]
    pages += [
        (s, s.with_suffix(".pdf"))
        for s in (p.with_name(f"{p.stem}.samenvatting.html") for p in reports)
    ]

    print(f"package: {len(pages)} PDFs over {args.jobs} workers with a kept-alive browser each ...")
    with TreeMonitor() as monitor:
        package(pages, args.jobs)
    package_seconds, package_cpu = monitor.wall, monitor.own_cpu
    print(f"  {package_seconds:.1f} s; {monitor.contention()}; load average after: {load()}")

    sample = reports[:: max(1, len(reports) // args.baseline_sample)][: args.baseline_sample]
    base = [(p, folder / f"base-{p.stem}.pdf") for p in sample]
    base += [
        (p.with_name(f"{p.stem}.samenvatting.html"), folder / f"base-{p.stem}.samenvatting.pdf")
        for p in sample
    ]
    print(f"straightforward: one chromium --print-to-pdf process per file, {len(base)} files ...")
    _, base_seconds = timed(lambda: [one_process(h, p) for h, p in base])
    print(f"  {base_seconds:.1f} s; load average after: {load()}")

    per_pdf = package_seconds / len(pages)
    base_per_pdf = base_seconds / len(base)
    target = TARGET_SECONDS * args.orgs / TARGET_FOR
    passed = package_seconds < target
    print(
        f"package: {package_seconds:.1f} s for {len(pages)} PDFs ({per_pdf:.2f} s wall per PDF, jobs={args.jobs}) "
        f"{'PASS' if passed else 'FAIL'} (< {target:.0f} s)"
    )
    print(
        f"straightforward: {base_per_pdf:.2f} s per PDF one after another; {base_per_pdf * len(pages):.0f} s "
        f"extrapolated to {len(pages)} PDFs; ratio {base_per_pdf / per_pdf:.1f}× per PDF"
    )
    print(
        f"package CPU: {package_cpu / len(pages):.2f} CPU-s per PDF (workers and their browsers, sampled); "
        f"on 2 idle cores that is {package_cpu / 2:.0f} s for the {len(pages)} PDFs"
    )
    print(
        f"package peak memory: {monitor.peak / 2**30:.2f} GiB summed RSS of {monitor.peak_processes} processes "
        f"({args.jobs} workers with a browser each, {len(pages) // args.jobs} PDFs per worker)"
    )
    return passed and summary.failed == 0


if __name__ == "__main__":
    main()

"""Benchmark: both outputs (full report and management summary) of every organisation of a
350-organisation round, package vs. straightforward.

A synthetic data-strategy round of 350 organisations (about 100 respondents each, ``--respondents``;
24 is the size earlier figures were measured at; the real ``data-strategy`` instrument, peers present
in every kind × size class) and its previous round
(so the change section runs) are written to a temporary SQLite store with the package's own
seeded model (``dwp_assess.data.sample``). Measured in this one run:

* the package path: ``reports.generate_reports(engine, round, jobs=2)`` for every organisation
  (analysis once, one kept-alive kernel per worker, in-process HTML, the summary rendered from
  the saved analysis in the same worker). Wall time, reports per
  second, every report's status, its HTML and executed notebook, and the peak memory of the
  whole process tree (sum of the RSS of this process, its workers and their kernels, sampled);
* the straightforward path on a sample of organisations, one after another: the ``papermill``
  CLI (a fresh kernel per report, the same parameters the package passes, including its saved
  analysis) and then ``jupyter nbconvert --to html --no-input`` on the executed notebook. Its
  mean time per report is extrapolated linearly to the whole round (said in the output); the
  straightforward way to a second output is a second parametrised notebook through the same two
  commands, so the baseline per organisation counts that pair twice.

Why: a fresh kernel and nbconvert's CLI cost seconds per report, almost all start-up and
imports; the package keeps kernels alive and converts in-process. Targets (the report-to-action
issue): both outputs of all 350 organisations in < 3 minutes on 2 cores with the executed notebooks
kept, and ≥ 30× faster per organisation than the straightforward path. Run: ``python benchmarks/bench_reports.py`` (exit code 1
when a target is missed; ``--help`` for options). Other work on the machine inflates the
figures: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
from bench_analysis import timed
from sqlalchemy import insert

from dwp_assess import project
from dwp_assess.data import store
from dwp_assess.data.sample import PERIODS, data_strategy_round, maturity_by_round
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.reports import outputs
from dwp_assess.reports import run as reports_run
from dwp_assess.reports.files import ANALYSIS_FOLDER, work_folder
from dwp_assess.reports.options import ReportOptions
from dwp_assess.reports.run import generate_reports

ORGS, BASELINE_SAMPLE, JOBS, RESPONDENTS = 350, 6, 2, 100
RESPONSE_RATE = (0.3, 0.65)  # the seeded model's response rates (``sample.data_strategy_round``)
TARGET_SECONDS, TARGET_FOR, TARGET_RATIO = 180.0, 350, 30.0
OUTPUTS = 2  # the full report and the management summary
PROVINCES = 12
SIZE_CLASSES = [  # CBS size classes of municipalities, by inhabitants
    (20_000, "10.000-20.000"),
    (50_000, "20.000-50.000"),
    (100_000, "50.000-100.000"),
    (150_000, "100.000-150.000"),
    (250_000, "150.000-250.000"),
    (np.inf, "250.000 en meer"),
]
BIN = Path(sys.executable).parent  # the virtualenv's scripts: papermill, jupyter


def invited_for(respondents: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """The number invited per organisation for about ``respondents`` respondents each under the
    model's response rates (±12%; 24 respondents: 44–56 invited)."""
    mean_rate = sum(RESPONSE_RATE) / 2
    low, high = 0.88 * respondents / mean_rate, 1.12 * respondents / mean_rate
    return rng.integers(round(low), round(high) + 1, n)


def organisations(n: int, rng: np.random.Generator, respondents: int = RESPONDENTS) -> pd.DataFrame:
    """``n`` synthetic organisations: a few provinces, municipalities of every size class, and
    enough invited for about ``respondents`` respondents each (``invited_for``)."""
    provinces = min(PROVINCES, n // 10)
    inhabitants = np.concatenate(
        [
            np.exp(rng.uniform(np.log(9_000), np.log(600_000), n - provinces)),
            rng.uniform(4e5, 3.8e6, provinces),
        ]
    ).astype(int)
    bounds = [b for b, _ in SIZE_CLASSES]
    size_class = [SIZE_CLASSES[np.searchsorted(bounds, x, side="right")][1] for x in inhabitants]
    kind = ["gemeente"] * (n - provinces) + ["provincie"] * provinces
    return pd.DataFrame(
        {
            "id": [f"org{k:03d}" for k in range(n)],
            "name": [
                f"{'Provincie' if k == 'provincie' else 'Gemeente'} {i}" for i, k in enumerate(kind)
            ],
            "kind": kind,
            "cbs_code": [
                f"{'PV' if k == 'provincie' else 'GM'}{i:04d}" for i, k in enumerate(kind)
            ],
            "size_class": [
                s if k == "gemeente" else "provincie" for s, k in zip(size_class, kind, strict=True)
            ],
            "urbanisation": None,
            "inhabitants": inhabitants,
            "invited": invited_for(respondents, n, rng),
        }
    )


def write_rounds(
    engine, n_orgs: int, seed: int = 1, respondents: int = RESPONDENTS
) -> tuple[str, str, int]:
    """Both rounds of the benchmark, bulk-inserted as bench_analysis does; returns the current
    and the previous round id and the number of stored answers."""
    rng = np.random.default_rng(seed)
    instrument = get_instrument("data-strategy")
    orgs = organisations(n_orgs, rng, respondents)
    maturity = maturity_by_round([d.id for d in instrument.dimensions], orgs, rng)
    with engine.begin() as conn:
        conn.execute(
            insert(store.organisation),
            orgs[["id", "name", "kind", "cbs_code", "size_class", "urbanisation"]].to_dict(
                "records"
            ),
        )
    stored, round_ids = 0, []
    for period in PERIODS:
        synthetic = data_strategy_round(instrument, orgs, period, maturity[period], rng)
        info = store.create_round(engine, instrument, period)
        round_ids.append(info.id)
        stored += insert_round(engine, info.id, orgs, synthetic)
    current, previous = round_ids[-1], round_ids[0]
    respondents = len(synthetic.respondents)
    print(
        f"  {n_orgs} organisations, {respondents:,} respondents in {current} "
        f"({respondents / n_orgs:.1f} per organisation), previous round {previous}"
    )
    return current, previous, stored


def insert_round(engine, round_id: str, orgs: pd.DataFrame, synthetic) -> int:
    """A generated round's respondents, responses and answers bulk-inserted into an existing
    round of the store (with the organisations' invited numbers); returns the answers stored."""
    people = synthetic.respondents
    submitted = pd.to_datetime(people["submitted_at"]).dt.tz_localize(UTC)
    answers = synthetic.answers.astype(object).where(synthetic.answers.notna(), None)
    with engine.begin() as conn:
        conn.execute(
            insert(store.round_organisation),
            [
                {
                    "round_id": round_id,
                    "organisation_id": o,
                    "cbs_code": c,
                    "size_class": s,
                    "invited": int(i),
                }
                for o, c, s, i in orgs[["id", "cbs_code", "size_class", "invited"]].itertuples(
                    index=False
                )
            ],
        )
        conn.execute(
            insert(store.respondent),
            [
                {"id": p, "organisation_id": o, "team_id": None, "role": r}
                for p, o, r in people[["respondent_id", "organisation_id", "role"]].itertuples(
                    index=False
                )
            ],
        )
        conn.execute(
            insert(store.response),
            [
                {
                    "response_id": r,
                    "round_id": round_id,
                    "respondent_id": p,
                    "source": "bench",
                    "submitted_at": t.to_pydatetime(),
                    "content_hash": "",
                }
                for r, p, t in zip(
                    people["response_id"], people["respondent_id"], submitted, strict=True
                )
            ],
        )
        conn.execute(insert(store.answer), answers.to_dict("records"))
    return len(answers)


class TreeMonitor:
    """Sampled in a thread: the peak summed RSS of this process and all its descendants, and
    the CPU time of the tree against the whole machine's (what is left is other work)."""

    def __init__(self, interval: float = 0.2):
        self.interval, self.peak, self.peak_processes = interval, 0, 0
        self._cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total, count = 0, 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    with proc.oneshot():
                        total += proc.memory_info().rss
                        times = proc.cpu_times()
                    self._cpu[proc.pid] = times.user + times.system
                    count += 1
                except psutil.Error:
                    pass
            if total > self.peak:
                self.peak, self.peak_processes = total, count
            self._stop.wait(self.interval)

    @staticmethod
    def _busy() -> float:
        times = psutil.cpu_times()
        return sum(times) - times.idle - getattr(times, "iowait", 0.0)

    def __enter__(self) -> TreeMonitor:
        self._busy_start, self._wall_start = self._busy(), time.perf_counter()
        self._cpu_start = sum(psutil.Process().cpu_times()[:2])
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.wall = time.perf_counter() - self._wall_start
        self.machine_cpu = self._busy() - self._busy_start
        # exited short-lived processes are missed between samples: "others" is an upper bound
        self.own_cpu = sum(self._cpu.values()) - self._cpu_start
        self.other_cpu = max(0.0, self.machine_cpu - self.own_cpu)

    def contention(self) -> str:
        cores = os.cpu_count() or 1
        return (
            f"this benchmark {self.own_cpu:.0f} CPU-s, other work {self.other_cpu:.0f} CPU-s "
            f"of {self.wall * cores:.0f} available ({cores} cores × {self.wall:.0f} s)"
        )


def check_outputs(folder: Path, notebooks: Path) -> tuple[int, int, list[str]]:
    """Reports with status ok, HTML and executed notebook (kept in the data folder): how many
    HTML pages have figures, how many a change section with its chart (the previous round is
    used), and the problems found."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    problems, with_figures, with_change = [], 0, 0
    for unit, entry in sorted(manifest.items()):
        html, notebook = folder / entry["html"], notebooks / f"{unit}.ipynb"
        summary = folder / (entry.get("summary") or f"{unit}.samenvatting.html")
        if entry["status"] != "ok":
            problems.append(f"{unit}: status {entry['status']}: {entry.get('error')}")
        elif not html.is_file() or not notebook.is_file() or not summary.is_file():
            problems.append(
                f"{unit}: missing {'HTML' if not html.is_file() else 'notebook' if not notebook.is_file() else 'summary'}"
            )
        else:
            page = html.read_text(encoding="utf-8")
            with_figures += "dwp-figure-data" in page
            change = page.partition('<section id="change">')[2].partition("</section>")[0]
            with_change += "dwp-figure-data" in change
    return with_figures, with_change, problems


def baseline(units: list[str], parameters: dict, out: Path) -> list[tuple[float, float]]:
    """The straightforward path, one report after another: papermill CLI, then nbconvert CLI.
    Returns (papermill seconds, nbconvert seconds) per report."""
    out.mkdir(parents=True)
    template = outputs.OUTPUTS["maturity-report"].template
    times = []
    for unit in units:
        notebook = out / f"{unit}.ipynb"
        papermill = [
            str(BIN / "papermill"),
            str(template),
            str(notebook),
            "--cwd",
            str(template.parent),
            "-y",
            json.dumps(parameters | {"organisation_id": unit}),
        ]
        nbconvert = [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(notebook)]
        _, executing = timed(lambda c=papermill: subprocess.run(c, check=True, capture_output=True))
        _, converting = timed(
            lambda c=nbconvert: subprocess.run(c, check=True, capture_output=True)
        )
        if not notebook.with_suffix(".html").is_file():
            raise RuntimeError(f"baseline: nbconvert wrote no HTML for {unit}")
        times.append((executing, converting))
        print(f"  {unit}: papermill {executing:.1f} s + nbconvert {converting:.1f} s")
    return times


def time_analysis() -> list[float]:
    """Time ``reports.cache.cached_analysis`` (as ``reports.run`` calls it) (the round's analysis and typology, computed once
    before any report is made) in this process: the returned list gets its seconds and its
    CPU-seconds."""
    seconds = [0.0, 0.0]
    analyse = reports_run.cached_analysis

    def timed_analysis(*args, **kwargs):
        cpu = time.process_time()
        result, seconds[0] = timed(lambda: analyse(*args, **kwargs))
        seconds[1] = time.process_time() - cpu
        return result

    reports_run.cached_analysis = timed_analysis
    return seconds


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--orgs", type=int, default=ORGS, help=f"organisations in the round ({ORGS})"
    )
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=BASELINE_SAMPLE,
        help=f"organisations run the straightforward way ({BASELINE_SAMPLE})",
    )
    parser.add_argument("--jobs", type=int, default=JOBS, help=f"parallel report workers ({JOBS})")
    parser.add_argument(
        "--respondents",
        type=int,
        default=RESPONDENTS,
        help=f"about this many respondents per organisation ({RESPONDENTS}; earlier figures: 24)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the output folder and print it")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="dwp-bench-reports-"))
    try:
        ok = run(args, folder)
    finally:
        if args.keep:
            print(f"output kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    sys.exit(0 if ok else 1)


def run(args, folder: Path) -> bool:
    print(f"load average at start (1, 5, 15 min): {load()} on {os.cpu_count()} cores")
    project.activate(project.create(folder / "project"))  # the project every call below works in
    engine = store.connect(f"sqlite:///{folder / 'bench.sqlite'}")
    (current, previous, answers), seconds = timed(
        lambda: write_rounds(engine, args.orgs, respondents=args.respondents)
    )
    print(f"generated and stored {answers:,} answers (two rounds) in {seconds:.1f} s")

    print(f"package: generate_reports(jobs={args.jobs}) for {args.orgs} organisations ...")
    out = folder / "reports"
    analysing = time_analysis()
    with TreeMonitor() as memory:
        summary, package_seconds = timed(
            lambda: generate_reports(
                engine, ReportOptions(current, out_dir=out, jobs=args.jobs, synthetic=True)
            )
        )
    load_after_package = load()
    print(
        f"  of which the round's analysis with its typology (once, before the first report): {analysing[0]:.1f} s, {analysing[1]:.1f} CPU-s"
    )
    print(f"  CPU during the package run: {memory.contention()}")
    round_out = out / current
    with_figures, with_change, problems = check_outputs(round_out, summary.notebooks)
    for problem in problems[:10]:
        print(f"  PROBLEM {problem}")
    complete = summary.ok == args.orgs and not problems and summary.failed == 0
    print(
        f"  {summary.ok} ok, {summary.failed} failed, {summary.skipped} skipped; "
        f"HTML with figures: {with_figures}, with a change chart: {with_change}; "
        f"load average after: {load_after_package}"
    )

    analysis_dir = next(work_folder(ANALYSIS_FOLDER, current).iterdir())
    parameters = {
        "round_id": current,
        "lang": "nl",
        "synthetic": True,
        "previous_round_id": previous,
        "analysis_dir": str(analysis_dir),
    }
    units = sorted(json.loads((round_out / "manifest.json").read_text(encoding="utf-8")))
    sample = [units[k] for k in np.linspace(0, len(units) - 1, args.baseline_sample).astype(int)]
    print(
        f"straightforward: papermill CLI then nbconvert CLI, one after another, "
        f"{len(sample)} organisations ..."
    )
    with TreeMonitor() as base_monitor:
        times = baseline(sample, parameters, folder / "baseline")
    print(f"  load average after: {load()}; CPU: {base_monitor.contention()}")

    per_report = package_seconds / args.orgs
    cpu_per_org = (memory.own_cpu - analysing[1]) / args.orgs  # workers, kernels and this process
    base_cpu_per_org = OUTPUTS * base_monitor.own_cpu / len(times)
    base_exec = sum(e for e, _ in times) / len(times)
    base_conv = sum(c for _, c in times) / len(times)
    base_per_report = OUTPUTS * (base_exec + base_conv)
    ratio = base_per_report / per_report
    target_seconds = TARGET_SECONDS * args.orgs / TARGET_FOR
    time_ok = package_seconds < target_seconds and complete
    ratio_ok = ratio >= TARGET_RATIO
    mib = memory.peak / 2**20

    rows = [
        (
            f"package, all {args.orgs} reports and summaries (jobs={args.jobs}, wall)",
            f"{package_seconds:.1f} s",
            f"{'PASS' if time_ok else 'FAIL'} (< {target_seconds:.0f} s, all ok)",
        ),
        (
            "package, per report (wall / reports)",
            f"{per_report:.2f} s",
            f"{1 / per_report:.2f} reports/s",
        ),
        (
            f"baseline, per organisation (mean of {len(times)})",
            f"{base_per_report:.2f} s",
            f"{OUTPUTS} outputs × (papermill {base_exec:.2f} s + nbconvert {base_conv:.2f} s)",
        ),
        (
            f"baseline, {args.orgs} reports (extrapolated)",
            f"{base_per_report * args.orgs:.0f} s",
            f"= {len(times)}-report mean × {args.orgs}",
        ),
        (
            "ratio baseline / package, per report",
            f"{ratio:.1f}×",
            f"{'PASS' if ratio_ok else 'FAIL'} (≥ {TARGET_RATIO:.0f}×)",
        ),
        (
            "package, CPU per organisation (report + summary)",
            f"{cpu_per_org:.2f} CPU-s",
            f"without the analysis ({analysing[1]:.1f} CPU-s once); {args.respondents} respondents each",
        ),
        (
            "baseline, CPU per organisation",
            f"{base_cpu_per_org:.2f} CPU-s",
            f"ratio {base_cpu_per_org / cpu_per_org:.1f}× in CPU (other work inflates wall times more)",
        ),
        (
            "peak memory, process tree (summed RSS)",
            f"{mib:,.0f} MiB",
            f"{memory.peak_processes} processes at the peak",
        ),
        (
            "reports ok / HTML / notebooks",
            f"{summary.ok}/{args.orgs}",
            "PASS" if complete else f"FAIL ({len(problems)} problems)",
        ),
    ]
    widths = [max(len(r[k]) for r in rows) for k in range(3)]
    print()
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print(f"load average at end: {load()} (other work on the machine inflates all figures)")
    ok = time_ok and ratio_ok
    print(
        f"targets (both outputs of {TARGET_FOR} organisations < {TARGET_SECONDS:.0f} s, ≥ {TARGET_RATIO:.0f}× the "
        "straightforward path):",
        "met" if ok else "NOT met",
    )
    return ok


if __name__ == "__main__":
    main()

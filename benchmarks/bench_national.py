"""Benchmark: a national data-strategy round from one export per organisation to every report,
summary, PDF, export and bundle, through the ``dwp-assess`` command line, phase by phase.

What it does, as a national round arrives and as the analyst runs it:

* generates a registry CSV of ``--orgs`` organisations (370: municipalities of every CBS size
  class, the 12 provinces and a few water boards) and, from the package's seeded model
  (``dwp_assess.data.sample``: ``maturity_by_round``, ``data_strategy_round``), a previous
  round on data-strategy v1 and the current round on v2 with about ``--respondents`` (100)
  respondents per organisation; writes ONE EXPORT PER ORGANISATION of the current round, half
  Microsoft Forms XLSX with Dutch item texts, half the project's template CSV, in the formats
  the importers read (``data.sample_files``), each with that writer's deliberate imperfections
  (template: an unknown organisation and an out-of-range answer, quarantined, and a duplicate
  row, skipped; Microsoft Forms: an answer "Misschien", quarantined), which the expected totals
  count. ``--ids restart`` numbers every file's responses from 1 as survey tools do (Microsoft
  Forms' "Id" 1..n per form; the template's ``r0001``.. with no respondent id), ``--ids
  unique`` keeps them distinct across files;
* makes a project with ``dwp-assess init`` in a temporary folder (SQLite, or
  ``--database-url``) and times each phase as a ``dwp-assess`` subprocess run in the project
  folder: registry import and rounds (setup, untimed; the previous round's answers are
  bulk-inserted straight into the store), import of all files in one command (phase 1), the
  round's analysis (the package's ``reports.cache.cached_analysis`` in a subprocess of its own:
  ``report`` has no separate command for it and reuses the cached result, which is checked),
  ``report --jobs J`` (every report and summary), ``report --jobs J --pdf``, ``export``,
  ``report --jobs J --bundle``. Per phase: wall seconds, CPU-seconds of the whole process tree
  (the larger of ``getrusage(RUSAGE_CHILDREN)`` before and after, every descendant that was
  waited for, and the sampled tree's, which sees Chromium's processes; both printed), peak memory (sum of the RSS of the tree, sampled every
  0.2 s, as the issue measured it, which counts memory shared between processes in each; the
  summed PSS beside it) and items per second; the load average before and after;
* the straightforward path for the HTML reports as in ``bench_reports.py`` (papermill CLI +
  nbconvert CLI per report and per summary on ``--baseline-sample`` organisations, with the
  saved analysis, extrapolated) against the analysis and report phases per organisation;
* checks: responses stored against generated (a response lost to an id that another file also
  used shows here), quarantined rows against the deliberate imperfections, organisations with
  a report, reports failed, PDFs and bundles written, whether ``--pdf`` and ``--bundle`` made
  the HTML again, what a bundle holds.

Why: the per-output benchmarks start from answers generated into the store at 24 respondents;
a national round arrives as files, at about 100 respondents, and the analyst runs commands.
Targets (the national-round issue, for 370 organisations × 100 respondents on 2 cores): import,
analysis, every report and summary, every PDF and the export in < 900 s in total, peak memory
< 6 GiB, 0 responses lost, 0 reports failed, HTML reports ≥ 30× faster per organisation than
the straightforward path. The targets are compared unscaled at any size (a smaller run only
smoke-tests the chain). Run from the repository root:
``.venv/bin/python benchmarks/bench_national.py`` (``--help`` for options; exit code 1 when a
target is missed). Other work on the machine inflates the wall times: the CPU-seconds are the
figure to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
from bench_reports import OUTPUTS, baseline, insert_round, invited_for, load
from openpyxl import Workbook
from sqlalchemy import func, select

from dwp_assess import project
from dwp_assess.data import sample_files, store
from dwp_assess.data.classes import PROVINCES, SIZE_CLASSES, URBANISATION
from dwp_assess.data.sample import (
    PERIODS,
    VERSIONS,
    SyntheticRound,
    data_strategy_round,
    maturity_by_round,
)
from dwp_assess.instruments.loading import get_instrument

ORGS, RESPONDENTS, JOBS, BASELINE_SAMPLE, SEED = 370, 100, 2, 3, 27
TARGET_SECONDS, TARGET_GIB, TARGET_RATIO = 900.0, 6.0, 30.0
BIN = Path(sys.executable).parent  # the virtualenv's scripts: dwp-assess, papermill, jupyter
INSTRUMENT = "data-strategy"
WATER_BOARDS_PER_370 = 16  # 21 water boards in the Netherlands, not all take part
REGISTRY_COLUMNS = [
    "id",
    "name",
    "kind",
    "cbs_code",
    "size_class",
    "urbanisation",
    "province",
    "invited",
]
# the deliberate imperfections per file (sample_files.write_template / write_msforms)
IMPERFECT = {
    "template": {"quarantined": 2, "already_present": 1},
    "msforms": {"quarantined": 1, "already_present": 0},
}


# -- the registry and the rounds ---------------------------------------------------------------


def registry(n: int, respondents: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` organisations as the registry CSV has them (plus ``inhabitants`` for the model):
    municipalities with inhabitants drawn like the Netherlands' (median about 30,000, a few
    over 250,000), the 12 provinces and a few water boards (kind ``other``), scaled to ``n``;
    enough invited for about ``respondents`` respondents each."""
    provinces = min(len(PROVINCES), max(1, round(n * len(PROVINCES) / 370)))
    boards = max(1, round(n * WATER_BOARDS_PER_370 / 370))
    towns = n - provinces - boards
    people = np.clip(rng.lognormal(np.log(30_000), 0.85, towns), 1_000, 900_000).astype(int)
    bounds = [low for _, low, _ in SIZE_CLASSES[1:]]  # CBS's classes (``data.classes``)
    size_class = [SIZE_CLASSES[np.searchsorted(bounds, x, side="right")][0] for x in people]
    urban = np.clip(
        np.round((np.log10(people) - 3.9) * 2 + rng.normal(0, 0.7, towns)), 0, 4
    ).astype(int)
    rows = [
        (
            f"gemeente-{k + 1:03d}",
            f"Gemeente {k + 1:03d}",
            "gemeente",
            f"GM{k + 1:04d}",
            size_class[k],
            URBANISATION[4 - urban[k]],
            PROVINCES[k % len(PROVINCES)],
            people[k],
        )
        for k in range(towns)
    ]
    rows += [
        (
            f"provincie-{k + 1:02d}",
            f"Provincie {PROVINCES[k]}",
            "provincie",
            f"PV{20 + k:02d}",
            "provincie",
            None,
            PROVINCES[k],
            int(rng.uniform(4e5, 3.8e6)),
        )
        for k in range(provinces)
    ]
    rows += [
        (
            f"waterschap-{k + 1:02d}",
            f"Waterschap {k + 1:02d}",
            "other",
            f"WS{100 + k:04d}",
            "waterschap",
            None,
            PROVINCES[k % len(PROVINCES)],
            int(rng.uniform(3e5, 1.5e6)),
        )
        for k in range(boards)
    ]
    orgs = pd.DataFrame(rows, columns=[*REGISTRY_COLUMNS[:-1], "inhabitants"])
    orgs["invited"] = invited_for(respondents, n, rng)
    return orgs


def generate(orgs: pd.DataFrame, rng: np.random.Generator) -> dict[str, SyntheticRound]:
    """Both rounds from the seeded model, per period: v1 for the previous, v2 for the current."""
    versions = {p: get_instrument(INSTRUMENT, VERSIONS[p]) for p in PERIODS}
    dimensions = list(dict.fromkeys(d.id for p in PERIODS for d in versions[p].dimensions))
    maturity = maturity_by_round(dimensions, orgs, rng)
    return {p: data_strategy_round(versions[p], orgs, p, maturity[p], rng) for p in PERIODS}


def per_organisation(rnd: SyntheticRound) -> dict[str, SyntheticRound]:
    """The round split into one round per organisation (the answers grouped once)."""
    owner = dict(
        zip(rnd.respondents["response_id"], rnd.respondents["organisation_id"], strict=True)
    )
    answers = dict(tuple(rnd.answers.groupby(rnd.answers["response_id"].map(owner), sort=False)))
    return {
        org: SyntheticRound(
            rnd.round_id,
            rnd.instrument,
            rnd.period,
            people.reset_index(drop=True),
            answers[org].reset_index(drop=True),
        )
        for org, people in rnd.respondents.groupby("organisation_id", sort=False)
    }


def renumbered(rnd: SyntheticRound) -> SyntheticRound:
    """An organisation's round with the ids a survey tool gives each export: responses
    ``r0001``.. from 1, no respondent id (the importer derives a pseudonym)."""
    new = {old: f"r{k:04d}" for k, old in enumerate(rnd.respondents["response_id"], start=1)}
    people = rnd.respondents.assign(
        response_id=lambda d: d["response_id"].map(new), respondent_id=""
    )
    return SyntheticRound(
        rnd.round_id,
        rnd.instrument,
        rnd.period,
        people,
        rnd.answers.assign(response_id=lambda d: d["response_id"].map(new)),
    )


def write_msforms(rnd: SyntheticRound, names: dict, path: Path, first_id: int) -> int:
    """A Microsoft Forms export of one organisation's form (``sample_files``' format: Dutch
    item texts and labels, some in lower case) with "Id" from ``first_id``, plus the writer's
    imperfect row ("Misschien"); returns the last Id used."""
    wide = sample_files._wide(rnd, sample_files.msforms_cell)
    frame = sample_files._msforms_frame(rnd, wide, names, {})
    frame["Id"] += first_id - 1
    bad = frame.iloc[[0]].assign(Id=first_id + len(frame))
    bad[rnd.instrument.items[2].text.nl] = "Misschien"
    frame = pd.concat([frame, bad], ignore_index=True)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    book.properties.created = book.properties.modified = sample_files.FIXED_TIME
    book.save(path)
    return int(frame["Id"].max())


def write_exports(rnd: SyntheticRound, names: dict, folder: Path, ids: str) -> dict:
    """One export per organisation in ``folder``, alternately Microsoft Forms and template;
    returns the files and the expected totals."""
    folder.mkdir(parents=True)
    files, expected, last_id = [], {"responses": 0, "quarantined": 0, "already_present": 0}, 0
    for k, (org, own) in enumerate(sorted(per_organisation(rnd).items())):
        fmt = "msforms" if k % 2 == 0 else "template"
        data = renumbered(own) if ids == "restart" else own
        if fmt == "msforms":
            path = folder / f"{org}.xlsx"
            last_id = write_msforms(data, names, path, 1 if ids == "restart" else last_id + 1)
        else:
            path = folder / f"{org}.csv"
            sample_files.write_template(data, [org], path)
        files.append(path)
        expected["responses"] += len(own.respondents)
        for key, count in IMPERFECT[fmt].items():
            expected[key] += count
    return {"files": files, **expected}


# -- measuring a phase -------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    wall: float
    waited_cpu: float  # getrusage(RUSAGE_CHILDREN) delta: the tree's waited-for processes
    sampled_cpu: float  # the sampled tree's CPU (processes seen alive, at their last sample)
    peak: int  # summed RSS of the tree, bytes (memory shared between processes counted in each)
    peak_pss: int  # summed PSS of the tree, bytes (shared memory divided among its sharers)
    items: int
    unit: str
    load_before: str
    load_after: str
    returncode: int
    output: str

    @property
    def cpu(self) -> float:
        """The tree's CPU-seconds: each way of counting misses some (processes not waited
        for by their parent, e.g. Chromium's; processes that ended between samples), so the
        larger of the two."""
        return max(self.waited_cpu, self.sampled_cpu)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured(name: str, command: list[str], cwd: Path, env: dict, items: int, unit: str) -> Phase:
    """Run ``command`` and sample its process tree until it ends."""
    before, cpu_before, start = load(), _children_cpu(), time.perf_counter()
    proc = psutil.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak, peak_pss, cpu_seen, done = [0], [0], {}, threading.Event()

    def sample() -> None:
        while not done.is_set():
            total = proportional = 0
            try:
                tree = [proc, *proc.children(recursive=True)]
            except psutil.Error:
                tree = []
            for member in tree:
                try:
                    with member.oneshot():
                        memory = member.memory_full_info()
                        times = member.cpu_times()
                    total, proportional = total + memory.rss, proportional + memory.pss
                    cpu_seen[member.pid] = times.user + times.system
                except psutil.Error:
                    pass
            peak[0], peak_pss[0] = max(peak[0], total), max(peak_pss[0], proportional)
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    return Phase(
        name,
        wall,
        _children_cpu() - cpu_before,
        sum(cpu_seen.values()),
        peak[0],
        peak_pss[0],
        items,
        unit,
        before,
        load(),
        proc.returncode,
        output,
    )


ANALYSIS = """
import sys
from dwp_assess import project
from dwp_assess.analysis.privacy import min_group_size
from dwp_assess.data import store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.analysis.round_lookup import previous_round
from dwp_assess.reports.cache import cached_analysis

settings = project.activate(project.require())  # an entry point: resolve and activate once
engine = store.connect(settings.database_url)
info = store.get_round(engine, sys.argv[1])
instrument = get_instrument(info.instrument_id, info.instrument_version)
_, folder = cached_analysis(engine, info.id, previous_round(engine, info.id), min_group_size(instrument))
print(folder)
"""


# -- the chain ---------------------------------------------------------------------------------


def cli_env() -> dict:
    """The environment of every command: the project is the working folder (no DWP_PROJECT)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in (project.PROJECT_ENV, "DWP_DATA_DIR", "DWP_DATABASE_URL")
    }
    return env | {"COLUMNS": "200"}


def setup(args, folder: Path) -> tuple[project.Settings, dict, dict]:
    """The project, registry, both rounds (the previous one's answers in the store) and the
    current round's files; untimed."""
    dwp = str(BIN / "dwp-assess")
    init = [dwp, "init", str(folder / "project"), "--owner", "Datawerkplaats"]
    subprocess.run(
        init + (["--store", args.database_url] if args.database_url else []),
        check=True,
        capture_output=True,
    )
    settings = project.load(folder / "project")
    rng = np.random.default_rng(SEED)
    orgs = registry(args.orgs, args.respondents, rng)
    registry_csv = settings.root / "registry" / "organisations.csv"
    registry_csv.parent.mkdir(exist_ok=True)
    orgs[REGISTRY_COLUMNS].to_csv(registry_csv, index=False, lineterminator="\n")
    rounds = generate(orgs, rng)
    round_ids = {p: f"{INSTRUMENT}-{p}" for p in PERIODS}
    subprocess.run(
        [dwp, "registry", "import", str(registry_csv)],
        cwd=settings.root,
        env=cli_env(),
        check=True,
        capture_output=True,
    )
    for period, round_id in round_ids.items():
        subprocess.run(
            [
                dwp,
                "round",
                "create",
                "--instrument",
                INSTRUMENT,
                "--period",
                period,
                "--version",
                str(VERSIONS[period]),
                "--id",
                round_id,
            ],
            cwd=settings.root,
            env=cli_env(),
            check=True,
            capture_output=True,
        )
    engine = store.connect(args.database_url or settings.database_url)
    previous = rounds[PERIODS[0]]
    insert_round(engine, round_ids[PERIODS[0]], orgs, previous)
    engine.dispose()
    current = rounds[PERIODS[-1]]
    names = dict(zip(orgs["id"], orgs["name"], strict=True))
    exports = write_exports(
        current, names, settings.root / "imports" / round_ids[PERIODS[-1]], args.ids
    )
    kinds = orgs["kind"].value_counts().to_dict()
    print(
        f"registry: {len(orgs)} organisations ({', '.join(f'{v} {k}' for k, v in kinds.items())}); "
        f"previous round {round_ids[PERIODS[0]]} (v{VERSIONS[PERIODS[0]]}, {len(previous.respondents):,} "
        f"responses, in the store); current {round_ids[PERIODS[-1]]} (v{VERSIONS[PERIODS[-1]]}): "
        f"{exports['responses']:,} responses ({exports['responses'] / len(orgs):.1f} per organisation, "
        f"{len(current.answers):,} answers) in {len(exports['files'])} files, ids {args.ids}"
    )
    return settings, {"current": round_ids[PERIODS[-1]], "previous": round_ids[PERIODS[0]]}, exports


def stored_counts(settings: project.Settings, url: str | None, round_id: str) -> tuple[int, int]:
    """Responses stored in the round and rows quarantined for it."""
    engine = store.connect(url or settings.database_url)
    with engine.connect() as conn:
        responses = conn.execute(
            select(func.count())
            .select_from(store.response)
            .where(store.response.c.round_id == round_id)
        ).scalar_one()
        quarantined = conn.execute(
            select(func.count())
            .select_from(store.quarantine)
            .where(store.quarantine.c.round_id == round_id)
        ).scalar_one()
    engine.dispose()
    return responses, quarantined


def html_times(out: Path) -> dict[str, float]:
    """Modification times of the reports and summaries (not the index)."""
    return {
        p.name: p.stat().st_mtime_ns for p in out.glob("*.html") if not p.name.startswith("index")
    }


def made_line(output: str) -> str:
    """The ``report`` command's "N made, M up to date, F failed" (without the paths)."""
    line = next((line for line in output.splitlines() if " made, " in line), "no summary line")
    return line.partition(": ")[2].partition(" →")[0] or line.strip()


def failed_of(output: str) -> int:
    """The reports a ``report`` command says failed."""
    match = re.search(r"(\d+) failed", made_line(output))
    return int(match.group(1)) if match else 0


def bundle_contents(path: Path) -> str:
    """What one organisation's bundle holds, by kind of file."""
    with zipfile.ZipFile(path) as bundle:
        names = bundle.namelist()
    kinds = {}
    for name in names:
        kinds[Path(name).suffix or name] = kinds.get(Path(name).suffix or name, 0) + 1
    return ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))


def quarantine_reasons(output: str, top: int = 4) -> str:
    """The import's quarantine reasons summed over its files, ids and values left out."""
    reasons: dict[str, int] = {}
    for line in output.splitlines():
        if match := re.match(r"\s*quarantined \((\d+)×\): (.*)", line):
            reason = re.sub(r"'[^']*'", "'…'", match.group(2)).strip()
            reasons[reason] = reasons.get(reason, 0) + int(match.group(1))
    ranked = sorted(reasons.items(), key=lambda r: -r[1])[:top]
    return "; ".join(f"{count}× {reason}" for reason, count in ranked) or "none"


def run_chain(args, folder: Path) -> bool:
    print(f"load average at start (1, 5, 15 min): {load()} on {os.cpu_count()} cores")
    started = time.perf_counter()
    settings, rounds, exports = setup(args, folder)
    print(f"setup (untimed): {time.perf_counter() - started:.1f} s")
    current, root, env, dwp = rounds["current"], settings.root, cli_env(), str(BIN / "dwp-assess")
    jobs = ["--jobs", str(args.jobs)]
    files = [str(p.relative_to(root)) for p in exports["files"]]
    generated = exports["responses"]
    out = settings.folders["reports"] / current
    phases: list[Phase] = []

    def phase(name, command, items, unit) -> Phase:
        print(f"{name} ...", flush=True)
        result = measured(name, command, root, env, items, unit)
        phases.append(result)
        print(
            f"  {result.wall:.1f} s wall, {result.cpu:.1f} CPU-s, exit code {result.returncode}",
            flush=True,
        )
        if result.returncode:
            print("  " + "\n  ".join(result.output.strip().splitlines()[-8:]))
        return result

    imported = phase("import", [dwp, "import", *files, "--round", current], generated, "responses")
    stored, quarantined = stored_counts(settings, args.database_url, current)
    analysis = phase("analysis", [sys.executable, "-c", ANALYSIS, current], stored, "responses")
    reports = phase(
        "reports + summaries",
        [dwp, "report", "--round", current, *jobs],
        args.orgs,
        "organisations",
    )
    before_pdf = html_times(out)
    pdfs = phase("PDFs", [dwp, "report", "--round", current, *jobs, "--pdf"], 2 * args.orgs, "PDFs")
    after_pdf = html_times(out)
    remade = sum(before_pdf.get(k) != v for k, v in after_pdf.items())
    written_pdfs = len(list(out.glob("*.pdf")))
    phase("export", [dwp, "export", "--round", current], stored, "responses")
    bundles = phase(
        "bundles", [dwp, "report", "--round", current, *jobs, "--bundle"], args.orgs, "bundles"
    )
    remade_by_bundle = sum(after_pdf.get(k) != v for k, v in html_times(out).items())

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    ok = sum(e["status"] == "ok" for e in manifest.values())
    failed_now = sum(e["status"] != "ok" for e in manifest.values())
    failed = max(failed_now, *(failed_of(p.output) for p in (reports, pdfs, bundles)))
    zips = sorted(out.glob("bundles/*.zip"))
    written_bundles = len(zips)
    analyses = [p for p in (settings.data_dir / "analysis" / current).iterdir() if p.is_dir()]
    for p in phases:
        if p.unit in ("organisations", "bundles"):
            p.items = ok
    pdfs.items = written_pdfs
    bundles.items = written_bundles

    print(
        f"\nreport commands: reports: {made_line(reports.output)}; PDFs: {made_line(pdfs.output)} "
        f"({remade} HTML files remade by --pdf); bundles: {made_line(bundles.output)} ({remade_by_bundle} "
        f"remade by --bundle); a bundle holds {bundle_contents(zips[0]) if zips else 'nothing'}"
    )
    print(
        f"analysis folders after the reports: {len(analyses)} (1: the report commands reused the analysis phase's result)"
    )
    ratio = straightforward(args, settings, rounds, analysis, reports, folder, env)

    print()
    header = (
        "phase",
        "wall s",
        "CPU-s",
        "(waited",
        "sampled)",
        "peak GiB RSS",
        "PSS",
        "items/s (wall)",
        "CPU-s per item",
        "items",
        "load before → after",
    )
    rows = [
        (
            p.name,
            f"{p.wall:,.1f}",
            f"{p.cpu:,.1f}",
            f"{p.waited_cpu:,.1f}",
            f"{p.sampled_cpu:,.1f}",
            f"{p.peak / 2**30:.2f}",
            f"{p.peak_pss / 2**30:.2f}",
            f"{p.items / p.wall:,.2f} {p.unit}/s" if p.wall else "-",
            f"{p.cpu / p.items:.4f}" if p.items else "-",
            f"{p.items:,}",
            f"{p.load_before} → {p.load_after}",
        )
        for p in phases
    ]
    chain = [p for p in phases if p.name != "bundles"]
    wall, cpu = sum(p.wall for p in chain), sum(p.cpu for p in chain)
    peak = max(p.peak for p in phases)
    rows.append(
        (
            "whole chain (without bundles)",
            f"{wall:,.1f}",
            f"{cpu:,.1f}",
            f"{sum(p.waited_cpu for p in chain):,.1f}",
            f"{sum(p.sampled_cpu for p in chain):,.1f}",
            f"{max(p.peak for p in chain) / 2**30:.2f}",
            f"{max(p.peak_pss for p in chain) / 2**30:.2f}",
            "",
            "",
            "",
            "",
        )
    )
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())

    lost = generated - stored
    deliberate = exports["quarantined"]
    missing = args.orgs - ok
    print(
        f"\nresponses: {generated:,} generated, {stored:,} stored, {lost:,} lost; rows quarantined "
        f"{quarantined:,} (deliberate imperfections: {deliberate:,}; already present skipped: {exports['already_present']:,})"
    )
    print(f"quarantine reasons: {quarantine_reasons(imported.output)}")
    print(
        f"reports: {ok} of {args.orgs} organisations ok ({missing} without a report), {failed} failed; "
        f"{written_pdfs} PDFs, {written_bundles} bundles"
    )
    cores = os.cpu_count() or 1
    print(f"on {cores} idle cores the chain's CPU-seconds would take at least {cpu / cores:,.0f} s")
    if args.orgs != ORGS or round(generated / args.orgs) != RESPONDENTS:
        print(scaled_to_national(chain, args.jobs, cores))
    checks = [
        (
            f"whole chain < {TARGET_SECONDS:.0f} s wall",
            wall < TARGET_SECONDS,
            f"{wall:,.1f} s ({wall / TARGET_SECONDS:.2f}× the target)",
        ),
        (
            f"peak memory < {TARGET_GIB:.0f} GiB (summed RSS, as the issue measured)",
            peak < TARGET_GIB * 2**30,
            f"{peak / 2**30:.2f} GiB (summed PSS: {max(p.peak_pss for p in phases) / 2**30:.2f} GiB)",
        ),
        ("0 responses lost", lost == 0, f"{lost:,} of {generated:,} lost"),
        (
            "0 reports failed, every organisation a report",
            failed == 0 and missing == 0,
            f"{failed} failed, {missing} without",
        ),
        (
            f"HTML reports ≥ {TARGET_RATIO:.0f}× the straightforward path",
            ratio >= TARGET_RATIO,
            f"{ratio:.1f}× at {generated / args.orgs:.0f} respondents per organisation",
        ),
        (
            "every command exit code 0",
            all(p.returncode == 0 for p in phases),
            ", ".join(f"{p.name} {p.returncode}" for p in phases),
        ),
    ]
    print(
        f"\ntargets (for {ORGS} organisations × {RESPONDENTS} respondents on 2 cores; this run: "
        f"{args.orgs} × {generated / args.orgs:.0f}, load average at end {load()}):"
    )
    for label, passed, value in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {label}: {value}")
    return all(passed for _, passed, _ in checks)


def scaled_to_national(chain: list[Phase], jobs: int, cores: int) -> str:
    """This run's CPU-seconds per item scaled to the national round (``ORGS`` × ``RESPONDENTS``)
    on ``cores`` idle cores: import, analysis and export run in one process, the reports and
    PDFs in ``jobs`` workers. Each phase's fixed cost (start-up, kernels, browsers) is
    counted per item here, so a small run's figure is an upper bound."""
    national = {"responses": ORGS * RESPONDENTS, "organisations": ORGS, "PDFs": 2 * ORGS}
    parts, total = [], 0.0
    for p in chain:
        if not p.items:
            continue
        parallel = min(jobs, cores) if p.unit in ("organisations", "PDFs") else 1
        seconds = p.cpu / p.items * national[p.unit] / parallel
        parts.append(f"{p.name} {seconds:,.0f} s")
        total += seconds
    return (
        f"scaled to {ORGS} × {RESPONDENTS} from this run's CPU-s per item on {cores} idle cores "
        f"(fixed costs counted per item: an upper bound): {', '.join(parts)}; whole chain "
        f"{total:,.0f} s against {TARGET_SECONDS:.0f} s"
    )


def straightforward(
    args, settings, rounds: dict, analysis: Phase, reports: Phase, folder: Path, env: dict
) -> float:
    """``bench_reports.baseline`` (papermill CLI + nbconvert CLI per output) on a sample of
    organisations with the saved analysis; returns its time per organisation against the
    package's (analysis + reports phases, wall) per organisation."""
    analysis_dir = analysis.output.strip().splitlines()[-1]
    parameters = {
        "round_id": rounds["current"],
        "lang": "nl",
        "synthetic": False,
        "previous_round_id": rounds["previous"],
        "analysis_dir": analysis_dir,
    }
    out = settings.folders["reports"] / rounds["current"]
    units = sorted(
        u
        for u, e in json.loads((out / "manifest.json").read_text(encoding="utf-8")).items()
        if e["status"] == "ok"
    )
    sample = [units[k] for k in np.linspace(0, len(units) - 1, args.baseline_sample).astype(int)]
    print(f"straightforward: papermill CLI then nbconvert CLI, {len(sample)} organisations ...")
    # the kernels papermill starts find the project
    os.environ[project.PROJECT_ENV] = str(settings.root)
    try:
        times = baseline(sample, parameters, folder / "baseline")
    finally:
        os.environ.pop(project.PROJECT_ENV)
    per_org = OUTPUTS * sum(e + c for e, c in times) / len(times)
    package = (analysis.wall + reports.wall) / max(1, reports.items)
    ratio = per_org / package
    print(
        f"  {per_org:.1f} s per organisation ({OUTPUTS} outputs × papermill + nbconvert), "
        f"{per_org * args.orgs:,.0f} s extrapolated to {args.orgs}; package {package:.2f} s per "
        f"organisation (analysis + reports, wall): {ratio:.1f}×; load average after: {load()}"
    )
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=ORGS, help=f"organisations ({ORGS})")
    parser.add_argument(
        "--respondents",
        type=int,
        default=RESPONDENTS,
        help=f"about this many respondents per organisation ({RESPONDENTS})",
    )
    parser.add_argument(
        "--ids",
        choices=("restart", "unique"),
        default="restart",
        help="restart: every file's response ids from 1, as survey tools number them (default); unique: distinct across files",
    )
    parser.add_argument("--jobs", type=int, default=JOBS, help=f"report --jobs ({JOBS})")
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=BASELINE_SAMPLE,
        help=f"organisations run the straightforward way ({BASELINE_SAMPLE})",
    )
    parser.add_argument(
        "--database-url",
        help="PostgreSQL URL of an empty database for the project's store (default: SQLite in the project)",
    )
    parser.add_argument("--keep", type=Path, help="make the project in this new folder and keep it")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True)
        folder = args.keep.resolve()
    else:
        folder = Path(tempfile.mkdtemp(prefix="dwp-bench-national-"))
    try:
        ok = run_chain(args, folder)
    finally:
        if args.keep:
            print(f"project kept in {folder / 'project'}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

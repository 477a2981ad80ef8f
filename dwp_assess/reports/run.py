"""Reports for a whole round in one call: ``generate_reports(engine, ReportOptions(...))``.

The round is analysed once (``cache``: kept in the data folder, keyed on the data
snapshot); one job is planned per unit and language with the key that decides whether it is
up to date (``planning``); the jobs not up to date run here, in local processes or on a dask
cluster (``executing``, ``remote``); the results go into the round's ``manifest.json``,
which also decides what is older and removed (``manifest``); bundles are made last from what
is current (``bundle``); the index pages list every report with its status (``index``). A
failing report never stops the others; it is listed with its error. Each step's module
says the rules it keeps; this one only orders them.

What is handed out and what stays with the analyst is decided by folder. The reports folder
(``reports/<round>/``) holds only what an organisation may receive: self-contained HTML and
PDF, the manifest and the index. The analysis cache (every respondent's scores, of all
organisations) and the executed notebooks go to the data folder (``analysis/<round>/<key>/``
and ``notebooks/<round>/<unit>.ipynb``): notebooks are the analyst's audit trail, not
something to send (they hold code, warnings and tracebacks that name files of the analyst's
machine). Keeping them out of the reports folder makes that safe by construction; the kernel
simply gets the analysis folder as a parameter. ``RunSummary`` names the files a run
replaced and removed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from dwp_assess import ids, project
from dwp_assess.analysis.privacy import min_group_size
from dwp_assess.analysis.round_lookup import previous_round
from dwp_assess.data import store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.locale import LANGUAGES
from dwp_assess.reports.bundle import BundleSummary, refresh_bundles
from dwp_assess.reports.cache import cached_analysis
from dwp_assess.reports.executing import execute
from dwp_assess.reports.files import NOTEBOOK_FOLDER, work_folder
from dwp_assess.reports.index import write_indexes
from dwp_assess.reports.manifest import (
    MANIFEST,
    error_folders,
    load_manifest,
    marked_outdated,
    name_owners,
    record,
    save_manifest,
    tidy,
)
from dwp_assess.reports.options import ReportOptions
from dwp_assess.reports.planning import chosen, job_unit, plan_jobs, select
from dwp_assess.reports.printing import check_printer


@dataclass
class RunSummary:
    round_id: str
    index: Path
    ok: int
    failed: int
    skipped: int  # up to date (also those whose PDFs were printed now: ``printed``)
    notebooks: Path
    bundles: BundleSummary | None = None
    indexes: dict[str, Path] | None = None  # language → that language's index
    printed: int = 0  # up-to-date reports whose PDFs were printed from their HTML
    replaced: list[Path] = field(default_factory=list)  # files made again in place
    removed: list[Path] = field(default_factory=list)  # files of older data or gone units


def generate_reports(
    engine: Engine, options: ReportOptions, settings: project.Settings | None = None, console=None
) -> RunSummary:
    """Make every report of a round that ``options`` asks for (see the module docstring);
    return counts and the index. ``settings`` is the project (default: the active one): its
    folders, and what report workers and kernels are handed; ``console`` shows progress."""
    settings = settings or project.require_active()
    if options.pdf:
        check_printer()
    info = store.get_round(engine, options.round_id)
    synthetic = options.synthetic or info.synthetic
    instrument = get_instrument(info.instrument_id, info.instrument_version)
    previous = options.previous_round_id or previous_round(engine, options.round_id)
    reports_root = Path(options.out_dir or settings.reports_dir)
    out, notebooks = _round_folders(reports_root, options.round_id, settings)
    analysis, analysis_dir = cached_analysis(
        engine, options.round_id, previous, min_group_size(instrument, settings), settings.data_dir
    )
    every = plan_jobs(analysis, analysis_dir, out, notebooks, options, synthetic, settings)
    current = {job.unit: key for job, key in every}  # every report's key as of now
    planned = chosen(every, options)
    manifest = load_manifest(out)
    to_run, skipped = select(planned, manifest, options)
    before = {p: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file() and not _round_file(p)}
    results = execute(to_run, options, analysis_dir, settings, console)
    record(manifest, results, error_folders(reports_root, settings))
    removed = tidy(out, manifest, current, options.units, keep_older=options.retry_failed)
    name_owners(manifest, analysis)
    save_manifest(out, manifest)
    wanted = {job_unit(job) for job, _ in planned} if options.bundle else set()
    bundles = refresh_bundles(
        out,
        options.round_id,
        instrument.title,
        marked_outdated(manifest, current),
        analysis,
        wanted,
        synthetic,
    )
    subtitles = {
        lang: f"{instrument.title.get(lang)} · {analysis.meta.get('period', '')}"
        for lang in LANGUAGES
    }
    indexes, unlisted = write_indexes(
        out,
        options.round_id,
        manifest,
        {j.unit for j, _ in skipped},
        options.languages,
        subtitles,
        synthetic,
        current,
    )
    made = [r for r, (job, _) in results if not job.print_only]
    printed = [r for r, (job, _) in results if job.print_only]
    replaced = sorted(
        p for p, mtime in before.items() if p.is_file() and p.stat().st_mtime_ns != mtime
    )
    bundled = bundles or BundleSummary()
    return RunSummary(
        options.round_id,
        indexes[options.languages[0]],
        ok=sum(r.status == "ok" for r in made),
        failed=sum(r.status != "ok" for r, _ in results),
        skipped=len(skipped),
        notebooks=notebooks,
        bundles=bundles,
        indexes=indexes,
        printed=sum(r.status == "ok" for r in printed),
        replaced=replaced + bundled.replaced,
        removed=removed + unlisted + bundled.removed,
    )


def _round_folders(
    reports_root: Path, round_id: str, settings: project.Settings
) -> tuple[Path, Path]:
    """The round's reports folder and its executed notebooks' folder (in the data folder),
    made; what earlier versions left in the reports folder moved out of it."""
    keep_apart(settings.data_dir, reports_root)
    out = ids.output_path(reports_root, round_id)
    out.mkdir(parents=True, exist_ok=True)
    notebooks = work_folder(NOTEBOOK_FOLDER, round_id, settings.data_dir)
    notebooks.mkdir(parents=True, exist_ok=True)
    _move_working_files(out, notebooks)
    return out, notebooks


def _round_file(path: Path) -> bool:
    """The round's own files (index pages, manifest), rewritten on every run."""
    return path.name == MANIFEST or (path.name.startswith("index") and path.suffix == ".html")


def keep_apart(data_dir: Path, reports_root: Path) -> None:
    """Refuse a data folder inside the reports folder: what lies there would be handed out."""
    data, reports = data_dir.resolve(), reports_root.resolve()
    if data == reports or data.is_relative_to(reports):
        raise ValueError(
            f"the data folder {data} lies inside the reports folder {reports}: the data folder "
            "holds respondents' answers and must stay with the analyst; set DWP_DATA_DIR, "
            "DWP_REPORTS_DIR or the folders in dwp.toml so that they are apart"
        )


def _move_working_files(out: Path, notebooks: Path) -> None:
    """Take what earlier versions left in a round's reports folder out of it: the analysis
    cache (``_analysis/``, recomputed when needed) and executed notebooks (moved to the
    data folder, the audit trail is kept)."""
    shutil.rmtree(out / "_analysis", ignore_errors=True)
    for notebook in out.glob("*.ipynb"):
        target = notebooks / notebook.name
        if target.exists():
            notebook.unlink()
        else:
            shutil.move(notebook, target)

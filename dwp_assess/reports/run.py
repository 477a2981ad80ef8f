"""Reports for a whole round in one call: plan, cache, run in parallel, index, bundles.

``generate_reports`` analyses the round once (``profiles.analyse_round``, saved
and keyed on the data snapshot), plans one job per organisation (organisation
instruments) or per team (team instruments), skips reports whose inputs did not
change, runs the rest through a ``concurrent.futures``-style executor (local
processes, or a dask.distributed cluster), and writes ``reports/<round>/``: per
unit the HTML (and PDF), a ``manifest.json``, an ``index.html`` listing every
report with its status (for the analyst, not for distribution) and, on request,
one zip per organisation with only its own reports (``bundle``). A failing report
never stops the others; it is listed with its error.

What is handed out and what stays with the analyst is decided by folder. The
reports folder holds only what an organisation may receive: self-contained HTML
and PDF. The analysis cache (every respondent's scores, of all organisations) and
the executed notebooks go to the data folder (``store.data_dir()``:
``analysis/<round>/<key>/`` and ``notebooks/<round>/<unit>.ipynb``). Executed
notebooks are the analyst's audit trail, not something to send: they hold code,
warnings and tracebacks that name files of the analyst's machine, and the path of
the analysis they read. Keeping them out of the reports folder makes that safe by
construction, instead of scrubbing every output a kernel might print; the kernel
simply gets the analysis folder as a parameter. Error messages, which the
manifest and index show, name the analyst's folders by role (``<data>``,
``<reports>``, ``~``) instead of by path.
``choose_units`` checks ``--org`` / ``--team`` / ``--collab`` against the round's unit and the registry
before anything is made; every file name made from an id comes from ``ids.output_path``.

Up to date means up to date. A report's key covers everything it is made from: the data
snapshot (with the registry rows it prints), the plans, the minimum group size, the
instrument's files, its recommendation rules, the report notebook, the HTML templates and
message catalogue, the project's settings, the language and the package version; not
``--pdf``, which only prints what is made. Every output of a unit (HTML per language, PDF,
summary, document, bundle) is made from one key or removed: a language or PDF left from
older data is removed when the report is made again without it, the files of units no
longer in the round (a merged or renamed municipality) are removed, bundles are made last
from what is current, and the index links current files only. ``RunSummary`` names the
files a run replaced and removed.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import multiprocessing
import shutil
import tempfile
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.engine import Engine

from dwp_assess import __version__, ids, project
from dwp_assess.analysis.privacy import min_group_size
from dwp_assess.analysis.recommend import rules_for
from dwp_assess.analysis.rounds import previous_round
from dwp_assess.data import store
from dwp_assess.data.plans import plans_digest
from dwp_assess.instruments.loading import get_instrument, instrument_digest
from dwp_assess.instruments.messages import CATALOGUE, t
from dwp_assess.locale import LANGUAGES, PRIMARY_LANGUAGE
from dwp_assess.reports.bundle import BUNDLE_FOLDER, BundleSummary, write_bundles
from dwp_assess.reports.execute import Job, JobResult, run_job
from dwp_assess.reports.html import TEMPLATES, index_html
from dwp_assess.reports.outputs import OUTPUTS, UNIT_PARAMETERS, ReportAnalysis, output_kind
from dwp_assess.reports.printing import check_printer, discard_printer

ANALYSIS_FOLDER = "analysis"  # in the data folder: the round's analysis, per data snapshot
NOTEBOOK_FOLDER = "notebooks"  # in the data folder: executed report notebooks (audit trail)


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


def work_folder(kind: str, round_id: str, data_dir: Path | None = None) -> Path:
    """``<data folder>/<kind>/<round>``: working files of a round that stay with the analyst
    (``data_dir``: the project's data folder, by default the active project's)."""
    return ids.output_path(Path(data_dir or store.data_dir()) / kind, round_id)


class UnitError(ValueError):
    """``--org`` / ``--team`` / ``--collab`` name units that have no report in the round."""


# Per unit kind: the option that names units, and the registry file their ids come from.
UNIT_OPTIONS = {"organisation": "--org", "team": "--team", "collaboration": "--collab"}
REGISTRY_FILES = {"organisation": "organisations.csv", "team": "teams.csv", "collaboration": "collaborations.csv"}  # fmt: skip


def choose_units(engine: Engine, round_id: str, organisations: list[str] | None = None,
                 teams: list[str] | None = None, collaborations: list[str] | None = None) -> list[str] | None:  # fmt: skip
    """The organisations, teams or collaborations (by the round's unit) to report on, ``None``
    for all; checked before anything is made: the option must fit the round's unit, and every
    id must be registered and have answers in the round, else ``UnitError`` naming the ids
    (with the nearest registered id for a typo)."""
    info = store.get_round(engine, round_id)
    kind = get_instrument(info.instrument_id, info.instrument_version).kind
    given = {"organisation": organisations, "team": teams, "collaboration": collaborations}
    wrong = {k: list(v) for k, v in given.items() if v and k != kind}
    if wrong:
        raise UnitError(_wrong_option(engine, round_id, info.instrument_id, kind, wrong))
    if not given[kind]:
        return None
    named = list(dict.fromkeys(given[kind]))
    registered = list(_registered(engine, kind))
    unknown = [u for u in named if u not in registered]
    if unknown:
        guesses = {u: difflib.get_close_matches(u, registered, n=1) for u in unknown}
        listed = ", ".join(f"'{u}'" + (f" (did you mean '{g[0]}'?)" if g else "") for u, g in guesses.items())  # fmt: skip
        raise UnitError(f"unknown {kind} id(s) {listed}; nothing was made (ids as in the registry's {REGISTRY_FILES[kind]})")  # fmt: skip
    answered = set(store.load_responses(engine, round_id)[UNIT_PARAMETERS[kind]].dropna())
    silent = [u for u in named if u not in answered]
    if silent:
        raise UnitError(f"no answers in round '{round_id}' from {kind}(s) {', '.join(silent)}; nothing was made")  # fmt: skip
    return named


def _registered(engine: Engine, kind: str):
    """The registered ids of a unit kind."""
    frames = {"organisation": store.organisations, "team": store.teams, "collaboration": store.collaborations}  # fmt: skip
    return frames[kind](engine)["id"]


def _wrong_option(engine: Engine, round_id: str, instrument_id: str, kind: str, wrong: dict[str, list[str]]) -> str:  # fmt: skip
    """The error for naming units of another kind than the round's (``--org`` on a team round,
    ``--collab`` on an organisation round, ...), with the right option for the units meant."""
    used = ", ".join(UNIT_OPTIONS[k] for k in wrong)
    message = f"round '{round_id}' ({instrument_id}) has a report per {kind}: name {kind}s with {UNIT_OPTIONS[kind]}, not {used}"  # fmt: skip
    meant = list(dict.fromkeys(u for k, ids_ in wrong.items() for u in _units_of(engine, k, ids_, kind)))  # fmt: skip
    hint = ", ".join(f"{UNIT_OPTIONS[kind]} {u}" for u in meant)
    return message + (f" (e.g. {hint})" if hint else "")


def _organisations_of(engine: Engine, given_kind: str, given: list[str]) -> list[str]:
    """The organisations the ids of ``given_kind`` belong to: themselves, a team's
    organisation, a collaboration's members."""
    if given_kind == "organisation":
        return list(given)
    if given_kind == "team":
        teams = store.teams(engine).set_index("id").reindex(given)
        return list(dict.fromkeys(teams["organisation_id"].dropna()))
    members = store.collaboration_members(engine)
    return list(dict.fromkeys(members.loc[members["collaboration_id"].isin(given), "organisation_id"]))  # fmt: skip


def _units_of(engine: Engine, given_kind: str, given: list[str], kind: str) -> list[str]:
    """The units of ``kind`` that the ids of ``given_kind`` point to: an organisation's teams
    or collaborations, a team's organisation, a collaboration's members."""
    orgs = _organisations_of(engine, given_kind, given)
    if kind == "organisation":
        return orgs
    if kind == "team":
        teams = store.teams(engine)
        return list(teams.loc[teams["organisation_id"].isin(orgs), "id"])
    members = store.collaboration_members(engine)
    return sorted(set(members.loc[members["organisation_id"].isin(orgs), "collaboration_id"]))


def cached_analysis(engine: Engine, round_id: str, previous: str | None, min_group: int,
                    data_dir: Path | None = None) -> tuple[ReportAnalysis, Path]:  # fmt: skip
    """The round's analysis for its instrument's output (``reports.outputs``), computed once
    per data snapshot (with the plans adopted after the previous round), instrument files,
    minimum group size, package version and analysis format, and kept in the data folder
    (it holds every respondent's answers); with what the output saves beside it (the
    typology of maturity rounds, ``typology/``)."""
    info = store.get_round(engine, round_id)
    kind = output_kind(get_instrument(info.instrument_id, info.instrument_version).output)
    key = store.snapshot_hash(engine, round_id)[:16]
    if previous:  # the previous round's answers and the plans adopted after it
        key += "-" + store.snapshot_hash(engine, previous)[:8] + plans_digest(engine, previous)[:6]
    instruments = {info.instrument_id} | ({store.get_round(engine, previous).instrument_id} if previous else set())  # fmt: skip
    version = f"{min_group}:{__version__}:{kind.tables.FORMAT}:" + ":".join(instrument_digest(i) for i in sorted(instruments))  # fmt: skip
    key += "-" + hashlib.sha256(version.encode()).hexdigest()[:6]
    target = ids.output_path(work_folder(ANALYSIS_FOLDER, round_id, data_dir), key)
    if (target / "meta.json").is_file():
        return kind.tables.load(target), target
    analysis = kind.analyse(engine, round_id, previous, min_group)
    if kind.extras:  # before meta.json: a hit always has them
        kind.extras(analysis, target)
    return analysis, analysis.save(target)


def owners(analysis: ReportAnalysis) -> dict[str, str]:
    """Report unit → the organisation it is listed under in the index (its first receiver)."""
    return {unit: organisations[0] for unit, organisations in analysis.receivers().items()}


def _hash_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


SUMMARY_MARK = ".samenvatting"  # gouda.samenvatting.html: the management summary (summary.py)


def language_mark(lang: str) -> str:
    """The part of a report's file name that names its language: "" for the primary language
    (Dutch: gouda.html, beside gouda.en.html), ".en" for English."""
    return "" if lang == PRIMARY_LANGUAGE else f".{lang}"


def entry_key(unit: str, lang: str) -> str:
    """The manifest key of one report: the unit's id, with ".en" for English (ids hold no dot)."""
    return unit + language_mark(lang)


def sources_key(analysis: ReportAnalysis, template: Path, settings: project.Settings) -> list:
    """What every report of the round is made from, besides its own parameters: the data
    snapshot (with the registry rows it prints), the plans, the minimum group size, the
    report notebook, the HTML templates and message catalogue, the package version, the
    instrument's files, its recommendation rules and the project's settings."""
    instrument = analysis.instrument
    rules = rules_for(instrument)
    return [analysis.meta["snapshot_hash"], analysis.meta.get("plans_hash"), analysis.meta["min_group_size"],
            _hash_file(template), presentation_digest(), __version__, instrument_digest(instrument.id),
            rules.digest() if rules else None, settings.digest()]  # fmt: skip


def presentation_digest() -> str:
    """A digest of the HTML templates, their stylesheet and the message catalogue."""
    digest = hashlib.sha256()
    folder = Path(str(TEMPLATES))
    for path in [*sorted(p for p in folder.rglob("*") if p.is_file()), CATALOGUE]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def plan_jobs(analysis: ReportAnalysis, analysis_dir: Path, out: Path, notebooks: Path, units: list[str] | None,
              langs: list[str] | tuple[str, ...], pdf: bool, synthetic: bool,
              settings: project.Settings | None = None, colophon: dict | None = None) -> list[tuple[Job, str]]:  # fmt: skip
    """One job per report unit (``analysis.report_units()``) and language, each with the key
    that decides whether it is up to date (``sources_key`` and its parameters; never
    ``pdf``): HTML (and PDF) in ``out``, the executed notebook in ``notebooks`` (see the
    module docstring). Dutch files are ``<unit>.html``, English ones ``<unit>.en.html``;
    outputs with a management summary also get ``<unit>.samenvatting.html``. ``colophon``
    (default: ``settings.colophon``: sender, contact) goes to every document's colophon."""
    settings = settings or project.require_active()
    colophon = colophon if colophon is not None else settings.colophon
    instrument = analysis.instrument
    kind = instrument.kind
    output = output_kind(instrument.output)
    names = analysis.report_units()
    param = UNIT_PARAMETERS[kind]
    chosen = [u for u in names if units is None or u in units]
    template = output.template
    base_key = sources_key(analysis, template, settings)
    jobs = []
    for unit, lang in ((u, lang) for u in chosen for lang in langs):
        parameters = {"round_id": analysis.meta["round_id"], param: unit, "lang": lang, "synthetic": synthetic,
                      "previous_round_id": analysis.meta.get("previous_round_id"), "analysis_dir": str(analysis_dir),
                      "sender": (colophon or {}).get("sender") or project.DEFAULT_SENDER, "contact": (colophon or {}).get("contact", "")}  # fmt: skip
        if kind == "team":
            parameters["team_name"] = names[unit]
        title = names[unit]
        mark = language_mark(lang)
        summary = unit_file(out, unit, f"{SUMMARY_MARK}{mark}.html") if output.summary else None
        document = (
            unit_file(out, unit, f"{mark}{output.document_suffix}") if output.document else None
        )
        if document:  # the report names the file it is handed out beside
            parameters["document_name"] = document.name
        key = hashlib.sha256(json.dumps([*base_key, {k: v for k, v in parameters.items() if k != "analysis_dir"}], sort_keys=True).encode()).hexdigest()  # fmt: skip
        jobs.append((Job(unit=entry_key(unit, lang), title=str(title), template=template, parameters=parameters,
                         notebook_path=unit_file(notebooks, unit, f"{mark}.ipynb"), html_path=unit_file(out, unit, f"{mark}.html"),
                         pdf_path=unit_file(out, unit, f"{mark}.pdf") if pdf else None, lang=lang,
                         summary_path=summary, summary_pdf_path=summary.with_suffix(".pdf") if summary and pdf else None,
                         document_path=document, write_document=output.document, settings=settings), key))  # fmt: skip
    return jobs


def unit_file(folder: Path, unit: str, suffix: str) -> Path:
    """``folder/<unit><suffix>``: a file of an organisation's or team's report (in the round's
    reports folder, or its executed notebook in the data folder), through ``ids.output_path``
    (a valid id, inside the folder, never another unit's file)."""
    return ids.output_path(folder, unit, suffix=suffix)


def _load_manifest(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _select(jobs, manifest: dict, retry_failed: bool, force: bool):
    """Split planned jobs into those to run and those already up to date; an up-to-date
    report whose PDFs are wanted but missing or older runs as a print-only job (its HTML
    is printed, not made again)."""
    run, skip = [], []
    for job, key in jobs:
        entry = manifest.get(job.unit, {})
        made = [p for p in (job.html_path, job.summary_path, job.document_path) if p]
        fresh = entry.get("key") == key and entry.get("status") == "ok" and all(p.is_file() for p in made)  # fmt: skip
        if retry_failed:
            (run if entry.get("status") == "failed" or not entry else skip).append((job, key))
        elif fresh and not force:
            skip.append((job, key))
            if job.pdf_path and not _printed(job, entry, key):
                run.append((replace(job, print_only=True), key))
        else:
            run.append((job, key))
    return run, skip


def _printed(job: Job, entry: dict, key: str) -> bool:
    """The job's PDFs are there and were printed from the HTML of ``key``."""
    pdfs = [p for p in (job.pdf_path, job.summary_pdf_path) if p]
    return entry.get("pdf_key") == key and all(p.is_file() for p in pdfs)


def make_executor(kind: str, jobs: int, scheduler: str | None) -> Executor:
    """A local process pool, or a dask.distributed client (same submit/result interface)."""
    if kind == "dask":
        from dask.distributed import Client

        return Client(scheduler) if scheduler else Client(n_workers=jobs, threads_per_worker=1)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))


def _completed(executor, futures):
    """Futures as they finish, for a dask client or a concurrent.futures executor."""
    if hasattr(executor, "gather"):
        from dask.distributed import as_completed as dask_as_completed

        return dask_as_completed(list(futures))
    return as_completed(futures)


def _run(executor, jobs: list[Job], progress: Progress) -> list[JobResult]:
    task = progress.add_task("reports", total=len(jobs), failed=0)
    futures = {executor.submit(run_job, job): job for job in jobs}
    results, failed = [], 0
    for future in _completed(executor, futures):
        job = futures[future]
        try:
            result = future.result()
        except Exception as exc:  # noqa: BLE001 - a crashed worker fails its report, not the run
            result = JobResult(job.unit, "failed", 0.0, f"{type(exc).__name__}: {exc}")
        failed += result.status != "ok"
        results.append(result)
        progress.update(task, advance=1, failed=failed)
    return results


def generate_reports(
    engine: Engine,
    round_id: str,
    out_dir: Path | None = None,
    units: list[str] | None = None,
    jobs: int = 1,
    lang: str | list[str] = "nl",
    pdf: bool = False,
    retry_failed: bool = False,
    force: bool = False,
    executor: str = "local",
    scheduler: str | None = None,
    synthetic: bool = False,
    previous_round_id: str | None = None,
    console=None,
    bundle: bool = False,
    settings: project.Settings | None = None,
    colophon: dict | None = None,
) -> RunSummary:
    """Make every report of a round (see the module docstring); return counts and the index.

    ``lang`` is one language or several ("nl,en"): each report is made in each, side by side
    (``gouda.html``, ``gouda.en.html``), with an index per language. ``synthetic`` marks the
    reports as made from synthetic data; a round the store records as synthetic is always
    marked. With ``bundle``, also write one zip per organisation of the chosen units, holding
    all of that organisation's reports of the round in every language (``bundle.write_bundles``);
    bundles already there are kept current too. ``settings`` is the project (default: the
    active one): its folders, and what report workers and kernels are handed; ``colophon``
    the sender and contact (default: the settings')."""
    settings = settings or project.require_active()
    langs = parse_languages(lang)
    if pdf:
        check_printer()
    info = store.get_round(engine, round_id)
    synthetic = synthetic or info.synthetic
    instrument = get_instrument(info.instrument_id, info.instrument_version)
    previous = previous_round_id or previous_round(engine, round_id)
    reports_root = Path(out_dir or settings.reports_dir)
    keep_apart(settings.data_dir, reports_root)
    out = ids.output_path(reports_root, round_id)
    out.mkdir(parents=True, exist_ok=True)
    notebooks = work_folder(NOTEBOOK_FOLDER, round_id, settings.data_dir)
    notebooks.mkdir(parents=True, exist_ok=True)
    _move_working_files(out, notebooks)
    analysis, analysis_dir = cached_analysis(engine, round_id, previous, min_group_size(instrument, settings), settings.data_dir)  # fmt: skip
    every = plan_jobs(analysis, analysis_dir, out, notebooks, None, LANGUAGES, pdf, synthetic, settings, colophon)  # fmt: skip
    current = {job.unit: key for job, key in every}  # every report's key as of now
    planned = [(j, k) for j, k in every if j.lang in langs and (units is None or _unit_of(j) in units)]  # fmt: skip
    manifest_path = out / "manifest.json"
    manifest = _load_manifest(manifest_path)
    to_run, skipped = _select(planned, manifest, retry_failed, force)
    before = {p: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file() and not _round_file(p)}
    results = _execute(to_run, jobs, executor, scheduler, console)
    _record(manifest, results, _error_folders(reports_root, settings))
    removed = tidy(out, manifest, current, units, keep_older=retry_failed)
    _name_owners(manifest, analysis)
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    fresh = {k: e if e.get("key") == current.get(k) else e | {"status": "outdated"} for k, e in manifest.items()}  # fmt: skip
    bundles = _bundles(out, round_id, instrument, fresh, analysis, planned if bundle else [], synthetic)  # fmt: skip
    period = analysis.meta.get("period", "")
    listed = [x for x in LANGUAGES if x in langs or any(e.get("lang") == x for e in manifest.values())]  # fmt: skip
    indexes = {
        lang: write_index(out, round_id, manifest, {j.unit for j, _ in skipped}, lang,
                          f"{instrument.title.get(lang)} · {period}", synthetic, current)
        for lang in listed
    }  # fmt: skip
    removed += _remove([out / f"index{language_mark(x)}.html" for x in LANGUAGES if x not in listed])  # fmt: skip
    made = [r for r, (job, _) in results if not job.print_only]
    printed = [r for r, (job, _) in results if job.print_only]
    failed = sum(r.status != "ok" for r, _ in results)
    replaced = sorted(
        p for p, made in before.items() if p.is_file() and p.stat().st_mtime_ns != made
    )
    return RunSummary(round_id, indexes[langs[0]], ok=sum(r.status == "ok" for r in made), failed=failed,
                      skipped=len(skipped), notebooks=notebooks, bundles=bundles, indexes=indexes,
                      printed=sum(r.status == "ok" for r in printed),
                      replaced=replaced + (bundles.replaced if bundles else []),
                      removed=removed + (bundles.removed if bundles else []))  # fmt: skip


def _round_file(path: Path) -> bool:
    """The round's own files (index pages, manifest), rewritten on every run."""
    return path.name == "manifest.json" or (
        path.name.startswith("index") and path.suffix == ".html"
    )


def _execute(to_run: list[tuple[Job, str]], jobs: int, executor: str, scheduler: str | None,
             console) -> list[tuple[JobResult, tuple[Job, str]]]:  # fmt: skip
    """Run the jobs (in a pool, on dask, or here); each result with its job and key."""
    progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} done, {task.fields[failed]} failed"),
                        TimeRemainingColumn(), console=console, disable=console is None)  # fmt: skip
    with progress:
        if to_run and (jobs > 1 or executor == "dask"):
            pool = make_executor(executor, jobs, scheduler)
            try:
                results = _run(pool, [j for j, _ in to_run], progress)
            finally:
                pool.close() if hasattr(pool, "gather") else pool.shutdown()
        else:
            try:
                results = _run(_InProcess(), [j for j, _ in to_run], progress)
            finally:  # the caller's process may drive a browser of its own after this
                discard_printer()
    by_unit = {job.unit: (job, key) for job, key in to_run}
    return [(result, by_unit[result.unit]) for result in results]


def _error_folders(reports_root: Path, settings: project.Settings) -> dict[str, Path | None]:
    """The analyst's folders by role, for ``without_paths``."""
    return {"<reports>": reports_root, "<data>": settings.data_dir, "~": Path.home(),
            "<project>": settings.root, "<tmp>": Path(tempfile.gettempdir())}  # fmt: skip


def _record(
    manifest: dict, results: list[tuple[JobResult, tuple[Job, str]]], folders: dict
) -> None:
    """Each result in the manifest: a made report's entry, or a printed one's PDFs."""
    for result, (job, key) in results:
        ok = result.status == "ok"
        if job.print_only and ok:
            manifest[job.unit] |= {"pdf": job.pdf_path.name, "pdf_key": key,
                                   "summary_pdf": job.summary_pdf_path.name if job.summary_pdf_path else None}  # fmt: skip
            continue
        manifest[job.unit] = {"key": key, "status": result.status,
                              "error": without_paths(result.error, folders),
                              "title": job.title, "unit": _unit_of(job), "lang": job.lang,
                              "seconds": round(result.seconds, 2), "html": job.html_path.name,
                              "pdf": job.pdf_path.name if job.pdf_path and ok else None,
                              "pdf_key": key if job.pdf_path and ok else None,
                              "summary": job.summary_path.name if job.summary_path and ok else None,
                              "summary_pdf": job.summary_pdf_path.name if job.summary_pdf_path and ok else None,
                              "document": job.document_path.name if job.document_path and ok else None}  # fmt: skip


def unit_files(out: Path, unit: str, lang: str) -> list[Path]:
    """Every file one report may have in the round's folder, by its unit and language (HTML,
    PDF, summary and its PDF, an editable document), whether or not it exists."""
    mark = language_mark(lang)
    suffixes = [f"{mark}.html", f"{mark}.pdf", f"{SUMMARY_MARK}{mark}.html", f"{SUMMARY_MARK}{mark}.pdf"]  # fmt: skip
    suffixes += [f"{mark}{o.document_suffix}" for o in OUTPUTS.values() if o.document]
    return [unit_file(out, unit, suffix) for suffix in dict.fromkeys(suffixes)]


def tidy(out: Path, manifest: dict, current: dict[str, str], units: list[str] | None,
         keep_older: bool = False) -> list[Path]:  # fmt: skip
    """Remove what no longer matches the data, and say what (the files removed): every file
    of a unit no longer in the round (a merged or renamed municipality: its files under
    the old id), every file of a chosen unit's report whose key is older (a language not
    made this time; kept with ``keep_older``, as ``--retry-failed`` asks), and PDFs not
    printed from the HTML beside them."""
    removed: list[Path] = []
    known = {key.split(".")[0] for key in current}  # entry keys: the unit's id, ".en" for English
    for key, entry in list(manifest.items()):
        unit, lang = entry.get("unit", key), entry.get("lang", PRIMARY_LANGUAGE)
        if not ids.is_valid(unit) or lang not in LANGUAGES:
            continue
        gone = unit not in known
        older = (
            not keep_older
            and (units is None or unit in units)
            and entry.get("key") != current.get(key)
        )
        if gone or (older and entry.get("status") == "ok"):
            removed += _remove(unit_files(out, unit, lang))
            del manifest[key]
        elif entry.get("pdf_key") != entry.get("key"):
            mark = language_mark(lang)
            removed += _remove([unit_file(out, unit, f"{mark}.pdf"), unit_file(out, unit, f"{SUMMARY_MARK}{mark}.pdf")])  # fmt: skip
            entry.update(pdf=None, summary_pdf=None, pdf_key=None)
    return removed


def _remove(paths: list[Path]) -> list[Path]:
    """Delete the files of ``paths`` that exist; the ones deleted."""
    gone = [p for p in paths if p.is_file()]
    for path in gone:
        path.unlink()
    return gone


def _name_owners(manifest: dict, analysis: ReportAnalysis) -> None:
    """Each entry's organisation (id and current name), as the index groups them."""
    owner = owners(analysis)
    org_names = analysis.organisations.set_index("organisation_id")["name"].to_dict()
    for key, entry in manifest.items():  # entries of earlier runs: no notebook in this folder
        entry.pop("notebook", None)
        entry.setdefault("unit", key)
        entry.setdefault("lang", PRIMARY_LANGUAGE)
        entry["organisation"] = owner.get(entry["unit"], entry.get("organisation"))
        entry["organisation_name"] = org_names.get(entry["organisation"], entry.get("organisation_name"))  # fmt: skip


def _bundles(out: Path, round_id: str, instrument, manifest: dict, analysis: ReportAnalysis,
             chosen_jobs: list[tuple[Job, str]], synthetic: bool) -> BundleSummary | None:  # fmt: skip
    """Bundles, made last from what is current (``manifest`` marks older reports
    ``outdated``: an organisation with one gets no bundle): for the organisations of ``chosen_jobs``
    (``--bundle``) and for every organisation that has one already (kept current, or
    removed when a report of it is not ready); the bundle of an organisation that receives
    no report of the round any more is removed. ``None`` when there are none."""
    receivers = analysis.receivers()
    org_names = analysis.organisations.set_index("organisation_id")["name"].to_dict()
    receiving = {org for orgs in receivers.values() for org in orgs}
    folder = out / BUNDLE_FOLDER
    existing = {p.stem: p for p in folder.glob("*.zip")} if folder.is_dir() else {}
    gone = _remove([p for org, p in existing.items() if org not in receiving])
    wanted = {org for job, _ in chosen_jobs for org in receivers.get(_unit_of(job), [])}
    wanted |= {org for org in existing if org in receiving}
    if not wanted:
        return BundleSummary(removed=gone) if gone else None
    chosen = {org: (org_names.get(org, org), [u for u, orgs in receivers.items() if org in orgs]) for org in wanted}  # fmt: skip
    summary = write_bundles(out, round_id, instrument.title, manifest, chosen, analysis.meta["min_group_size"], synthetic)  # fmt: skip
    summary.removed += gone
    return summary


def parse_languages(lang: str | list[str]) -> list[str]:
    """``"nl,en"`` or ``["nl", "en"]`` as a list without repeats; an unknown language is an
    error naming the ones there are."""
    langs = list(dict.fromkeys(x.strip() for x in (lang.split(",") if isinstance(lang, str) else lang) if x.strip()))  # fmt: skip
    unknown = [x for x in langs if x not in LANGUAGES]
    if unknown or not langs:
        raise ValueError(f"unknown language(s) {', '.join(unknown) or '(none)'}: choose from {', '.join(LANGUAGES)}, e.g. --lang nl,en")  # fmt: skip
    return langs


def _unit_of(job: Job) -> str:
    """The unit a job reports on (its manifest key without the language)."""
    return next(job.parameters[p] for p in UNIT_PARAMETERS.values() if job.parameters.get(p))


def keep_apart(data_dir: Path, reports_root: Path) -> None:
    """Refuse a data folder inside the reports folder: what lies there would be handed out."""
    data, reports = data_dir.resolve(), reports_root.resolve()
    if data == reports or data.is_relative_to(reports):
        raise ValueError(
            f"the data folder {data} lies inside the reports folder {reports}: the data folder "
            "holds respondents' answers and must stay with the analyst; set DWP_DATA_DIR, "
            "DWP_REPORTS_DIR or the folders in dwp.toml so that they are apart"
        )


def without_paths(text: str, folders: dict[str, Path | None]) -> str:
    """``text`` with every folder of the analyst's machine replaced by its role, longest
    first (``/home/ana/project/data/x`` → ``<data>/x``): error messages end up in the
    manifest and the index, which lie in the reports folder."""
    known = {str(f.resolve()): role for role, f in folders.items() if f is not None}
    known |= {str(f): role for role, f in folders.items() if f is not None}
    for path in sorted(known, key=len, reverse=True):
        if len(path) > 1:
            text = text.replace(path, known[path])
    return text


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


def _links(out: Path, unit: str, entry: dict) -> dict[str, str | None]:
    """The index's links of one report: file names made from the unit's id and the language
    (never taken from the manifest file, which may be older or edited), each only when that
    file exists."""
    if not ids.is_valid(unit) or entry.get("lang", PRIMARY_LANGUAGE) not in LANGUAGES:
        return {"html": None, "pdf": None, "summary": None, "summary_pdf": None, "document": None}
    mark = language_mark(entry.get("lang", PRIMARY_LANGUAGE))
    files = {"html": f"{mark}.html", "pdf": f"{mark}.pdf", "summary": f"{SUMMARY_MARK}{mark}.html",
             "summary_pdf": f"{SUMMARY_MARK}{mark}.pdf"}  # fmt: skip
    if document := _document_suffix(entry):
        files["document"] = f"{mark}{document}"
    links = {key: path.name if entry.get(key) and (path := unit_file(out, unit, suffix)).is_file() else None
             for key, suffix in files.items()}  # fmt: skip
    return {"document": None} | links


def _document_suffix(entry: dict) -> str | None:
    """The suffix of a report's editable document (``.docx``) when it is one an output
    makes; never whatever else the manifest says."""
    suffix = Path(entry.get("document") or "").suffix
    return suffix if suffix in {o.document_suffix for o in OUTPUTS.values() if o.document} else None


def _bundle_link(out: Path, entry: dict) -> str | None:
    """``bundles/<organisation>.zip`` of the report's organisation, when that bundle exists."""
    organisation = entry.get("organisation")
    if not ids.is_valid(organisation):
        return None
    bundle = ids.output_path(out / BUNDLE_FOLDER, organisation, suffix=".zip")
    return f"{BUNDLE_FOLDER}/{bundle.name}" if bundle.is_file() else None


class _InProcess:
    """The executor interface, run in this process (one job at a time, one kept-alive kernel)."""

    def submit(self, function, *args):
        from concurrent.futures import Future

        future = Future()
        future.set_result(function(*args))
        return future


def write_index(out: Path, round_id: str, manifest: dict, skipped: set[str], lang: str, subtitle: str,
                synthetic: bool = False, current: dict[str, str] | None = None) -> Path:  # fmt: skip
    """``index.html`` (``index.en.html`` in English) of the round, for the analyst: every report
    in that language grouped by organisation, its status (done, up to date, failed, or
    outdated: its key is not the ``current`` one, when given), links to its HTML, PDF and its
    organisation's bundle (none for an outdated report), and a note that the page is not
    for distribution (and, for synthetic data, that it is synthetic)."""
    own = {k: e for k, e in manifest.items() if e.get("lang", PRIMARY_LANGUAGE) == lang}
    rows = []
    for key, entry in own.items():
        unit = entry.get("unit", key)
        status = "skipped" if key in skipped and entry["status"] == "ok" else entry["status"]
        outdated = (
            current is not None and entry["status"] == "ok" and entry.get("key") != current.get(key)
        )
        status = "outdated" if outdated else status
        links = {"html": None, "pdf": None, "summary": None, "summary_pdf": None, "document": None} if outdated else _links(out, unit, entry)  # fmt: skip
        rows.append({"title": entry.get("title", unit), "status_label": t(f"report.status.{status}", lang),
                     "organisation": entry.get("organisation_name") or "", "failed": entry["status"] != "ok",
                     "error": entry.get("error"), **links, "bundle": None if outdated else _bundle_link(out, entry)})  # fmt: skip
    rows.sort(key=lambda r: (r["organisation"], r["title"]))
    ok = sum(e["status"] == "ok" for e in own.values())
    summary = f"{subtitle} · {ok}/{len(own)} {t('report.status.ok', lang)}"
    html = index_html(t("report.index_title", lang, round=round_id), summary, rows,
                      datetime.now(UTC).isoformat(timespec="seconds"), lang, synthetic)  # fmt: skip
    path = out / f"index{language_mark(lang)}.html"
    path.write_text(html, encoding="utf-8")
    return path

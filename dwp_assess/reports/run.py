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
"""

from __future__ import annotations

import difflib
import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.engine import Engine

from dwp_assess import __version__, ids, project
from dwp_assess.analysis.privacy import min_group_size
from dwp_assess.analysis.rounds import previous_round
from dwp_assess.data import store
from dwp_assess.data.plans import plans_digest
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.messages import t
from dwp_assess.reports.bundle import BUNDLE_FOLDER, BundleSummary, write_bundles
from dwp_assess.reports.execute import Job, JobResult, run_job
from dwp_assess.reports.html import index_html
from dwp_assess.reports.outputs import OUTPUTS, UNIT_PARAMETERS, ReportAnalysis, output_kind
from dwp_assess.reports.printing import check_printer, discard_printer

ANALYSIS_FOLDER = "analysis"  # in the data folder: the round's analysis, per data snapshot
NOTEBOOK_FOLDER = "notebooks"  # in the data folder: executed report notebooks (audit trail)


def default_out_dir() -> Path:
    """``DWP_REPORTS_DIR`` if set, else the project's reports folder."""
    configured = os.environ.get("DWP_REPORTS_DIR")
    return Path(configured) if configured else project.require().reports_dir


@dataclass
class RunSummary:
    round_id: str
    index: Path
    ok: int
    failed: int
    skipped: int
    notebooks: Path
    bundles: BundleSummary | None = None
    indexes: dict[str, Path] | None = None  # language → that language's index


def work_folder(kind: str, round_id: str) -> Path:
    """``<data folder>/<kind>/<round>``: working files of a round that stay with the analyst."""
    return ids.output_path(store.data_dir() / kind, round_id)


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


def cached_analysis(engine: Engine, round_id: str, previous: str | None, min_group: int) -> tuple[ReportAnalysis, Path]:  # fmt: skip
    """The round's analysis for its instrument's output (``reports.outputs``), computed once
    per data snapshot (with the plans adopted after the previous round), minimum group size,
    package version and analysis format, and kept in the data folder (it holds every
    respondent's answers); with what the output saves beside it (the typology of maturity
    rounds, ``typology/``)."""
    info = store.get_round(engine, round_id)
    kind = output_kind(get_instrument(info.instrument_id, info.instrument_version).output)
    key = store.snapshot_hash(engine, round_id)[:16]
    if previous:  # the previous round's answers and the plans adopted after it
        key += "-" + store.snapshot_hash(engine, previous)[:8] + plans_digest(engine, previous)[:6]
    version = f"{min_group}:{__version__}:{kind.tables.FORMAT}"
    key += "-" + hashlib.sha256(version.encode()).hexdigest()[:6]
    target = ids.output_path(work_folder(ANALYSIS_FOLDER, round_id), key)
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


LANGUAGES = ("nl", "en")
SUMMARY_MARK = ".samenvatting"  # gouda.samenvatting.html: the management summary (summary.py)
PRIMARY_LANGUAGE = "nl"  # its files carry no language mark: gouda.html, beside gouda.en.html


def language_mark(lang: str) -> str:
    """The part of a report's file name that names its language: "" for Dutch, ".en" for English."""
    return "" if lang == PRIMARY_LANGUAGE else f".{lang}"


def entry_key(unit: str, lang: str) -> str:
    """The manifest key of one report: the unit's id, with ".en" for English (ids hold no dot)."""
    return unit + language_mark(lang)


def plan_jobs(analysis: ReportAnalysis, analysis_dir: Path, out: Path, notebooks: Path, units: list[str] | None,
              langs: list[str], pdf: bool, synthetic: bool, colophon: dict | None = None) -> list[tuple[Job, str]]:  # fmt: skip
    """One job per report unit (``analysis.report_units()``) and language, each with the key
    that decides whether it is up to date: HTML (and PDF) in ``out``, the executed notebook in
    ``notebooks`` (see the module docstring). Dutch files are ``<unit>.html``, English ones
    ``<unit>.en.html``; outputs with a management summary also get ``<unit>.samenvatting.html``.
    ``colophon`` (``project.Settings.colophon``: sender, contact) goes to every document's colophon."""
    instrument = analysis.instrument
    kind = instrument.kind
    output = output_kind(instrument.output)
    names = analysis.report_units()
    param = UNIT_PARAMETERS[kind]
    chosen = [u for u in names if units is None or u in units]
    template = output.template
    base_key = [analysis.meta["snapshot_hash"], analysis.meta.get("plans_hash"), analysis.meta["min_group_size"], _hash_file(template), __version__, str(pdf)]  # fmt: skip
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
                         document_path=document, write_document=output.document), key))  # fmt: skip
    return jobs


def unit_file(folder: Path, unit: str, suffix: str) -> Path:
    """``folder/<unit><suffix>``: a file of an organisation's or team's report (in the round's
    reports folder, or its executed notebook in the data folder), through ``ids.output_path``
    (a valid id, inside the folder, never another unit's file)."""
    return ids.output_path(folder, unit, suffix=suffix)


def _load_manifest(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _select(jobs, manifest: dict, retry_failed: bool, force: bool):
    """Split planned jobs into those to run and those already up to date."""
    run, skip = [], []
    for job, key in jobs:
        entry = manifest.get(job.unit, {})
        fresh = entry.get("key") == key and entry.get("status") == "ok" and job.html_path.is_file()
        if retry_failed:
            (run if entry.get("status") == "failed" or not entry else skip).append((job, key))
        elif fresh and not force:
            skip.append((job, key))
        else:
            run.append((job, key))
    return run, skip


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
    colophon: dict | None = None,
) -> RunSummary:
    """Make every report of a round (see the module docstring); return counts and the index.

    ``lang`` is one language or several ("nl,en"): each report is made in each, side by side
    (``gouda.html``, ``gouda.en.html``), with an index per language. ``synthetic`` marks the
    reports as made from synthetic data; a round the store records as synthetic is always
    marked. With ``bundle``, also write one zip per organisation of the chosen units, holding
    all of that organisation's reports of the round in every language (``bundle.write_bundles``).
    ``colophon`` holds the sender and contact of the project (``project.Settings.colophon``)."""
    langs = parse_languages(lang)
    if pdf:
        check_printer()
    info = store.get_round(engine, round_id)
    synthetic = synthetic or info.synthetic
    instrument = get_instrument(info.instrument_id, info.instrument_version)
    previous = previous_round_id or previous_round(engine, round_id)
    reports_root = Path(out_dir or default_out_dir())
    keep_apart(store.data_dir(), reports_root)
    out = ids.output_path(reports_root, round_id)
    out.mkdir(parents=True, exist_ok=True)
    notebooks = work_folder(NOTEBOOK_FOLDER, round_id)
    notebooks.mkdir(parents=True, exist_ok=True)
    _move_working_files(out, notebooks)
    analysis, analysis_dir = cached_analysis(engine, round_id, previous, min_group_size(instrument))
    planned = plan_jobs(
        analysis, analysis_dir, out, notebooks, units, langs, pdf, synthetic, colophon
    )
    manifest_path = out / "manifest.json"
    manifest = _load_manifest(manifest_path)
    to_run, skipped = _select(planned, manifest, retry_failed, force)
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
    keys = {job.unit: key for job, key in planned}
    jobs_by_unit = {job.unit: job for job, _ in planned}
    owner = owners(analysis)
    org_names = analysis.organisations.set_index("organisation_id")["name"].to_dict()
    folders = {"<reports>": reports_root, "<data>": store.data_dir(), "~": Path.home(),
               "<project>": _project_root(), "<tmp>": Path(tempfile.gettempdir())}  # fmt: skip
    for result in results:
        job = jobs_by_unit[result.unit]
        manifest[result.unit] = {"key": keys[result.unit], "status": result.status,
                                 "error": without_paths(result.error, folders),
                                 "title": job.title, "unit": _unit_of(job), "lang": job.lang,
                                 "seconds": round(result.seconds, 2), "html": job.html_path.name,
                                 "pdf": job.pdf_path.name if job.pdf_path and result.status == "ok" else None,
                                 "summary": job.summary_path.name if job.summary_path and result.status == "ok" else None,
                                 "summary_pdf": job.summary_pdf_path.name if job.summary_pdf_path and result.status == "ok" else None,
                                 "document": job.document_path.name if job.document_path and result.status == "ok" else None}  # fmt: skip
    for key, entry in manifest.items():  # entries of earlier runs: no notebook in this folder
        entry.pop("notebook", None)
        entry.setdefault("unit", key)
        entry.setdefault("lang", PRIMARY_LANGUAGE)
        entry["organisation"] = owner.get(entry["unit"], entry.get("organisation"))
        entry["organisation_name"] = org_names.get(
            entry["organisation"], entry.get("organisation_name")
        )
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    bundles = None
    if bundle:
        receivers = analysis.receivers()
        chosen = {org: (org_names.get(org, org), []) for job, _ in planned for org in receivers[_unit_of(job)]}  # fmt: skip
        # every report a chosen organisation may receive, also those not run now
        for unit, organisations in receivers.items():
            for organisation in organisations:
                if organisation in chosen:
                    chosen[organisation][1].append(unit)
        bundles = write_bundles(out, round_id, instrument.title, manifest, chosen, analysis.meta["min_group_size"], synthetic)  # fmt: skip
    period = analysis.meta.get("period", "")
    indexes = {
        lang: write_index(out, round_id, manifest, {j.unit for j, _ in skipped}, lang,
                          f"{instrument.title.get(lang)} · {period}", synthetic)
        for lang in langs
    }  # fmt: skip
    failed = sum(r.status != "ok" for r in results)
    return RunSummary(round_id, indexes[langs[0]], ok=len(results) - failed, failed=failed,
                      skipped=len(skipped), notebooks=notebooks, bundles=bundles, indexes=indexes)  # fmt: skip


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


def _project_root() -> Path | None:
    settings = project.current()
    return settings.root if settings else None


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
                synthetic: bool = False) -> Path:  # fmt: skip
    """``index.html`` (``index.en.html`` in English) of the round, for the analyst: every report
    in that language grouped by organisation, its status (done, up to date, failed), links to
    its HTML, PDF and its organisation's bundle, and a note that the page is not for
    distribution (and, for synthetic data, that it is synthetic)."""
    own = {k: e for k, e in manifest.items() if e.get("lang", PRIMARY_LANGUAGE) == lang}
    rows = []
    for key, entry in own.items():
        unit = entry.get("unit", key)
        status = "skipped" if key in skipped and entry["status"] == "ok" else entry["status"]
        rows.append({"title": entry.get("title", unit), "status_label": t(f"report.status.{status}", lang),
                     "organisation": entry.get("organisation_name") or "", "failed": entry["status"] != "ok",
                     "error": entry.get("error"), **_links(out, unit, entry), "bundle": _bundle_link(out, entry)})  # fmt: skip
    rows.sort(key=lambda r: (r["organisation"], r["title"]))
    ok = sum(e["status"] == "ok" for e in own.values())
    summary = f"{subtitle} · {ok}/{len(own)} {t('report.status.ok', lang)}"
    html = index_html(t("report.index_title", lang, round=round_id), summary, rows,
                      datetime.now(UTC).isoformat(timespec="seconds"), lang, synthetic)  # fmt: skip
    path = out / f"index{language_mark(lang)}.html"
    path.write_text(html, encoding="utf-8")
    return path

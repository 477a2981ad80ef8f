"""Planning a round's reports: one job per unit and language, each with the key that decides
whether it is up to date, and the split into jobs to run and reports already current.

Up to date means up to date. A report's key covers everything it is made from: the data
snapshot (with the registry rows it prints), the plans, the minimum group size, the
instrument's files, its recommendation rules, the report notebook, the project's settings,
the language and the package itself (its version and every file: code, HTML templates,
message catalogue); not
``pdf``, which only prints what is made. A report that is current but whose PDFs are
missing or older is printed from its HTML (a print-only job), never made again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

from dwp_assess import build_digest, project
from dwp_assess.analysis.recommend import rules_for
from dwp_assess.instruments.loading import instrument_digest
from dwp_assess.locale import LANGUAGES
from dwp_assess.reports.execute import Job
from dwp_assess.reports.files import SUMMARY_MARK, entry_key, language_mark, unit_file
from dwp_assess.reports.options import ReportOptions
from dwp_assess.reports.outputs import (
    UNIT_KINDS,
    UNIT_PARAMETERS,
    ReportAnalysis,
    UnitKind,
    output_kind,
)

Planned = tuple[Job, str]  # a job and its up-to-date key


@dataclass(frozen=True)
class RoundPlan:
    """What every job of a round shares: where its files go and what its key starts from."""

    analysis: ReportAnalysis
    analysis_dir: Path
    out: Path  # the round's reports folder
    notebooks: Path  # the round's executed notebooks, in the data folder
    base_key: list  # ``sources_key``
    settings: project.Settings
    colophon: dict


def plan_jobs(
    analysis: ReportAnalysis,
    analysis_dir: Path,
    out: Path,
    notebooks: Path,
    options: ReportOptions,
    synthetic: bool,
    settings: project.Settings,
) -> list[Planned]:
    """One job per report unit (``analysis.report_units()``) and language of ``LANGUAGES``
    (every report of the round as of now: its key tells what is current), each with its key:
    HTML (and PDF, with ``options.pdf``) in ``out``, the executed notebook in ``notebooks``.
    ``options.colophon`` (default: the settings': sender, contact) goes to every document's
    colophon."""
    template = output_kind(analysis.instrument.output).template
    colophon = options.colophon if options.colophon is not None else settings.colophon
    plan = RoundPlan(
        analysis,
        analysis_dir,
        out,
        notebooks,
        sources_key(analysis, template, settings),
        settings,
        colophon or {},
    )
    names = analysis.report_units()
    return [
        _job(plan, unit, names[unit], lang, options.pdf, synthetic)
        for unit in names
        for lang in LANGUAGES
    ]


def _job(plan: RoundPlan, unit: str, title, lang: str, pdf: bool, synthetic: bool) -> Planned:
    """The job of one unit's report in one language, and its key."""
    instrument = plan.analysis.instrument
    output = output_kind(instrument.output)
    mark = language_mark(lang)
    parameters = _parameters(plan, UNIT_KINDS[instrument.kind], unit, title, lang, synthetic)
    summary = unit_file(plan.out, unit, f"{SUMMARY_MARK}{mark}.html") if output.summary else None
    document = (
        unit_file(plan.out, unit, f"{mark}{output.document_suffix}") if output.document else None
    )
    if document:  # the report names the file it is handed out beside
        parameters["document_name"] = document.name
    job = Job(
        unit=entry_key(unit, lang),
        title=str(title),
        template=output.template,
        parameters=parameters,
        notebook_path=unit_file(plan.notebooks, unit, f"{mark}.ipynb"),
        html_path=unit_file(plan.out, unit, f"{mark}.html"),
        pdf_path=unit_file(plan.out, unit, f"{mark}.pdf") if pdf else None,
        lang=lang,
        summary_path=summary,
        summary_pdf_path=summary.with_suffix(".pdf") if summary and pdf else None,
        write_summary=output.summary,
        document_path=document,
        write_document=output.document,
        settings=plan.settings,
    )
    return job, job_key(plan.base_key, parameters)


def _parameters(
    plan: RoundPlan, kind: UnitKind, unit: str, title, lang: str, synthetic: bool
) -> dict:
    """The report notebook's parameters for one unit and language."""
    meta = plan.analysis.meta
    parameters = {
        "round_id": meta["round_id"],
        kind.parameter: unit,
        "lang": lang,
        "synthetic": synthetic,
        "previous_round_id": meta.get("previous_round_id"),
        "analysis_dir": str(plan.analysis_dir),
        "sender": plan.colophon.get("sender") or project.DEFAULT_SENDER,
        "contact": plan.colophon.get("contact", ""),
    }
    if kind.title_parameter:
        parameters[kind.title_parameter] = title
    return parameters


def job_key(base_key: list, parameters: dict) -> str:
    """A report's up-to-date key: what every report of the round is made from and its own
    parameters (not where the analysis lies: the same analysis in another folder is the same)."""
    own = {k: v for k, v in parameters.items() if k != "analysis_dir"}
    return hashlib.sha256(json.dumps([*base_key, own], sort_keys=True).encode()).hexdigest()


def sources_key(analysis: ReportAnalysis, template: Path, settings: project.Settings) -> list:
    """What every report of the round is made from, besides its own parameters: the data
    snapshot (with the registry rows it prints), the plans, the minimum group size, the
    report notebook, the package's version and files (code, HTML templates, message catalogue),
    the instrument's files, its recommendation rules and the project's settings."""
    instrument = analysis.instrument
    rules = rules_for(instrument)
    return [
        analysis.meta["snapshot_hash"],
        analysis.meta.get("plans_hash"),
        analysis.meta["min_group_size"],
        _hash_file(template),
        build_digest(),
        instrument_digest(instrument.id),
        rules.digest() if rules else None,
        settings.digest(),
    ]


def _hash_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def job_unit(job: Job) -> str:
    """The unit a job reports on (its manifest key without the language)."""
    return next(job.parameters[p] for p in UNIT_PARAMETERS.values() if job.parameters.get(p))


def chosen(every: list[Planned], options: ReportOptions) -> list[Planned]:
    """The jobs of the languages and units ``options`` asks for."""
    wanted = options.units
    return [
        (j, k)
        for j, k in every
        if j.lang in options.languages and (wanted is None or job_unit(j) in wanted)
    ]


def select(
    planned: list[Planned], manifest: dict, options: ReportOptions
) -> tuple[list[Planned], list[Planned]]:
    """Split planned jobs into those to run and those already up to date; an up-to-date
    report whose PDFs are wanted but missing or older runs as a print-only job (its HTML
    is printed, not made again). ``retry_failed`` runs only failed or never made reports;
    ``force`` runs every one."""
    run, skip = [], []
    for job, key in planned:
        entry = manifest.get(job.unit, {})
        if options.retry_failed:
            (run if entry.get("status") == "failed" or not entry else skip).append((job, key))
        elif _current(job, entry, key) and not options.force:
            skip.append((job, key))
            if job.pdf_path and not _printed(job, entry, key):
                run.append((replace(job, print_only=True), key))
        else:
            run.append((job, key))
    return run, skip


def _current(job: Job, entry: dict, key: str) -> bool:
    """The report was made from ``key`` and its files are there."""
    made = [p for p in (job.html_path, job.summary_path, job.document_path) if p]
    return (
        entry.get("key") == key and entry.get("status") == "ok" and all(p.is_file() for p in made)
    )


def _printed(job: Job, entry: dict, key: str) -> bool:
    """The job's PDFs are there and were printed from the HTML of ``key``."""
    pdfs = [p for p in (job.pdf_path, job.summary_pdf_path) if p]
    return entry.get("pdf_key") == key and all(p.is_file() for p in pdfs)

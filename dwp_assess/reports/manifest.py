"""The round's ``manifest.json``: per report its key, status, files and organisation, and the
tidying that keeps the reports folder to what is current.

Error messages, which the manifest and the index show, name the analyst's folders by role
(``<data>``, ``<reports>``, ``~``) instead of by path: the manifest lies in the reports
folder. Every output of a unit is made from one key or removed: a language or PDF left from
older data is removed when the report is made again without it, and the files of units no
longer in the round (a merged or renamed municipality) are removed.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from dwp_assess import ids, project
from dwp_assess.locale import LANGUAGES, PRIMARY_LANGUAGE
from dwp_assess.reports.execute import Job, JobResult
from dwp_assess.reports.files import (
    printed_files,
    remove_files,
    unit_files,
)
from dwp_assess.reports.outputs import ReportAnalysis
from dwp_assess.reports.planning import job_unit

MANIFEST = "manifest.json"


def load_manifest(out: Path) -> dict:
    """The round's manifest in ``out`` (empty when there is none yet)."""
    path = out / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def save_manifest(out: Path, manifest: dict) -> Path:
    path = out / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def record(manifest: dict, results: list[tuple[JobResult, tuple[Job, str]]], folders: dict) -> None:
    """Each result in the manifest: a made report's entry, or a printed one's PDFs."""
    for result, (job, key) in results:
        ok = result.status == "ok"
        if job.print_only and ok:
            manifest[job.unit] |= {
                "pdf": job.pdf_path.name,
                "pdf_key": key,
                "summary_pdf": job.summary_pdf_path.name if job.summary_pdf_path else None,
            }
            continue
        manifest[job.unit] = {
            "key": key,
            "status": result.status,
            "error": without_paths(result.error, folders),
            "title": job.title,
            "unit": job_unit(job),
            "lang": job.lang,
            "seconds": round(result.seconds, 2),
            "html": job.html_path.name,
            "pdf": job.pdf_path.name if job.pdf_path and ok else None,
            "pdf_key": key if job.pdf_path and ok else None,
            "summary": job.summary_path.name if job.summary_path and ok else None,
            "summary_pdf": job.summary_pdf_path.name if job.summary_pdf_path and ok else None,
            "document": job.document_path.name if job.document_path and ok else None,
        }


def tidy(
    out: Path,
    manifest: dict,
    current: dict[str, str],
    units: list[str] | None,
    keep_older: bool = False,
) -> list[Path]:
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
            removed += remove_files(unit_files(out, unit, lang))
            del manifest[key]
        elif entry.get("pdf_key") != entry.get("key"):
            removed += remove_files(printed_files(out, unit, lang))
            entry.update(pdf=None, summary_pdf=None, pdf_key=None)
    return removed


def owners(analysis: ReportAnalysis) -> dict[str, str]:
    """Report unit → the organisation it is listed under in the index (its first receiver)."""
    return {unit: organisations[0] for unit, organisations in analysis.receivers().items()}


def name_owners(manifest: dict, analysis: ReportAnalysis) -> None:
    """Each entry's organisation (id and current name), as the index groups them."""
    owner = owners(analysis)
    org_names = analysis.organisations.set_index("organisation_id")["name"].to_dict()
    for key, entry in manifest.items():  # entries of earlier runs: no notebook in this folder
        entry.pop("notebook", None)
        entry.setdefault("unit", key)
        entry.setdefault("lang", PRIMARY_LANGUAGE)
        entry["organisation"] = owner.get(entry["unit"], entry.get("organisation"))
        entry["organisation_name"] = org_names.get(
            entry["organisation"], entry.get("organisation_name")
        )


def marked_outdated(manifest: dict, current: dict[str, str]) -> dict:
    """The manifest with every report whose key is not the ``current`` one as ``outdated``."""
    return {
        k: e if e.get("key") == current.get(k) else e | {"status": "outdated"}
        for k, e in manifest.items()
    }


def error_folders(reports_root: Path, settings: project.Settings) -> dict[str, Path | None]:
    """The analyst's folders by role, for ``without_paths``."""
    return {
        "<reports>": reports_root,
        "<data>": settings.data_dir,
        "~": Path.home(),
        "<project>": settings.root,
        "<tmp>": Path(tempfile.gettempdir()),
    }


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

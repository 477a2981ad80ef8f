"""The names of a round's files: per unit and language in the reports folder, and the working
folders that stay with the analyst in the data folder.

A Dutch report is ``<unit>.html``, an English one ``<unit>.en.html``; beside it its PDF,
its management summary (``<unit>.samenvatting.html``) and an output's editable document
(``.docx``). Every name is made from a unit's id through ``ids.output_path`` (a valid id,
inside its folder, never another unit's file), never taken from a manifest.
"""

from __future__ import annotations

from pathlib import Path

from dwp_assess import ids
from dwp_assess.data import store
from dwp_assess.locale import PRIMARY_LANGUAGE
from dwp_assess.reports.outputs import OUTPUTS

SUMMARY_MARK = ".samenvatting"  # gouda.samenvatting.html: the management summary (summary.py)
ANALYSIS_FOLDER = "analysis"  # in the data folder: the round's analysis, per data snapshot
NOTEBOOK_FOLDER = "notebooks"  # in the data folder: executed report notebooks (audit trail)


def work_folder(kind: str, round_id: str, data_dir: Path | None = None) -> Path:
    """``<data folder>/<kind>/<round>``: working files of a round that stay with the analyst
    (``data_dir``: the project's data folder, by default the active project's)."""
    return ids.output_path(Path(data_dir or store.data_dir()) / kind, round_id)


def language_mark(lang: str) -> str:
    """The part of a report's file name that names its language: "" for the primary language
    (Dutch: gouda.html, beside gouda.en.html), ".en" for English."""
    return "" if lang == PRIMARY_LANGUAGE else f".{lang}"


def entry_key(unit: str, lang: str) -> str:
    """The manifest key of one report: the unit's id, with ".en" for English (ids hold no dot)."""
    return unit + language_mark(lang)


def unit_file(folder: Path, unit: str, suffix: str) -> Path:
    """``folder/<unit><suffix>``: a file of an organisation's or team's report (in the round's
    reports folder, or its executed notebook in the data folder), through ``ids.output_path``
    (a valid id, inside the folder, never another unit's file)."""
    return ids.output_path(folder, unit, suffix=suffix)


def document_suffixes() -> set[str]:
    """The suffixes of the editable documents outputs make (``.docx``)."""
    return {o.document_suffix for o in OUTPUTS.values() if o.document}


def unit_files(out: Path, unit: str, lang: str) -> list[Path]:
    """Every file one report may have in the round's folder, by its unit and language (HTML,
    PDF, summary and its PDF, an editable document), whether or not it exists."""
    mark = language_mark(lang)
    suffixes = [
        f"{mark}.html",
        f"{mark}.pdf",
        f"{SUMMARY_MARK}{mark}.html",
        f"{SUMMARY_MARK}{mark}.pdf",
    ]
    suffixes += [f"{mark}{suffix}" for suffix in sorted(document_suffixes())]
    return [unit_file(out, unit, suffix) for suffix in dict.fromkeys(suffixes)]


def printed_files(out: Path, unit: str, lang: str) -> list[Path]:
    """The PDFs of one report: of the report and of its summary."""
    mark = language_mark(lang)
    return [unit_file(out, unit, f"{mark}.pdf"), unit_file(out, unit, f"{SUMMARY_MARK}{mark}.pdf")]


def remove_files(paths: list[Path]) -> list[Path]:
    """Delete the files of ``paths`` that exist; the ones deleted."""
    gone = [p for p in paths if p.is_file()]
    for path in gone:
        path.unlink()
    return gone

"""The round's index pages (``index.html``, ``index.en.html``): every report with its status
and links, for the analyst, not for distribution.

Links are file names made from the unit's id and the language, each only when that file
exists; never taken from the manifest file, which may be older or edited. An outdated
report (its key is not the current one) is listed without links.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from dwp_assess import ids
from dwp_assess.instruments.messages import t
from dwp_assess.locale import LANGUAGES, PRIMARY_LANGUAGE
from dwp_assess.reports.bundle import BUNDLE_FOLDER
from dwp_assess.reports.files import (
    SUMMARY_MARK,
    document_suffixes,
    language_mark,
    remove_files,
    unit_file,
)
from dwp_assess.reports.html import index_html

NO_LINKS = {"html": None, "pdf": None, "summary": None, "summary_pdf": None, "document": None}


def index_path(out: Path, lang: str) -> Path:
    return out / f"index{language_mark(lang)}.html"


def write_indexes(
    out: Path,
    round_id: str,
    manifest: dict,
    skipped: set[str],
    langs: list[str],
    subtitles: dict[str, str],
    synthetic: bool,
    current: dict[str, str],
) -> tuple[dict[str, Path], list[Path]]:
    """An index for each language made now or listed in the manifest (``subtitles``: per
    language), and the index pages of other languages removed; (language → index, removed)."""
    listed = [
        x for x in LANGUAGES if x in langs or any(e.get("lang") == x for e in manifest.values())
    ]
    indexes = {
        lang: write_index(
            out, round_id, manifest, skipped, lang, subtitles[lang], synthetic, current
        )
        for lang in listed
    }
    removed = remove_files([index_path(out, x) for x in LANGUAGES if x not in listed])
    return indexes, removed


STATUS_ORDER = ("ok", "skipped", "outdated", "failed")


def status_counts(statuses: list[str], lang: str) -> str:
    """How many reports have each status, as the rows below say it ("20 klaar, 1 verouderd"):
    an outdated report is not counted as done (its row says it is not current)."""
    counts = {s: statuses.count(s) for s in STATUS_ORDER if statuses.count(s)}
    return ", ".join(t(f"report.index_count.{s}", lang, n=n) for s, n in counts.items())


def write_index(
    out: Path,
    round_id: str,
    manifest: dict,
    skipped: set[str],
    lang: str,
    subtitle: str,
    synthetic: bool = False,
    current: dict[str, str] | None = None,
) -> Path:
    """``index.html`` (``index.en.html`` in English) of the round, for the analyst: every report
    in that language grouped by organisation, its status (done, up to date, failed, or
    outdated: its key is not the ``current`` one, when given), links to its HTML, PDF and its
    organisation's bundle (none for an outdated report), and a note that the page is not
    for distribution (and, for synthetic data, that it is synthetic)."""
    own = {k: e for k, e in manifest.items() if e.get("lang", PRIMARY_LANGUAGE) == lang}
    rows = sorted(
        (_row(out, key, entry, skipped, lang, current) for key, entry in own.items()),
        key=lambda r: (r["organisation"], r["title"]),
    )
    summary = " · ".join([subtitle, status_counts([r["status"] for r in rows], lang)])
    html = index_html(
        t("report.index_title", lang, round=round_id),
        summary,
        rows,
        datetime.now(UTC).isoformat(timespec="seconds"),
        lang,
        synthetic,
        round_id,
    )
    path = index_path(out, lang)
    path.write_text(html, encoding="utf-8")
    return path


def _row(
    out: Path, key: str, entry: dict, skipped: set[str], lang: str, current: dict[str, str] | None
) -> dict:
    """One report's row of the index."""
    unit = entry.get("unit", key)
    status = "skipped" if key in skipped and entry["status"] == "ok" else entry["status"]
    outdated = (
        current is not None and entry["status"] == "ok" and entry.get("key") != current.get(key)
    )
    status = "outdated" if outdated else status
    links = NO_LINKS if outdated else _links(out, unit, entry)
    return {
        "title": entry.get("title", unit),
        "status": status,
        "status_label": t(f"report.status.{status}", lang),
        "organisation": entry.get("organisation_name") or "",
        "failed": entry["status"] != "ok",
        "error": entry.get("error"),
        **links,
        "bundle": None if outdated else _bundle_link(out, entry),
    }


def _links(out: Path, unit: str, entry: dict) -> dict[str, str | None]:
    """The index's links of one report, each only when that file exists."""
    if not ids.is_valid(unit) or entry.get("lang", PRIMARY_LANGUAGE) not in LANGUAGES:
        return dict(NO_LINKS)
    mark = language_mark(entry.get("lang", PRIMARY_LANGUAGE))
    files = {
        "html": f"{mark}.html",
        "pdf": f"{mark}.pdf",
        "summary": f"{SUMMARY_MARK}{mark}.html",
        "summary_pdf": f"{SUMMARY_MARK}{mark}.pdf",
    }
    if document := _document_suffix(entry):
        files["document"] = f"{mark}{document}"
    links = {
        key: path.name
        if entry.get(key) and (path := unit_file(out, unit, suffix)).is_file()
        else None
        for key, suffix in files.items()
    }
    return {"document": None} | links


def _document_suffix(entry: dict) -> str | None:
    """The suffix of a report's editable document (``.docx``) when it is one an output
    makes; never whatever else the manifest says."""
    suffix = Path(entry.get("document") or "").suffix
    return suffix if suffix in document_suffixes() else None


def _bundle_link(out: Path, entry: dict) -> str | None:
    """``bundles/<organisation>.zip`` of the report's organisation, when that bundle exists."""
    organisation = entry.get("organisation")
    if not ids.is_valid(organisation):
        return None
    bundle = ids.output_path(out / BUNDLE_FOLDER, organisation, suffix=".zip")
    return f"{BUNDLE_FOLDER}/{bundle.name}" if bundle.is_file() else None

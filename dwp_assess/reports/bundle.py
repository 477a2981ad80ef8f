"""One zip per organisation with only its own reports, ready to send.

``write_bundles`` reads a round's manifest (which report belongs to which
organisation, and whether it was made) and writes ``<reports>/<round>/bundles/<org>.zip``.
A bundle holds, in a folder named after the organisation, the organisation's own
reports (HTML and, where made, PDF; in a team round the profiles of its teams) and a
short README, Dutch first and English second, from the message catalogue. Nothing
else goes in: no index, no manifest, no executed notebook, no analysis, no file of
another organisation. An organisation with a report that failed or is missing gets
no bundle, and an earlier bundle of it is removed: an incomplete or stale bundle
would be sent as if it were complete. Bundles are made last, from the files that are
current after a run; one that already holds exactly those files is left as it is.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dwp_assess import __version__, ids
from dwp_assess.instruments.messages import t
from dwp_assess.locale import LANGUAGES
from dwp_assess.reports.files import remove_files
from dwp_assess.reports.outputs import ReportAnalysis

BUNDLE_FOLDER = "bundles"
README = "README.txt"


@dataclass
class BundleSummary:
    """Bundles written (organisation → zip; ``replaced``: those that were there before),
    left as they were (``current``: every file in them unchanged), and organisations left
    without one (→ the reports that failed or are missing; ``removed``: their older zip
    taken away)."""

    written: dict[str, Path] = field(default_factory=dict)
    withheld: dict[str, list[str]] = field(default_factory=dict)
    current: dict[str, Path] = field(default_factory=dict)
    replaced: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)


def bundle_files(
    out: Path, manifest: dict, units: list[str]
) -> tuple[list[tuple[Path, str]], list[str]]:
    """The files of the reports of ``units`` (one organisation's, as the round's analysis
    lists them) as (path, title), and the units whose report is not ready: never made,
    failed, or its HTML missing."""
    files, not_ready = [], []
    for unit in sorted(units):
        entries = [e for key, e in sorted(manifest.items()) if e.get("unit", key) == unit]
        if not entries or any(
            e.get("status") != "ok" or not (out / e.get("html", "")).is_file() for e in entries
        ):
            not_ready.append(unit)
            continue
        for entry in entries:  # every language the report was made in, with its summary
            files.append((out / entry["html"], entry["title"]))
            for extra in ("pdf", "summary", "summary_pdf", "document"):
                if entry.get(extra) and (out / entry[extra]).is_file():
                    files.append((out / entry[extra], entry["title"]))
    return files, not_ready


def readme(
    organisation: str,
    round_id: str,
    instrument_title,
    files: list[tuple[Path, str]],
    min_group: int,
    synthetic: bool = False,
) -> str:
    """The bundle's README: what is in it and how to open it, Dutch first, English second
    (``instrument_title`` is the instrument's title in both languages); for synthetic data it
    opens with a line saying so."""
    listing = "\n".join(f"- {path.name}: {title}" for path, title in files)
    values = dict(
        organisation=organisation,
        round=round_id,
        files=listing,
        min=min_group,
        version=__version__,
        date=datetime.now(UTC).date().isoformat(),
    )
    printed = any(
        path.suffix == ".pdf" for path, _ in files
    )  # it speaks of PDFs only when it holds them
    parts = []
    for lang in LANGUAGES:
        pdf = t("bundle.readme_pdf", lang) if printed else ""
        heading, body = t(
            "bundle.readme", lang, instrument=instrument_title.get(lang), pdf=pdf, **values
        ).split("\n\n", 1)
        warning = t("report.synthetic_warning", lang) + "\n\n" if synthetic else ""
        parts.append(f"{heading}\n\n{warning}{body}")
    return "\n\n".join(parts) + "\n"


def write_bundle(target: Path, folder_name: str, text: str, files: list[tuple[Path, str]]) -> Path:
    """Write the zip through a temporary file in the same folder, so that a bundle is either
    complete or absent."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{folder_name}/{README}", text)
            for path, _ in files:
                archive.write(path, f"{folder_name}/{path.name}")
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return target


def write_bundles(
    out: Path,
    round_id: str,
    instrument_title,
    manifest: dict,
    organisations: dict[str, tuple[str, list[str]]],
    min_group: int,
    synthetic: bool = False,
) -> BundleSummary:
    """A bundle for each of ``organisations`` (id → name and its report units) whose reports in
    ``out`` are all made; ``instrument_title`` in both languages, ``min_group`` the round's
    minimum group size."""
    summary = BundleSummary()
    for organisation_id, (name, units) in sorted(organisations.items()):
        target = ids.output_path(out / BUNDLE_FOLDER, organisation_id, suffix=".zip")
        files, not_ready = bundle_files(out, manifest, units)
        if not_ready:
            if target.is_file():
                summary.removed.append(target)
            target.unlink(missing_ok=True)
            summary.withheld[organisation_id] = not_ready
            continue
        if is_current(target, organisation_id, files):
            summary.current[organisation_id] = target
            continue
        if target.is_file():
            summary.replaced.append(target)
        text = readme(name, round_id, instrument_title, files, min_group, synthetic)
        summary.written[organisation_id] = write_bundle(target, organisation_id, text, files)
    return summary


def is_current(target: Path, folder_name: str, files: list[tuple[Path, str]]) -> bool:
    """A bundle holds exactly ``files`` (and its README) and is newer than each of them:
    writing it again would give the same content."""
    if not target.is_file():
        return False
    try:
        with zipfile.ZipFile(target) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    wanted = {f"{folder_name}/{README}"} | {f"{folder_name}/{path.name}" for path, _ in files}
    made = target.stat().st_mtime_ns
    return names == wanted and all(path.stat().st_mtime_ns <= made for path, _ in files)


def refresh_bundles(
    out: Path,
    round_id: str,
    instrument_title,
    manifest: dict,
    analysis: ReportAnalysis,
    chosen_units: set[str],
    synthetic: bool,
) -> BundleSummary | None:
    """Bundles, made last from what is current (``manifest`` marks older reports
    ``outdated``: an organisation with one gets no bundle): for the organisations that
    receive a report of ``chosen_units`` (``--bundle``) and for every organisation that has
    one already (kept current, or removed when a report of it is not ready); the bundle of an
    organisation that receives no report of the round any more is removed. ``None`` when
    there are none."""
    receivers = analysis.receivers()
    org_names = analysis.organisations.set_index("organisation_id")["name"].to_dict()
    receiving = {org for orgs in receivers.values() for org in orgs}
    folder = out / BUNDLE_FOLDER
    existing = {p.stem: p for p in folder.glob("*.zip")} if folder.is_dir() else {}
    gone = remove_files([p for org, p in existing.items() if org not in receiving])
    wanted = {org for unit in chosen_units for org in receivers.get(unit, [])}
    wanted |= {org for org in existing if org in receiving}
    if not wanted:
        return BundleSummary(removed=gone) if gone else None
    chosen = {
        org: (org_names.get(org, org), [u for u, orgs in receivers.items() if org in orgs])
        for org in wanted
    }
    summary = write_bundles(
        out,
        round_id,
        instrument_title,
        manifest,
        chosen,
        analysis.meta["min_group_size"],
        synthetic,
    )
    summary.removed += gone
    return summary

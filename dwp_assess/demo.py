"""The demo: the main job on the embedded default, from sample files to reports.

``dwp-assess demo [DIR]`` makes (or reuses) a project folder, copies the packaged
synthetic rounds (``sample_data/``, listed in its ``manifest.json``) into its
``imports/sample/``, loads the registry, imports every file of every round into the
project's store (SQLite by default) and generates the reports of each round. Everything it does goes through the same functions an analyst uses,
so the demo is also the end-to-end check of the whole chain.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from dwp_assess import project, resources
from dwp_assess.data import importers, registry, store
from dwp_assess.instruments.loading import get_instrument

SAMPLE_DIR = resources.SAMPLE_DATA
DEMO_FOLDER = "dwp-demo"
DEMO_OWNER = "Datawerkplaats (demo, synthetische data)"


@dataclass(frozen=True)
class SampleRound:
    """One round of the sample: its instrument, period and files in import order."""

    round_id: str
    instrument_id: str
    instrument_version: int
    period: str
    previous_round_id: str | None
    files: tuple[tuple[Path, str], ...]  # (path, format)


def sample_rounds(sample_dir: Path = SAMPLE_DIR) -> list[SampleRound]:
    """The rounds listed in ``sample_dir/manifest.json``, oldest period first."""
    manifest_path = sample_dir / "manifest.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(
            f"{manifest_path} not found: regenerate the sample with `dwp-assess sample`"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    rounds = sorted(manifest["rounds"], key=lambda r: (r["instrument_id"], r["period"]))
    result, previous = [], {}
    for r in rounds:
        files = tuple((sample_dir / f["path"], f["format"]) for f in r["files"])
        result.append(
            SampleRound(
                round_id=r["round_id"],
                instrument_id=r["instrument_id"],
                instrument_version=r["instrument_version"],
                period=r["period"],
                previous_round_id=previous.get(r["instrument_id"]),
                files=files,
            )
        )
        previous[r["instrument_id"]] = r["round_id"]
    return result


def load_sample(engine: Engine, sample_dir: Path = SAMPLE_DIR) -> list[importers.ImportSummary]:
    """Load the registry and import every sample file; safe to run again (nothing doubles)."""
    orgs_csv, teams_csv = sample_dir / "organisations.csv", sample_dir / "teams.csv"
    collaborations_csv = sample_dir / "collaborations.csv"  # the data-sharing round's units
    registry.import_registry(
        engine,
        orgs_csv,
        teams_csv,
        collaborations_csv=collaborations_csv if collaborations_csv.is_file() else None,
    )
    summaries = []
    for sample_round in sample_rounds(sample_dir):
        instrument = get_instrument(sample_round.instrument_id, sample_round.instrument_version)
        store.create_round(engine, instrument, sample_round.period, sample_round.round_id)
        store.mark_synthetic(engine, sample_round.round_id)
        if instrument.kind_spec.organisation_is_unit:  # the registry is the round's units
            registry.import_registry(engine, orgs_csv, round_id=sample_round.round_id)
        for path, fmt in sample_round.files:
            summaries.append(importers.import_file(engine, path, sample_round.round_id, fmt=fmt))
    return summaries


def demo_project(
    directory: Path | None = None, current: project.Settings | None = None
) -> project.Settings:
    """The project the demo runs in: ``directory`` (made when it is not a project yet), else
    the ``current`` project (the command's), else ``dwp-demo/`` in the working directory.
    The packaged sample files are copied into its ``imports/sample/`` (raw files stay as
    shipped)."""
    if directory is None:
        settings = current or _make_or_load(Path(DEMO_FOLDER))
    else:
        settings = _make_or_load(directory)
    target = settings.folders["imports"] / "sample"
    if not (target / "manifest.json").is_file():
        shutil.copytree(SAMPLE_DIR, target, dirs_exist_ok=True)
    return settings


def _make_or_load(directory: Path) -> project.Settings:
    if (directory / project.PROJECT_FILE).is_file():
        return project.load(directory.resolve())
    return project.create(directory, owner=DEMO_OWNER)


def demo_reports(
    engine: Engine,
    out_dir: Path | None = None,
    jobs: int = 2,
    console=None,
    colophon: dict | None = None,
) -> list:
    """Reports and bundles of every sample round (synthetic, as the store records); one
    ``RunSummary`` per round; ``colophon``: the project's sender and contact."""
    from dwp_assess.reports.options import ReportOptions
    from dwp_assess.reports.run import generate_reports

    return [
        generate_reports(
            engine,
            ReportOptions(r.round_id, out_dir, jobs=jobs, bundle=True, colophon=colophon),
            console=console,
        )
        for r in sample_rounds(SAMPLE_DIR)
    ]

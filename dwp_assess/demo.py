"""The demo: the main job on the embedded default, from sample files to reports.

``dwp-assess demo`` reads the committed synthetic rounds in ``sample_data/``
(listed in its ``manifest.json``), loads the registry, imports every file of
every round into the store (SQLite by default) and generates the reports of
each round. Everything it does goes through the same functions an analyst uses,
so the demo is also the end-to-end check of the whole chain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from dwp_assess import resources
from dwp_assess.data import importers, registry, store
from dwp_assess.instruments.loading import get_instrument

SAMPLE_DIR = resources.SAMPLE_DATA


@dataclass(frozen=True)
class SampleRound:
    """One round of the sample: its instrument, period and files in import order."""

    round_id: str
    instrument_id: str
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
    registry.import_registry(engine, orgs_csv, teams_csv)
    summaries = []
    for sample_round in sample_rounds(sample_dir):
        instrument = get_instrument(sample_round.instrument_id)
        store.create_round(engine, instrument, sample_round.period, sample_round.round_id)
        if instrument.kind == "organisation":
            registry.import_registry(engine, orgs_csv, round_id=sample_round.round_id)
        for path, fmt in sample_round.files:
            summaries.append(importers.import_file(engine, path, sample_round.round_id, fmt=fmt))
    return summaries


def demo_reports(engine: Engine, out_dir: Path | None = None, jobs: int = 2, console=None) -> list:
    """Reports of every sample round (marked synthetic); one ``RunSummary`` per round."""
    from dwp_assess.reports.run import generate_reports

    return [
        generate_reports(engine, r.round_id, out_dir, jobs=jobs, synthetic=True, console=console)
        for r in sample_rounds()
    ]

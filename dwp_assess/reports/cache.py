"""The round's analysis, computed once per data snapshot and kept in the data folder.

Every report of a round reads the same analysis (``reports.outputs``: each output's
``analyse`` and the class that loads it back). It holds every respondent's answers, so it
lives in the data folder (``analysis/<round>/<key>/``), never in the reports folder; its
key changes with anything it is computed from.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy.engine import Engine

from dwp_assess import build_digest, ids
from dwp_assess.data import store
from dwp_assess.data.plan_files import plans_digest
from dwp_assess.instruments.loading import get_instrument, instrument_digest
from dwp_assess.reports.files import ANALYSIS_FOLDER, work_folder
from dwp_assess.reports.outputs import OutputKind, ReportAnalysis, output_kind


def cached_analysis(
    engine: Engine,
    round_id: str,
    previous: str | None,
    min_group: int,
    data_dir: Path | None = None,
) -> tuple[ReportAnalysis, Path]:
    """The round's analysis for its instrument's output (``reports.outputs``), computed once
    per data snapshot (with the plans adopted after the previous round), instrument files,
    minimum group size, package version and files, analysis format, and kept in the data folder
    (it holds every respondent's answers); with what the output saves beside it (the
    typology of maturity rounds, ``typology/``)."""
    info = store.get_round(engine, round_id)
    kind = output_kind(get_instrument(info.instrument_id, info.instrument_version).output)
    key = analysis_key(engine, round_id, previous, min_group, kind)
    target = ids.output_path(work_folder(ANALYSIS_FOLDER, round_id, data_dir), key)
    if (target / "meta.json").is_file():
        return kind.tables.load(target), target
    analysis = kind.analyse(engine, round_id, previous, min_group)
    if kind.extras:  # before meta.json: a hit always has them
        kind.extras(analysis, target)
    return analysis, analysis.save(target)


def analysis_key(
    engine: Engine, round_id: str, previous: str | None, min_group: int, kind: OutputKind
) -> str:
    """The cache key: the round's data snapshot, the previous round's and the plans adopted
    after it, and a digest of the minimum group size, package version and files, analysis format and
    the instruments' files."""
    key = store.snapshot_hash(engine, round_id)[:16]
    if previous:  # the previous round's answers and the plans adopted after it
        key += "-" + store.snapshot_hash(engine, previous)[:8] + plans_digest(engine, previous)[:6]
    info = store.get_round(engine, round_id)
    instruments = {info.instrument_id} | (
        {store.get_round(engine, previous).instrument_id} if previous else set()
    )
    version = f"{min_group}:{build_digest()}:{kind.tables.FORMAT}:" + ":".join(
        instrument_digest(i) for i in sorted(instruments)
    )
    return key + "-" + hashlib.sha256(version.encode()).hexdigest()[:6]

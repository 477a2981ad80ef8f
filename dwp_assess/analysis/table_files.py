"""Saving a dataclass of tables: one Parquet file per DataFrame field and ``meta.json``;
and what every round analysis records about its round (``RoundTables``, ``round_meta``).

The round analysis and the typology are computed once per round and read by every report
of it; both save and load the same way through this mixin. A process that makes many
reports (a kept-alive report kernel, a report worker) reads a saved folder once: ``load``
keeps the tables per folder and file state, and hands each caller its own shallow copies
(pandas copy-on-write: changing a caller's table never changes the kept one or another
caller's), so a report cannot leave anything behind for the next.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import fields
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Self

import pandas as pd
from sqlalchemy.engine import Engine

from dwp_assess.data import store
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.model import Instrument

META = "meta.json"
KEPT_FOLDERS = 4  # saved folders kept: a round's analysis and its typology, and a few more


class ParquetTables:
    """A dataclass whose fields are ``meta`` (a dict) and DataFrames."""

    meta: dict

    def save(self, folder: Path) -> Path:
        """Write every table as Parquet and ``meta.json`` to ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        for f in fields(self):
            if f.name != "meta":
                getattr(self, f.name).to_parquet(folder / f"{f.name}.parquet", index=False)
        (folder / META).write_text(json.dumps(self.meta, indent=2, default=str), "utf-8")
        return folder

    @classmethod
    def load(cls, folder: Path) -> Self:
        """What ``save`` wrote (read once per folder and file state, see the module docstring)."""
        kept = _read(cls, Path(folder).resolve(), _state(cls, Path(folder)))
        tables = {name: table.copy(deep=False) for name, table in kept.items() if name != "meta"}
        return cls(meta=copy.deepcopy(kept["meta"]), **tables)


def _state(cls: type, folder: Path) -> str:
    """A digest of ``meta.json``'s bytes and every table file's size and modification time:
    a folder written again (or a file replaced) is read afresh."""
    digest = hashlib.sha256((folder / META).read_bytes())
    for f in fields(cls):
        if f.name != "meta":
            stat = (folder / f"{f.name}.parquet").stat()
            digest.update(f"{f.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()


@lru_cache(maxsize=KEPT_FOLDERS)
def _read(cls: type, folder: Path, state: str) -> dict:
    """Every table and the meta of a saved folder (``state`` is only the cache's key)."""
    tables = {
        f.name: pd.read_parquet(folder / f"{f.name}.parquet")
        for f in fields(cls)
        if f.name != "meta"
    }
    return {"meta": json.loads((folder / META).read_text("utf-8")), **tables}


class RoundTables(ParquetTables):
    """A round's analysis (of any output, ``reports.outputs``): tables plus ``meta`` from
    ``round_meta``, which names the round and the instrument version it was asked with."""

    @property
    def instrument(self) -> Instrument:
        return get_instrument(self.meta["instrument_id"], self.meta["instrument_version"])


def round_meta(engine: Engine, info: store.RoundInfo, instrument: Instrument, **extra) -> dict:
    """What every round analysis records (reports read it for their subtitle, provenance and
    synthetic warning): the round, its period, the instrument and its content hash, the data
    snapshot, whether the data are synthetic and when it was computed; then ``extra``."""
    return {
        "round_id": info.id,
        "period": info.period,
        "instrument_id": instrument.id,
        "instrument_version": instrument.version,
        "instrument_hash": instrument.content_hash,
        "snapshot_hash": store.snapshot_hash(engine, info.id),
        "synthetic": bool(info.synthetic),
        "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **extra,
    }

"""Saving a dataclass of tables: one Parquet file per DataFrame field and ``meta.json``.

The round analysis and the typology are computed once per round and read by every report
of it; both save and load the same way through this mixin.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Self

import pandas as pd


class ParquetTables:
    """A dataclass whose fields are ``meta`` (a dict) and DataFrames."""

    meta: dict

    def save(self, folder: Path) -> Path:
        """Write every table as Parquet and ``meta.json`` to ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        for f in fields(self):
            if f.name != "meta":
                getattr(self, f.name).to_parquet(folder / f"{f.name}.parquet", index=False)
        (folder / "meta.json").write_text(json.dumps(self.meta, indent=2, default=str), "utf-8")
        return folder

    @classmethod
    def load(cls, folder: Path) -> Self:
        """Read what ``save`` wrote."""
        tables = {f.name: pd.read_parquet(folder / f"{f.name}.parquet") for f in fields(cls) if f.name != "meta"}  # fmt: skip
        return cls(meta=json.loads((folder / "meta.json").read_text("utf-8")), **tables)

"""Tidy exports of a round for researchers: long and wide tables, codebook, SPSS.

* long: one row per response × item (what the store holds, with context);
* wide: one row per response, one column per item; "weet ik niet" and "niet
  van toepassing" are the codes -1 and -2, declared missing in the codebook and
  as user-missing values in SPSS, so they never count as answers;
* codebook: every variable with its text (nl/en), dimension, scale, value labels.

Rows and columns are in a fixed order and timestamps in UTC, so the same data
gives byte-identical CSV files from SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
from sqlalchemy.engine import Engine

from dwp_assess import ids
from dwp_assess.data import store
from dwp_assess.data.cells import safe_frame
from dwp_assess.instruments.loading import get_instrument
from dwp_assess.instruments.model import Instrument

CODE_VALUES = {"dont_know": -1, "not_applicable": -2}
RESPONSE_COLUMNS = [
    "response_id",
    "respondent_id",
    "organisation_id",
    "team_id",
    "role",
    "submitted_at",
]
FORMATS = ("csv", "parquet", "sav")


def _utc_text(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def unit_columns(instrument: Instrument) -> list[str]:
    """Columns an export adds for the instrument's unit: its column (``kinds.KINDS``) when the
    response columns do not hold it already. A collaboration instrument's answers are about one
    collaboration (an organisation can be in several), so they carry its id."""
    column = instrument.kind_spec.unit_column
    return [] if column in RESPONSE_COLUMNS else [column]


def long_table(engine: Engine, round_id: str) -> pd.DataFrame:
    """One row per response × item with round, organisation code, dimension and answer."""
    info = store.get_round(engine, round_id)
    instrument = get_instrument(info.instrument_id, info.instrument_version)
    answers = store.load_answers(engine, round_id)
    codes = store.load_round_organisations(engine, round_id)[["organisation_id", "cbs_code"]]
    dims = {i.id: i.dimension for i in instrument.items}
    frame = answers.merge(codes, on="organisation_id", how="left")
    unit = unit_columns(instrument)
    if unit:
        collaborations = store.load_responses(engine, round_id)[["response_id", *unit]]
        frame = frame.merge(collaborations, on="response_id", how="left")
    frame["round_id"] = round_id
    frame["dimension_id"] = frame["item_id"].map(dims)
    frame["submitted_at"] = _utc_text(frame["submitted_at"])
    columns = [
        "round_id",
        *unit,
        "organisation_id",
        "cbs_code",
        "team_id",
        "role",
        "submitted_at",
        "respondent_id",
        "response_id",
        "item_id",
        "dimension_id",
        "value",
        "code",
        "text",
    ]
    return frame[columns].sort_values(["response_id", "item_id"], ignore_index=True)


def wide_table(long: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """One row per response; item columns hold values or the codes -1/-2; free text as text."""
    numeric = long["value"].where(long["code"].isna(), long["code"].map(CODE_VALUES))
    cells = long.assign(cell=numeric)
    items = cells[cells["item_id"].isin(instrument.item_by_id)]
    wide = items.pivot(index="response_id", columns="item_id", values="cell")
    free_ids = [f.id for f in instrument.free_text]
    texts = long[long["item_id"].isin(free_ids)].pivot(
        index="response_id", columns="item_id", values="text"
    )
    fields = ["respondent_id", *unit_columns(instrument), *RESPONSE_COLUMNS[2:]]
    meta = long.drop_duplicates("response_id").set_index("response_id")[fields]
    item_ids = [i.id for i in instrument.items]
    wide = meta.join(wide.reindex(columns=item_ids)).join(texts.reindex(columns=free_ids))
    return wide.reset_index().sort_values("response_id", ignore_index=True)


def codebook(instrument: Instrument) -> pd.DataFrame:
    """Every item and free-text variable with texts, dimension, scale and value labels."""
    rows = []
    for item in instrument.items:
        scale = instrument.scale_by_id[item.scale]
        labels = [f"{p.value}={p.label.nl}" for p in scale.points]
        labels += [f"{CODE_VALUES[s.code]}={s.label.nl}" for s in scale.special]
        rows.append(
            {
                "variable": item.id,
                "text_nl": item.text.nl,
                "text_en": item.text.en,
                "dimension_id": item.dimension,
                "scale": scale.id,
                "reverse": item.reverse,
                "value_labels": "; ".join(labels),
                "missing_values": ", ".join(str(CODE_VALUES[s.code]) for s in scale.special),
            }
        )
    for free in instrument.free_text:
        rows.append(
            {
                "variable": free.id,
                "text_nl": free.text.nl,
                "text_en": free.text.en,
                "dimension_id": None,
                "scale": "text",
                "reverse": False,
                "value_labels": "",
                "missing_values": "",
            }
        )
    return pd.DataFrame(rows)


def write_sav(wide: pd.DataFrame, instrument: Instrument, path: Path) -> Path:
    """SPSS .sav with variable labels (item texts) and value labels; codes as user-missing."""
    labels = {c: c for c in wide.columns}
    value_labels, missing = {}, {}
    for item in instrument.items:
        scale = instrument.scale_by_id[item.scale]
        labels[item.id] = item.text.nl
        value_labels[item.id] = {float(p.value): p.label.nl for p in scale.points}
        value_labels[item.id] |= {float(CODE_VALUES[s.code]): s.label.nl for s in scale.special}
        if scale.special:
            missing[item.id] = [{"lo": -2.0, "hi": -1.0}]
    for free in instrument.free_text:
        labels[free.id] = free.text.nl
    frame = wide.copy()
    for col in frame.columns:
        if frame[col].dtype == object or str(frame[col].dtype).startswith("str"):
            frame[col] = frame[col].fillna("").astype(str)
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels=[labels[c] for c in frame.columns],
        variable_value_labels=value_labels,
        missing_ranges=missing,
    )
    return path


def export_round(
    engine: Engine, round_id: str, out_dir: Path, formats: tuple[str, ...] = FORMATS
) -> list[Path]:
    """Write the long and wide tables and the codebook of a round in the requested formats."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(
            f"unknown export format(s) {', '.join(sorted(unknown))}; use {', '.join(FORMATS)}"
        )
    info = store.get_round(engine, round_id)
    instrument = get_instrument(info.instrument_id, info.instrument_version)
    out_dir.mkdir(parents=True, exist_ok=True)
    long = long_table(engine, round_id)
    tables = {"long": long, "wide": wide_table(long, instrument), "codebook": codebook(instrument)}
    written = []
    for name, frame in tables.items():
        if "csv" in formats:
            path = ids.output_path(out_dir, round_id, suffix=f"-{name}.csv")
            safe_frame(frame).to_csv(
                path, index=False, lineterminator="\n"
            )  # opens safely in Excel
            written.append(path)
        if "parquet" in formats:
            path = ids.output_path(out_dir, round_id, suffix=f"-{name}.parquet")
            frame.to_parquet(path, index=False)
            written.append(path)
    if "sav" in formats:
        path = ids.output_path(out_dir, round_id, suffix="-wide.sav")
        written.append(write_sav(tables["wide"], instrument, path))
    return written
